#!/usr/bin/env bash
# scmgr's real-card commands through the real stack: a private pcscd, the
# vpcd reader driver and two emulated ISO 7816-4 cards (tests/rig). The
# patent's method end to end: initialise a card, fill it, back it up into
# a VSC, restore the VSC onto a second fresh card, copy card to card; and
# the failures: wrong and blocked PINs, a card pulled out mid-backup and
# mid-restore, pcscd going away and coming back.
set -euo pipefail
# shellcheck source=../cli/lib.sh
. "$(dirname "$0")/../cli/lib.sh"
# shellcheck source=rig.sh
. "${SCMGR_RIG:?SCMGR_RIG must point to tests/rig/rig.sh}"
rig_require

PIN=1234 # the emulated card's PIN
rig_up
rig_card_start 0
rig_card_start 1

# objects CARD [SECRET-OPTION...]: "label type area size" lines, sorted.
objects() {
    expect 0 scm ls "$@" --json
    json_get "$OUT" '"\n".join(sorted("%s|%s|%s|%d" % (o["label"], o["type"], o["area"], o["size"]) for o in d["objects"]))'
}

# ---- readers, blank cards, card init ------------------------------------------
expect 0 scm readers --json
json_ok "$OUT"
[ "$(json_get "$OUT" 'len(d["readers"])')" = 2 ] || fail "two readers"
[ "$(json_get "$OUT" 'd["readers"][0]["name"]')" = "$RIG_READER_0" ] || fail "reader 0 name"
[ "$(json_get "$OUT" 'd["readers"][1]["state"]')" = card ] || fail "reader 1 state"
[ "$(json_get "$OUT" 'd["readers"][0]["agent"]')" = "" ] || fail "a blank card has no agent"
expect 0 scm readers
has "$OUT" "$RIG_READER_1"

# A blank card is not an error to crash on: one sentence, with the way out.
expect 1 scm ls 0
has "$ERR" "scmgr card init"
one_error_line
# Readers by unknown, ambiguous or out-of-range names.
expect 5 scm ls "no such reader"
one_error_line
expect 2 scm ls "Virtual PCD"
has "$ERR" "matches 2 readers"
expect 5 scm ls 7

expect 0 scm card init 0 --label "Mike's card" --serial 00001079 --pin-fd 3 3<<<"$PIN"
expect 0 scm readers --json
[ "$(json_get "$OUT" 'd["readers"][0]["agent"]')" = iso7816-scm ] || fail "agent after init"
[ "$(json_get "$OUT" 'd["readers"][0]["serial"]')" = 00001079 ] || fail "serial after init"
[ "$(json_get "$OUT" 'd["readers"][0]["label"]')" = "Mike's card" ] || fail "label after init"

# ---- objects on the card ---------------------------------------------------------
printf 'BEGIN:VCARD\nFN:Mike\nEND:VCARD\n' >"$T/bc"
head -c 3000 /dev/urandom >"$T/cert"
printf 'Please read me.\n' >"$T/note"
head -c 700 /dev/urandom >"$T/priv"
printf 'user=mike\npass=hunter2\n' >"$T/login"

expect 0 scm put 0 "Mike's card" "$T/bc" --type business-card --pin-fd 3 3<<<"$PIN"
expect 0 scm put 0 Certificate "$T/cert" --type certificate --pin-fd 3 3<<<"$PIN"
expect 0 scm put "PCD 00 00" "Please read" "$T/note" --type note --pin-fd 3 3<<<"$PIN"
expect 0 scm put 0 "Private Info" "$T/priv" --area private --pin-fd 3 3<<<"$PIN"
expect 0 scm put 0 Login-Object "$T/login" --area private --type login --pin-fd 3 3<<<"$PIN"
# Any change without a PIN and without a terminal: asked for, not skipped.
expect 2 scm put 0 more "$T/priv" --area private
has "$ERR" "pin-fd"
expect 2 scm put 0 more "$T/note"
has "$ERR" "pin-fd"
expect 2 scm rm 0 Certificate
# A VSC option on a real card is a mistake worth saying.
expect 2 scm ls 0 --password-fd 3 3<<<"$PW"
has "$ERR" "takes --pin-fd"

