#!/usr/bin/env bash
# Objects from the keyboard, each checked with the CLI afterwards: import a
# file into the private area of the demo card, rename it, export it back
# (same bytes), delete it (confirmed); Edit > Back up card to VSC in one
# step; and a blank card in the second reader laid out from the UI.
# shellcheck disable=SC2119 # ui_start takes optional arguments
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
ui_require_ui
ui_rig --demo # the second reader holds a card with no layout at all

printf 'imported bytes\n' >"$T/in.txt"

ui_start
ui_wait_for "card  Mike's card"
ui_open_entry 0 "$UI_R0"
ui_wait_for 'Please read +note'
ui_menu Tools "Unlock card"
ui_wait_for 'PIN for'
ui_secret "$PIN"
ui_wait_for 'Private Info +data'

# Import into the selected area (Private).
ui_select_row 'Private'
ui_menu File "Import object..."
ui_wait_for 'File to import:'
ui_type "$T/in.txt"
ui_keys Enter
ui_wait_for 'Label:'
ui_keys C-u
ui_type "Imported note"
ui_keys Enter
ui_wait_for 'certificate' # the Type list
ui_keys Home
for _ in 1 2 3 4 5 6 7 8; do ui_keys Down; done # data ... note
ui_keys Enter
ui_wait_for "Imported 'Imported note' into the private area"
ui_assert 'Imported note +note +15 B'
expect 0 scm ls 0 --json --pin-fd 3 3<<<"$PIN"
[ "$(json_get "$OUT" '[o["area"] for o in d["objects"] if o["label"] == "Imported note"]')" = "['private']" ] ||
    ui_fail "the imported object is not in the card's private area"

# Rename.
ui_select_row 'Imported note'
ui_menu Edit "Rename..."
ui_wait_for 'New label:'
ui_keys C-u
ui_type "Renamed note"
ui_keys Enter
ui_wait_for 'Renamed note +note +15 B'
ui_refute 'Imported note'

# Export: the same bytes in a file (a private object: asked first, in clear).
ui_select_row 'Renamed note'
ui_menu File "Export object..."
ui_wait_for 'Export in clear'
ui_keys y
ui_wait_for 'Write to file:'
ui_keys C-u
ui_type "$T/out.txt"
ui_keys Enter
ui_wait_for 'Exported'
cmp "$T/in.txt" "$T/out.txt" || ui_fail "exported bytes differ"
# Onto an existing file: asked first, then a new 0600 file; onto a FIFO:
# refused, and it stays a FIFO.
printf 'old' >"$T/old.txt"
chmod 644 "$T/old.txt"
ui_menu File "Export object..."
ui_wait_for 'Export in clear'
ui_keys y
ui_wait_for 'Write to file:'
ui_keys C-u
ui_type "$T/old.txt"
ui_keys Enter
ui_wait_for 'The file exists. Overwrite it?'
ui_keys y
ui_wait_for "Exported 15 bytes to $T/old.txt"
cmp "$T/in.txt" "$T/old.txt" || ui_fail "the replaced file has other bytes"
[ "$(stat -c %a "$T/old.txt")" = 600 ] || ui_fail "the replaced file kept mode $(stat -c %a "$T/old.txt")"
mkfifo "$T/fifo"
ui_menu File "Export object..."
ui_wait_for 'Export in clear'
ui_keys y
ui_wait_for 'Write to file:'
ui_keys C-u
ui_type "$T/fifo"
ui_keys Enter
ui_wait_for 'Export refused: .*is a FIFO'
[ -p "$T/fifo" ] || ui_fail "the FIFO was replaced"

# Delete, confirmed.
ui_select_row 'Renamed note'
ui_keys F8
ui_wait_for "Delete .*Renamed note"
ui_keys y
ui_wait_for "Deleted 'Renamed note'"
ui_refute 'Renamed note +note'
ui_assert 'Private +\(2\)'
expect 0 scm ls 0 --json --pin-fd 3 3<<<"$PIN"
[ "$(json_get "$OUT" 'len(d["objects"])')" = 5 ] || ui_fail "delete: not back to 5 objects"

# The patent's method in one step: a new VSC named by the card's serial.
ui_menu Edit "Back up card to VSC"
ui_wait_for "Back up the card 'Mike's card' \\(serial 00001079\\)"
ui_wait_for 'into vsc:00001079, which will be created'
ui_keys y
ui_wait_for 'New password for vsc:00001079 \(at least [0-9]+ characters\):'
ui_secret "$VPW"
ui_wait_for 'Repeat the new password:'
ui_secret "$VPW"
ui_wait_for 'Result|Backed up|backed up'
ui_keys Enter
expect 0 scm ls vsc:00001079 --json --password-fd 3 3<<<"$VPW"
[ "$(json_get "$OUT" 'len(d["objects"])')" = 5 ] || ui_fail "the backup VSC lacks objects"

# A card with no layout: opening it offers to initialise it.
ui_focus Readers
ui_keys Home Down Enter
ui_wait_for 'Initialise it with scmgr.s layout now'
ui_keys y
ui_wait_for 'Label for the card:'
ui_keys C-u
ui_type "Fresh card"
ui_keys Enter
ui_wait_for 'PIN'
ui_secret "$PIN"
ui_wait_for 'Initialised|initialised'
expect 0 scm readers --json
[ "$(json_get "$OUT" 'd["readers"][1]["agent"]')" = iso7816-scm ] || ui_fail "not laid out"
[ "$(json_get "$OUT" 'd["readers"][1]["label"]')" = "Fresh card" ] || ui_fail "label of the new card"

ui_quit
echo "ui_objects: ok"
