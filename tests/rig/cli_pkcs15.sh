#!/usr/bin/env bash
# cli_pkcs15: scmgr's PKCS#15 agent against a PKCS#15 layout written by
# OpenSC's own pkcs15-init on the rig's ISO 7816-4 card (rig_card_p15),
# compared with what pkcs15-tool reads. pkcs15-init stores two
# certificates and two data objects; scmgr lists and reads them (ls, get,
# --json) byte for byte as pkcs15-tool --read-certificate/--read-data-object
# and -D show them; backs them up into a VSC; adds a data object and a
# certificate (put) that pkcs15-tool reads back identically; restores the
# VSC onto a second fresh pkcs15-init card, where pkcs15-tool reads the same
# objects. Failures: a wrong PIN with tries left (a PIN entered in the AODF
# by hand: vicc holds the PIN, pkcs15-init cannot set one there), an object
# too large, a key that is never copied, and the card pulled out at every
# APDU of a restore (the card stays readable by pkcs15-tool, every object
# old or new, the VSC untouched).
set -euo pipefail
# shellcheck source=../cli/lib.sh
. "$(dirname "$0")/../cli/lib.sh"
# shellcheck source=rig.sh
. "${SCMGR_RIG:?SCMGR_RIG must point to tests/rig/rig.sh}"
rig_require
rig_require_tools opensc-tool pkcs15-init pkcs15-tool opensc-explorer openssl timeout
STEP_TIMEOUT=60 # expect's deadline (../cli/lib.sh)
SCM=("$SCMGR_BIN" --store "$SCMGR_STORE")
der() { openssl x509 -in "$1" -outform DER -out "$2"; }
PW=p15-backup-password-1

rig_up
R0=$RIG_READER_0
R1=$RIG_READER_1
RIG_CARD_KEEP=1 rig_card_p15 0 "scmgr lab"

# ---- what pkcs15-init stores (as p15_clients.sh) ------------------------------------
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/k1.pem" -out "$T/c1.pem" \
    -subj "/CN=scmgr p15 one" -days 30 2>/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/k2.pem" \
    -out "$T/c2.pem" -subj "/CN=scmgr p15 two" -days 30 2>/dev/null
der "$T/c1.pem" "$T/c1.der"
der "$T/c2.pem" "$T/c2.der"
printf 'scmgr data object bytes' >"$T/d1.bin"
head -c 200 /dev/urandom >"$T/d2.bin"
p15init() { expect 0 pkcs15-init -r 0 "$@"; }
p15init --store-certificate "$T/c1.pem" --id 45 --label "lab cert"
p15init --store-data "$T/d1.bin" --label "lab data" --application-name scmgr
p15init --store-certificate "$T/c2.pem" --id 46 --label "second cert"
p15init --store-data "$T/d2.bin" --label "oid data" --application-name scmgr \
    --application-id 1.3.6.1.4.1.99999.1

# explore I CMD...: opensc-explorer on slot I, in DF 5015; any error fails.
explore() {
    local i=$1
    shift
    printf '%s\n' "cd 5015" "$@" >"$T/explore"
    expect 0 opensc-explorer -r "$i" <"$T/explore"
    lacks "$OUT" "rror|Unable|nvalid"
}
# end_of I FID: where the entries of DF 5015's EF FID end (the padding
# starts), from its bytes as opensc-explorer gets them.
end_of() {
    explore "$1" "get $2 $T/ef-$2"
    python3 - "$T/ef-$2" <<'PY'
import sys
b = open(sys.argv[1], "rb").read()
i = 0
while i < len(b) and b[i] not in (0, 0xFF):
    n = b[i + 1]
    if n & 0x80:
        k = n & 0x7F
        n = int.from_bytes(b[i + 2:i + 2 + k], "big")
        i += 2 + k + n
    else:
        i += 2 + n
print(i)
PY
}

