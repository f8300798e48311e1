#!/usr/bin/env bash
# A PIV card in the UI, and the emergency backup: Edit > Emergency backup
# writes the demo card's objects as plain files. The Card pane shows the
# PIV card's type, containers and the
# slot keys (drawn as keys that cannot be copied); pasting a certificate
# onto it asks for the PIN, then for the card management key (hex, masked)
# by name; a wrong key changes nothing and says so; the right one writes
# the certificate into the first free slot, which yubico-piv-tool then
# reads back byte for byte.
# shellcheck disable=SC2119 # ui_start takes optional arguments
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
ui_require_ui
command -v yubico-piv-tool >/dev/null || {
    [ "${CI:-}" = true ] && fail "yubico-piv-tool is missing (./dev.sh test installs it)"
    echo "SKIP: yubico-piv-tool is missing" >&2
    exit 77
}
ui_rig --empty
rig_card_start 0
demo_card_load "$SCMGR_BIN" 0 || rig_die "could not fill the demo card"
rig_card_start 1 piv
PIVPIN=123456
MGM=010203040506070801020304050607080102030405060708

ui_start
ui_wait_for "card  Mike's card"
ui_wait_for 'card  PIV card'
# Copy the demo card's certificate.
ui_open_entry 0 "$UI_R0"
ui_select_row 'Certificate'
ui_keys F5
ui_wait_for 'Copied 1 object'
# The emergency backup of the demo card: a directory of plain files.
ui_menu Edit "Emergency backup..."
ui_wait_for 'Directory for the plain files'
ui_keys C-u
ui_type "$T/emergency"
ui_keys Enter
ui_wait_for "PIN for $UI_R0"
ui_secret "$PIN"
ui_wait_for 'Emergency backup'
ui_keys Enter
ui_wait_for "Wrote 5 objects of $UI_R0 as plain files into"
cmp "$T/emergency"/*-Certificate.der "$SCMGR_TEST_DATA/demo-cert.der" ||
    fail "the emergency backup's certificate differs"
[ -f "$T/emergency/manifest.json" ] || fail "no manifest.json"
ls "$T/emergency"/*-Private_Info.bin >/dev/null || fail "the private object is missing"
# The PIV card: its type and containers; no certificate yet.
ui_open_entry 1 "$UI_R1"
ui_wait_for 'Discovery Object'
ui_refute 'X.509 Certificate'
# Its credentials with their tries, as the dialogs will ask them.
ui_assert 'Creds: +PIN 3, PUK( [0-9])?, Card management key'
ui_assert 'Type: +piv / PIV \(SP 800-73-4\)'
ui_focus Clipboard
ui_keys F6
ui_wait_for "PIN for $UI_R1"
ui_secret "$PIVPIN"
ui_wait_for "Card management key for $UI_R1 \\(hex digits\\):"
ui_secret 0102030405060708010203040506070801020304050607FF
ui_wait_for 'Wrong card management key'
ui_refute 'X.509 Certificate'
expect 1 yubico-piv-tool -r "$RIG_READER_1" -a read-certificate -s 9a -K DER -o "$T/none.der"
# Again (yubico-piv-tool reset the card meanwhile: a PIV card's writes
# need the management key, not the PIN).
ui_focus Clipboard
ui_keys F6
ui_wait_for "Card management key for $UI_R1"
ui_secret "$MGM"
ui_wait_for 'Write: 1 +Replace: 0'
ui_assert 'write +public +Certificate'
ui_keys Enter
ui_wait_for "Write 1 object to $UI_R1\\?"
ui_keys y
ui_wait_for 'Result'
ui_assert 'written +public +Certificate'
ui_keys Enter
ui_wait_for 'Pasted 1 object'
ui_wait_for 'X.509 Certificate'
# Grouped by the card's own structure: the slot, the other containers.
ui_assert ' Slot 9A:'
ui_assert ' Card data objects:'
ui_focus Card
ui_select_row 'Slot 9A:'
ui_keys Enter
ui_wait_for 'Slot 9A: 1 object in the public area\.'
# The slot's key is listed now (the certificate names it) and cannot be copied.
ui_focus Card
ui_select_row 'X.509 Certificate'
ui_keys F3
ui_wait_for 'CN='
ui_keys Escape
ui_menu Tools "Unlock card"
ui_wait_for "PIN for $UI_R1"
ui_secret "$PIVPIN"
ui_wait_for 'Private key 9A'
ui_select_row 'Private key 9A'
ui_keys F3
ui_wait_for "'Private key 9A' cannot be copied: the card never releases private keys"
ui_quit
expect 0 yubico-piv-tool -r "$RIG_READER_1" -a read-certificate -s 9a -K DER -o "$T/back.der"
cmp "$T/back.der" "$SCMGR_TEST_DATA/demo-cert.der" || fail "the PIV card holds other bytes"
echo "ui_piv: ok"
