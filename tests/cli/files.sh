# Files and paths (issue 7, A1–A5): output paths are never replaced by
# anything but a regular file, the store directory is checked and never
# chmod'ed, a file is addressed by its UID only, FIFOs and devices do not
# hang, and temp files of killed saves go away. Devices are made with
# mknod in the test's own directory, never in /dev. Every command that
# could block runs under `timeout`, so a hang fails the test (exit 124).
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

ROOT=no
[ "$(id -u)" = 0 ] && ROOT=yes
umask 022 # as a user's shell: what scmgr creates must still be 0600/0700

new_vsc 00001079
C=vsc:00001079
F=$(vsc_file 00001079)
printf 'public stuff' >"$T/pub"
printf 'private stuff' >"$T/priv"
expect 0 scm put $C p "$T/pub" --password-fd 3 3<<<"$PW"
expect 0 scm put $C q "$T/priv" --area private --password-fd 3 3<<<"$PW"

# t CODE ARGS...: scmgr ARGS under a timeout (a hang is exit 124, a failure).
t() {
    local want=$1
    shift
    expect "$want" timeout 20 "$SCMGR_BIN" "$@"
}

# kind_of PATH: what lstat says it is.
kind_of() { stat -c %F -- "$1"; }

# ---- A1: output paths ------------------------------------------------------------
O="$T/o"
mkdir "$O"

# A new file: written, 0600 although the umask would give 0644.
t 0 get $C p -o "$O/new"
cmp -s "$O/new" "$T/pub" || fail "get -o wrote something else"
[ "$(stat -c %a "$O/new")" = 600 ] || fail "get -o made mode $(stat -c %a "$O/new")"
# "-" is standard output.
t 0 get $C p -o -
cmp -s "$OUT" "$T/pub" || fail "get -o - did not write standard output"
[ ! -e ./- ] || fail "get -o - made a file called -"
t 0 vsc export 00001079 -
cmp -s "$OUT" "$F" || fail "vsc export - did not write the VSC to standard output"

# An existing regular file: kept without --force, replaced with it, and
# then 0600 whatever its mode was.
printf 'old' >"$O/existing"
chmod 644 "$O/existing"
t 1 get $C p -o "$O/existing"
one_error_line
has "$ERR" 'already exists.*--force'
[ "$(cat "$O/existing")" = old ] || fail "an existing file was replaced without --force"
t 0 get $C q -o "$O/existing" --force --password-fd 3 3<<<"$PW"
cmp -s "$O/existing" "$T/priv" || fail "--force did not replace the file"
[ "$(stat -c %a "$O/existing")" = 600 ] || fail "a replaced file kept mode $(stat -c %a "$O/existing")"
t 2 get $C p --force
has "$ERR" 'force goes with -o'
printf 'old' >"$O/existing.vsc"
t 1 vsc export 00001079 "$O/existing.vsc"
has "$ERR" 'already exists'
[ "$(cat "$O/existing.vsc")" = old ] || fail "vsc export replaced a file without --force"
t 0 vsc export 00001079 "$O/existing.vsc" --force
cmp -s "$O/existing.vsc" "$F" || fail "vsc export --force did not replace the file"
[ "$(stat -c %a "$O/existing.vsc")" = 600 ] || fail "vsc export --force left the old mode"

# Everything that is not a regular file is refused, with or without
# --force, and stays what it was.
printf 'target' >"$O/target"
ln -s target "$O/symlink"
ln -s nowhere "$O/dangling"
mkfifo "$O/fifo"
mkdir "$O/dir"
python3 -c 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$O/socket"
kinds="symlink dangling fifo dir socket"
if [ $ROOT = yes ]; then
    mknod "$O/null" c 1 3
    kinds="$kinds null"
fi
for k in $kinds; do
    before=$(kind_of "$O/$k")
    for force in "" --force; do
        # The private object without a password: a refusal that came after
        # reading would ask for the password instead (exit 2).
        t 1 get $C q -o "$O/$k" $force
        one_error_line
        has "$ERR" "$O/$k is (a symbolic link|a FIFO|a directory|a socket|a character device)"
        t 1 vsc export 00001079 "$O/$k" $force
        one_error_line
        has "$ERR" "$O/$k is a"
        [ "$(kind_of "$O/$k")" = "$before" ] || fail "$k became $(kind_of "$O/$k")"
    done