# ---- a private key, entered by hand -------------------------------------------------
# isoApplet's key import and generation are IsoApplet's own APDUs (notes,
# cards-in-the-wild §4.1): pkcs15-init cannot put a key on this card. A
# PrKDF (4402, as pkcs15-init names it) with one RSA key entry for the
# certificate 45, entered in the ODF, is what a card with a key lists.
# 30 { 30 { 0C "lab key" }, 30 { 04 45, 03 usage sign, 03 access
# sensitive|neverExtractable, 02 keyRef 1 }, A1 { 30 { 30 { 04 3F005015 },
# 02 2048 } } }
prkdf=302B30090C076C6162206B6579300E0401450302052003020490020101A10E300C300604043F00501502020800
odf_end=$(end_of 0 5031)
explore 0 "create 4402 256" "update_binary 4402 0 $prkdf" \
    "update_binary 5031 $odf_end A00A300804063F0050154402"
expect 0 pkcs15-tool -r 0 --list-keys
has "$OUT" "Private RSA Key \[lab key\]"
has "$OUT" "ID +: 45"

# ---- what scmgr sees: what pkcs15-tool -D shows ---------------------------------------
expect 0 "${SCM[@]}" readers
has "$OUT" "^0 +card +pkcs15 +0000 +scmgr lab +$R0$"
expect 0 "${SCM[@]}" readers --json
has "$OUT" '"agent": "pkcs15"'
expect 0 "${SCM[@]}" ls 0
for l in 'public +certificate .* 3F0050153400 +lab cert$' 'public +certificate .* 3F0050153401 +second cert$' \
    'public +data +23 +3F0050153200 +lab data$' 'public +data +200 +3F0050153201 +oid data$' \
    'secret +private-key .* lab key$'; do
    has "$OUT" "$l"
done
has "$OUT" "certificate +$(stat -c %s "$T/c1.der") +3F0050153400 +lab cert$"
expect 0 pkcs15-tool -r 0 -D
cp "$OUT" "$T/dump0"
expect 0 "${SCM[@]}" ls 0 --json
json_ok "$OUT"
cp "$OUT" "$T/ls0.json"
# Every certificate and data object pkcs15-tool -D shows, with its path,
# is one scmgr lists with that path and type; and no other.
python3 - "$T/dump0" "$T/ls0.json" <<'PY' || fail "scmgr's listing and pkcs15-tool -D disagree"
import json, re, sys
dump = open(sys.argv[1]).read()
want = set()
for kind, label, body in re.findall(r"^(X\.509 Certificate|Data object) \[?'?([^\]'\n]*)'?\]?\n((?:\t.*\n)*)", dump, re.M):
    path = re.search(r"Path *: *([0-9a-f]+)", body).group(1).upper()
    want.add(("certificate" if kind.startswith("X.509") else "data", label, path))
got = {(o["type"], o["label"], o["path"]) for o in json.load(open(sys.argv[2]))["objects"]
       if o["type"] in ("certificate", "data")}
assert want == got and len(want) == 4, (want, got)
keys = [o for o in json.load(open(sys.argv[2]))["objects"] if o["type"] == "private-key"]
assert len(keys) == 1 and keys[0]["label"] == "lab key" and keys[0]["sealed"], keys
PY
# The bytes: what pkcs15-tool reads, and what pkcs15-init was given.
get() { expect 0 "${SCM[@]}" get "$@"; }
for pair in "45:c1:lab cert" "46:c2:second cert"; do
    IFS=: read -r id name label <<<"$pair"
    get 0 "$label" -o "$T/scm-$name"
    expect 0 pkcs15-tool -r 0 --read-certificate "$id"
    cp "$OUT" "$T/p15-$name.pem"
    der "$T/p15-$name.pem" "$T/p15-$name"
    same "$T/scm-$name" "$T/p15-$name"
    same "$T/scm-$name" "$T/$name.der"
done
get 0 "lab data" -o "$T/scm-d1"
expect 0 pkcs15-tool -r 0 --read-data-object "lab data" --output "$T/p15-d1"
same "$T/scm-d1" "$T/p15-d1"
same "$T/scm-d1" "$T/d1.bin"
get 0 "oid data" -o "$T/scm-d2"
expect 0 pkcs15-tool -r 0 --read-data-object 1.3.6.1.4.1.99999.1 --output "$T/p15-d2"
same "$T/scm-d2" "$T/p15-d2"
same "$T/scm-d2" "$T/d2.bin"
# The key is listed, never read.
expect 1 "${SCM[@]}" get 0 "lab key" -o "$T/no"
has "$ERR" "cannot be copied: the card never releases private keys"
[ ! -e "$T/no" ] || fail "a key written out"
echo "cli_pkcs15: scmgr reads what pkcs15-tool reads"