expect 0 scm get 0 Certificate -o "$T/cert.out"
cmp "$T/cert" "$T/cert.out" || fail "certificate round trip"
expect 0 scm get 0 "Private Info" --pin-fd 3 3<<<"$PIN"
cmp "$T/priv" "$OUT" || fail "private round trip"

# Locked: the public area and counts; the PIN shows the rest.
expect 0 scm ls 0 --json
[ "$(json_get "$OUT" 'd["locked"]')" = True ] || fail "locked without PIN"
[ "$(json_get "$OUT" 'len(d["objects"])')" = 3 ] || fail "public objects"
[ "$(json_get "$OUT" 'd["counts"]["private"]')" = 2 ] || fail "private count"
# A real card's objects come from the card itself: never marked "not verified".
[ "$(json_get "$OUT" 'all(o["verified"] is True for o in d["objects"])')" = True ] ||
    fail "a real card's public objects are not verified"
expect 0 scm ls 0
lacks "$OUT" '^\?'
expect 0 scm get 0 "Please read" --require-verified
cmp "$T/note" "$OUT" || fail "get --require-verified of a real card's public object"
[ ! -s "$ERR" ] || fail "get of a real card's object says it is not verified"
card0=$(objects 0 --pin-fd 3 3<<<"$PIN")
[ "$(wc -l <<<"$card0")" = 5 ] || fail "five objects with the PIN: $card0"

# A wrong PIN: exit 3, the tries left, and nothing else happens.
expect 3 scm ls 0 --pin-fd 3 3<<<"9999"
has "$ERR" "2 tries left"
one_error_line
expect 0 scm ls 0 --pin-fd 3 3<<<"$PIN" # a good PIN resets the counter

# ---- backup: card -> VSC ----------------------------------------------------------
expect 0 scm backup 0 --pin-fd 3 3<<<"$PIN" --password-fd 4 4<<<"$PW"
has "$OUT" "Created vsc:00001079"
has "$OUT" "5 copied, 0 skipped, 0 failed, 0 not copied"
expect 0 scm vsc show 00001079 --json
[ "$(json_get "$OUT" 'd["label"]')" = "VSC 00001079" ] || fail "VSC label"
[ "$(json_get "$OUT" 'd["source"]["reader"]')" = "$RIG_READER_0" ] || fail "VSC source reader"
[ "$(json_get "$OUT" 'd["source"]["agent"]')" = iso7816-scm ] || fail "VSC source agent"
vsc=$(objects vsc:00001079 --password-fd 3 3<<<"$PW")
[ "$vsc" = "$card0" ] || fail "VSC differs from the card: $vsc"
# The logical structure came along: every object has its path on the card.
expect 0 scm ls vsc:00001079 --json --password-fd 3 3<<<"$PW"
[ "$(json_get "$OUT" 'all(o["path"] for o in d["objects"])')" = True ] || fail "paths"
# Nothing private in the clear in the VSC file.
! grep -q "hunter2" "$SCMGR_STORE/00001079.vsc" || fail "login data in the clear"

# A second backup into the existing VSC asks for its password, not a new one.
expect 3 scm backup 0 --pin-fd 3 3<<<"$PIN" --password-fd 4 4<<<"wrong-password"
expect 0 scm backup 0 --pin-fd 3 3<<<"$PIN" --password-fd 4 4<<<"$PW"
has "$OUT" "5 copied"

# ---- restore: VSC -> a second, fresh card -------------------------------------------
expect 0 scm card init 1 --pin-fd 3 3<<<"$PIN"
expect 0 scm restore 00001079 1 --pin-fd 3 3<<<"$PIN" --password-fd 4 4<<<"$PW"
has "$OUT" "5 copied"
card1=$(objects 1 --pin-fd 3 3<<<"$PIN")
[ "$card1" = "$card0" ] || fail "restored card differs: $card1"
expect 0 scm get 1 Login-Object --pin-fd 3 3<<<"$PIN"
cmp "$T/login" "$OUT" || fail "restored bytes"
expect 0 scm get 1 Certificate
cmp "$T/cert" "$OUT" || fail "restored certificate"