done
[ "$(cat "$O/target")" = target ] || fail "a write went through the symlink"
[ ! -e "$O/nowhere" ] || fail "a write went through the dangling symlink"
[ "$(readlink "$O/symlink")" = target ] || fail "the symlink was replaced"
[ -z "$(ls -A "$O/dir")" ] || fail "something was written into the directory"
# A path ending in / names a directory; a missing directory is refused
# before the card is read.
t 1 get $C q -o "$O/dir/"
has "$ERR" 'names a directory'
t 1 get $C q -o "$O/no/such/x"
has "$ERR" 'cannot open its directory'
[ -z "$(find "$O" -name '.*' -newer "$T/pub")" ] || fail "a temp file was left: $(find "$O" -name '.*')"

# ---- A2: the store directory ------------------------------------------------------
# Created 0700 (the umask says 022).
t 0 --store "$T/made/store" vsc list
[ "$(stat -c %a "$T/made/store")" = 700 ] || fail "a new store is $(stat -c %a "$T/made/store")"
# An existing 0755 one is used and keeps its mode.
mkdir -m 755 "$T/s755"
t 0 --store "$T/s755" vsc list
[ "$(stat -c %a "$T/s755")" = 755 ] || fail "an existing store was chmod'ed"
# Writable by others (the /tmp case), by its group, a symlink, another
# user's: refused with a sentence, and untouched.
mkdir "$T/s1777" "$T/s770"
chmod 1777 "$T/s1777"
chmod 770 "$T/s770"
ln -s s755 "$T/slink"
t 1 --store "$T/s1777" vsc list
one_error_line
has "$ERR" "$T/s1777: the VSC store may be written by every user"
[ "$(stat -c %a "$T/s1777")" = 1777 ] || fail "the 1777 store became $(stat -c %a "$T/s1777")"
t 1 --store "$T/s770" vsc list
has "$ERR" 'may be written by its group'
[ "$(stat -c %a "$T/s770")" = 770 ] || fail "the 770 store was chmod'ed"
t 1 --store "$T/slink" vsc list
has "$ERR" 'symbolic link'
[ -L "$T/slink" ] || fail "the symlink store was replaced"
t 1 --store "$T/slink" vsc new 00000001 --password-fd 3 3<<<"$PW"
[ -z "$(ls -A "$T/s755")" ] || fail "a VSC was made through the symlink"
if [ $ROOT = yes ]; then
    mkdir -m 700 "$T/snobody"
    chown nobody "$T/snobody"
    t 1 --store "$T/snobody" vsc list
    has "$ERR" 'belongs to another user'
    [ "$(stat -c %U:%a "$T/snobody")" = nobody:700 ] || fail "another user's store was changed"
fi

# ---- A3: the file name and the UID ---------------------------------------------------
cp "$F" "$SCMGR_STORE/00000BBB.vsc"
sum=$(sha256sum <"$F")
t 0 vsc list --json
json_ok "$OUT"
[ "$(json_get "$OUT" '[e["uid"] for e in d if "error" in e]')" = "['00000BBB']" ] ||
    fail "the misnamed file is not listed as broken"
t 0 vsc list
has "$OUT" '^00000BBB +damaged'
t 4 put vsc:00000BBB x "$T/pub" --password-fd 3 3<<<"$PW"
one_error_line
has "$ERR" "00000BBB.vsc holds vsc:00001079 but its name says vsc:00000BBB"
t 4 ls vsc:00000BBB
t 4 get vsc:00000BBB p
t 4 vsc verify 00000BBB --password-fd 3 3<<<"$PW"
[ "$(sha256sum <"$F")" = "$sum" ] || fail "writing to vsc:00000BBB changed 00001079.vsc"
# Import: a store entry by the wrong name is refused; a copy exported
# under any name still imports.
t 4 --store "$T/store2" vsc import "$SCMGR_STORE/00000BBB.vsc"
has "$ERR" 'its name says vsc:00000BBB'
[ ! -e "$T/store2/00001079.vsc" ] || fail "a misnamed store entry was imported"
t 0 vsc export 00001079 "$T/renamed.vsc"
t 0 --store "$T/store2" vsc import "$T/renamed.vsc"
has "$OUT" 'Imported vsc:00001079'
rm "$SCMGR_STORE/00000BBB.vsc"

