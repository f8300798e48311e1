# Damaged and tampered files: refused with exit 4 and a sentence naming the
# file; never modified by the refusal.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

new_vsc 00001079
F=$(vsc_file 00001079)
C=vsc:00001079
printf 'private stuff' >"$T/priv"
printf 'public stuff' >"$T/pub"
expect 0 scm put $C p "$T/pub" --password-fd 3 3<<<"$PW"
expect 0 scm put $C q "$T/priv" --area private --password-fd 3 3<<<"$PW"
cp "$F" "$T/good"
SIZE=$(stat -c %s "$F")

# flip OFFSET: invert one byte of $F in place.
flip() {
    local off=$1 byte
    byte=$(od -An -tu1 -j "$off" -N1 "$F" | tr -d ' ')
    printf '%b' "\\$(printf '%03o' $((byte ^ 0xFF)))" | dd of="$F" bs=1 seek="$off" conv=notrunc status=none
}

# check_refused [header]: every way in says exit 4 and names the file; the
# file stays byte-identical. With "header", the damage is in the header,
# which the listing (headers only, no full check) must report too.
check_refused() {
    cp "$F" "$T/damaged"
    expect 4 scm vsc show 00001079
    one_error_line
    has "$ERR" "$F"
    expect 4 scm ls $C
    has "$ERR" "$F"
    expect 4 scm get $C p
    expect 4 scm get $C q --password-fd 3 3<<<"$PW"
    expect 4 scm put $C r "$T/pub" --password-fd 3 3<<<"$PW"
    expect 4 scm vsc verify 00001079
    has "$ERR" "$F"
    expect 4 scm vsc verify "$F" --password-fd 3 3<<<"$PW"
    cmp -s "$F" "$T/damaged" || fail "a refused file was modified"
    # The listing still works, and shows header damage.
    expect 0 scm vsc list
    expect 0 scm vsc list --json
    json_ok "$OUT"
    if [ "${1:-}" = header ]; then
        [ "$(json_get "$OUT" 'd[0]["uid"], "error" in d[0]')" = "('00001079', True)" ] ||
            fail "vsc list --json does not report the damage"
        expect 0 scm vsc list
        has "$OUT" '^00001079 +damaged'
    fi
    cp "$T/good" "$F"
}

# A byte in the magic, in the header; in the public area, in the private
# area, in the final checksum.
for off in 0 20; do
    flip "$off"
    check_refused header
done
for off in $((SIZE / 2)) $((SIZE - 100)) $((SIZE - 1)); do
    flip "$off"
    cmp -s "$F" "$T/good" && fail "flip at $off did nothing"
    check_refused
done

# listed_broken REGEX: vsc list (and --json) shows the file as damaged with
# the sentence, although its header is intact: the listing compares the
# size the header and the area sections declare with the file's.
listed_broken() {
    expect 0 scm vsc list
    has "$OUT" "^00001079 +damaged .*$F: $1"
    expect 0 scm vsc list --json
    json_ok "$OUT"
    [ "$(json_get "$OUT" 'd[0]["uid"], sorted(d[0].keys())')" = "('00001079', ['error', 'uid'])" ] ||
        fail "vsc list --json does not report the damage"
    has "$OUT" "\"error\": \"$F: $1"
}

# Truncated and extended.
head -c $((SIZE - 10)) "$T/good" >"$F"
expect 4 scm vsc show 00001079
has "$ERR" "$F: the file is truncated \(expected $SIZE bytes, found $((SIZE - 10))\)"
listed_broken "the file is truncated \\(expected $SIZE bytes, found $((SIZE - 10))\\)"
check_refused
{ cat "$T/good"; printf 'X'; } >"$F"
listed_broken "the file has 1 byte too many \\(expected $SIZE bytes, found $((SIZE + 1))\\)"
check_refused
{ cat "$T/good"; printf 'XYZ'; } >"$F"
listed_broken "the file has 3 bytes too many"
check_refused
# Cut inside the area sections: only the first one's length is there.
H=$(od -An -tu4 --endian=big -j 12 -N4 "$T/good" | tr -d ' ')
head -c $((80 + H + 5)) "$T/good" >"$F"
listed_broken "the file is truncated \\(expected at least [0-9]+ bytes, found $((80 + H + 5))\\)"
check_refused
# An area section damaged: its id, a byte of its length.
cp "$T/good" "$F"
flip $((80 + H))
listed_broken "the area section at offset $((80 + H)) has id 255, expected 0 \\(public\\)"
check_refused
cp "$T/good" "$F"
flip $((80 + H + 4))
listed_broken "the (file (is truncated|has [0-9]+ bytes? too many)|public area is [0-9]+ bytes, less than)"
check_refused
: >"$F"
check_refused header

# The good copy still works after all that.
cp "$T/good" "$F"
expect 0 scm vsc verify 00001079 --password-fd 3 3<<<"$PW"
expect 0 scm get $C q --password-fd 3 3<<<"$PW"
[ "$(cat "$OUT")" = "private stuff" ] || fail "the restored copy"

# Damaged files can still be removed.
flip 0
expect 0 scm vsc rm 00001079 --yes
[ ! -e "$F" ] || fail "vsc rm left a damaged file"

echo "damage: ok"
