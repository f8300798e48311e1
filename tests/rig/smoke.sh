#!/usr/bin/env bash
# rig_smoke: the rig itself. Two cards come up, one is pulled out and put
# back, pcscd dies and comes back, and every process the rig started is
# gone afterwards, on the normal path and on an error exit.
set -euo pipefail
# shellcheck source=rig.sh
. "${SCMGR_RIG:?SCMGR_RIG must point to tests/rig/rig.sh}"
rig_require

fail() {
    echo "FAIL: $*" >&2
    rig_logs
    exit 1
}
ms() { rig__now_ms; }
pids() { (. "$RIG_DIR/state" && echo "$RIG_PCSCD_PID ${RIG_CARD_PIDS[*]}"); }

t=$(ms)
rig_up
echo "pcscd up, 2 readers listed: $(($(ms) - t)) ms"
[ "$(rig_wait list | wc -l)" = 2 ] || fail "not 2 readers"
[ "$RIG_READER_0" != "$RIG_READER_1" ] || fail "reader names"

t=$(ms)
rig_card_start 0
rig_card_start 1
echo "2 cards PRESENT: $(($(ms) - t)) ms"
[ "$(rig_wait apdu "$RIG_READER_1" 00A4000C023F00)" = 9000 ] || fail "SELECT MF"

t=$(ms)
rig_card_kill 0
echo "card 0 killed, EMPTY seen: $(($(ms) - t)) ms"
rig_wait present "$RIG_READER_1" 0 || fail "card 1 went away with card 0"
t=$(ms)
rig_card_start 0
echo "card 0 restarted, PRESENT seen: $(($(ms) - t)) ms"

read -r pcscd card0 card1 < <(pids)
t=$(ms)
rig_pcscd_kill
echo "pcscd killed, cards exited: $(($(ms) - t)) ms"
for p in "$pcscd" "$card0" "$card1"; do
    ! rig__alive "$p" || fail "process $p still running after pcscd's death"
done
rig_wait gone 2000 || fail "pcscd still answers"

t=$(ms)
rig_pcscd_start
rig_card_start 1
echo "pcscd restarted with a card: $(($(ms) - t)) ms"
read -r pcscd card0 card1 < <(pids)
dir=$RIG_DIR
rig_down
for p in $pcscd $card1; do
    ! rig__alive "$p" || fail "process $p still running after rig_down"
done
[ ! -e "$dir" ] || fail "$dir left behind"

# An error exit (set -e) in a test must stop everything too (the EXIT trap).
out=$(RIG_DIR='' bash -c '. "$SCMGR_RIG"; set -e; rig_up >&2; rig_card_start 0 >&2;
      (. "$RIG_DIR/state"; echo "$RIG_DIR $RIG_PCSCD_PID ${RIG_CARD_PIDS[0]}"); false' 2>/dev/null) || true
read -r dir pcscd card0 <<<"$out"
[ -n "${card0:-}" ] || fail "the error-exit rig did not come up"
for p in $pcscd $card0; do
    ! rig__alive "$p" || fail "process $p still running after an error exit"
done
[ ! -e "$dir" ] || fail "$dir left behind after an error exit"
echo "rig_smoke: OK"
