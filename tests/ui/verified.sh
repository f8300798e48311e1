#!/usr/bin/env bash
# Integrity shown truthfully in the UI: the Card pane marks a VSC's public
# objects "?" (not verified) until the password has checked them, a forged
# one (tests/cli/forge_vsc.py: edited bytes, checksums recomputed) is
# refused when the password is given, and the Readers pane shows a VSC cut
# short as broken, although its header is intact.
# shellcheck disable=SC2119 # ui_start takes optional arguments
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
ui_require_ui
ui_rig --empty

printf 'genuine public text' >"$T/pub"
printf 'FORGED: pay to account 666' >"$T/forged"
for uid in 00001079 00001080 00001081; do
    new_vsc $uid
    expect 0 scm put vsc:$uid notice "$T/pub" --password-fd 3 3<<<"$PW"
done
expect 0 scm put vsc:00001080 genuine "$T/pub" --password-fd 3 3<<<"$PW"
new_vsc 00001082 # where the clipboard is pasted
python3 "$(dirname "$0")/../cli/forge_vsc.py" "$(vsc_file 00001080)" notice "$T/forged" ||
    fail "forge_vsc.py could not forge the file"
F81=$(vsc_file 00001081)
truncate -s $(($(stat -c %s "$F81") - 7)) "$F81"

# Wide enough for the whole sentence of a refused unlock on the status line.
ui_start -s 132x30
ui_wait_for 'VSC 00001079'
ui_assert 'VSC 00001080'
ui_assert 'VSC 00001081  \[broken\]'
ui_refute 'VSC 00001079  \[broken\]'

# Entries: the two empty readers, then the VSCs by UID.
ui_open_entry 2 'vsc:00001079'
ui_wait_for 'Public  \(1\)  \[\? not verified\]'
ui_assert ' \? notice +data'
# The password checks the MAC: the mark goes.
ui_menu Tools "Unlock card"
ui_wait_for 'Password for vsc:00001079:'
ui_secret "$PW"
ui_wait_for 'Unlocked vsc:00001079'
ui_refute 'not verified'
ui_refute '\? notice'
ui_assert '>? +notice +data|  notice +data'

# The forgery: shown with the forged size, marked; refused with the password.
ui_open_entry 3 'vsc:00001080'
ui_wait_for 'Public  \(2\)  \[\? not verified\]'
ui_assert ' \? notice +data +26 B'
# Viewing it shows the forged text and says it is not verified.
ui_focus Card
ui_keys Home Down F3
ui_wait_for 'FORGED: pay to account 666'
ui_keys Escape
ui_wait_for "Viewed 'notice' \(26 bytes; not verified until the password checks it\)\."
ui_menu Tools "Unlock card"
ui_wait_for 'Password for vsc:00001080:'
ui_secret "$PW"
ui_wait_for 'the public area MAC does not match'
ui_assert 'Public  \(2\)  \[\? not verified\]'

# Copied to the clipboard, the objects stay "not verified": F5 counts
# them, the Clipboard pane marks them.
ui_focus Card
ui_keys Home Down Space Space
ui_keys F5
ui_wait_for 'Copied 2 objects \(added\); the clipboard holds 2; 2 not verified'
ui_assert '│ +\? notice +public'
ui_assert '│ +\? genuine +public'
# Pasting them elsewhere asks first, naming them: they would look
# verified there. Enter alone (No) pastes only verified ones: none here.
ui_open_entry 5 'vsc:00001082'
ui_focus Card
ui_keys Home F6
ui_wait_for 'Password for vsc:00001082:'
ui_secret "$PW"
ui_wait_for 'Not verified'
ui_assert "2 objects to paste are not verified: 'notice', 'genuine'"
ui_keys Enter
ui_wait_for 'Nothing was pasted: the objects not verified stay in the clipboard'
ui_refute 'genuine +data'
# Cancel: nothing either.
ui_keys F6
ui_wait_for 'Not verified'
ui_keys Escape
ui_wait_for 'Nothing was pasted'
# Yes: pasted, knowingly.
ui_keys F6
ui_wait_for 'Not verified'
ui_keys y
ui_wait_for 'Pasted 2 objects into the public area of vsc:00001082'
ui_keys F2
ui_wait_for 'Saved vsc:00001082'
expect 0 scm get vsc:00001082 notice --password-fd 3 3<<<"$PW"
has "$OUT" 'FORGED: pay to account 666'

# Enter on the broken entry says why.
ui_focus Readers
ui_keys Home Down Down Down Down Enter
ui_wait_for 'the file is truncated \(expected [0-9]+ bytes, found [0-9]+\)'

# F1 explains the mark.
ui_keys F1
ui_wait_for '[┌+] Help [─-]'
ui_keys End
ui_wait_for 'Marks in the Card and Clipboard panes: \* marked \(Space\); \? not verified:'
ui_keys Escape
ui_wait_gone '[┌+] Help [─-]'

ui_quit
echo "ui verified: ok"
