#!/usr/bin/env bash
# The flows found by walking the README and the patent's figures (issue 7,
# item 16): a short new password refused at its first entry; "Back up card
# to VSC" backs up the card selected in Readers and names both sides; paste
# onto labels that are there already asks (replace / skip / cancel) and
# says which area it wrote into; the clipboard's rules (added or replaced,
# how many it holds, marked items pasted alone, scroll marks); Close card
# gives the focus back to Readers and leaves no dead keys; the Readers pane
# and an open VSC notice what another scmgr did (the store is watched).
# shellcheck disable=SC2119 # ui_start takes optional arguments
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
ui_demo

# ---- a new password shorter than the policy: refused at the first entry ----------
ui_menu Tools "New VSC..."
ui_wait_for 'Identifier \(UID\):'
ui_keys BSpace BSpace BSpace BSpace BSpace BSpace BSpace BSpace
ui_type 00000042
ui_keys Enter
ui_wait_for 'New password for vsc:00000042 \(at least 4 characters\):'
ui_secret abc
ui_wait_for 'Too short \(3\): the policy wants at least 4 characters'
ui_refute 'Repeat the new password'
ui_secret "$VPW"
ui_wait_for 'Repeat the new password:'
ui_secret "$VPW"
ui_wait_for 'Created vsc:00000042'

# ---- Back up card to VSC: the card selected in Readers, named, "will be created" --
# The blank card is open; Mike's card is selected in Readers: that is the one.
ui_open_entry 1 "$UI_R1"
ui_focus Readers
ui_keys Home
ui_menu Edit "Back up card to VSC"
ui_wait_for "Back up the card"
ui_assert "Mike's card"
ui_assert '00001079'
ui_wait_for 'will be created'
ui_keys y
ui_wait_for "PIN for $UI_R0"
ui_secret "$PIN"
ui_wait_for 'New password for vsc:00001079 \(at least 4 characters\):'
ui_secret "$VPW"
ui_wait_for 'Repeat the new password:'
ui_secret "$VPW"
ui_wait_for 'Result'
ui_keys Enter
ui_wait_for "Backed up 5 objects of $UI_R0 into vsc:00001079"

# ---- the clipboard's rules: added or replaced, and what it holds -----------------
ui_menu Edit "Copy all"
ui_wait_for 'Copied 5 objects \(added\); the clipboard holds 5\.'
ui_assert 'Clipboard \(5\)'
# Five items do not fit the pane: the border says so, both ways.
ui_assert 'more below'
ui_refute 'more above'
ui_focus Clipboard
ui_keys End
ui_wait_for 'more above'
ui_keys Home
ui_wait_gone 'more above'
# One object copied again replaces its item: the count stays.
ui_focus Card
ui_keys Home Down
ui_keys F5
ui_wait_for 'Copied 1 object \(replacing the same label\); the clipboard holds 5\.'

# ---- paste onto labels the VSC has already: asked, never silent ------------------
ui_open_entry 3 '.*00001079'
ui_menu Tools "Unlock card"
ui_wait_for 'Password for vsc:00001079:'
ui_secret "$VPW"
ui_wait_gone '\[locked'
ui_focus Clipboard
ui_keys F6
ui_wait_for 'Labels already there'
ui_assert 'vsc:00001079 already has objects labelled'
ui_keys Escape
ui_wait_for 'Nothing was pasted: vsc:00001079 already has objects labelled'
ui_refute '\[unsaved\]'
# No: keep them, paste the rest (there is no rest).
ui_keys F6
ui_wait_for 'Labels already there'
ui_keys n
ui_wait_for 'Kept the object vsc:00001079 already had'
ui_keys Escape
ui_wait_for 'Pasted 0 objects into their own areas of vsc:00001079, kept 5 already there'
ui_refute '\[unsaved\]'

# One marked item is pasted alone; yes replaces it.
ui_keys Home Space
ui_wait_for '1 clipboard item marked; F6 pastes only it\.'
ui_assert '\* +Certificate'
ui_keys F6
ui_wait_for 'Labels already there'
ui_assert "already has an object labelled 'Certificate'"
ui_keys y
ui_wait_for 'Pasted 1 object into its own area of vsc:00001079 \(unsaved: F2 saves\)'
ui_keys F2
ui_wait_for 'Saved vsc:00001079'

# Rename: the cursor stays on the renamed object, wherever it lands.
ui_focus Card
ui_select_row 'Certificate'
ui_menu Edit "Rename..."
ui_wait_for 'New label:'
ui_keys C-u
ui_type "Renamed cert"
ui_keys Enter
ui_wait_for 'Renamed to'
ui_assert '│> *Renamed cert'

# A private object exported in clear: asked first, "no" writes nothing.
ui_select_row 'Private Info'
ui_menu File "Export object..."
ui_wait_for 'Export in clear'
ui_assert 'private object'
ui_keys n
ui_wait_for 'Export cancelled: nothing was written'
ui_refute 'Write to file:'
ui_menu File "Export object..."
ui_wait_for 'Export in clear'
ui_keys y
ui_wait_for 'Write to file:'
ui_keys C-u
ui_type "$T/priv.out"
ui_keys Enter
ui_wait_for 'Exported'
[ "$(stat -c %a "$T/priv.out")" = 600 ] || ui_fail "the private export is not mode 600"
ui_keys F2
ui_wait_for 'Saved vsc:00001079'

# From the Card pane F6 pastes into the selected area; its header says so.
ui_focus Card
ui_keys Home
ui_wait_for 'Public +\([0-9]+\).*<- F6 pastes here'
ui_keys End
ui_wait_for 'Secret keys +\([0-9]+\).*<- F6 pastes here'
ui_refute 'Public +\([0-9]+\).*<- F6'

# ---- Close card: the focus goes back to Readers; no dead keys in the Card pane ----
ui_menu File "Close card"
ui_wait_for 'Closed vsc:00001079'
[ "$(ui_focused)" = Readers ] || ui_fail "after Close card the focus is on $(ui_focused)"
ui_focus Card
ui_keys Down
ui_wait_for 'No card open: Tab to Readers'
ui_keys Escape
ui_menu View Redraw
ui_wait_for 'Screen redrawn'
ui_keys Enter
ui_wait_for 'No card open: Tab to Readers'

# ---- another scmgr makes a VSC and saves one that is open here -------------------
# The store directory is watched: both show up without a key.
expect 0 scm vsc new 00000077 --password-fd 3 3<<<"$VPW"
ui_wait_for 'VSC 00000077'
ui_open_entry 2 '.*00000042'
ui_assert 'Public +\(0\)'
printf 'written elsewhere' >"$T/fresh"
expect 0 scm put vsc:00000042 Fresh "$T/fresh" --password-fd 3 3<<<"$VPW"
ui_wait_for 'Fresh +data'
ui_assert 'vsc:00000042 was saved by another process'
# And a VSC removed elsewhere goes from Readers.
expect 0 scm vsc rm 00000077 --yes
ui_wait_gone 'VSC 00000077'
ui_quit
echo "ui_flows: ok"
