#!/usr/bin/env bash
# A card that stops answering: the CLI gives up after the configured
# deadline ([card] io_timeout, 2 s here) with one sentence naming the
# reader, instead of hanging. Two such cards: one that takes the connection
# (ATR) and never answers a command, one that answers 1 byte per second
# (RIG_CARD_MODE, vicc-card.py). Every command runs under `timeout`, so a
# hang fails the test rather than stalling it. The other reader keeps
# working in the same process. A bad io_timeout is a configuration error.
set -euo pipefail
# shellcheck source=../cli/lib.sh
. "$(dirname "$0")/../cli/lib.sh"
# shellcheck source=rig.sh
. "${SCMGR_RIG:?SCMGR_RIG must point to tests/rig/rig.sh}"
rig_require

PIN=1234
HANG=20 # far beyond the 2 s deadline: reaching it means scmgr hung
printf '[card]\nio_timeout = 2\n' >"$T/fast.ini"

# deadline CODE ARGS...: scmgr with the 2 s deadline, which must end by
# itself (not by `timeout`, status 124) with status CODE.
deadline() {
    local want=$1
    shift
    expect "$want" timeout "$HANG" "$SCMGR_BIN" --config "$T/fast.ini" "$@"
}

rig_up
rig_card_start 1 # a good (blank) card next to the bad one

for mode in mute slow; do
    RIG_CARD_MODE=$mode rig_card_start 0
    said="The card in '$RIG_READER_0' did not answer within 2 s; the command was cancelled\\."

    # The listing shows the card as mute with the sentence, and the good
    # card in the other reader after it.
    deadline 0 readers
    has "$OUT" "^0 +card-mute .*$said"
    has "$OUT" "^1 +card .*no agent for this card +$RIG_READER_1\$"
    deadline 0 readers --json
    json_ok "$OUT"
    [ "$(json_get "$OUT" 'd["readers"][0]["state"]')" = card-mute ] || fail "$mode: state in JSON"
    json_get "$OUT" 'd["readers"][0]["note"]' | grep -Eq "^$said\$" || fail "$mode: note in JSON"

    # A command on the card: one line, the sentence, status 1.
    deadline 1 ls 0
    one_error_line
    has "$ERR" "^scmgr: $said\$"
    deadline 1 ls "PCD 00 00" --pin-fd 3 3<<<"$PIN"
    one_error_line
    has "$ERR" "^scmgr: $said\$"
    deadline 1 backup 0 --pin-fd 3 3<<<"$PIN" --password-fd 4 4<<<"$PW"
    one_error_line
    has "$ERR" "^scmgr: $said\$"
    deadline 1 card init 0 --label x --serial 1 --pin-fd 3 3<<<"$PIN"
    one_error_line
    has "$ERR" "^scmgr: $said\$"
    # No backup VSC was left behind by the failed backup.
    expect 0 scm vsc list --json
    [ "$(json_get "$OUT" 'len(d)')" = 0 ] || fail "$mode: a VSC after a failed backup"

    # The other reader is not held up by the bad card.
    deadline 1 ls 1
    has "$ERR" "No card agent knows the card in '$RIG_READER_1'"

    rig_card_kill 0
done

# The deadline's value is checked like every other key.
for bad in 0 3601 -1 2s ""; do
    printf '[card]\nio_timeout = %s\n' "$bad" >"$T/bad.ini"
    expect 1 scm --config "$T/bad.ini" readers
    one_error_line
    has "$ERR" "io_timeout must be a whole number from 1 to 3600"
done
echo "cli_deadline: ok"
