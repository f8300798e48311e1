#!/usr/bin/env bash
# No sentence cut mid-word at 80x24: a long error is read whole over the
# two status rows and again in the message history (Ctrl-O, View >
# Messages); F1 help lines wrap; a long label ends with an ellipsis in the
# Card pane and is whole in the viewer; the Import object type list keeps
# its hint inside its box.
# shellcheck disable=SC2119 # ui_start takes optional arguments
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
ui_require_ui
ui_rig --demo

# The two status rows (22 and 23 of 24), joined: a wrapped sentence reads
# as one line again.
status_text() { ui_screen | sed -n '22,23p' | sed -e 's/^ *//' -e 's/ *$//' | paste -sd' ' -; }
# Inside the big dialogs (columns 5-75, those of ui_lines at 80x24), rows
# joined, spaces squeezed: a wrapped help line or message reads as one.
flat_screen() {
    ui_screen | LC_ALL=C.UTF-8 sed -E -e 's/^.{4}(.{0,71}).*/\1/' -e 's/^ *//' -e 's/ *$//' |
        paste -sd' ' - | tr -s ' '
}
# assert_status TEXT: the status rows hold TEXT whole.
assert_status() {
    local i
    for ((i = 0; i < 100; i++)); do
        [[ "$(status_text)" == *"$1"* ]] && return 0
        sleep 0.05
    done
    ui_fail "the status rows lack the whole sentence '$1' (they hold '$(status_text)')"
}
assert_flat() {
    local i
    for ((i = 0; i < 100; i++)); do
        [[ "$(flat_screen)" == *"$1"* ]] && return 0
        sleep 0.05
    done
    ui_fail "the screen lacks the whole text '$1'"
}

ui_start
ui_wait_for "card  Mike's card"

# An identifier the store refuses: the sentence is longer than a row. (A
# short password no longer gets this far: it is refused at its entry.)
ui_keys F7
ui_wait_for 'Identifier \(UID\):'
ui_type "/not-a-valid-uid"
ui_keys Enter
sentence="'00001079/not-a-valid-uid' is not a valid identifier: letters, digits, '.', '_' and '-'."
assert_status "$sentence"
[ "${#sentence}" -gt 78 ] || ui_fail "the test sentence fits one row: it proves nothing"

# The message history has it whole too, with its time and an error mark.
ui_keys C-o
ui_wait_for 'Messages'
assert_flat "! $sentence"
ui_keys Escape
ui_wait_gone ' Messages '
# ... also from the View menu.
ui_menu View Messages
ui_wait_for ' Messages '
assert_flat "$sentence"
ui_keys Escape
ui_wait_gone ' Messages '

# A backslash is shown escaped, once: on the status line and in the
# history alike (not cleaned a second time there).
ui_keys F7
ui_wait_for 'Identifier \(UID\):'
ui_keys C-u
ui_type 'a\b'
ui_keys Enter
ui_wait_for "'a\\\\\\\\b' is not a valid identifier"
ui_keys C-o
ui_wait_for ' Messages '
ui_assert "! 'a\\\\\\\\b' is not a valid identifier"
ui_refute "a\\\\\\\\\\\\\\\\b"
ui_keys Escape
ui_wait_gone ' Messages '

# F1: help lines wider than the viewer wrap under their description.
ui_keys F1
ui_wait_for '┌ Help '
assert_flat 'F3 View the selected object (hex, text, certificate)'
ui_keys End
assert_flat 'View > Messages Ctrl-O'
ui_keys Escape
ui_wait_gone '┌ Help '

# A long label: the Card pane ends it with an ellipsis, the viewer shows it whole.
ui_open_entry 0 "$UI_R0"
ui_wait_for 'Please read +note'
ui_menu Tools "Unlock card"
ui_wait_for 'PIN for'
ui_secret "$PIN"
ui_wait_for 'Private Info +data'
ui_select_row 'Please read'
long='Please read this before the quarterly meeting of the whole office team'
ui_menu Edit "Rename..."
ui_wait_for 'New label:'
ui_keys C-u
ui_type "$long"
ui_keys Enter
ui_wait_for 'Please read this[^│]*… +note'
ui_refute 'Please read this[^…│]* +note'
ui_select_row 'Please read this'
ui_keys F3
ui_wait_for 'View: '
assert_flat "Label: $long"
ui_keys Escape
ui_wait_gone 'View: '
# The status line after viewing names the whole label, over its two rows.
assert_status "Viewed '$long'"

# A name clash names the reader and the label, whole.
ui_select_row "Mike's card"
ui_menu Edit "Rename..."
ui_wait_for 'New label:'
ui_keys C-u
ui_type "$long"
ui_keys Enter
assert_status "already has an object labelled '$long'"

# The Import object type list: its hint is inside its box.
printf 'x\n' >"$T/in.txt"
ui_select_row 'Private'
ui_menu File "Import object..."
ui_wait_for 'File to import:'
ui_type "$T/in.txt"
ui_keys Enter
ui_wait_for 'Label:'
ui_keys C-u
ui_type "A note"
ui_keys Enter
ui_wait_for 'certificate'
ui_wait_for '│ *Enter choose  letters find  Esc cancel *│'
ui_keys Escape
ui_wait_gone 'Enter choose'

ui_quit
