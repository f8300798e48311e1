#!/usr/bin/env bash
# TERM=vt100 (no colours, VT100 keypad): the whole screen, navigation with
# the arrow keys, a card opened, q quits; no colour escapes are written.
# NO_COLOR drops colours but keeps the focus visible. Then each TERM the
# issue names starts, shows its screen and quits.
# shellcheck disable=SC2119 # ui_start takes optional arguments
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
ui_require_ui
ui_rig --demo --blank

ui_start -t vt100
ui_wait_for "card  Mike's card"
ui_assert '^ File +Edit +View +Tools +Help'
ui_assert '10Quit'
ui_keys Down Up
ui_open_entry 0 "$UI_R0"
ui_wait_for 'Please read +note'
ui_quit q # a vt100's F10 is not xterm's
! grep -q -P '\x1b\[[0-9;]*(3[0-9]|4[0-9]|38;5|48;5)[0-9;]*m' "$UI_RAW" ||
    ui_fail "colour escapes written to a vt100"
[ ! -s "$UI_ERR" ] || ui_fail "scmgr wrote to stderr under TERM=vt100"

# NO_COLOR: no colour escapes, and the focus is still visible (the focused
# pane's title differs from the others: bold or reverse).
ui_start -e NO_COLOR=1
ui_wait_for "card  Mike's card"
[ "$(ui_focused)" = Readers ] || ui_fail "no visible focus with NO_COLOR (focus: $(ui_focused))"
ui_keys Tab
ui__poll_focus_change Card || ui_fail "Tab did not move a visible focus with NO_COLOR"
ui_quit
! grep -q -P '\x1b\[[0-9;]*(3[0-9]|4[0-9]|38;5|48;5)[0-9;]*m' "$UI_RAW" ||
    ui_fail "colour escapes written with NO_COLOR"

for term in xterm xterm-256color linux screen tmux-256color; do
    ui_start -t "$term"
    ui_wait_for "card  Mike's card"
    ui_wait_for '1Help.*10Quit'
    ui_quit
done
echo "ui_terms: ok"
