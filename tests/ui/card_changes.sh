#!/usr/bin/env bash
# An open real card that another program changes: the demo card is open and
# unlocked in scmgr while `scmgr put`/`rm` in "another terminal" change it.
# The Card pane lists it again on Ctrl-L, on Tab and by itself after a few
# idle seconds (UI_CARD_CHECK_S), keeping the selection, the marks and the
# clipboard, and without asking for the PIN again while the card holds it.
# A reset by another program (opensc-tool --reset) ends the card's PIN
# status: the pane says so and closes the private area; the PIN is asked
# again only then.
# shellcheck disable=SC2119 # ui_start takes optional arguments
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
ui_require_ui
ui_rig --demo

printf 'written by another program\n' >"$T/other.txt"
# The other program, with the PIN on a descriptor as a script would give it.
other() { expect 0 scm "$@" --pin-fd 3 3<<<"$PIN"; }

# Wide enough for the whole sentences on the status line.
ui_start -s 132x30
ui_wait_for "card  Mike's card"
ui_open_entry 0 "$UI_R0"
ui_wait_for 'Please read +note'
ui_menu Tools "Unlock card"
ui_wait_for 'PIN for'
ui_secret "$PIN"
ui_wait_for 'Private Info +data'
# A clipboard item and a mark that must survive the re-listing.
ui_focus Card
ui_select_row 'Certificate'
ui_keys F5
ui_wait_for 'Clipboard \(1\)'
ui_select_row 'Login-Object'
ui_keys Space
ui_wait_for '\* +Login-Object'
ui_select_row 'Please read'

# 1. A put by another program, then Ctrl-L.
other put 0 "Added elsewhere" "$T/other.txt"
ui_refute 'Added elsewhere'
ui_keys C-l
ui_wait_for 'Added elsewhere +data'
ui_wait_for "Another program changed the card in $UI_R0: listed again \\(6 objects\\)"
ui_assert '│> *Please read' # the selection stayed on its object
ui_assert '\* +Login-Object'  # and the mark on its own
ui_assert 'Clipboard \(1\)'
ui_refute 'PIN for'

# 2. A remove by another program, then nothing typed: the idle check.
other rm 0 "Mike's card"
ui_wait_gone "Mike's card +business-card" 20
ui_wait_for "listed again \\(5 objects\\)"
ui_assert '│> *Please read'

# 3. Another put, then Tab (focus moves to the Clipboard pane).
other put 0 "Added by Tab" "$T/other.txt" --area private
ui_keys Tab
ui_wait_for 'Added by Tab +data'
ui_assert 'Clipboard \(1\)'

# The PIN is still verified: a private object is shown without a PIN
# prompt, and a private object added elsewhere is readable here.
ui_focus Card
ui_select_row 'Added by Tab'
ui_keys F3
ui_wait_for 'written by another program'
ui_refute 'PIN for'
ui_keys Escape
ui_select_row 'Private Info'
ui_keys F3
ui_wait_for 'employee no\. 4711'
ui_refute 'PIN for'
ui_keys Escape
ui_wait_gone 'employee no\. 4711'

# 4. A reset by another program: the PIN status is gone on the card.
mkdir -p "$T/opensc"
printf 'app default {\n}\n' >"$T/opensc/opensc.conf"
if command -v opensc-tool >/dev/null; then
    OPENSC_CONF="$T/opensc/opensc.conf" opensc-tool -r 0 --reset >"$T/reset.out" 2>&1 ||
        ui_fail "opensc-tool --reset failed: $(cat "$T/reset.out")"
    ui_keys C-l
    ui_wait_for "Another program reset the card in $UI_R0, which ended its PIN verification"
    ui_wait_for 'Private +\(3\) +\[locked'
    ui_assert '│>Private'  # the selected object went: its area stays selected
    ui_refute 'Private Info +data'
    ui_assert 'Clipboard \(1\)'
    # Only now is the PIN asked again.
    ui_select_row 'Private'
    ui_keys Enter
    ui_wait_for 'PIN for'
    ui_secret "$PIN"
    ui_wait_for 'Private Info +data'
elif [ "${CI:-}" = true ]; then
    ui_fail "opensc-tool is missing (CI needs it for the reset step)"
else
    echo "ui card_changes: opensc-tool missing, reset step skipped"
fi

ui_quit
echo "ui card_changes: ok"
