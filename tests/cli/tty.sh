# Passwords from the terminal: echo off, asked twice for a new one, and the
# terminal restored after Ctrl-C. Runs scmgr on a pseudo-terminal made by
# script(1); input is fed with pauses, because scmgr discards what was
# typed before it turned echo off (that text was echoed).
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

command -v script >/dev/null || { echo "script(1) is missing: skipped"; exit 77; }

# on_tty "LINE..." COMMAND: run COMMAND on a pty, typing each LINE after a
# pause ("^C" types Ctrl-C). The session's output goes to $OUT.
on_tty() {
    local lines=$1 cmd=$2 rc=0
    {
        for l in $lines; do
            sleep 1
            if [ "$l" = "^C" ]; then printf '\003'; else printf '%s\n' "$l"; fi
        done
        sleep 1
    } | timeout 60 script -qec "$cmd" /dev/null >"$OUT" 2>&1 || rc=$?
    return "$rc"
}

# Asked twice, never echoed.
on_tty "$PW $PW" "$SCMGR_BIN vsc new 00000001"
has "$OUT" 'New password for vsc:00000001'
has "$OUT" 'Repeat the new password'
lacks "$OUT" "$PW"
[ -e "$(vsc_file 00000001)" ] || fail "no VSC made on the terminal"
# A private object asked for on a terminal: the password is asked there.
printf 'hidden' >"$T/priv"
expect 0 scm put vsc:00000001 note "$T/priv" --area private --password-fd 3 3<<<"$PW"
on_tty "$PW" "$SCMGR_BIN get vsc:00000001 note"
has "$OUT" 'Password for vsc:00000001'
has "$OUT" 'hidden'
lacks "$OUT" "$PW"

# --require-verified on a terminal: the password is asked to verify a
# public object, which is then written without the "not verified" note.
printf 'open text' >"$T/pub"
expect 0 scm put vsc:00000001 pubnote "$T/pub" --password-fd 3 3<<<"$PW"
on_tty "$PW" "$SCMGR_BIN get vsc:00000001 pubnote --require-verified; echo exit=\$?"
has "$OUT" 'Password for vsc:00000001'
has "$OUT" 'open text'
has "$OUT" 'exit=0'
lacks "$OUT" 'not verified'
lacks "$OUT" "$PW"

# Two different answers: exit 2, nothing made.
on_tty "$PW other-pw" "$SCMGR_BIN vsc new 00000002; echo exit=\$?"
has "$OUT" 'do not match'
has "$OUT" 'exit=2'
[ ! -e "$(vsc_file 00000002)" ] || fail "a VSC was made from mismatching passwords"

# Ctrl-C at the second prompt: scmgr dies of SIGINT, echo is back on.
on_tty "$PW ^C" "bash -c 'trap \"\" TERM; trap \"echo got-int\" INT; $SCMGR_BIN vsc new 00000003; echo exit=\$?; stty -a'" || true
has "$OUT" 'exit=130'
has "$OUT" '[^-]echo '
[ ! -e "$(vsc_file 00000003)" ] || fail "a VSC was made after Ctrl-C"

# vsc rm on a terminal asks; "n" keeps the VSC, "y" removes it.
on_tty "n" "$SCMGR_BIN vsc rm 00000001; echo exit=\$?"
has "$OUT" 'for good\? \[y/N\]'
[ -e "$(vsc_file 00000001)" ] || fail "vsc rm removed without a yes"
on_tty "y" "$SCMGR_BIN vsc rm 00000001; echo exit=\$?"
has "$OUT" 'exit=0'
[ ! -e "$(vsc_file 00000001)" ] || fail "vsc rm did not remove after yes"

# copy onto labels the destination has: asked on a terminal. "s" keeps the
# destination's object and copies the rest; "c" (or Enter) writes nothing.
printf '%s\n' "$PW" >"$T/pw"
for u in 00000011 00000012; do
    expect 0 scm vsc new $u --password-fd 3 3<<<"$PW"
done
printf 'source bytes' >"$T/src"
printf 'kept bytes' >"$T/kept"
expect 0 scm put vsc:00000011 dup "$T/src" --password-fd 3 3<<<"$PW"
expect 0 scm put vsc:00000011 extra "$T/src" --password-fd 3 3<<<"$PW"
expect 0 scm put vsc:00000012 dup "$T/kept" --password-fd 3 3<<<"$PW"
copy="$SCMGR_BIN copy vsc:00000011 vsc:00000012 --password-fd 3 --dst-password-fd 4 3<$T/pw 4<$T/pw; echo exit=\$?"
on_tty "c" "$copy"
has "$OUT" "vsc:00000012 already has an object labelled 'dup'"
has "$OUT" 'Replace them, skip them, or cancel\? \[r/s/C\]'
has "$OUT" 'nothing was written'
has "$OUT" 'exit=1'
expect 5 scm get vsc:00000012 extra --password-fd 3 3<<<"$PW"
on_tty "s" "$copy"
has "$OUT" 'exit=0'
has "$OUT" '1 copied, 1 skipped'
expect 0 scm get vsc:00000012 dup --password-fd 3 3<<<"$PW"
[ "$(cat "$OUT")" = "kept bytes" ] || fail "skip overwrote the destination's object"
expect 0 scm get vsc:00000012 extra --password-fd 3 3<<<"$PW"
on_tty "r" "$copy"
has "$OUT" 'exit=0'
expect 0 scm get vsc:00000012 dup --password-fd 3 3<<<"$PW"
[ "$(cat "$OUT")" = "source bytes" ] || fail "replace kept the old bytes"

echo "tty: ok"
