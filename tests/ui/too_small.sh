#!/usr/bin/env bash
# A terminal smaller than 80x24: only the "too small" notice, no crash, keys
# are harmless; back to 80x24 the whole screen returns with its state.
# shellcheck disable=SC2119 # ui_start takes optional arguments
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
ui_require_ui
ui_rig --demo --blank
NOTICE='terminal too small \(need 80x24\)'

# Started too small.
ui_start -s 60x20
ui_wait_for "$NOTICE"
ui_refute 'Readers'
ui_keys Down Tab Enter
ui_resize 80 24
ui_wait_for "card  Mike's card"
ui_refute "$NOTICE"
ui_open_entry 0 "$UI_R0"
ui_wait_for 'Please read +note'

# Shrunk while a card is open, in each direction, then back.
for size in "60 20" "79 24" "80 23" "40 10"; do
    # shellcheck disable=SC2086
    ui_resize $size
    ui_wait_for "$NOTICE"
    ui_refute 'Please read'
    ui_keys Down
    kill -0 "$UI_PID" || ui_fail "scmgr died at ${size/ /x}"
done
ui_resize 80 24
ui_wait_for 'Please read +note'
ui_refute "$NOTICE"
ui_assert "Card: $UI_R0"

ui_quit
[ ! -s "$UI_ERR" ] || ui_fail "scmgr wrote to stderr"
echo "ui_too_small: ok"
