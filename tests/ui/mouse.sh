#!/usr/bin/env bash
# The mouse, as terminals report it (the raw reports are typed into the
# pane: X10 for TERM=tmux-256color, whose kmous is ESC [M, and SGR 1006 for
# TERM=xterm, whose kmous is ESC [<): a click focuses a pane and selects an
# entry, a double click opens it (as Enter), the wheel scrolls, the menu bar
# and the function-key bar act, also under a dialog. --no-mouse and
# [ui] mouse = no never ask the terminal for reports.
# shellcheck disable=SC2119 # ui_start takes optional arguments
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
ui_require_ui
ui_rig --demo --blank

ENC=x10
# press/release of button B at column X, row Y (0-based screen cells)
report() {
    local b=$1 x=$2 y=$3 up=$4
    if [ "$ENC" = sgr ]; then
        printf '\e[<%d;%d;%d%s' "$b" $((x + 1)) $((y + 1)) "$([ "$up" = 1 ] && echo m || echo M)"
    else
        [ "$up" = 1 ] && b=3
        printf '\e[M%b%b%b' "\\x$(printf %x $((32 + b)))" "\\x$(printf %x $((33 + x)))" \
            "\\x$(printf %x $((33 + y)))"
    fi
}
click() { ui_type "$(report 0 "$1" "$2" 0)$(report 0 "$1" "$2" 1)"; }
double() { ui_type "$(report 0 "$1" "$2" 0)$(report 0 "$1" "$2" 1)$(report 0 "$1" "$2" 0)$(report 0 "$1" "$2" 1)"; }
wheel() { ui_type "$(report $(($1 == -1 ? 64 : 65)) "$2" "$3" 0)"; }
# row and column (0-based) of the first match of the fixed TEXT on the screen
row_of() { ui_screen | grep -nF -m1 -- "$1" | cut -d: -f1 | awk '{print $1 - 1}'; }
col_of() {
    ui_screen | grep -F -m1 -- "$1" | python3 -c 'import sys; print(sys.stdin.read().index(sys.argv[1]))' "$1"
}
MOUSE_ON=$'\e[?1000h'

ui_start
ui_wait_for "card  Mike's card"
grep -qF "$MOUSE_ON" "$UI_RAW" || ui_fail "scmgr did not ask the terminal for mouse reports"
ui_keys Tab
ui__poll_focus_change Card || ui_fail "Tab did not focus Card"
# A click on the second reader: Readers gets the focus, the entry the selection.
r1=$(row_of "$RIG_READER_1")
click 5 "$r1"
ui__poll_focus_change Readers || ui_fail "a click did not focus Readers (focus: $(ui_focused))"
ui_wait_for "^│>$UI_R1"
ui_refute 'That key does nothing'
# A double click opens it, as Enter.
double 5 "$r1"
ui_wait_for "Card: $UI_R1"
# ... and on the first reader's second row, the other card.
r0=$(row_of "$RIG_READER_0")
double 10 $((r0 + 1))
ui_wait_for "Card: $UI_R0"
[ "$(ui_focused)" = Card ] || ui_fail "opening did not focus Card"
# A double click on the locked Private header unlocks, as Enter does.
double "$(col_of 'Private  (')" "$(row_of 'Private  (')"
ui_wait_for 'PIN for'
# The function-key bar under a dialog: 10Quit closes the dialog only.
fb=$(row_of '10Quit')
click "$(col_of '10Quit')" "$fb"
ui_wait_gone 'PIN for'
ui_wait_for 'Unlocking cancelled'

# The function-key bar: 1Help; the wheel scrolls the help; 10Quit closes it.
click "$(col_of '1Help')" "$fb"
ui_wait_for 'Esc 1\.\.Esc 0'
hr=$(row_of 'Esc 1..Esc 0')
wheel 1 20 "$hr"
ui_wait_gone 'Esc 1\.\.Esc 0'
wheel -1 20 "$hr"
ui_wait_for 'Esc 1\.\.Esc 0'
click "$(col_of '10Quit')" "$fb"
ui_wait_gone 'Esc 1\.\.Esc 0'

# The menu bar: a click on Tools opens it, a click on an item chooses it.
click "$(col_of 'Tools')" 0
ui_wait_for 'VSC Manager'
click "$(col_of 'VSC Manager')" "$(row_of 'VSC Manager')"
ui_wait_for '\[N\]ew'
ui_keys Escape
ui_wait_gone '\[N\]ew'
# A click outside an open menu closes it.
click "$(col_of 'Edit')" 0
ui_wait_for 'Copy all'
click 60 15
ui_wait_gone 'Copy all'
# A click selects an object (F5 copies the selected one); in a question, a
# click on a button answers it.
click "$(col_of 'Please read')" "$(row_of 'Please read')"
ui_wait_for '> +Please read'
ui_keys F5
ui_wait_for 'Clipboard \(1\)'
ui_menu Edit "Clear clipboard"
ui_wait_for 'Empty the clipboard\?'
click "$(col_of '[ Yes ]')" "$(row_of '[ Yes ]')"
ui_wait_for 'The clipboard is empty\.'
# 10Quit quits.
click "$(col_of '10Quit')" "$fb"
st=$(ui_exit_status)
[ "$st" = 0 ] || ui_fail "scmgr exited $st after a click on 10Quit"

# SGR 1006 (TERM=xterm): the same click and double click.
ENC=sgr
ui_start -t xterm
ui_wait_for "card  Mike's card"
r1=$(row_of "$RIG_READER_1")
click 5 "$r1"
ui_wait_for "^│>$UI_R1"
double 5 "$r1"
ui_wait_for "Card: $UI_R1"
ui_quit

# --no-mouse, and [ui] mouse = no: no reports asked for, the keyboard works.
ui_start -- --no-mouse
ui_wait_for "card  Mike's card"
ui_quit
! grep -qF "$MOUSE_ON" "$UI_RAW" || ui_fail "--no-mouse still asked for mouse reports"
printf '[ui]\nmouse = no\n' >"$T/nomouse.ini"
ui_start -- --config "$T/nomouse.ini"
ui_wait_for "card  Mike's card"
ui_quit
! grep -qF "$MOUSE_ON" "$UI_RAW" || ui_fail "[ui] mouse = no still asked for mouse reports"
printf '[ui]\nmouse = maybe\n' >"$T/badmouse.ini"
expect 1 scm --config "$T/badmouse.ini" ls
has "$ERR" 'mouse must be yes or no'
echo "ui_mouse: ok"
