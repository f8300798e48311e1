#!/usr/bin/env bash
# cli_piv: scmgr's PIV agent against the rig's PIV card, compared with what
# the independent clients read. A card personalised by yubico-piv-tool
# (CHUID, CCC, keys generated on the card, certificates made by openssl, a
# PIN-protected Printed Information, a retired certificate counted by Key
# History) is listed and read by scmgr and by yubico-piv-tool/pkcs15-tool
# (the same bytes), backed up into a VSC (the keys reported as never
# copied), and restored onto a blank PIV card with the card management key;
# the independent clients then read the same bytes from the restored card.
# Failures: no management key, a wrong one (nothing written), a wrong PIN
# with tries left, an object too large, an object a PIV card has no place
# for, and the card pulled out at every APDU of a restore (the card stays
# readable, every container old or new, never torn; the VSC untouched).
set -euo pipefail
# shellcheck source=rig.sh
. "${SCMGR_RIG:?SCMGR_RIG must point to tests/rig/rig.sh}"
rig_require

missing=""
for t in yubico-piv-tool pkcs15-tool openssl; do
    command -v "$t" >/dev/null 2>&1 || missing="$missing $t"
done
"$RIG_PY" -c 'import cryptography' 2>/dev/null || missing="$missing python3-cryptography"
if [ -n "$missing" ]; then
    [ "${CI:-}" = true ] && rig_die "missing:$missing (./dev.sh test installs them)"
    echo "SKIP: missing:$missing" >&2
    exit 77
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/scmgr-clipiv-XXXXXX")
trap 'rm -rf "$T"' EXIT
OUT=$T/out
ERR=$T/err
exec </dev/null
cat >"$T/opensc.conf" <<'EOF'
app default {
    framework pkcs15 { use_file_caching = no; }
}
EOF
export OPENSC_CONF=$T/opensc.conf HOME=$T/home
mkdir -p "$HOME"
export SCMGR_STORE=$T/store
STEP_TIMEOUT=60

fail() {
    echo "FAIL: $*" >&2
    echo "--- stdout:" >&2
    cat "$OUT" >&2 2>/dev/null || true
    echo "--- stderr:" >&2
    cat "$ERR" >&2 2>/dev/null || true
    rig_logs
    exit 1
}
expect() {
    local want=$1 rc=0
    shift
    timeout "$STEP_TIMEOUT" "$@" >"$OUT" 2>"$ERR" || rc=$?
    [ "$rc" = "$want" ] || fail "'$*' exited $rc, want $want"
}
SCM=("$SCMGR_BIN" --store "$SCMGR_STORE")
has() { grep -Eq -- "$2" "$1" || fail "$1 lacks /$2/"; }
lacks() { ! grep -Eq -- "$2" "$1" || fail "$1 has /$2/"; }
same() { cmp -s "$1" "$2" || fail "$1 and $2 differ"; }
unhex() { "$RIG_PY" -c 'import sys; sys.stdout.buffer.write(bytes.fromhex(sys.argv[1]))' "$1"; }

export RIG_CARD_KEEP=1
rig_up
rig_card_start 0 piv
rig_card_start 1 piv
R0=$RIG_READER_0
R1=$RIG_READER_1
YPT=(yubico-piv-tool -r "$R0")
YPT1=(yubico-piv-tool -r "$R1")
PIN=123456
MGM=010203040506070801020304050607080102030405060708
PW=piv-backup-password-1

# ---- personalised by the independent tool ------------------------------------------
expect 0 "${YPT[@]}" -a set-ccc
expect 0 "${YPT[@]}" -a generate -s 9a -A RSA2048 -o "$T/pub9a.pem"
expect 0 "${YPT[@]}" -a generate -s 9c -A ECCP256 -o "$T/pub9c.pem"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/ca.key" 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/old.key" 2>/dev/null
openssl pkey -in "$T/old.key" -pubout -out "$T/pub82.pem"
mkcert() { # NAME PUBKEY SERIAL
    openssl x509 -new -subj "/CN=$1/O=scmgr rig" -key "$T/ca.key" -force_pubkey "$2" -days 3650 \
        -set_serial "$3" -out "$T/$1.pem" 2>"$ERR" || fail "openssl x509 -new $1"
    openssl x509 -in "$T/$1.pem" -outform DER -out "$T/$1.der"
}
mkcert auth9a "$T/pub9a.pem" 1
mkcert sign9c "$T/pub9c.pem" 2
mkcert retired82 "$T/pub82.pem" 3
expect 0 "${YPT[@]}" -a import-certificate -s 9a -i "$T/auth9a.pem"
expect 0 "${YPT[@]}" -a import-certificate -s 9c -i "$T/sign9c.pem"
expect 0 "${YPT[@]}" -a import-certificate -s 82 -i "$T/retired82.pem"
unhex "$(printf '3019d4e739da739ced39ce739d836858210842108421c84210c3eb3410%s350832303330303130313e00' \
    00112233445566778899aabbccddeeff)" >"$T/chuid.bin"
