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
ui_wait_for 'Public  \(1\)  \[\? not verified\]'
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
ui_assert 'Public  \(1\)  \[\? not verified\]'

# Enter on the broken entry says why.
ui_focus Readers
ui_keys Home Down Down Down Down Enter
ui_wait_for 'the file is truncated \(expected [0-9]+ bytes, found [0-9]+\)'

# F1 explains the mark.
ui_keys F1
ui_wait_for '[┌+] Help [─-]'
ui_keys End
ui_wait_for 'Marks in the Card pane: \* marked \(Space\); \? not verified:'
ui_keys Escape
ui_wait_gone '[┌+] Help [─-]'

ui_quit
echo "ui verified: ok"
