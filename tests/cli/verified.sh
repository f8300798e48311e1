# Public objects are "not verified" until the password has checked them
# (doc/vsc-format.md, section 1): a forgery made without the password, with
# the unkeyed checksums recomputed (forge_vsc.py, an independent writer of
# the documented format), is marked without the password and refused as
# damaged with it.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
FORGE="$(dirname "$0")/forge_vsc.py"

new_vsc 00001079
F=$(vsc_file 00001079)
C=vsc:00001079
printf 'genuine public text' >"$T/pub"
printf 'private stuff' >"$T/priv"
printf 'FORGED: pay to account 666' >"$T/forged"
expect 0 scm put $C notice "$T/pub" --password-fd 3 3<<<"$PW"
expect 0 scm put $C other "$T/pub" --type note --password-fd 3 3<<<"$PW"
expect 0 scm put $C q "$T/priv" --area private --password-fd 3 3<<<"$PW"
cp "$F" "$T/good"

# ---- The genuine file -------------------------------------------------------
# Without the password even a genuine public object cannot be told from a
# forgery: every one is marked.
expect 0 scm ls $C
has "$OUT" '^  AREA +TYPE +SIZE +PATH +LABEL$'
has "$OUT" '^\? public +data +19 +- +notice$'
has "$OUT" '^\? public +note +19 +- +other$'
has "$OUT" '^\? = not verified: checksums only; give the password to check the MACs\.$'
expect 0 scm ls $C --json
json_ok "$OUT"
[ "$(json_get "$OUT" '[(o["label"], o["verified"]) for o in d["objects"]]')" = \
  "[('notice', False), ('other', False)]" ] || fail "ls --json: public objects not marked"
expect 0 scm get $C notice
[ "$(cat "$OUT")" = "genuine public text" ] || fail "get"
has "$ERR" "^scmgr: note: 'notice' on vsc:00001079 is not verified"
[ "$(wc -l <"$ERR")" = 1 ] || fail "the note is not one line"
expect 3 scm get $C notice --require-verified
one_error_line
has "$ERR" "'notice' on vsc:00001079 is not verified: --require-verified needs the password"
[ ! -s "$OUT" ] || fail "--require-verified wrote the object"
expect 0 scm vsc show 00001079
has "$OUT" '^Objects: +2 public \(not verified\), 1 private, 0 secret$'
has "$OUT" '^Verified: +no'
expect 0 scm vsc show 00001079 --json
[ "$(json_get "$OUT" 'd["verified"]')" = False ] || fail "vsc show --json verified"

# With the password every object is verified: no mark, no note.
expect 0 scm ls $C --password-fd 3 3<<<"$PW"
lacks "$OUT" '^\?'
has "$OUT" '^  public +data +19 +- +notice$'
has "$OUT" '^  private +data +13 +- +q$'
expect 0 scm ls $C --json --password-fd 3 3<<<"$PW"
[ "$(json_get "$OUT" 'all(o["verified"] for o in d["objects"]), len(d["objects"])')" = \
  "(True, 3)" ] || fail "ls --json with the password"
expect 0 scm get $C notice --require-verified --password-fd 3 3<<<"$PW"
[ "$(cat "$OUT")" = "genuine public text" ] || fail "get --require-verified"
[ ! -s "$ERR" ] || fail "a verified get wrote to stderr"
expect 0 scm get $C q --require-verified --password-fd 3 3<<<"$PW"
[ "$(cat "$OUT")" = "private stuff" ] || fail "get private --require-verified"
# Only get takes the option.
expect 2 scm ls $C --require-verified
has "$ERR" "'ls' does not take --require-verified"

# ---- The forgery ------------------------------------------------------------
python3 "$FORGE" "$F" notice "$T/forged" || fail "forge_vsc.py could not forge the file"
cmp -s "$F" "$T/good" && fail "the forger changed nothing"
cp "$F" "$T/forgery"
# It passes everything that needs no key: that is what a checksum is.
expect 0 scm vsc verify 00001079
has "$OUT" 'intact \(structure and checksums\)'
expect 0 scm vsc list
has "$OUT" '^00001079 +enabled'

# Without the password: listed and returned, but marked, everywhere.
expect 0 scm ls $C
has "$OUT" '^\? public +data +26 +- +notice$'
has "$OUT" '^\? = not verified'
expect 0 scm ls $C --json
[ "$(json_get "$OUT" '[(o["label"], o["size"], o["verified"]) for o in d["objects"]]')" = \
  "[('notice', 26, False), ('other', 19, False)]" ] || fail "ls --json: the forgery not marked"
expect 0 scm get $C notice
[ "$(cat "$OUT")" = "FORGED: pay to account 666" ] || fail "get of the forgery"
has "$ERR" "^scmgr: note: 'notice' on vsc:00001079 is not verified"
expect 3 scm get $C notice --require-verified -o "$T/out.bin"
has "$ERR" 'not verified'
[ ! -e "$T/out.bin" ] || fail "--require-verified wrote the forgery to a file"
expect 0 scm vsc show 00001079
has "$OUT" '2 public \(not verified\)'

# With the password: refused as damaged (exit 4), nothing of it released.
for cmd in "ls $C" "ls $C --json" "get $C notice" "get $C notice --require-verified" \
           "get $C other" "get $C q"; do
    # shellcheck disable=SC2086
    expect 4 scm $cmd --password-fd 3 3<<<"$PW"
    one_error_line
    has "$ERR" "$F: the public area MAC does not match: the file was changed by someone without the password"
    lacks "$OUT" 'FORGED'
    [ ! -s "$OUT" ] || fail "'$cmd' with the password wrote to stdout"
done
expect 4 scm vsc verify 00001079 --password-fd 3 3<<<"$PW"
has "$ERR" 'public area MAC does not match'
expect 4 scm put $C new "$T/pub" --password-fd 3 3<<<"$PW"
cmp -s "$F" "$T/forgery" || fail "a refusal modified the forged file"

# copy and restore never take objects from a locked VSC: the source is
# always unlocked, so its public MAC is checked and a forgery is refused
# before anything is written; without the password they stop at once.
# (Nothing unverified can become "verified" by being copied; the UI's
# clipboard asks instead: tests/ui/verified.sh.)
new_vsc 00001090
D=$(vsc_file 00001090)
cp "$D" "$T/dest"
expect 4 scm copy $C vsc:00001090 --password-fd 3 --dst-password-fd 4 3<<<"$PW" 4<<<"$PW"
one_error_line
has "$ERR" 'public area MAC does not match'
lacks "$OUT" 'copied'
expect 2 scm copy $C vsc:00001090 --dst-password-fd 4 4<<<"$PW" </dev/null
has "$ERR" 'No terminal to ask for the password: use --password-fd'
expect 4 scm restore 00001079 0 --password-fd 3 3<<<"$PW"
has "$ERR" 'public area MAC does not match'
expect 2 scm restore 00001079 0 </dev/null
cmp -s "$D" "$T/dest" || fail "a refused copy changed the destination VSC"
expect 0 scm ls vsc:00001090 --password-fd 3 3<<<"$PW"
has "$OUT" '^No objects\.$'

echo "verified: ok"
