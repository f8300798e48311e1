# scmgr vsc ...: the life cycle of a virtual smart card.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# new: "VSC <UID>" by default, 0600 in a 0700 store.
expect 0 scm vsc new 00001079 --password-fd 3 3<<<"$PW"
has "$OUT" 'VSC 00001079'
F=$(vsc_file 00001079)
[ -f "$F" ] || fail "no $F"
[ "$(stat -c %a "$F")" = 600 ] || fail "$F is not 0600"
[ "$(stat -c %a "$SCMGR_STORE")" = 700 ] || fail "the store is not 0700"
# Neither the password nor anything derived in the clear is in the file.
[ "$(grep -c -a -- "$PW" "$F" || true)" = 0 ] || fail "the password is in the file"

# A second one with a label; the same UID again is refused.
new_vsc 00001080 --label "Büro-Karte"
has "$OUT" 'Büro-Karte'
expect 1 scm vsc new 00001079 --password-fd 3 3<<<"$PW"
has "$ERR" 'already exists'
# The test policy wants passwords of 4+ bytes.
expect 2 scm vsc new 00001081 --password-fd 3 3<<<"abc"
[ ! -e "$(vsc_file 00001081)" ] || fail "a VSC with a short password was made"
# An empty --password-fd stream is a cancel, not an empty password.
expect 1 scm vsc new 00001081 --password-fd 3 3</dev/null
has "$ERR" 'No password on file descriptor 3'

# list: aligned human output and JSON.
expect 0 scm vsc list
has "$OUT" '^UID +STATE +GEN'
has "$OUT" '^00001079 +enabled +1 '
has "$OUT" 'Büro-Karte$'
expect 0 scm vsc list --json
json_ok "$OUT"
[ "$(json_get "$OUT" 'len(d)')" = 2 ] || fail "vsc list --json: not 2 entries"
[ "$(json_get "$OUT" 'd[0]["uid"], d[0]["label"], d[0]["state"], d[0]["generation"]')" = \
  "('00001079', 'VSC 00001079', 'enabled', 1)" ] || fail "vsc list --json: first entry"
json_get "$OUT" 'd[0]["objects"]["public"] + d[0]["objects"]["private"] + d[0]["objects"]["secret"]' | grep -qx 0 ||
    fail "vsc list --json: objects"
json_get "$OUT" 'd[0]["created"]' | grep -Eqx '[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z' ||
    fail "vsc list --json: created is not ISO 8601 UTC"

# show
expect 0 scm vsc show 00001079
has "$OUT" '^UID: +00001079$'
has "$OUT" '^State: +enabled$'
has "$OUT" '^KDF iterations: +1000$'
has "$OUT" "^File: +$F\$"
expect 0 scm vsc show 00001079 --json
json_ok "$OUT"
[ "$(json_get "$OUT" 'd["uid"], d["kdf_iterations"], d["verified"], d["file"] == "'"$F"'", sorted(d["source"])')" = \
  "('00001079', 1000, False, True, ['agent', 'atr', 'label', 'reader', 'serial'])" ] ||
    fail "vsc show --json"

# verify: by UID and by file; with the password, a wrong password is 3.
expect 0 scm vsc verify 00001079
has "$OUT" 'intact'
expect 0 scm vsc verify "$F" --password-fd 3 3<<<"$PW"
has "$OUT" 'every MAC'
cp "$F" "$T/before"
expect 3 scm vsc verify 00001079 --password-fd 3 3<<<"wrong-pw"
one_error_line
cmp -s "$F" "$T/before" || fail "verify changed the file"

# disable / enable: exit 6 while disabled, for reading and writing.
expect 3 scm vsc disable 00001079 --password-fd 3 3<<<"wrong-pw"
cmp -s "$F" "$T/before" || fail "a failed disable changed the file"
expect 0 scm vsc disable 00001079 --password-fd 3 3<<<"$PW"
expect 0 scm vsc show 00001079
has "$OUT" '^State: +disabled$'
expect 0 scm vsc list --json
[ "$(json_get "$OUT" 'd[0]["state"]')" = disabled ] || fail "list does not say disabled"
cp "$F" "$T/disabled"
echo data >"$T/data"
expect 6 scm put vsc:00001079 x "$T/data" --password-fd 3 3<<<"$PW"
one_error_line
expect 6 scm ls vsc:00001079 --password-fd 3 3<<<"$PW"
expect 6 scm vsc passwd 00001079 --password-fd 3 --new-password-fd 4 3<<<"$PW" 4<<<"new-pw-2"
cmp -s "$F" "$T/disabled" || fail "a refused write changed a disabled VSC"
expect 0 scm vsc disable 00001079 --password-fd 3 3<<<"$PW"
has "$OUT" 'already disabled'
expect 3 scm vsc enable 00001079 --password-fd 3 3<<<"wrong-pw"
cmp -s "$F" "$T/disabled" || fail "a failed enable changed the file"
expect 0 scm vsc enable 00001079 --password-fd 3 3<<<"$PW"
expect 0 scm vsc show 00001079
has "$OUT" '^State: +enabled$'
expect 0 scm put vsc:00001079 x "$T/data" --password-fd 3 3<<<"$PW"

# passwd: old and new on one descriptor, or on two.
expect 3 scm vsc passwd 00001079 --password-fd 3 --new-password-fd 4 3<<<"wrong-pw" 4<<<"new-pw-2"
expect 0 scm vsc passwd 00001079 --password-fd 3 --new-password-fd 4 3<<<"$PW" 4<<<"new-pw-2"
expect 3 scm ls vsc:00001079 --password-fd 3 3<<<"$PW"
expect 0 scm ls vsc:00001079 --password-fd 3 3<<<"new-pw-2"
printf 'new-pw-2\nthird-pw\n' >"$T/pws"
expect 0 scm vsc passwd 00001079 --password-fd 3 --new-password-fd 3 3<"$T/pws"
expect 0 scm get vsc:00001079 x --password-fd 3 3<<<"third-pw"
has "$OUT" '^data$'
[ "$(grep -c -a -e third-pw -e new-pw-2 "$F" || true)" = 0 ] || fail "a password is in the file"

# export / import: into another store, the copy is byte-identical and opens.
expect 0 scm vsc export 00001079 "$T/exported.vsc"
cmp -s "$F" "$T/exported.vsc" || fail "export is not a copy of the saved file"
[ "$(stat -c %a "$T/exported.vsc")" = 600 ] || fail "export is not 0600"
expect 1 scm vsc import "$T/exported.vsc"
has "$ERR" 'already exists|exists'
expect 0 scm --store "$T/store2" vsc import "$T/exported.vsc"
has "$OUT" '00001079'
expect 0 scm --store "$T/store2" get vsc:00001079 x --password-fd 3 3<<<"third-pw"
has "$OUT" '^data$'
printf 'not a VSC at all' >"$T/junk.vsc"
expect 4 scm --store "$T/store2" vsc import "$T/junk.vsc"
has "$ERR" "$T/junk.vsc"
expect 1 scm vsc export 00001079 "$T/no/such/dir/x.vsc"

# rm --yes removes the VSC (and its backup).
expect 0 scm vsc rm 00001080 --yes
[ ! -e "$(vsc_file 00001080)" ] || fail "vsc rm left the file"
[ ! -e "$(vsc_file 00001080).bak" ] || fail "vsc rm left the backup"
expect 5 scm vsc show 00001080
expect 0 scm vsc list --json
[ "$(json_get "$OUT" 'len(d)')" = 1 ] || fail "vsc list after rm"

echo "vsc: ok"
