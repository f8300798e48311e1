#!/usr/bin/env bash
# A certificate kept in the private area is decoded in the viewer (F3)
# like a public one — subject, issuer, serial, validity, key, key usage,
# fingerprints, a long subject wrapped whole under its label at 80x24 —
# and yet no copy of its DER is left in scmgr's ordinary memory: GnuTLS's
# parser (which copies its input into the heap) runs in a locked child
# process, and only the decoded lines come back, into secure memory. The
# memory is read through /proc/PID/mem (memfind.py), which scmgr (not
# dumpable) allows only to root.
# shellcheck disable=SC2119 # ui_start takes optional arguments
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
ui_require_ui
for tool in openssl certtool; do
    command -v "$tool" >/dev/null && continue
    [ "${CI:-}" = true ] && fail "$tool missing (./dev.sh test installs it)"
    echo "SKIP: $tool missing" >&2
    exit 77
done
ui_rig --empty
rig_card_start 0

# A certificate of this run only (its key and signature are new bytes that
# nothing else in memory can hold), with a subject longer than a row.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$T/key.pem" \
    -subj "/CN=Mike Hamann/O=Patent and Trademark Office of the Federal Republic/OU=Smart card laboratory on the second floor/emailAddress=mike.hamann@example.org" \
    -days 30 -outform DER -out "$T/cert.der" -addext keyUsage=digitalSignature,keyCertSign \
    2>"$T/openssl.err" || fail "openssl could not make the test certificate: $(cat "$T/openssl.err")"
rm -f "$T/key.pem"
# The subject as GnuTLS writes it, from GnuTLS's own tool.
subject=$(certtool -i --inder --infile "$T/cert.der" | sed -n 's/^[[:space:]]*Subject: //p')
[ "${#subject}" -gt 70 ] || fail "the test subject fits one row: it proves nothing"

expect 0 scm card init 0 --label "Cert card" --serial 5679 --pin-fd 3 3<<<"$PIN"
expect 0 scm put 0 "My cert" "$T/cert.der" --type certificate --area private --pin-fd 3 3<<<"$PIN"

# Inside the viewer (columns 5-75 at 80x24), rows joined, spaces squeezed:
# a wrapped field reads as one line again.
flat_screen() {
    ui_screen | LC_ALL=C.UTF-8 sed -E -e 's/^.{4}(.{0,71}).*/\1/' -e 's/^ *//' -e 's/ *$//' |
        paste -sd' ' - | tr -s ' '
}
assert_flat() {
    local i
    for ((i = 0; i < 100; i++)); do
        [[ "$(flat_screen)" == *"$1"* ]] && return 0
        sleep 0.05
    done
    ui_fail "the viewer lacks the whole text '$1'"
}

# Every 16-byte window of the DER that is mostly binary (the key, the
# signature, the encoding around the names; the names themselves are on the
# screen and so in curses' buffers, as text).
mapfile -t pats < <(python3 - "$T/cert.der" <<'PY'
import sys
der = open(sys.argv[1], "rb").read()
for i in range(0, len(der) - 16, 8):
    w = der[i:i + 16]
    if sum(1 for c in w if c < 0x20 or c >= 0x7f) >= 6:
        print(w.hex())
PY
)
[ "${#pats[@]}" -gt 10 ] || fail "too few patterns from the certificate"

# open_card: start scmgr (ui_start ARGS), open and unlock the card.
open_card() {
    ui_start "$@"
    ui_wait_for 'card +Cert card'
    ui_open_entry 0 "$UI_R0"
    ui_menu Tools "Unlock card"
    ui_wait_for 'PIN for'
    ui_secret "$PIN"
    ui_wait_for 'My cert +certificate'
}

# view_decoded: F3 on the certificate shows it decoded, Tab its bytes and
# back; after the viewer closed its DER is nowhere in ordinary memory.
view_decoded() {
    ui_select_row 'My cert'
    ui_keys F3
    ui_wait_for 'View: My cert'
    ui_wait_for 'X.509 certificate'
    assert_flat "Subject: $subject"
    ui_assert 'Not after: '
    ui_assert 'Key: +EC.*256 bits'
    ui_assert 'Key usage: +digital signature, certificate signing'
    ui_assert 'SHA-256: +[0-9A-F]{2}:'
    # Continuations start under the value, not at the margin.
    ui_screen | python3 -c '
import re, sys
rows = sys.stdin.read().splitlines()
i = next(i for i, r in enumerate(rows) if "Subject:" in r)
value = re.search(r"Subject: +", rows[i]).end()
# the next row: its text starts after the viewer box border, at column 4
cont = len(rows[i + 1]) - len(rows[i + 1][4:].lstrip(" "))
sys.exit(0 if cont == value else 1)' || ui_fail "the subject's second row does not start under its value"
    ui_refute 'could not be decoded'
    # The bytes, and back.
    ui_keys Tab
    ui_wait_for '00000000  30 82'
    ui_keys Tab
    ui_wait_for 'X.509 certificate'
    ui_keys Escape
    ui_wait_gone 'View: My cert'
    ui_wait_for "Viewed 'My cert'"
    local rc=0
    python3 "$(dirname "$0")/memfind.py" "$UI_PID" "${pats[@]}" || rc=$?
    [ "$rc" = 77 ] && exit 77
    [ "$rc" = 0 ] || ui_fail "the private certificate's DER is left in ordinary memory (above)"
    ui_quit
}

open_card
view_decoded

# An ordinary user's RLIMIT_MEMLOCK (8 MiB, no CAP_IPC_LOCK) is far below
# scmgr's whole address space: the child locks what it writes to instead,
# and the certificate is decoded all the same.
command -v setpriv >/dev/null && command -v prlimit >/dev/null || {
    [ "${CI:-}" = true ] && fail "setpriv/prlimit missing"
    echo "PASS (the limited cases skipped: no setpriv/prlimit)"
    exit 0
}
# limited LIMIT: a wrapper running scmgr without CAP_IPC_LOCK under LIMIT.
limited() {
    cat >"$T/scmgr-$1" <<EOS
#!/bin/sh
exec setpriv --inh-caps=-ipc_lock --bounding-set=-ipc_lock prlimit --memlock=$1:$1 "$SCMGR_BIN" "\$@"
EOS
    chmod +x "$T/scmgr-$1"
    echo "$T/scmgr-$1"
}
SCMGR_BIN=$(limited 8388608) open_card
view_decoded

# Where the decoder's memory cannot be locked (no CAP_IPC_LOCK, a zero
# RLIMIT_MEMLOCK) the certificate is not decoded: one sentence says why,
# and its bytes are shown in hex all the same.
if nm -D "$SCMGR_BIN" 2>/dev/null | grep -c ' __asan_init' >/dev/null; then
    # AddressSanitizer makes mlock and mlockall succeed without locking.
    echo "PASS (the unlockable case skipped: AddressSanitizer ignores mlock)"
    exit 0
fi
SCMGR_BIN=$(limited 0) open_card
ui_select_row 'My cert'
ui_keys F3
ui_wait_for 'View: My cert'
assert_flat "The certificate could not be decoded: The decoder process could not lock its memory: RLIMIT_MEMLOCK is too low (raise it with ulimit -l). Its bytes follow."
ui_assert '00000000  30 82'
ui_refute 'X.509 certificate'
ui_keys Escape
ui_wait_gone 'View: My cert'
ui_quit
echo PASS
