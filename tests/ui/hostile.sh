#!/usr/bin/env bash
# Hostile text from a card, a reader, a VSC and a file name reaches no
# terminal as itself (CWE-150). Every text field holds ESC, a CSI, an OSC 52
# clipboard write, C1 controls, a bidi override and (where the layer lets it
# in) invalid UTF-8: the reader name (the rig's vpcd FRIENDLYNAME), the
# card's label and serial, object labels, the VSC made from that card, and
# file names. Every CLI command that prints them, and their error paths,
# must write only valid UTF-8 free of controls (but '\n') to stdout, stderr
# and the log; the UI and a PIN prompt must put none of the payloads on the
# pty.
# shellcheck disable=SC2119 # ui_start takes optional arguments
set -euo pipefail

# The payloads: H is valid UTF-8 (the VSC layer refuses anything else in a
# card's source fields), HB adds a stray byte and a raw 8-bit CSI.
H=$'\e[2J\e]52;c;SGk=\a\xc2\x9b31m\xe2\x80\xaeX\xc2\x85'
HB=$H$'\xff\x9b'
# The reader name is set before the rig comes up (vpcd appends " 00 00").
export RIG_FRIENDLYNAME="Evil$H"

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
ui_require_ui
ui_rig --empty
rig_card_start 0
rig_card_start 1
R0=$(rig_reader 0)
LOG="$T/scmgr.log"
VPW=hostile-pass-1

# inert FILE...: valid UTF-8 with no C0 control but '\n' and '\t', no DEL,
# no C1 and no bidi control. Fails naming the first offending byte.
inert() {
    python3 - "$@" <<'EOF' || fail "control or invalid bytes reached the output (above)"
import re, sys
bad = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
ok = True
for path in sys.argv[1:]:
    b = open(path, "rb").read()
    try:
        s = b.decode("utf-8")
    except UnicodeDecodeError as e:
        print("%s: invalid UTF-8 at byte %d: %r" % (path, e.start, b[max(0, e.start - 20):e.start + 4]))
        ok = False
        continue
    m = bad.search(s)
    if m:
        print("%s: U+%04X at %d: %r" % (path, ord(m.group()), m.start(), s[max(0, m.start() - 20):m.start() + 4]))
        ok = False
sys.exit(0 if ok else 1)
EOF
}

# run CODE COMMAND...: expect (tests/cli/lib.sh) with a log, then every
# byte of stdout, stderr and the log checked. CODE ! is any failure with
# its one-line message.
run() {
    local want=$1 rc=0
    shift
    if [ "$want" = '!' ]; then
        scm --log "$LOG" --log-level debug "$@" >"$OUT" 2>"$ERR" || rc=$?
        [ "$rc" != 0 ] || fail "'$*' succeeded"
        one_error_line
    else
        expect "$want" scm --log "$LOG" --log-level debug "$@"
    fi
    inert "$OUT" "$ERR" "$LOG"
}

# The pty: the UI writes its own escape sequences, so look for the payloads.
pty_clean() {
    python3 - "$UI_RAW" <<'EOF' || ui_fail "a hostile payload reached the terminal"
import sys
b = open(sys.argv[1], "rb").read()
bad = [b"\x1b]52;", b"\xc2\x9b", b"\xc2\x85", b"\xe2\x80\xae", b"\xff", b"\x1b[2J\x1b]"]
bad += [bytes([0x9b])]  # a raw CSI: never part of UTF-8 that starts well
found = [p for p in bad if p in b]
if found:
    print("on the pty:", found)
sys.exit(1 if found else 0)
EOF
}

# ---- a card whose every text is hostile ---------------------------------------
printf 'hello\n' >"$T/obj"
run 0 card init 0 --label "L$H" --serial "S$H" --pin-fd 3 3<<<"$PIN"
run 0 put 0 "pub$HB" "$T/obj" --pin-fd 3 3<<<"$PIN"
run 0 put 0 "pub$H" "$T/obj" --pin-fd 3 3<<<"$PIN"
run 0 put 0 "priv$H" "$T/obj" --area private --pin-fd 3 3<<<"$PIN"
# A file name that is itself hostile.
HF="$T/file$HB"
cp "$T/obj" "$HF"
run 0 put 0 "from-file" "$HF" --pin-fd 3 3<<<"$PIN"

