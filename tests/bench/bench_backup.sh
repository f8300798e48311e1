#!/usr/bin/env bash
# Benchmark, not a test: APDUs and time for `scmgr backup` of a card with
# 20 objects / 64 KB through the real stack (tests/rig), beside the least
# number of APDUs the data needs. Prints figures; asserts nothing but that
# the backup worked. Run: meson test -C build-test --benchmark --verbose
set -euo pipefail
# shellcheck source=../cli/lib.sh
. "$(dirname "$0")/../cli/lib.sh"
# shellcheck source=../rig/rig.sh
. "${SCMGR_RIG:?SCMGR_RIG must point to tests/rig/rig.sh}"
rig_require

PIN=1234
N=20
SIZE=3277 # 20 x 3277 = 65,540 bytes
rig_up

# run LABEL: fill a fresh card in slot 0, back it up with an APDU trace,
# print the figures.
run() {
    local label=$1 max_read=$2 t0 t1 apdus i
    rig_card_start 0
    expect 0 scm card init 0 --serial "bench$RANDOM" --pin-fd 3 3<<<"$PIN"
    for i in $(seq 1 $N); do
        head -c $SIZE /dev/urandom >"$T/obj"
        expect 0 scm put 0 "object $i" "$T/obj" --pin-fd 3 3<<<"$PIN"
    done
    rm -f "$T/trace.log"
    t0=$(date +%s%N)
    expect 0 scm --log "$T/trace.log" --log-level trace backup 0 --to "B$RANDOM" \
        --pin-fd 3 3<<<"$PIN" --password-fd 4 4<<<"$PW"
    t1=$(date +%s%N)
    has "$OUT" "$N copied"
    apdus=$(grep -c 'apdu >' "$T/trace.log")
    # The data alone: one READ BINARY per max_read bytes of each object.
    local min=$((N * ((SIZE + max_read - 1) / max_read)))
    printf '%-28s %4d APDUs  (data needs >= %d READs; %d objects, %d bytes)  %6.1f ms\n' \
        "$label" "$apdus" "$min" $N $((N * SIZE)) "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print (b - a) / 1e6 }')"
    rig_card_kill 0
}

echo "backup of a card with $N objects / $((N * SIZE / 1024)) KB (PBKDF2 at the test policy):"
run "short APDUs (256-byte READ)" 256
RIG_CARD_EXTENDED=1 run "extended APDUs" 65533
