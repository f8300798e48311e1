#!/usr/bin/env bash
# The patent's back-up, Fig. 3A-3P, with the keyboard alone: open the demo
# card, its private area with the PIN, copy all into the clipboard, close;
# Tools > VSC Manager > New (the identifier prefilled with the card's
# serial, a new password twice); open the new VSC, unlock it, paste, save.
# Then the CLI proves the objects are really in the VSC file.
# shellcheck disable=SC2119 # ui_start takes optional arguments
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
ui_demo

# 3A -> 3B: the card opens with its public objects; private is locked.
ui_open_entry 0 "$UI_R0"
ui_wait_for 'Certificate +certificate +482 B'
ui_assert "Mike's card +business-card"
ui_assert 'Please read +note'
ui_assert 'Private .*\[locked: Enter to unlock\]'
ui_refute 'Private Info'
ui_assert 'Serial: +00001079'
ui_assert 'Type: +iso7816-scm'

# 3C -> 3D: the PIN (tries shown, masked), then the private objects.
ui_menu Tools "Unlock card"
ui_wait_for 'PIN for [^:]*:'
ui_secret "$PIN"
ui_wait_for 'Private Info +data'
ui_assert 'Login-Object +login'
ui_refute '\[locked'

# 3E/3F: copy all into the clipboard, then close the card: the clipboard stays.
ui_menu Edit "Copy all"
ui_wait_for 'Clipboard \(5\)'
ui_wait_for 'Copied 5 objects \(added\); the clipboard holds 5'
ui_assert 'Private Info +private'
ui_assert "from .*(Mike's card|$(ui_re "$RIG_READER_0"))"
ui_menu File "Close card"
ui_wait_for 'No card open'
ui_assert 'Clipboard \(5\)'

# 3G-3K: the VSC Manager makes the VSC; its UID is the card's serial.
ui_menu Tools "VSC Manager"
ui_wait_for '\[N\]ew'
ui_keys n
ui_wait_for 'Identifier \(UID\):'
ui_wait_for '00001079' # prefilled from the card selected in Readers
ui_keys Enter
ui_wait_for 'New password for vsc:00001079 \(at least [0-9]+ characters\):'
ui_secret "$VPW"
ui_wait_for 'Repeat the new password:'
ui_secret "$VPW"
ui_wait_for '00001079 .*enabled'
ui_keys c
ui_wait_gone '\[N\]ew'
ui_wait_for 'VSC 00001079'
[ -f "$SCMGR_STORE/00001079.vsc" ] || ui_fail "no VSC file in the store"

# 3L-3N: open the VSC like a card; unlock it with its password.
ui_open_entry 2 '.*00001079'
ui_wait_for 'UID: +00001079'
ui_assert 'Type: +Virtual Smart Card'
ui_menu Tools "Unlock card"
ui_wait_for 'Password for vsc:00001079:'
ui_secret "$VPW"
ui_wait_gone '\[locked'

# 3O/3P: paste, unsaved until F2. From the Clipboard pane each object goes
# back into the area it came from (from the Card pane, F6 pastes everything
# into the area selected there: the patent's "paste into the selected area").
ui_focus Clipboard
ui_keys F6
ui_wait_for 'Pasted 5 objects into their own areas of vsc:00001079'
ui_assert 'Card: .*\[unsaved\]'
ui_assert 'Private Info +data'
ui_assert 'Login-Object +login'
ui_keys F2
ui_wait_for 'Saved vsc:00001079 \(generation [0-9]+\)'
ui_wait_gone '\[unsaved\]'

ui_quit

# The VSC file really holds the card's five objects, same sizes and areas.
expect 0 scm vsc verify 00001079 --password-fd 3 3<<<"$VPW"
expect 0 scm ls vsc:00001079 --json --password-fd 3 3<<<"$VPW"
vsc=$(json_get "$OUT" '"\n".join(sorted("%s|%s|%s|%d" % (o["label"], o["type"], o["area"], o["size"]) for o in d["objects"]))')
expect 0 scm ls "$RIG_READER_0" --json --pin-fd 3 3<<<"$PIN"
card=$(json_get "$OUT" '"\n".join(sorted("%s|%s|%s|%d" % (o["label"], o["type"], o["area"], o["size"]) for o in d["objects"]))')
[ "$(wc -l <<<"$vsc")" = 5 ] || fail "the VSC holds $(wc -l <<<"$vsc") objects: $vsc"
[ "$vsc" = "$card" ] || fail "the VSC differs from the card: $vsc"
expect 0 scm get vsc:00001079 "Login-Object" --password-fd 3 3<<<"$VPW"
has "$OUT" 'password=correct horse battery staple'
echo "ui_backup: ok"
