#!/usr/bin/env bash
# cli_unknown: a card no agent knows (card-unknown.py: 6A82 to every SELECT,
# 6D00 to the rest, an ATR no table lists) next to a known one. Its reader
# and ATR are shown, every command that needs an agent says in one sentence
# that none knows it, nothing hangs or crashes, and the other reader works.
set -euo pipefail
# shellcheck source=../cli/lib.sh
. "$(dirname "$0")/../cli/lib.sh"
# shellcheck source=rig.sh
. "${SCMGR_RIG:?SCMGR_RIG must point to tests/rig/rig.sh}"
rig_require
rig_up
rig_card_start 0 unknown --atr 3B8A80010102030405060708090A
rig_card_start 1
expect 0 scm card init 1 --serial 00004242 --pin-fd 3 3<<<1234
expect 0 scm backup 1 --pin-fd 3 3<<<1234 --password-fd 4 4<<<"$PW"$'\n'"$PW"

expect 0 scm readers
has "$OUT" "^0 +card +- +- +no agent for this card +$RIG_READER_0$"
has "$OUT" "^1 +card +iso7816-scm +00004242 "
expect 0 scm readers --json
has "$OUT" '"atr": "3B8A80010102030405060708090A"'
has "$OUT" '"note": "no agent for this card"'
for cmd in "ls 0" "get 0 x" "backup 0 --pin-fd 3" "restore 00004242 0 --pin-fd 3 --password-fd 4"; do
    # shellcheck disable=SC2086 # the words are the command's
    expect 1 timeout 60 "$SCMGR_BIN" $cmd 3<<<1234 4<<<"$PW"
    has "$ERR" "^scmgr: No card agent knows the card in '$RIG_READER_0' \\(ATR 3B 8A 80 01 01 02 03 04 05 06 07 08 09 0A\\)"
    one_error_line
done
# The known card beside it is untouched by all this.
expect 0 scm ls 1
has "$OUT" "$RIG_READER_1"
rig_card_alive 0 || fail "the unknown card's emulator died"
echo "cli_unknown: ok"
