# scmgr ls / get / put / rm: objects in the three areas of a VSC.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

new_vsc 00001079
F=$(vsc_file 00001079)
C=vsc:00001079

PUB="public certificate $RANDOM"
PRIV="PRIVATE-NOTE-CONTENT-$RANDOM-$RANDOM"
SEC="SECRET-KEY-MATERIAL-$RANDOM-$RANDOM"
printf '%s' "$PUB" >"$T/pub"
printf '%s' "$PRIV" >"$T/priv"
printf '%s' "$SEC" >"$T/sec"
# Every byte value, for a binary round trip.
python3 -c 'import sys; sys.stdout.buffer.write(bytes(range(256)) * 3)' >"$T/bin"

# put into each area: every write needs the password.
expect 3 scm put $C cert "$T/pub" --password-fd 3 3<<<"wrong-pw"
expect 0 scm put $C cert "$T/pub" --type certificate --password-fd 3 3<<<"$PW"
has "$OUT" 'public area'
expect 0 scm put $C note "$T/priv" --area private --type note --password-fd 3 3<<<"$PW"
expect 0 scm put $C key "$T/sec" --area secret --type secret-key --password-fd 3 3<<<"$PW"
expect 0 scm put $C blob "$T/bin" --area private --password-fd 3 3<<<"$PW"
# From standard input, with the password on a separate descriptor...
expect 0 scm put $C stdin-obj - --password-fd 3 3<<<"$PW" <"$T/pub"
# ...or both on standard input: the password line first, then the data.
{ echo "$PW"; cat "$T/priv"; } >"$T/both"
expect 0 scm put $C both-obj - --area private --password-fd 0 <"$T/both"
expect 0 scm get $C both-obj -o "$T/both.out" --password-fd 3 3<<<"$PW"
cmp -s "$T/priv" "$T/both.out" || fail "password and data on one descriptor"

# Bad area / type / duplicate label.
expect 2 scm put $C x "$T/pub" --area attic --password-fd 3 3<<<"$PW"
expect 2 scm put $C x "$T/pub" --type sandwich --password-fd 3 3<<<"$PW"
cp "$F" "$T/before"
expect 1 scm put $C cert "$T/priv" --password-fd 3 3<<<"$PW"
has "$ERR" -- '--replace'
expect 1 scm put $C x "$T/no-such-file" --password-fd 3 3<<<"$PW"
has "$ERR" "$T/no-such-file"
cmp -s "$F" "$T/before" || fail "a refused put changed the file"

# get: public without a password, private with it, secret never.
expect 0 scm get $C cert
[ "$(cat "$OUT")" = "$PUB" ] || fail "get cert"
expect 5 scm get $C note
has "$ERR" 'public area'
expect 0 scm get $C note --password-fd 3 3<<<"$PW"
[ "$(cat "$OUT")" = "$PRIV" ] || fail "get note"
expect 0 scm get $C blob --password-fd 3 3<<<"$PW"
cmp -s "$OUT" "$T/bin" || fail "binary round trip through stdout"
expect 0 scm get $C blob -o "$T/blob.out" --password-fd 3 3<<<"$PW"
cmp -s "$T/blob.out" "$T/bin" || fail "binary round trip through -o"
[ "$(stat -c %a "$T/blob.out")" = 600 ] || fail "get -o is not 0600"
expect 1 scm get $C key --password-fd 3 3<<<"$PW"
one_error_line
has "$ERR" 'never released'
lacks "$OUT" "$SEC"
expect 3 scm get $C note --password-fd 3 3<<<"wrong-pw"
expect 5 scm get $C nothing-here --password-fd 3 3<<<"$PW"
has "$ERR" 'nothing-here'

# Nothing private, secret or the password is in the file in the clear.
for s in "$PRIV" "$SEC" "$PW"; do
    for f in "$F" "$F.bak"; do
        [ ! -e "$f" ] || [ "$(grep -c -a -- "$s" "$f" || true)" = 0 ] || fail "'$s' is in $f in the clear"
    done
done
# ...while the public area is readable without the password, by design.
grep -q -a -- "$PUB" "$F" || fail "the public object is not where expected"

# A wrong password changes nothing, byte for byte.
cp "$F" "$T/before"
expect 3 scm put $C other "$T/pub" --password-fd 3 3<<<"wrong-pw"
one_error_line
has "$ERR" '[Ww]rong password'
expect 3 scm rm $C cert --password-fd 3 3<<<"wrong-pw"
expect 3 scm put $C cert "$T/priv" --replace --password-fd 3 3<<<"wrong-pw"
cmp -s "$F" "$T/before" || fail "a wrong password changed the file"

# ls: locked shows the public area and counts; the password shows all.
expect 0 scm ls $C
has "$OUT" '^  AREA +TYPE +SIZE +PATH +LABEL$'
has "$OUT" '^\? public +certificate +[0-9]+ +- +cert$'
lacks "$OUT" 'note'
has "$OUT" '^Locked: 3 private objects and 1 secret key not shown \(give the password\)\.$'
expect 0 scm ls $C --json
json_ok "$OUT"
[ "$(json_get "$OUT" 'd["card"], d["locked"], len(d["objects"]), d["counts"]["private"]')" = \
  "('vsc:00001079', True, 2, 3)" ] || fail "ls --json locked"
