#!/usr/bin/env bash
# Live resize: 80x24 -> 132x43 -> 80x24 with a card open and a dialog up;
# every size shows the whole layout (menu bar on top, function-key bar at
# the bottom), nothing is lost, scmgr keeps running.
# shellcheck disable=SC2119 # ui_start takes optional arguments
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
ui_require_ui
ui_rig --demo --blank

# check_layout W H: the screen is W x H with the bars where they belong.
check_layout() {
    local s
    s=$(ui_screen)
    [ "$(wc -l <<<"$s")" = "$2" ] || ui_fail "not $2 rows"
    head -n 1 <<<"$s" | grep -Eq '^ File +Edit +View +Tools +Help' || ui_fail "no menu bar on row 1 at $1x$2"
    tail -n 1 <<<"$s" | grep -Eq '1Help.*10Quit' || ui_fail "no function-key bar on row $2 at $1x$2"
    # The right border of the Card pane reaches the last column.
    sed -n 2p <<<"$s" | grep -Eq "^.{$(($1 - 1))}[┐+k]\$" || ui_fail "the top border does not reach column $1"
}

ui_start
ui_wait_for "card  Mike's card"
check_layout 80 24
ui_open_entry 0 "$UI_R0"
ui_wait_for 'Please read +note'

ui_resize 132 43
ui_wait_for '^.{131}[┐+k]$'
check_layout 132 43
ui_assert "Card: $UI_R0"
ui_assert 'Please read +note'
ui_resize 80 24
ui_wait_for '^.{79}[┐+k]$'
check_layout 80 24
ui_assert "Card: $UI_R0"
ui_assert 'Please read +note'

# With a dialog up: it stays, centred again, and still takes the PIN.
ui_menu Tools "Unlock card"
ui_wait_for 'PIN for [^:]*:'
ui_resize 100 30
ui_wait_for '^.{99}[┐+k]$'
ui_assert 'PIN for [^:]*:'
ui_resize 80 24
ui_wait_for '^.{79}[┐+k]$'
ui_assert 'PIN for [^:]*:'
ui_secret "$PIN"
ui_wait_for 'Private Info +data'
check_layout 80 24

ui_quit
echo "ui_resize: ok"