# ---- card to card -------------------------------------------------------------------
expect 0 scm rm 1 "Please read" --pin-fd 3 3<<<"$PIN"
expect 0 scm copy 0 1 "Please read" --pin-fd 3 3<<<"$PIN" --dst-pin-fd 4 4<<<"$PIN"
has "$OUT" "1 copied"
expect 0 scm get 1 "Please read"
cmp "$T/note" "$OUT" || fail "card-to-card copy"
expect 5 scm copy 0 1 "no such label" --pin-fd 3 3<<<"$PIN" --dst-pin-fd 4 4<<<"$PIN"

# ---- labels the destination has already: never overwritten silently ---------------
# Card 1 holds the restored objects; one of them gets other bytes. Without
# a terminal and without --replace, restore and copy refuse with a sentence
# naming the labels, and write nothing.
printf 'changed on card 1' >"$T/changed"
expect 0 scm put 1 "Please read" "$T/changed" --replace --pin-fd 3 3<<<"$PIN"
# The card by its own name, not the "1" that was typed.
has "$OUT" "^Stored 'Please read' \(17 bytes\) in the public area of $RIG_READER_1\.$"
# A locked real card wants its PIN, not a password.
expect 0 scm ls 1
has "$OUT" "^Locked: 2 private objects and 0 secret keys not shown \(give the PIN\)\.$"
expect 1 scm restore 00001079 1 --pin-fd 3 3<<<"$PIN" --password-fd 4 4<<<"$PW" </dev/null
# Only the changed one is a conflict: the others are there with the same
# bytes, which needs no question (and no write).
has "$ERR" "already has an object labelled 'Please read'"
lacks "$ERR" "Login-Object"
has "$ERR" "nothing was written"
has "$ERR" "Give --replace to overwrite them"
one_error_line
has "$OUT" "0 copied"
expect 0 scm get 1 "Please read"
cmp "$T/changed" "$OUT" || fail "a refused restore overwrote an object"
expect 1 scm copy 0 1 "Please read" --pin-fd 3 3<<<"$PIN" --dst-pin-fd 4 4<<<"$PIN" </dev/null
has "$ERR" "already has an object labelled 'Please read': nothing was written"
has "$ERR" "--replace"
expect 0 scm get 1 "Please read"
cmp "$T/changed" "$OUT" || fail "a refused copy overwrote an object"
# --replace overwrites them, as before.
expect 0 scm copy 0 1 "Please read" --replace --pin-fd 3 3<<<"$PIN" --dst-pin-fd 4 4<<<"$PIN"
has "$OUT" "1 copied"
expect 0 scm get 1 "Please read"
cmp "$T/note" "$OUT" || fail "copy --replace"
expect 0 scm restore 00001079 1 --replace --pin-fd 3 3<<<"$PIN" --password-fd 4 4<<<"$PW"
has "$OUT" "5 copied"
[ "$(objects 1 --pin-fd 3 3<<<"$PIN")" = "$card0" ] || fail "restore --replace differs"

# ---- a first backup that fails leaves no VSC behind ---------------------------------
# The card is pulled out while it is read, after the new VSC was made.
rig_card_fuse 1 20
expect 1 scm backup 1 --to 00009999 --pin-fd 3 3<<<"$PIN" --password-fd 4 4<<<"$PW"
has "$OUT" "Created vsc:00009999"
has "$OUT" "Removed vsc:00009999 again"
[ ! -e "$SCMGR_STORE/00009999.vsc" ] || fail "a failed first backup left a VSC in the store"
[ -z "$(cd "$SCMGR_STORE" && ls -A | grep 00009999)" ] || fail "a failed first backup left files"
expect 5 scm vsc show 00009999
rig_card_kill 1
rig_card_start 1

