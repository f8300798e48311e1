#!/usr/bin/env bash
# A card that takes the connection and then never answers (RIG_CARD_MODE=
# mute, tests/rig/vicc-card.py) in reader 0, a good card in reader 1:
#   - the first screen is drawn while the card is being probed, and says
#     that it waits and how to get out;
#   - F10 quits at once (status 0), SIGTERM and SIGHUP end scmgr, and each
#     time the terminal is given back: the alternate screen left (rmcup),
#     and the tty modes (stty -g) as they were before scmgr started;
#   - Esc cancels the probe: reader 0 shows a mute card, reader 1 is then
#     probed and shown, and a key typed during the wait acts after it;
#   - with a short deadline (2 s) the card is given up by itself, and so is
#     a card answering 1 byte per second (RIG_CARD_MODE=slow, reader 1);
#     opening either says so in one sentence naming the reader.
# Every wait is bounded: a hang fails the test.
# shellcheck disable=SC2119 # ui_start takes optional arguments
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
ui_require_ui
ui_rig --empty
rig_card_start 1

# scmgr runs under a wrapper that records the tty modes before and after.
REAL_BIN=$SCMGR_BIN
cat >"$T/wrap.sh" <<EOF
#!/bin/sh
stty -g >"$T/stty.before"
"$REAL_BIN" "\$@"
rc=\$?
stty -g >"$T/stty.after"
exit \$rc
EOF
chmod +x "$T/wrap.sh"
SCMGR_BIN="$T/wrap.sh"
printf '[card]\nio_timeout = 600\n' >"$T/long.ini"
printf '[card]\nio_timeout = 2\n' >"$T/short.ini"

# The PID of scmgr itself (the wrapper's child).
scmgr_pid() {
    local p i=0
    until p=$(ps -o pid= --ppid "$UI_PID" 2>/dev/null | tr -d ' ') && [ -n "$p" ]; do
        [ $i -lt 500 ] || ui_fail "no scmgr under the wrapper"
        sleep 0.01
        i=$((i + 1))
    done
    echo "$p"
}

restored() {
    grep -q $'\e\\[?1049l' "$UI_RAW" || ui_fail "$1: the terminal was not restored (no rmcup)"
    [ -s "$T/stty.after" ] || ui_fail "$1: the wrapper saw no end of scmgr"
    cmp -s "$T/stty.before" "$T/stty.after" || ui_fail "$1: the tty modes were not restored"
    ! grep -Eq 'Sanitizer|runtime error' "$UI_ERR" || ui_fail "$1: a sanitizer report"
}

# first_screen: drawn while the mute card holds the probe.
first_screen() {
    ui_wait_for 'Waiting for the card to answer\.\.\. Esc cancels, F10 quits\.'
    ui_assert '^ File +Edit +View +Tools +Help'
    ui_assert 'Readers'
    ui_screen | tail -n 1 | grep -Eq '1Help.*10Quit' || ui_fail "no function-key bar"
}

# One mute card for every round: pcscd keeps its reader busy with the
# APDU a finished scmgr left unanswered, so each new scmgr waits already
# at SCardConnect (also under the deadline). The card is not restarted in
# between: pcscd cleans up after a dead client by resetting the card in the
# slot, which can hit a card started in the meantime and keep the slot
# EMPTY (seen in this test); the slow card goes into the other reader.
RIG_CARD_MODE=mute rig_card_start 0
round() {
    rm -f "$T/stty.before" "$T/stty.after"
    ui_start "$@"
}

# F10 while the probe waits.
round --config "$T/long.ini"
first_screen
ui_quit F10
restored F10

# SIGTERM and SIGHUP while the probe waits.
for sig in TERM HUP; do
    round --config "$T/long.ini"
    first_screen
    kill -s "$sig" "$(scmgr_pid)"
    ui_exit_status >/dev/null
    restored "SIG$sig"
done

# Esc cancels the probe; the good card is probed next; a key typed during
# the wait (Tab) is not lost; F10 quits.
round --config "$T/long.ini"
first_screen
[ "$(ui_focused)" = Readers ] || ui_fail "focus at start: $(ui_focused)"
ui_keys Tab Escape
ui_wait_for 'mute card'
ui_wait_for 'no agent for this card'
ui_wait_gone 'Waiting for the card'
ui__poll_focus_change Card || ui_fail "the Tab typed during the wait was lost"
ui_quit F10
restored Esc

# A short deadline: given up by itself; Enter on the card says why in the
# status line (wide enough for the whole sentence).
round -s 160x40 --config "$T/short.ini"
ui_wait_for 'mute card'
ui_wait_for 'no agent for this card'
ui_keys Enter
ui_wait_for "The card in '$UI_R0' did not answer within 2 s; the command was cancelled\\."
ui_quit F10
restored "mute, 2 s"

# A card that answers 1 byte per second, in reader 1.
rig_card_kill 1
RIG_CARD_MODE=slow rig_card_start 1
round -s 160x40 --config "$T/short.ini"
ui_wait_for 'Waiting for the card'
ui_wait_gone 'Waiting for the card' 20 # both readers given up, 2 s each
[ "$(ui_screen | grep -c 'mute card')" = 2 ] || ui_fail "not both cards shown mute"
ui_keys Down Enter
ui_wait_for "The card in '$UI_R1' did not answer within 2 s; the command was cancelled\\."
ui_quit F10
restored "slow, 2 s"
echo "ui_mute_card: ok"
