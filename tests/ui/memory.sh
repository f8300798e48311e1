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
# outside secure memory (memfind.py); exit 77 when the memory cannot be read.
leftovers() {
    python3 "$(dirname "$0")/memfind.py" "$UI_PID" \
        "$(printf '%s' "${MARK:0:16}" | od -An -tx1 | tr -d ' \n')" \
        "$(printf '%s' "${MARK:0:8}" | od -An -tx1 | sed -e 's/^ //' | tr -d '\n' |
            od -An -tx1 | tr -d ' \n')"
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
