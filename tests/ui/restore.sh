#!/usr/bin/env bash
# The patent's restore, Fig. 3Q-3T: copy everything from the VSC (the back-up
# of the demo card, made here with the CLI), open the blank card, paste;
# the result lists what was written, and the CLI proves the card now holds
# the same objects as the original.
# shellcheck disable=SC2119 # ui_start takes optional arguments
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
ui_require_ui
ui_rig --demo --blank

expect 0 scm backup "$RIG_READER_0" --pin-fd 3 3<<<"$PIN" --password-fd 4 4<<<"$VPW"
has "$OUT" "5 copied"

ui_start
ui_wait_for 'VSC 00001079'

# 3Q: the VSC opened and unlocked, everything copied.
ui_open_entry 2 '.*00001079'
ui_menu Tools "Unlock card"
ui_wait_for 'Password for vsc:00001079:'
ui_secret "$VPW"
ui_wait_for 'Login-Object +login'
ui_menu Edit "Copy all"
ui_wait_for 'Clipboard \(5\)'

# 3R-3T: the blank card opened, its PIN, paste; a result of every object.
ui_open_entry 1 "$UI_R1"
ui_wait_for 'Serial: +00001080'
ui_menu Tools "Unlock card"
ui_wait_for 'PIN for [^:]*:'
ui_secret "$PIN"
ui_wait_gone '\[locked'
ui_focus Clipboard # each object into the area it came from
# First the plan, nothing written; No writes nothing.
ui_keys F6
ui_wait_for 'Write: 5 +Replace: 0 +Already there: 0 +No place: 0 +Never: 0'
ui_assert 'Nothing is written until you say so'
ui_assert 'write +public +Certificate'
ui_assert 'write +private +Login-Object'
ui_keys Enter
ui_wait_for 'Write 5 objects to Virtual PCD 00 01\?'
ui_keys n
ui_wait_for 'Nothing was written to Virtual PCD 00 01\.'
ui_refute 'Login-Object +login +[0-9]+ B'
expect 0 scm ls "$RIG_READER_1" --json --pin-fd 3 3<<<"$PIN"
json_get "$OUT" 'len(d["objects"])' | grep -qx 0 || fail "No wrote to the card: $OUT"
# Yes: written.
ui_keys F6
ui_wait_for 'Write: 5 +Replace: 0'
ui_keys Enter
ui_wait_for 'Write 5 objects to'
ui_keys y
ui_wait_for 'Written: 5 +Skipped: 0 +Failed: 0 +Not tried: 0' 30
ui_assert 'written'
ui_refute 'FAILED'
ui_keys Enter
ui_wait_gone 'Written: 5'
ui_wait_for 'Login-Object +login'
ui_assert 'Certificate +certificate'
# Again: the plan finds everything there already and writes nothing.
ui_focus Clipboard
ui_keys F6
ui_wait_for 'Write: 0 +Replace: 0 +Already there: 5'
ui_keys Enter
ui_wait_for 'Nothing to write: Virtual PCD 00 01 already holds what can go there\.'
ui_quit

# The blank card now holds what the demo card holds, byte for byte.
objects() {
    expect 0 scm ls "$1" --json --pin-fd 3 3<<<"$PIN"
    json_get "$OUT" '"\n".join(sorted("%s|%s|%s|%d" % (o["label"], o["type"], o["area"], o["size"]) for o in d["objects"]))'
}
orig=$(objects "$RIG_READER_0")
restored=$(objects "$RIG_READER_1")
[ "$restored" = "$orig" ] || fail "the restored card differs: $restored"
for label in Certificate "Login-Object" "Private Info"; do
    expect 0 scm get "$RIG_READER_0" "$label" -o "$T/a" --force --pin-fd 3 3<<<"$PIN"
    expect 0 scm get "$RIG_READER_1" "$label" -o "$T/b" --force --pin-fd 3 3<<<"$PIN"
    cmp "$T/a" "$T/b" || fail "'$label' differs on the restored card"
done
echo "ui_restore: ok"