# ---- backup ------------------------------------------------------------------------------
expect 0 "${SCM[@]}" --log "$T/trace" --log-level trace backup 0 --password-fd 4 4<<<"$PW"$'\n'"$PW"
has "$OUT" "Created vsc:0000"
for l in 'copied +public .* lab cert$' 'copied +public .* second cert$' 'copied +public .* lab data$' \
    'copied +public .* oid data$' \
    'skipped +secret .* lab key +\(Cannot be copied: the card never releases private keys\.\)'; do
    has "$OUT" "$l"
done
has "$OUT" '^4 copied'
# APDUs: scmgr's backup (the other agents' probes included) against
# pkcs15-tool reading the same certificates and data objects (issue 8 §6).
a_scm=$(grep -c 'trace apdu > ' "$T/trace")
a_p15=0
for args in "--read-certificate 45" "--read-certificate 46" "--list-data-objects"; do
    # shellcheck disable=SC2086 # the words are the command's
    expect 0 env OPENSC_DEBUG=9 pkcs15-tool -r 0 $args
    a_p15=$((a_p15 + $(grep -c 'Outgoing APDU' "$ERR")))
done
echo "cli_pkcs15: APDUs of scmgr backup $a_scm, of pkcs15-tool reading the same $a_p15"
if [ "$a_scm" -eq 0 ] || [ "$a_scm" -gt "$a_p15" ]; then fail "scmgr's backup took $a_scm APDUs"; fi
expect 0 "${SCM[@]}" vsc verify 0000 --password-fd 3 3<<<"$PW"
expect 0 "${SCM[@]}" ls vsc:0000 --password-fd 3 3<<<"$PW"
lacks "$OUT" 'private-key'
has "$OUT" 'certificate .* lab cert$'
cp "$SCMGR_STORE/0000.vsc" "$T/vsc.before"

# ---- scmgr writes: pkcs15-tool reads -------------------------------------------------------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes -keyout "$T/k3.pem" \
    -out "$T/c3.pem" -subj "/CN=scmgr p15 three" -days 30 2>/dev/null
der "$T/c3.pem" "$T/c3.der"
printf 'written by scmgr put' >"$T/d3.bin"
expect 0 "${SCM[@]}" put 0 "scmgr data" "$T/d3.bin"
expect 0 "${SCM[@]}" put 0 "scmgr cert" "$T/c3.der" --type certificate
expect 0 pkcs15-tool -r 0 --read-data-object "scmgr data" --output "$T/back-d3"
same "$T/back-d3" "$T/d3.bin"
expect 0 pkcs15-tool -r 0 --list-certificates
id3=$(awk '/^X.509 Certificate \[scmgr cert\]/ { f = 1 } f && /ID/ { print $3; exit }' "$OUT")
# A certificate given without an ID gets the SHA-1 of its public key
# (SubjectPublicKeyInfo) as its ID, as PKCS#11 applications expect it.
[ "$id3" = "$(openssl x509 -in "$T/c3.pem" -noout -pubkey | openssl pkey -pubin -outform DER |
    sha1sum | cut -c1-40)" ] || fail "the new certificate's ID: '$id3'"
