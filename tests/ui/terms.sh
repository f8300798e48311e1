#!/usr/bin/env bash
# TERM=vt100 (no colours, VT100 keypad): the whole screen, navigation with
# the arrow keys, a card opened, q quits; no colour escapes are written.
# NO_COLOR drops colours but keeps the focus visible. Then each TERM the
# issue names starts, shows its screen and quits.
# Function and navigation keys on each of vt100, linux and xterm: Esc 1
# is F1 (help), Esc 0 is F10 (quit), Alt+digit too; tmux's F10 (ESC [21~,
# which neither vt100's nor linux's terminfo names) quits; End and Home as
# the raw xterm/VT220 sequences, whatever the terminfo says.
# shellcheck disable=SC2119 # ui_start takes optional arguments
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
ui_demo -t vt100
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
# ---- function keys and Home/End on terminals that lack them -----------------------
# keys_on TERM N...: Esc 1 help, the raw End/Home forms N (of the four
# below) move in Readers (Enter opens the entry reached), Alt+1 help, Esc 9
# the menu bar, then Esc 0 quits.
keys_on() {
    ui_start -t "$1"
    ui_wait_for "card  Mike's card"
    ui_keys Escape 1
    ui_wait_for 'Esc 1\.\.Esc 0 += F1\.\.F10'
    ui_keys Escape
    ui_wait_gone 'Esc 1\.\.Esc 0'
    local i ends homes
    ends=($'\e[4~' $'\e[F' $'\eOF' $'\e[8~')
    homes=($'\e[1~' $'\e[H' $'\eOH' $'\e[7~')
    for i in "${@:2}"; do
        ui_focus Readers
        ui_type "${ends[i]}"
        ui_keys Enter
        ui_wait_for "Card: $UI_R1"
        ui_focus Readers
        ui_type "${homes[i]}"
        ui_keys Enter
        ui_wait_for "Card: $UI_R0"
    done
    ui_refute 'That key does nothing'
    ui_keys M-1
    ui_wait_for 'Esc 1\.\.Esc 0'
    ui_keys Escape
    ui_wait_gone 'Esc 1\.\.Esc 0'
    ui_keys Escape 9 # the menu bar (F9), then its first menu
    ui_keys Enter
    ui_wait_for 'Open +Enter'
    ui_keys Escape
    ui_wait_gone 'Open +Enter'
    ui_keys Escape
    ui_quit 0 # Esc 0: F10
}
# Every form on xterm (where tmux's End was dead), two on the others.
keys_on xterm 0 1 2 3
keys_on vt100 0 3
keys_on linux 1 2
for term in vt100 linux xterm; do
    # The F10 tmux sends (the xterm form) quits on each of them.
    ui_start -t "$term"
    ui_wait_for "card  Mike's card"
    ui_quit F10
done
echo "ui_terms: ok"
