#!/usr/bin/env bash
# A blocked PIN: the Card pane says "blocked" (not "Enter to unlock"), no
# PIN dialog is offered, and the UI says what can be done instead (the
# PUK or admin PIN, or the card's issuer). The public area still opens.
# shellcheck disable=SC2119 # ui_start takes optional arguments
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
ui_require_ui
ui_rig --demo

# Three wrong PINs block the demo card (the last one needs --force-last-try).
expect 3 scm ls 0 --pin-fd 3 3<<<"0000"
expect 3 scm ls 0 --pin-fd 3 3<<<"0000"
expect 3 scm ls 0 --pin-fd 3 3<<<"0000" --force-last-try
has "$ERR" "blocked"
# The command line says what to do too.
expect 3 scm ls 0 --pin-fd 3 3<<<"$PIN" --force-last-try
has "$ERR" "is blocked\\. Unblock it with its PUK or admin PIN"

ui_start
ui_wait_for "card  Mike's card"
ui_open_entry 0 "$UI_R0"
ui_wait_for 'Private +\([0-9]+\) +\[blocked\]'
ui_refute 'Enter to unlock'
ui_assert 'its PIN is blocked'
ui_assert 'Please read'

# Enter on the Private header: no PIN dialog, the way out instead.
ui_keys End Up
ui_wait_for '> ?Private'
ui_keys Enter
ui_wait_for 'PIN blocked'
ui_refute 'PIN for '
ui_wait_for 'PUK or admin PIN'
ui_assert "card's issuer"
ui_keys Enter
ui_wait_gone "card's issuer"
ui_assert 'The PIN of .* is blocked: unblock it'

# Tools > Unlock card: the same.
ui_menu Tools "Unlock card"
ui_wait_for 'PIN blocked'
ui_refute 'PIN for '
ui_keys Enter
ui_wait_gone "card's issuer"
ui_assert 'Private +\([0-9]+\) +\[blocked\]'
ui_quit
echo "ui_blocked_pin: ok"