printf '\x01\x04Mike\x02\x07Manager' >"$T/printed.bin"
unhex c10101c20100 >"$T/keyhist.bin"
expect 0 "${YPT[@]}" -a write-object --id 0x5fc102 -f binary -i "$T/chuid.bin"
expect 0 "${YPT[@]}" -a write-object --id 0x5fc109 -f binary -i "$T/printed.bin"
expect 0 "${YPT[@]}" -a write-object --id 0x5fc10c -f binary -i "$T/keyhist.bin"

# ---- what scmgr sees ---------------------------------------------------------------
expect 0 "${SCM[@]}" readers
has "$OUT" "^0 +card +piv +00112233445566778899AABBCCDDEEFF +PIV card +$R0"
expect 0 "${SCM[@]}" ls 0
has "$OUT" 'public +data .* 5FC102 +Card Holder Unique Identifier$'
has "$OUT" 'public +certificate .* 5FC105 +X.509 Certificate for PIV Authentication$'
has "$OUT" 'public +certificate .* 5FC10A +X.509 Certificate for Digital Signature$'
has "$OUT" 'public +certificate .* 5FC10D +Retired X.509 Certificate for Key Management 1$'
has "$OUT" 'Key History Object$'
lacks "$OUT" 'Printed Information' # behind the PIN
expect 0 "${SCM[@]}" ls 0 --pin-fd 3 3<<<"$PIN"
has "$OUT" 'private +data .* 5FC109 +Printed Information$'
has "$OUT" 'secret +private-key .* key 9A +Private key 9A$'
has "$OUT" 'secret +private-key .* key 9C +Private key 9C$'
has "$OUT" 'secret +private-key .* key 82 +Private key 82$'
expect 0 "${SCM[@]}" ls 0 --json --pin-fd 3 3<<<"$PIN"
# Every object scmgr reads holds what the independent clients read.
check_card() { # CARD-INDEX YPT-ARRAY-NAME: scmgr's bytes vs yubico-piv-tool's and pkcs15-tool's
    local i=$1
    local -n ypt=$2
    rm -f "$T"/scm* "$T"/ypt* "$T"/p15* # scmgr get -o never replaces a file without --force
    expect 0 "${SCM[@]}" get "$i" "X.509 Certificate for PIV Authentication" -o "$T/scm9a.der"
    same "$T/scm9a.der" "$T/auth9a.der"
    expect 0 "${ypt[@]}" -a read-certificate -s 9a -K DER -o "$T/ypt9a.der"
    same "$T/scm9a.der" "$T/ypt9a.der"
    expect 0 pkcs15-tool --reader "$i" --read-certificate 01
    openssl x509 -in "$OUT" -outform DER -out "$T/p15-9a.der"
    same "$T/scm9a.der" "$T/p15-9a.der"
    expect 0 "${SCM[@]}" get "$i" "X.509 Certificate for Digital Signature" -o "$T/scm9c.der"
    same "$T/scm9c.der" "$T/sign9c.der"
    expect 0 "${SCM[@]}" get "$i" "Retired X.509 Certificate for Key Management 1" -o "$T/scm82.der"
    same "$T/scm82.der" "$T/retired82.der"
    expect 0 pkcs15-tool --reader "$i" --list-certificates
    has "$OUT" 'Retired Certificate for Key Management 1'
    expect 0 "${SCM[@]}" get "$i" "Card Holder Unique Identifier" -o "$T/scm-chuid.bin"
    same "$T/scm-chuid.bin" "$T/chuid.bin"
    expect 0 "${ypt[@]}" -a read-object --id 0x5fc102 -f binary -o "$T/ypt-chuid.bin"
    same "$T/scm-chuid.bin" "$T/ypt-chuid.bin"
    expect 0 "${ypt[@]}" -a read-object --id 0x5fc107 -f binary -o "$T/ypt-ccc.bin"
    expect 0 "${SCM[@]}" get "$i" "Card Capability Container" -o "$T/scm-ccc.bin"
    same "$T/scm-ccc.bin" "$T/ypt-ccc.bin"
    expect 0 "${SCM[@]}" get "$i" "Printed Information" -o "$T/scm-printed.bin" --pin-fd 3 3<<<"$PIN"
    same "$T/scm-printed.bin" "$T/printed.bin"
    expect 0 "${ypt[@]}" -a verify-pin -P "$PIN" -a read-object --id 0x5fc109 -f binary \
        -o "$T/ypt-printed.bin"
    same "$T/scm-printed.bin" "$T/ypt-printed.bin"
    expect 0 "${SCM[@]}" get "$i" "Key History Object" -o "$T/scm-kh.bin"
    same "$T/scm-kh.bin" "$T/keyhist.bin"
}
check_card 0 YPT
# A key is never released, and says so.
expect 1 "${SCM[@]}" get 0 "Private key 9A" --pin-fd 3 3<<<"$PIN"
has "$ERR" "cannot be copied: the card never releases private keys"