# ---- A4: FIFOs, devices and directories as input -------------------------------------
mkfifo "$T/in.vsc"
t 1 vsc import "$T/in.vsc"
one_error_line
has "$ERR" "$T/in.vsc is not a regular file \\(a FIFO\\)"
t 1 vsc verify "$T/in.vsc"
has "$ERR" 'not a regular file'
mkdir "$T/indir.vsc"
t 1 vsc import "$T/indir.vsc"
has "$ERR" 'a directory'
if [ $ROOT = yes ]; then
    mknod "$T/zero.vsc" c 1 5
    t 1 vsc import "$T/zero.vsc"
    has "$ERR" 'a device'
    t 1 vsc verify "$T/zero.vsc"
fi
# --password-fd on a directory: a sentence, not "input/output error".
t 2 ls $C --password-fd 3 3<"$T"
one_error_line
has "$ERR" 'File descriptor 3 is a directory, not a password'
# The normal cases keep working: a here-string and a pipe.
t 0 ls $C --password-fd 3 3<<<"$PW"
echo "$PW" | t 0 ls $C --password-fd 0

# ---- A5: temp files of killed saves ---------------------------------------------------
dead=$(bash -c 'echo $$')
while kill -0 "$dead" 2>/dev/null; do dead=$(bash -c 'echo $$'); done
stale=".00001079.vsc.$dead.AbCdEf"
stale_bak=".00001079.vsc.bak.$dead.QwErTy"
live=".00001079.vsc.$$.XyZabc" # this shell is alive: its file is not stale
for n in "$stale" "$stale_bak" "$live"; do head -c 4096 /dev/urandom >"$SCMGR_STORE/$n"; done
t 0 vsc verify 00001079
has "$OUT" "2 left-over temporary files of an interrupted save \\(\\.00001079\\.vsc\\.(bak\\.)?$dead\\."
lacks "$OUT" "$$\\.XyZabc"
[ -e "$SCMGR_STORE/$stale" ] || fail "verify removed a temp file (it only reports)"
# Opening the VSC removes them (the live one stays).
t 0 ls $C
[ ! -e "$SCMGR_STORE/$stale" ] || fail "opening the VSC left the stale temp file"
[ ! -e "$SCMGR_STORE/$stale_bak" ] || fail "opening the VSC left the stale backup temp file"
[ -e "$SCMGR_STORE/$live" ] || fail "a live process's temp file was removed"
t 0 vsc verify 00001079
lacks "$OUT" 'left-over'
# So does a save.
head -c 4096 /dev/urandom >"$SCMGR_STORE/$stale"
expect 0 scm put $C r "$T/pub" --password-fd 3 3<<<"$PW"
[ ! -e "$SCMGR_STORE/$stale" ] || fail "a save left the stale temp file"
rm "$SCMGR_STORE/$live"

# ---- lock files: a deleted VSC leaves none -----------------------------------------------
new_vsc 00000077
expect 0 scm put vsc:00000077 p "$T/pub" --password-fd 3 3<<<"$PW"
[ -e "$SCMGR_STORE/.00000077.lock" ] || fail "no lock file while the VSC exists (see doc/vsc-format.md)"
expect 0 scm vsc rm 00000077 --yes
[ -z "$(cd "$SCMGR_STORE" && ls -A | grep 00000077)" ] ||
    fail "vsc rm left: $(cd "$SCMGR_STORE" && ls -A | grep 00000077)"
# A VSC of the same UID made afterwards saves normally (a new lock file).
new_vsc 00000077
expect 0 scm put vsc:00000077 p "$T/pub" --password-fd 3 3<<<"$PW"

echo "files: ok"