expect 0 pkcs15-tool -r 0 --read-certificate "$id3"
der "$OUT" "$T/back-c3"
same "$T/back-c3" "$T/c3.der"
expect 0 pkcs15-tool -r 0 -D
[ "$(grep -c '^X.509 Certificate' "$OUT")" = 3 ] || fail "three certificates"
[ "$(grep -c '^Data object' "$OUT")" = 3 ] || fail "three data objects"
has "$OUT" "Private RSA Key \[lab key\]"
# pkcs15-init's objects are as they were.
expect 0 pkcs15-tool -r 0 --read-data-object "lab data" --output "$T/again-d1"
same "$T/again-d1" "$T/d1.bin"
expect 0 pkcs15-tool -r 0 --read-certificate 46
der "$OUT" "$T/again-c2"
same "$T/again-c2" "$T/c2.der"
# Once there, not again; --replace points the entry at a new file.
expect 1 "${SCM[@]}" put 0 "scmgr data" "$T/d3.bin"
has "$ERR" "already"
printf 'replaced by scmgr' >"$T/d4.bin"
expect 0 "${SCM[@]}" put 0 "scmgr data" "$T/d4.bin" --replace
expect 0 pkcs15-tool -r 0 --read-data-object "scmgr data" --output "$T/back-d4"
same "$T/back-d4" "$T/d4.bin"
expect 0 pkcs15-tool -r 0 --list-data-objects
[ "$(grep -c '^Data object' "$OUT")" = 3 ] || fail "a replace added an object"
# rm: gone for pkcs15-tool, the others stay.
expect 0 "${SCM[@]}" rm 0 "scmgr data"
expect 0 pkcs15-tool -r 0 --list-data-objects
[ "$(grep -c '^Data object' "$OUT")" = 2 ] || fail "rm left the object"
expect 0 pkcs15-tool -r 0 --read-data-object "oid data" --output "$T/again-d2"
same "$T/again-d2" "$T/d2.bin"
# Too large for any EF of this card (15-bit offsets): refused before a byte is written.
head -c 40000 /dev/urandom >"$T/big"
expect 0 pkcs15-tool -r 0 -D
cp "$OUT" "$T/dump-before-big"
expect 1 "${SCM[@]}" put 0 "big data" "$T/big"
has "$ERR" "no room for 'big data' \(40000 bytes\): a file takes at most 32767"
expect 0 pkcs15-tool -r 0 -D
same "$OUT" "$T/dump-before-big"
echo "cli_pkcs15: scmgr's writes read back through pkcs15-tool"

# ---- restore onto a second pkcs15-init card ------------------------------------------------
# check_restored I: pkcs15-tool reads the backed-up objects from card I.
check_restored() {
    expect 0 pkcs15-tool -r "$1" --read-certificate 45
    der "$OUT" "$T/r-c1"
    same "$T/r-c1" "$T/c1.der"
    expect 0 pkcs15-tool -r "$1" --read-certificate 46
    der "$OUT" "$T/r-c2"
    same "$T/r-c2" "$T/c2.der"
    expect 0 pkcs15-tool -r "$1" --read-data-object "lab data" --output "$T/r-d1"
    same "$T/r-d1" "$T/d1.bin"
    expect 0 pkcs15-tool -r "$1" --read-data-object 1.3.6.1.4.1.99999.1 --output "$T/r-d2"
    same "$T/r-d2" "$T/d2.bin"
    expect 0 pkcs15-tool -r "$1" --list-data-objects
    [ "$(grep -c "applicationName: scmgr" "$OUT")" = 2 ] || fail "application names on card $1"
}
RIG_CARD_KEEP=1 rig_card_p15 1 "fresh"
rig_card_kill 1
cp "$RIG_DIR/card1.iso7816.state" "$T/fresh.state"
RIG_CARD_KEEP=1 rig_card_start 1
expect 0 "${SCM[@]}" restore 0000 1 --dry-run --password-fd 4 4<<<"$PW"
has "$OUT" 'write +public .* lab cert +-> 3F0050153400$'
has "$OUT" 'write +public .* oid data +-> 3F0050153201$'
expect 0 "${SCM[@]}" restore 0000 1 --password-fd 4 4<<<"$PW"
has "$OUT" '^4 copied'
same "$SCMGR_STORE/0000.vsc" "$T/vsc.before"
check_restored 1
expect 0 pkcs15-tool -r 1 -D
[ "$(grep -c '^X.509 Certificate' "$OUT")" = 2 ] || fail "two certificates restored"
has "$OUT" "applicationOID:  1.3.6.1.4.1.99999.1"
expect 0 "${SCM[@]}" restore 0000 1 --password-fd 4 4<<<"$PW"
has "$OUT" '^0 copied'
echo "cli_pkcs15: restored onto a fresh pkcs15-init card, pkcs15-tool reads the same objects"

