#!/usr/bin/env bash
# Benchmark, not a test: what the full-screen UI costs over a slow link and
# at start. Prints figures (doc/performance.md); asserts only that the
# screens it measures appeared.
#
#   - bytes scmgr writes to the terminal per cursor movement (Down in
#     Readers, and in the open card's objects) and per pane switch (Tab),
#     counted from tmux's pipe-pane copy of its output, at 80x24;
#   - time from exec to the first complete screen (menu bar, the readers,
#     the last visible VSC entry and the function-key bar) with 0 and with
#     1,000 VSCs in the store.
#
# Run: meson test -C build-test --benchmark --verbose bench_ui
set -euo pipefail
# shellcheck source=../ui/lib.sh
. "$(dirname "$0")/../ui/lib.sh"
ui_require_ui
ui_rig --demo --blank
N=${BENCH_UI_KEYS:-20}
NVSC=${BENCH_UI_VSCS:-1000}

raw_size() { stat -c %s "$UI_RAW"; }

# settle: until the output has not grown for 150 ms (three polls).
settle() {
    local last=-1 same=0 now
    while [ $same -lt 3 ]; do
        now=$(raw_size)
        if [ "$now" = "$last" ]; then same=$((same + 1)); else same=0; fi
        last=$now
        sleep 0.05
    done
}

# bytes_for KEY: the bytes written in answer to KEY, sent after the screen
# settled, counted until it settles again.
bytes_for() {
    local before end
    settle
    before=$(raw_size)
    ui_keys "$1"
    end=$(($(date +%s%N) + 2000000000))
    while [ "$(raw_size)" = "$before" ] && [ "$(date +%s%N)" -lt "$end" ]; do sleep 0.01; done
    settle
    echo $(($(raw_size) - before))
}

# per_key KEY: KEY N times; print "avg min max" bytes per key.
per_key() {
    local i n min=999999999 max=0 total=0
    for ((i = 0; i < N; i++)); do
        n=$(bytes_for "$1")
        total=$((total + n))
        [ "$n" -lt "$min" ] && min=$n
        [ "$n" -gt "$max" ] && max=$n
    done
    echo "$((total / N)) $min $max"
}

report() { printf '  %-44s %6s B avg  (min %s, max %s, %d keys)\n' "$1" "$2" "$3" "$4" "$N"; }

# ---- bytes per key, a store of 30 VSCs (Readers scrolls) --------------------
for i in $(seq 1 30); do
    scm vsc new "$(printf 'B%07d' "$i")" --password-fd 3 3<<<"$VPW" >/dev/null
done
ui_start
ui_wait_for "card  Mike's card"
ui_wait_for '10Quit'
settle
first=$(raw_size)
echo "bytes written to the terminal (80x24, TERM=tmux-256color, LANG=C.UTF-8):"
printf '  %-44s %6d B\n' "first screen" "$first"
ui_focus Readers
ui_keys Home
# shellcheck disable=SC2046
report "Down in Readers (32 entries, scrolls)" $(per_key Down)
# shellcheck disable=SC2046
report "Up in Readers" $(per_key Up)
# shellcheck disable=SC2046
report "Tab (pane switch)" $(per_key Tab)
ui_open_entry 0 "$UI_R0"
ui_wait_for 'Please read +note'
ui_focus Card
ui_keys Home
N=4 # the card has a few rows: Down to its end and back
# shellcheck disable=SC2046
report "Down in the open card" $(per_key Down)
# shellcheck disable=SC2046
report "Up in the open card" $(per_key Up)
N=${BENCH_UI_KEYS:-20}
printf '  %-44s %6d B\n' "Ctrl-L (full redraw, for scale)" "$(bytes_for C-l)"
ui_quit

# ---- time to the first complete screen ------------------------------------
# first_screen LABEL REGEX...: start scmgr 3 times; the best time from its
# exec to a screen that matches every REGEX (polled every 10 ms).
first_screen() {
    local label=$1 best="" ms scr re ok
    shift
    for _ in 1 2 3; do
        ui_start
        while :; do
            scr=$(ui_screen)
            ok=1
            for re in "$@"; do
                grep -Eq -- "$re" <<<"$scr" || { ok=""; break; }
            done
            [ -n "$ok" ] && break
            [ $(($(date +%s%N) - UI_T0)) -lt 30000000000 ] || ui_fail "no complete screen ($label)"
            sleep 0.01
        done
        ms=$((($(date +%s%N) - UI_T0) / 1000000))
        if [ -z "$best" ] || [ "$ms" -lt "$best" ]; then best=$ms; fi
        ui_quit
    done
    printf '  %-44s %6d ms (best of 3; polled every 10 ms)\n' "$label" "$best"
}

echo "time from exec to the first complete screen (80x24; menu bar, readers, VSCs, key bar):"
rm -f "$SCMGR_STORE"/*.vsc "$SCMGR_STORE"/*.vsc.bak
first_screen "0 VSCs" '^ File +Edit' "card  Mike's card" 'card  Blank card' '1Help.*10Quit'
t0=$(date +%s%N)
for i in $(seq 1 "$NVSC"); do
    scm vsc new "$(printf 'K%07d' "$i")" --password-fd 3 3<<<"$VPW" >/dev/null
done
printf '  (making %d VSCs with the CLI took %d ms; not part of any figure)\n' "$NVSC" \
    $((($(date +%s%N) - t0) / 1000000))
first_screen "$NVSC VSCs" '^ File +Edit' "card  Mike's card" 'VSC K0000001' '1Help.*10Quit'
