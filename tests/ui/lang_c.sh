#!/usr/bin/env bash
# LANG=C: no UTF-8 may reach a terminal that does not expect it. Borders
# come from the terminal's line-drawing set (ACS) and every byte scmgr
# writes is 7-bit; SCMGR_ASCII=1 forces plain ASCII borders (+ - |).
# Text from the card (the label with its apostrophe) is still readable.
# shellcheck disable=SC2119 # ui_start takes optional arguments
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
ui_require_ui
ui_rig --demo --blank

eight_bit() { LC_ALL=C grep -c -P '[\x80-\xff]' "$UI_RAW" || true; }

ui_start -l C
ui_wait_for "card  Mike's card"
ui_wait_for '[┌+l]Readers'
ui_open_entry 0 "$UI_R0"
ui_wait_for 'Please read +note'
ui_quit
[ "$(eight_bit)" = 0 ] || ui_fail "scmgr wrote 8-bit bytes under LANG=C: $(LC_ALL=C grep -a -o -P '.{0,20}[\x80-\xff]+.{0,20}' "$UI_RAW" | head -3)"
# ACS: the borders were drawn in the line-drawing set (SO/SI or ESC ( 0).
grep -q -P '\x0e|\x1b\(0' "$UI_RAW" || ui_fail "no ACS line drawing under LANG=C"

ui_start -l C -e SCMGR_ASCII=1
ui_wait_for '\+Readers-+\+'
ui_assert '\+Card-+\+'
ui_assert '^\|'
ui_refute '[─│┌┐└┘]'
ui_quit
[ "$(eight_bit)" = 0 ] || ui_fail "scmgr wrote 8-bit bytes with SCMGR_ASCII=1"

# And with UTF-8, the borders are UTF-8 box drawing.
ui_start -l C.UTF-8
ui_wait_for '┌Readers─+┐'
ui_quit
echo "ui_lang_c: ok"