# A wrong PIN: the tries left, the card's own count afterwards.
expect 3 "${SCM[@]}" ls 0 --pin-fd 3 3<<<"999999"
has "$ERR" "Wrong PIN for the card in '$R0': 2 tries left\."
expect 0 "${YPT[@]}" -a status
has "$OUT" '^PIN tries left:	2$'
expect 0 "${SCM[@]}" ls 0 --pin-fd 3 3<<<"$PIN" # the right PIN resets the count
expect 0 "${YPT[@]}" -a status
has "$OUT" '^PIN tries left:	3$'

# ---- backup --------------------------------------------------------------------------
UID_=00112233445566778899AABBCCDDEEFF
expect 0 "${SCM[@]}" backup 0 --pin-fd 3 3<<<"$PIN" --password-fd 4 4<<<"$PW"$'\n'"$PW"
has "$OUT" "Created vsc:$UID_"
has "$OUT" 'skipped +secret .*Private key 9A +\(Cannot be copied: the card never releases private keys\.\)'
has "$OUT" 'skipped +secret .*Private key 82'
has "$OUT" 'copied +private .*Printed Information'
expect 0 "${SCM[@]}" vsc verify "$UID_" --password-fd 3 3<<<"$PW"

# ---- the emergency backup: plain files and a manifest --------------------------------
E=$T/emergency
expect 0 "${SCM[@]}" backup 0 --emergency "$E" --pin-fd 3 3<<<"$PIN" --password-fd 4 4<<<"$PW"
has "$OUT" "^From $R0 to $E:$"
has "$OUT" 'skipped +secret .*Private key 9A +\(Cannot be copied: the card never releases private keys\.\)'
[ "$(stat -c %a "$E")" = 700 ] || fail "the emergency directory is not 0700"
same "$E"/*-X.509_Certificate_for_PIV_Authentication.der "$T/auth9a.der"
openssl x509 -in "$E"/*-X.509_Certificate_for_PIV_Authentication.pem -outform DER -out "$T/e9a.der"
same "$T/e9a.der" "$T/auth9a.der"
same "$E"/*-Printed_Information.bin "$T/printed.bin"
same "$E"/*-Card_Holder_Unique_Identifier.bin "$T/chuid.bin"
[ "$(stat -c %a "$E"/*-Printed_Information.bin)" = 600 ] || fail "a private object's file is not 0600"
"$RIG_PY" - "$E" <<'PY' || fail "manifest.json is not what the files are"
import hashlib, json, os, sys
d = sys.argv[1]
m = json.load(open(os.path.join(d, "manifest.json")))
assert m["card"]["agent"] == "piv", m["card"]
keys = [o for o in m["objects"] if o["type"] == "private-key"]
assert len(keys) == 3 and all(not o["copied"] and "never releases" in o["why"] for o in keys), keys
for o in m["objects"]:
    for f in o.get("files", []):
        b = open(os.path.join(d, f["name"]), "rb").read()
        assert hashlib.sha256(b).hexdigest().upper() == f["sha256"], f
        assert len(b) == f["size"], f
names = sorted(f["name"] for o in m["objects"] for f in o.get("files", []))
assert sorted(os.listdir(d)) == sorted(names + ["manifest.json"]), os.listdir(d)
PY
# Never into a directory that holds something already.
expect 1 "${SCM[@]}" backup 0 --emergency "$E" --pin-fd 3 3<<<"$PIN" --password-fd 4 4<<<"$PW"
has "$ERR" 'is not empty'
cp "$SCMGR_STORE/$UID_.vsc" "$T/vsc.before"

# ---- restore onto a blank PIV card ---------------------------------------------------
# The dry run first: what would be written, what is there already, what never
# goes; nothing is written and no management key is needed.
expect 0 "${SCM[@]}" restore "$UID_" 1 --dry-run --pin-fd 3 3<<<"$PIN" --password-fd 4 4<<<"$PW"
has "$OUT" "^Dry run from vsc:$UID_ to $R1 \(nothing is written\):$"
has "$OUT" '^  write +public .* Card Holder Unique Identifier  -> 5FC102$'
has "$OUT" '^  write +public .* X.509 Certificate for PIV Authentication  -> 5FC105$'
has "$OUT" '^  write +private .* Printed Information  -> 5FC109$'
has "$OUT" '^  unchanged +public .* Discovery Object  \(Already there as it is\.\)$'
has "$OUT" '^7 to write, 0 to replace, 1 unchanged, 0 with no place on .*, 0 never copied\.$'
expect 0 "${YPT1[@]}" -a status
has "$OUT" '^CHUID:	No data available'
# Without the management key there is nothing to write with: one sentence.
expect 2 "${SCM[@]}" restore "$UID_" 1 --pin-fd 3 3<<<"$PIN" --password-fd 4 4<<<"$PW"
has "$ERR" 'No terminal to ask for the Card management key: use --password-fd, --pin-fd or --admin-fd\.'
# A wrong management key: refused, nothing written.
expect 3 "${SCM[@]}" restore "$UID_" 1 --pin-fd 3 3<<<"$PIN" --password-fd 4 4<<<"$PW" \
    --admin-fd 5 5<<<"0102030405060708010203040506070801020304050607FF"
has "$ERR" 'Wrong card management key'
expect 0 "${YPT1[@]}" -a status
has "$OUT" '^CHUID:	No data available'
# Not hex: said so before the card is asked.
expect 2 "${SCM[@]}" restore "$UID_" 1 --pin-fd 3 3<<<"$PIN" --password-fd 4 4<<<"$PW" \
    --admin-fd 5 5<<<"not hex at all"
has "$ERR" 'is hex digits'
expect 0 "${SCM[@]}" restore "$UID_" 1 --pin-fd 3 3<<<"$PIN" --password-fd 4 4<<<"$PW" \
    --admin-fd 5 5<<<"$MGM"
has "$OUT" 'copied +public .*X.509 Certificate for PIV Authentication'
has "$OUT" 'Discovery Object +\(Already on .* with the same content\.\)'
check_card 1 YPT1
same "$SCMGR_STORE/$UID_.vsc" "$T/vsc.before" # a restore never writes the VSC
# Run again: everything is there as it is, nothing is asked or written.
expect 0 "${SCM[@]}" restore "$UID_" 1 --pin-fd 3 3<<<"$PIN" --password-fd 4 4<<<"$PW" \
    --admin-fd 5 5<<<"$MGM"
has "$OUT" '^0 copied'

# A second dry run after the restore: all unchanged; one container changed
# on the card is to be replaced.
expect 0 "${YPT1[@]}" --key="$MGM" -a write-object --id 0x5fc10c -f binary -i "$T/chuid.bin"
expect 0 "${SCM[@]}" restore "$UID_" 1 --dry-run --pin-fd 3 3<<<"$PIN" --password-fd 4 4<<<"$PW"
has "$OUT" '^  replace +public .* Key History Object  -> 5FC10C  \(The destination holds other bytes'
# (Key History no longer counts the retired certificate, so the card shows
# none: it is to be written again, as OpenSC would not see it either.)
has "$OUT" '^  write +public .* Retired X.509 Certificate for Key Management 1  -> 5FC10D$'
has "$OUT" '^1 to write, 1 to replace, 6 unchanged'
expect 0 "${YPT1[@]}" --key="$MGM" -a write-object --id 0x5fc10c -f binary -i "$T/keyhist.bin"

# ---- what a PIV card has no place for, and what is too large -------------------------
printf 'a note' >"$T/note"
expect 1 "${SCM[@]}" put 1 "my note" "$T/note" --type note --pin-fd 3 3<<<"$PIN" --admin-fd 5 5<<<"$MGM"
has "$ERR" "A PIV card has no place for 'my note' \(of type note\)"
head -c 4000 /dev/zero | tr '\0' 'F' >"$T/big"
expect 1 "${SCM[@]}" put 1 "Printed Information" "$T/big" --replace --area private \
    --pin-fd 3 3<<<"$PIN" \
    --admin-fd 5 5<<<"$MGM"
has "$ERR" 'The PIV card has no room for Printed Information \(4000 bytes\)\.'
expect 0 "${SCM[@]}" get 1 "Printed Information" -o "$T/still.bin" --pin-fd 3 3<<<"$PIN"
same "$T/still.bin" "$T/printed.bin"
# rm: the container is gone for the independent client too.
expect 0 "${SCM[@]}" rm 1 "Card Capability Container" --pin-fd 3 3<<<"$PIN" --admin-fd 5 5<<<"$MGM"
expect 0 "${YPT1[@]}" -a status
has "$OUT" '^CCC:	No data available'

# ---- the card pulled out at every APDU of a restore ----------------------------------
# Each time the card comes back (its kept state), answers, and holds every
# container either as before the restore (absent: a blank card) or as in
# the VSC, never anything else; the VSC is untouched.
n=1
while :; do
    rig_card_kill 1
    rig_card_forget 1
    rig_card_start 1 piv
    rig_card_fuse 1 "$n"
    rc=0
    timeout "$STEP_TIMEOUT" "$SCMGR_BIN" --store "$SCMGR_STORE" restore "$UID_" 1 \
        --pin-fd 3 3<<<"$PIN" --password-fd 4 4<<<"$PW" --admin-fd 5 5<<<"$MGM" \
        >"$OUT" 2>"$ERR" || rc=$?
    [ "$rc" != 124 ] || fail "restore hung with the card pulled at APDU $n"
    if ! rig_card_blown 1; then
        [ "$rc" = 0 ] || fail "restore failed ($rc) with the card in place (fuse $n unused)"
        break
    fi
    if [ "$rc" = 0 ]; then
        # Pulled at the very last APDU (the PIN taken back at close): the
        # restore was complete, and the card says so once it is back.
        rig_wait empty "$R1" 5000 || fail "slot 1 not empty after the pull at $n"
        rig_card_start 1 piv
        break
    fi
    has "$ERR" 'removed|taken out|went away|no card|No card'
    rig_wait empty "$R1" 5000 || fail "slot 1 not empty after the pull at $n"
    rig_card_start 1 piv
    for id in 0x5fc102 0x5fc107 0x5fc10c; do
        rc=0
        "${YPT1[@]}" -a read-object --id "$id" -f binary -o "$T/part.bin" >"$OUT" 2>"$ERR" || rc=$?
        [ "$rc" = 0 ] || continue # absent: as before
        case $id in
        0x5fc102) same "$T/part.bin" "$T/chuid.bin" ;;
        0x5fc107) same "$T/part.bin" "$T/ypt-ccc.bin" ;;
        0x5fc10c) same "$T/part.bin" "$T/keyhist.bin" ;;
        esac
    done
    same "$SCMGR_STORE/$UID_.vsc" "$T/vsc.before"
    n=$((n + 1))
    [ "$n" -le 400 ] || fail "the restore takes more than 400 APDUs"
done
echo "cli_piv: restore interrupted at each of APDUs 1..$((n - 1)), card and VSC intact"
# The card may still count down a fuse the last restore did not reach: put
# it in again (its kept state) before the independent tools read it.
rig_card_kill 1
rig_card_start 1 piv
check_card 1 YPT1