expect 0 scm ls $C --json --password-fd 3 3<<<"$PW"
json_ok "$OUT"
[ "$(json_get "$OUT" 'd["locked"], [(o["label"], o["area"]) for o in d["objects"]]')" = \
  "(False, [('cert', 'public'), ('stdin-obj', 'public'), ('note', 'private'), ('blob', 'private'), ('both-obj', 'private'), ('key', 'secret')])" ] ||
    fail "ls --json unlocked"
[ "$(json_get "$OUT" '[o for o in d["objects"] if o["label"] == "key"][0]["type"]')" = secret-key ] ||
    fail "ls --json type"
[ "$(json_get "$OUT" '[o for o in d["objects"] if o["label"] == "blob"][0]["size"]')" = 768 ] ||
    fail "ls --json size"

# --replace: new data, same area; another area is refused.
printf 'v2' >"$T/v2"
expect 0 scm put $C note "$T/v2" --area private --replace --password-fd 3 3<<<"$PW"
expect 0 scm get $C note --password-fd 3 3<<<"$PW"
[ "$(cat "$OUT")" = v2 ] || fail "replace"
expect 1 scm put $C note "$T/v2" --replace --password-fd 3 3<<<"$PW"
has "$ERR" 'private area'
# A replace keeps the type; asking for another type is refused, not ignored.
expect 0 scm ls $C --json --password-fd 3 3<<<"$PW"
NOTE_TYPE=$(json_get "$OUT" '[o for o in d["objects"] if o["label"] == "note"][0]["type"]')
expect 1 scm put $C note "$T/v2" --area private --replace --type url --password-fd 3 3<<<"$PW"
has "$ERR" "delete it first to change its type"
one_error_line
expect 0 scm put $C note "$T/v2" --area private --replace --type "$NOTE_TYPE" --password-fd 3 3<<<"$PW"
expect 0 scm ls $C --json --password-fd 3 3<<<"$PW"
[ "$(json_get "$OUT" '[o for o in d["objects"] if o["label"] == "note"][0]["type"]')" = "$NOTE_TYPE" ] ||
    fail "replace changed the type"

# rm
expect 0 scm rm $C note --password-fd 3 3<<<"$PW"
expect 5 scm get $C note --password-fd 3 3<<<"$PW"
expect 5 scm rm $C note --password-fd 3 3<<<"$PW"

# Labels are shown escaped: UTF-8 as is, control and bidi characters not.
ESC_LABEL=$'red\e[31mtext\a'
BIDI_LABEL=$'invoice\u202Efdp.exe'
UTF_LABEL='Zertifikat für Müller €'
expect 0 scm put $C "$ESC_LABEL" "$T/pub" --password-fd 3 3<<<"$PW"
lacks "$OUT" $'\e'
has "$OUT" 'red\\x1B\[31mtext\\x07'
expect 0 scm put $C "$BIDI_LABEL" "$T/pub" --password-fd 3 3<<<"$PW"
expect 0 scm put $C "$UTF_LABEL" "$T/pub" --password-fd 3 3<<<"$PW"
expect 0 scm ls $C
lacks "$OUT" $'\e'
lacks "$OUT" $'\a'
lacks "$OUT" $'\u202E'
has "$OUT" 'red\\x1B\[31mtext\\x07$'
has "$OUT" 'invoice\\u202Efdp\.exe$'
has "$OUT" 'Zertifikat für Müller €$'
expect 0 scm ls $C --json
json_ok "$OUT"
lacks "$OUT" $'\e'
lacks "$OUT" $'\u202E'
has "$OUT" 'red\\u001B\[31mtext\\u0007'
has "$OUT" 'invoice\\u202Efdp.exe'
json_get "$OUT" '[o["label"] for o in d["objects"]]' >"$T/labels"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); labels=[o["label"] for o in d["objects"]]; sys.exit(0 if sys.argv[2] in labels and sys.argv[3] in labels and sys.argv[4] in labels else 1)' \
    "$OUT" "$ESC_LABEL" "$BIDI_LABEL" "$UTF_LABEL" || fail "JSON labels do not decode to the originals"
expect 0 scm get $C "$UTF_LABEL"
[ "$(cat "$OUT")" = "$PUB" ] || fail "get by UTF-8 label"
# Labels that are not UTF-8 are refused.
expect 2 scm put $C $'bad\xff' "$T/pub" --password-fd 3 3<<<"$PW"
expect 2 scm put $C "" "$T/pub" --password-fd 3 3<<<"$PW"

# The objects survive a reopen, and every save still verifies.
expect 0 scm vsc verify 00001079 --password-fd 3 3<<<"$PW"

echo "objects: ok"