# ---- one reader, cards swapped in turn: copy 0 0 ----------------------------------
# scmgr reads card 0 into memory, asks for the swap, waits for the card to
# leave and a blank one to arrive, lays it out (--init) and writes.
scm copy 0 0 --init --pin-fd 3 --dst-pin-fd 4 3<<<"$PIN" 4<<<"$PIN" >"$T/swap.out" 2>"$T/swap.err" &
swap_pid=$!
for _ in $(seq 1 200); do
    grep -q "insert the destination card" "$T/swap.out" 2>/dev/null && break
    kill -0 $swap_pid 2>/dev/null || break
    sleep 0.05
done
grep -q "insert the destination card" "$T/swap.out" || { cat "$T/swap.out" "$T/swap.err" >&2; fail "no swap prompt"; }
rig_card_kill 0
rig_card_start 0
rc=0
wait $swap_pid || rc=$?
[ $rc = 0 ] || { cat "$T/swap.out" "$T/swap.err" >&2; fail "copy 0 0 exited $rc"; }
grep -q "5 copied" "$T/swap.out" || fail "swap copy report"
[ "$(objects 0 --pin-fd 3 3<<<"$PIN")" = "$card0" ] || fail "swapped card differs"

# ---- a card pulled out mid-backup: the VSC stays as it was --------------------------
before=$(sha256sum <"$SCMGR_STORE/00001079.vsc")
rig_card_fuse 0 20
expect 1 scm backup 0 --pin-fd 3 3<<<"$PIN" --password-fd 4 4<<<"$PW"
has "$ERR" "removed|answer|ommunication"
has "$OUT" "not copied|FAILED"
[ "$(sha256sum <"$SCMGR_STORE/00001079.vsc")" = "$before" ] || fail "VSC changed by a failed backup"
expect 0 scm vsc verify 00001079 --password-fd 3 3<<<"$PW"

# ---- a card pulled out mid-restore: the report says what was written ---------------
rig_card_kill 0
rig_card_start 0
expect 0 scm card init 0 --pin-fd 3 3<<<"$PIN"
rig_card_fuse 0 25
expect 1 scm restore 00001079 0 --pin-fd 3 3<<<"$PIN" --password-fd 4 4<<<"$PW"
has "$OUT" "copied|FAILED"
has "$OUT" "FAILED|not copied"
[ "$(sha256sum <"$SCMGR_STORE/00001079.vsc")" = "$before" ] || fail "VSC changed by a restore"

# ---- restore onto a blank card: refused without --init, laid out with it ----------
rig_card_kill 1
rig_card_start 1
expect 1 scm restore 00001079 1 --pin-fd 3 3<<<"$PIN" --password-fd 4 4<<<"$PW"
has "$ERR" "card init"
expect 0 scm restore 00001079 1 --init --pin-fd 3 3<<<"$PIN" --password-fd 4 4<<<"$PW"
has "$OUT" "Initialised the blank card"
has "$OUT" "5 copied"
[ "$(objects 1 --pin-fd 3 3<<<"$PIN")" = "$card0" ] || fail "restore --init differs"
expect 0 scm readers --json
[ "$(json_get "$OUT" 'd["readers"][1]["serial"]')" = 00001079 ] || fail "serial of the new card"
[ "$(json_get "$OUT" 'd["readers"][1]["label"]')" = "Mike's card" ] || fail "label of the new card"

# ---- PIN tries: the last one needs confirmation, a blocked PIN stays blocked -------
expect 3 scm ls 1 --pin-fd 3 3<<<"0000"
has "$ERR" "2 tries left"
expect 3 scm ls 1 --pin-fd 3 3<<<"0000"
has "$ERR" "1 try left"
expect 3 scm ls 1 --pin-fd 3 3<<<"$PIN"
has "$ERR" "force-last-try"
expect 3 scm ls 1 --pin-fd 3 3<<<"0000" --force-last-try
has "$ERR" "blocked"
expect 3 scm ls 1 --pin-fd 3 3<<<"$PIN" --force-last-try
has "$ERR" "blocked"

# ---- pcscd goes away and comes back ---------------------------------------------------
rig_pcscd_kill
expect 1 scm readers
has "$ERR" "PC/SC service"
one_error_line
rig_pcscd_start
expect 0 scm readers --json
[ "$(json_get "$OUT" 'len(d["readers"])')" = 2 ] || fail "readers after pcscd restart"

echo "cli_cards: ok"
