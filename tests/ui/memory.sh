#!/usr/bin/env bash
# After a private object has been viewed (text, hex, text again) and the
# viewer closed, no copy of its content is left in scmgr's ordinary memory
# (the heap and every other mapping that is not secure memory): the lines
# lived in secure memory and were wiped, and the bytes were never handed to
# a parser that copies them. The process's memory is read through
# /proc/PID/mem, which scmgr (not dumpable) allows only to root.
# shellcheck disable=SC2119 # ui_start takes optional arguments
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
ui_require_ui
ui_rig --empty
rig_card_start 0

MARK="PRIVMARK-7q3x9z-secret-content"
expect 0 scm card init 0 --label "Mem card" --serial 5678 --pin-fd 3 3<<<"$PIN"
printf '%s\nline two %s\n' "$MARK" "$MARK" >"$T/p"
expect 0 scm put 0 "Secret note" "$T/p" --area private --pin-fd 3 3<<<"$PIN"

# leftovers: print where MARK (or its hex-dump line) is in scmgr's memory
# outside secure memory (mappings without VmFlags "dd"); exit 77 when the
# memory cannot be read.
leftovers() {
    python3 - "$UI_PID" "$MARK" <<'PY'
import re, sys
pid, mark = sys.argv[1], sys.argv[2].encode()
pats = [mark[:16], " ".join("%02x" % c for c in mark[:8]).encode()]
try:
    mem = open("/proc/%s/mem" % pid, "rb", 0)
except OSError as e:
    print("SKIP: cannot read scmgr's memory (%s)" % e, file=sys.stderr)
    sys.exit(77)
regions, cur = [], None
for line in open("/proc/%s/smaps" % pid):
    m = re.match(r"([0-9a-f]+)-([0-9a-f]+) (\S+)\s+\S+\s+\S+\s+\S+\s*(.*)$", line)
    if m:
        cur = [int(m[1], 16), int(m[2], 16), m[3], m[4], False]
        regions.append(cur)
    elif line.startswith("VmFlags:") and cur:
        cur[4] = " dd" in line
found = 0
for lo, hi, perm, name, dd in regions:
    if "r" not in perm or dd or name.startswith("[v"):
        continue
    try:
        mem.seek(lo)
        b = mem.read(hi - lo)
    except OSError:
        continue
    for p in pats:
        i = b.find(p)
        if i >= 0:
            print("%s at %#x in %s: %r" % (p, lo + i, name or "anonymous", b[max(0, i - 32):i + 48]))
            found += 1
sys.exit(1 if found else 0)
PY
}

ui_start
ui_wait_for 'card +Mem card'
ui_open_entry 0 "$UI_R0"
ui_menu Tools "Unlock card"
ui_wait_for 'PIN for'
ui_secret "$PIN"
ui_wait_for 'Secret note'
ui_keys Home
for _ in 1 2 3 4 5 6; do
    ui_screen | grep -Eq -- "│>[[:space:]]*Secret note" && break
    ui_keys Down
    sleep 0.05
done
ui_keys F3
ui_wait_for "$MARK"
ui_keys Tab
ui_wait_for '50 52 49 56 4d 41 52 4b'
ui_keys Tab
ui_wait_for "line two $MARK"
ui_keys Escape
ui_wait_gone 'Esc close'
ui_wait_for "Viewed 'Secret note'"
rc=0
leftovers || rc=$?
[ "$rc" = 77 ] && exit 77
[ "$rc" = 0 ] || ui_fail "the private object's content is left in ordinary memory (above)"
ui_quit
echo PASS
