#!/usr/bin/env bash
# A card pulled out while it is open: the UI closes it, says so, keeps the
# clipboard, shows the empty slot; a card put back in appears live.
# shellcheck disable=SC2119 # ui_start takes optional arguments
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
ui_demo
ui_open_entry 0 "$UI_R0"
ui_wait_for 'Please read +note'
ui_menu Edit "Copy all"
ui_wait_for 'Clipboard \(3\)'

rig_card_kill 0
# src/ui/README.md: "The card was removed from <reader>; it is closed. The
# clipboard is kept." (the words may differ; these facts may not)
ui_wait_for "(The card was removed|Card removed) from $UI_R0.*closed.*[Cc]lipboard is kept"
ui_wait_for 'No card open'
ui_assert 'Clipboard \(3\)'
ui_assert 'Please read +public'
ui_refute "card  Mike's card"
ui_wait_for '^.{0,3}empty'

# A new (blank, never laid out) card in the same slot shows up by itself.
rig_card_start 0
ui_wait_for 'no agent'
ui_assert 'Clipboard \(3\)'
# ...and so does the other card going and coming.
rig_card_kill 1
ui_wait_gone 'card  Blank card'
kill -0 "$UI_PID" || ui_fail "scmgr died"

ui_quit
echo "ui_removal: ok"
