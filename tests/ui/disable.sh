#!/usr/bin/env bash
# Disable and enable a VSC, Fig. 3U-3X: the VSC Manager's Disable asks
# Yes/No; the disabled VSC is drawn as an empty virtual reader with the
# disabled mark, and cannot be opened; Enable asks the password. The
# store agrees at each step (the CLI's view of the same file).
# shellcheck disable=SC2119 # ui_start takes optional arguments
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
ui_require_ui
ui_rig --demo --blank

expect 0 scm backup "$RIG_READER_0" --pin-fd 3 3<<<"$PIN" --password-fd 4 4<<<"$VPW"

vsc_state() {
    expect 0 scm vsc show 00001079 --json
    json_get "$OUT" 'd["state"]'
}
[ "$(vsc_state)" = enabled ] || fail "the VSC starts disabled"

ui_start
ui_wait_for 'VSC 00001079'
ui_refute '\[disabled\]'

# 3U/3V: Disable, confirmed.
ui_menu Tools "VSC Manager"
ui_wait_for '00001079 .*enabled'
ui_keys d
ui_wait_for 'Disable VSC 00001079\?'
ui_keys y
# The password may be asked (the CLI's disable takes it).
if ui__poll match 'Password for vsc:00001079:|00001079 .*disabled' 10 &&
    ui_screen | grep -q 'Password for vsc:00001079:'; then
    ui_secret "$VPW"
fi
ui_wait_for '00001079 .*disabled'
[ "$(vsc_state)" = disabled ] || fail "the store does not say disabled"
ui_keys c
ui_wait_gone '\[N\]ew'

# 3W: Readers draws it as an empty virtual reader, marked; it does not open.
ui_wait_for 'VSC 00001079  \[disabled\]'
ui_focus Readers
ui_keys Home Down Down Enter
ui_wait_for 'VSC 00001079 is disabled|is disabled: enable it first'
ui_refute 'Card: .*00001079'
ui_assert 'No card open'
# The sentence is on the status line or in an Error dialog: Esc closes it.
ui_keys Escape
ui_wait_for 'VSC 00001079  \[disabled\]'

# 3X: Enable, with the password; a wrong one first.
ui_menu Tools "VSC Manager"
ui_wait_for '00001079 .*disabled'
ui_keys e
if ui__poll match 'Enable VSC 00001079\?' 2; then ui_keys y; fi
ui_wait_for 'Password for vsc:00001079:'
ui_secret "wrong-password"
ui_wait_for '[Ww]rong password'
[ "$(vsc_state)" = disabled ] || fail "a wrong password enabled the VSC"
# Asked again, or back in the list: then Enable once more.
if ! ui__poll match 'Password for vsc:00001079:' 1; then
    ui_wait_for '00001079 .*disabled'
    ui_keys e
    if ui__poll match 'Enable VSC 00001079\?' 2; then ui_keys y; fi
fi
ui_wait_for 'Password for vsc:00001079:'
ui_secret "$VPW"
ui_wait_for '00001079 .*enabled'
[ "$(vsc_state)" = enabled ] || fail "the store does not say enabled"
ui_keys c
ui_wait_gone '\[N\]ew'
ui_wait_gone '\[disabled\]'
ui_assert 'VSC 00001079'

# Enabled again: it opens, and its objects are intact.
ui_open_entry 2 '.*00001079'
ui_assert 'Certificate +certificate'
ui_quit
expect 0 scm vsc verify 00001079 --password-fd 3 3<<<"$VPW"
echo "ui_disable: ok"