# ---- the card pulled out at every APDU of a restore ------------------------------------------
# Each time the card comes back as it was when pulled (RIG_CARD_KEEP), and
# pkcs15-tool reads it: every object it lists is the one backed up.
check_pulled() {
    local id label
    expect 0 pkcs15-tool -r 1 --list-certificates
    cp "$OUT" "$T/pl-certs"
    expect 0 pkcs15-tool -r 1 --list-data-objects
    cp "$OUT" "$T/pl-data"
    for id in $(awk '/ID/ { print $3 }' "$T/pl-certs"); do
        expect 0 pkcs15-tool -r 1 --read-certificate "$id"
        der "$OUT" "$T/pl-c"
        case $id in 45) same "$T/pl-c" "$T/c1.der" ;; 46) same "$T/pl-c" "$T/c2.der" ;;
        *) fail "a certificate $id after the pull at $n" ;; esac
    done
    grep -q "lab data" "$T/pl-data" && {
        expect 0 pkcs15-tool -r 1 --read-data-object "lab data" --output "$T/pl-d"
        same "$T/pl-d" "$T/d1.bin"
    }
    grep -q "oid data" "$T/pl-data" && {
        expect 0 pkcs15-tool -r 1 --read-data-object "oid data" --output "$T/pl-d"
        same "$T/pl-d" "$T/d2.bin"
    }
    return 0
}
n=1
while :; do
    rig_card_kill 1
    cp "$T/fresh.state" "$RIG_DIR/card1.iso7816.state"
    RIG_CARD_KEEP=1 rig_card_start 1
    rig_card_fuse 1 "$n"
    rc=0
    timeout "$STEP_TIMEOUT" "${SCM[@]}" restore 0000 1 --password-fd 4 4<<<"$PW" >"$OUT" 2>"$ERR" ||
        rc=$?
    [ "$rc" != 124 ] || fail "restore hung with the card pulled at APDU $n"
    if ! rig_card_blown 1; then
        rig_card_alive 1 || fail "the card left without its fuse at APDU $n"
        [ "$rc" = 0 ] || fail "restore failed ($rc) with the card in place (fuse $n unused)"
        break
    fi
    rig_wait empty "$R1" 5000 || fail "slot 1 not empty after the pull at $n"
    [ "$rc" = 0 ] || has "$ERR" 'removed|taken out|went away|no card|No card'
    RIG_CARD_KEEP=1 rig_card_start 1
    check_pulled
    same "$SCMGR_STORE/0000.vsc" "$T/vsc.before"
    n=$((n + 1))
    [ "$n" -le 250 ] || fail "the restore takes more than 250 APDUs"
done
# The fuse the last restore did not reach goes with a restart (the state stays).
rig_card_kill 1
RIG_CARD_KEEP=1 rig_card_start 1
check_restored 1
echo "cli_pkcs15: restore interrupted at each of APDUs 1..$((n - 1)), card readable, VSC intact"

# ---- a PIN: a wrong one with tries left ----------------------------------------------------------
# pkcs15-init cannot set a PIN on this card (notes §4.1), but the card has
# one (vicc's 1234, 3 tries): a PIN object entered in the AODF by hand is
# what a PIN-protected layout lists. 30 { 30 { 0C "User PIN", 03 flags
# private|modifiable }, 30 { 04 authId 01 }, A1 { 30 { 03 pinFlags
# case-sensitive|initialized, 0A ascii-numeric, 02 min 4, 02 stored 8,
# 02 max 8, 80 ref 01, 04 pad 00, 30 { 04 3F005015 } } } }
aodf=3037300E0C08557365722050494E030206C03003040101A120301E030203880A0101020104020108020108800101040100300604043F005015
explore 0 "update_binary 4401 0 $aodf"
expect 0 pkcs15-tool -r 0 --list-pins
has "$OUT" "PIN \[User PIN\]"
expect 3 "${SCM[@]}" ls 0 --pin-fd 3 3<<<"9999"
has "$ERR" "Wrong PIN for the card in '$R0': 2 tries left\."
# Writing now needs the PIN: without it, asked for (no terminal here).
expect 2 "${SCM[@]}" put 0 "pin data" "$T/d3.bin"
has "$ERR" "No terminal to ask for the PIN: use --password-fd, --pin-fd or --admin-fd\."
expect 0 "${SCM[@]}" put 0 "pin data" "$T/d3.bin" --pin-fd 3 3<<<"1234"
expect 0 pkcs15-tool -r 0 --read-data-object "pin data" --output "$T/back-pin"
same "$T/back-pin" "$T/d3.bin"

rig_card_alive 0 || fail "the card in slot 0 died"
! grep -q Traceback "$RIG_DIR"/card*.log || fail "the emulator raised: $(grep -h -A5 Traceback "$RIG_DIR"/card*.log)"
echo "cli_pkcs15: OK"