run 0 readers
has "$OUT" 'Evil'
run 0 readers --json
json_ok "$OUT"
run 0 ls 0
has "$OUT" 'pub'
run 0 ls 0 --json
run 0 ls "$R0" --pin-fd 3 3<<<"$PIN"
has "$OUT" 'priv'
run 0 get 0 "pub$HB" -o "$T/got"
cmp "$T/obj" "$T/got" || fail "get: other bytes"
run 0 get 0 "pub$H" -o "$T/got$HB"
run 0 rm 0 "from-file" --pin-fd 3 3<<<"$PIN"
# Errors that quote what the user or the card gave.
run ! ls "no such $HB"
# Escaped once, where the text is output (not once more in the detail).
has "$ERR" "'no such \\\\x1B\\[2J\\\\x1B\\]52;"
run ! ls "Evil"
has "$ERR" "0 'Evil\\\\x1B\\[2J"
run ! get 0 "missing$HB"
run ! get 0 "missing$HB" --pin-fd 3 3<<<"$PIN"
run ! put 0 label "$T/missing$HB" --pin-fd 3 3<<<"$PIN"
run ! "cmd$HB"
run ! ls 0 --area "$HB"
run ! vsc show "uid$HB"

# ---- a VSC made from it ---------------------------------------------------------
# A VSC holds only valid UTF-8 labels: that object would fail the copy.
run 0 rm 0 "pub$HB" --pin-fd 3 3<<<"$PIN"
run 0 backup 0 --to hostile --pin-fd 3 3<<<"$PIN" --password-fd 4 4<<<"$VPW"
run 0 vsc list
has "$OUT" hostile
run 0 vsc list --json
run 0 vsc show hostile
run 0 vsc show hostile --json
run 0 ls vsc:hostile
run 0 ls vsc:hostile --password-fd 3 3<<<"$VPW"
has "$OUT" 'priv'
run 0 get vsc:hostile "priv$H" --password-fd 3 3<<<"$VPW" -o "$T/got2"
run 0 vsc verify hostile
run 0 vsc export hostile "$T/exp$HB.vsc"
run 0 vsc verify "$T/exp$HB.vsc"
has "$OUT" intact
run 0 vsc verify "$T/exp$HB.vsc" --password-fd 3 3<<<"$VPW"
run ! vsc verify "$T/exp$HB.vsc" --password-fd 3 3<<<"wrong-pass-1"
run ! vsc verify "$T/none$HB.vsc"
run 0 vsc rm hostile --yes
run 0 vsc import "$T/exp$HB.vsc"
head -c 300 "$T/exp$HB.vsc" >"$T/cut$HB.vsc"
run ! vsc verify "$T/cut$HB.vsc"
# The VSC has the card's labels already, one with other bytes: the
# refusal names it, inert.
printf 'other bytes' >"$T/other"
run 0 put vsc:hostile "pub$H" "$T/other" --replace --password-fd 3 3<<<"$VPW"
run ! copy 0 vsc:hostile --pin-fd 3 3<<<"$PIN" --dst-password-fd 4 4<<<"$VPW"
run 0 copy 0 vsc:hostile --replace --pin-fd 3 3<<<"$PIN" --dst-password-fd 4 4<<<"$VPW"
run 0 restore hostile 1 --init --pin-fd 3 3<<<"$PIN" --password-fd 4 4<<<"$VPW"

# ---- a PIN prompt on the terminal names the reader --------------------------------
ui_start -- get 0 "priv$H" -o "$T/got3"
ui_wait_for 'PIN for the card in'
pty_clean
ui_type "$PIN"
ui_keys Enter
[ "$(ui_exit_status)" = 0 ] || ui_fail "get with the PIN from the terminal"
inert "$UI_ERR"

# ---- the UI ---------------------------------------------------------------------------
ui_start
ui_wait_for 'card +L'
ui_open_entry 0 'Evil'
ui_wait_for 'pub'
ui_menu Tools "Unlock card"
ui_wait_for 'PIN for'
ui_secret "$PIN"
ui_wait_for 'priv'
for row in pub priv; do
    ui_keys Home
    for _ in 1 2 3 4 5 6 7 8; do
        ui_screen | grep -Eq -- "│>[[:space:]]*$row" && break
        ui_keys Down
        sleep 0.05
    done
    ui_keys F3
    ui_wait_for 'Esc close'
    ui_keys Escape
    ui_wait_gone 'Esc close'
done
ui_menu Tools "VSC Manager"
ui_wait_for 'hostile'
ui_keys Escape
ui_wait_gone '\[N\]ew'
# The VSC made from the card: its source fields and labels, unlocked.
ui_open_entry 2 '.*hostile'
ui_wait_for 'UID: +hostile'
ui_menu Tools "Unlock card"
ui_wait_for 'Password for vsc:hostile:'
ui_secret "$VPW"
ui_wait_gone '\[locked'
ui_wait_for 'priv'
ui_quit
pty_clean
inert "$UI_ERR"
echo "PASS"
