#!/usr/bin/env bash
# Wrong PINs: the tries left are shown and counted down; before the last
# try is spent the UI asks, and "no" leaves the card as it was; "yes" with
# the right PIN unlocks it (and resets the counter).
# shellcheck disable=SC2119 # ui_start takes optional arguments
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
ui_demo
ui_open_entry 0 "$UI_R0"
ui_wait_for 'Private .*\[locked'

# Every PIN dialog shows the tries left, the first one too (the card
# reports them on opening, without spending one).
ui_menu Tools "Unlock card"
ui_wait_for "PIN for $UI_R0 \\(3 tries left\\):"
ui_secret 9876
ui_wait_for 'Wrong PIN: 2 tries left'
ui_assert 'Private .*\[locked'
ui_refute 'Private Info'

ui_menu Tools "Unlock card"
ui_wait_for "PIN for $UI_R0 \\(2 tries left\\):"
ui_secret 5678
ui_wait_for 'Wrong PIN: 1 try left'

# The last try: asked before it is spent; "n" keeps it.
ui_menu Tools "Unlock card"
ui_wait_for "PIN for $UI_R0 \\(1 try left\\):"
ui_secret "$PIN"
ui_wait_for 'Only one PIN try is left: a wrong PIN blocks the card\. Use it\?'
ui_keys n
ui_wait_gone 'Only one PIN try is left'
ui_assert 'Private .*\[locked'
ui_refute 'Private Info'
# Still one try: the CLI without --force-last-try refuses to spend it.
expect 3 scm ls "$RIG_READER_0" --pin-fd 3 3<<<"$PIN"
has "$ERR" 'force-last-try'

# "y" with the right PIN unlocks.
ui_menu Tools "Unlock card"
ui_wait_for "PIN for $UI_R0 \\(1 try left\\):"
ui_secret "$PIN"
ui_wait_for 'Only one PIN try is left'
ui_keys y
ui_wait_for 'Private Info +data'
ui_quit

# The counter is back at 3: a wrong PIN now leaves 2.
expect 3 scm ls "$RIG_READER_0" --pin-fd 3 3<<<"9999"
has "$ERR" '2 tries left'
echo "ui_wrong_pin: ok"
