#!/usr/bin/env bash
# cli_crosstype: `copy` between cards of different types (issue 8, §3)
# copies what has a place on the target and reports the rest, never
# guessing silently, and a certificate goes where its key usage says. A PIV
# card personalised by yubico-piv-tool (an authentication and a signature
# certificate, CHUID) is copied onto a blank OpenPGP card: the dry run
# names where each certificate would go and what has no place (CHUID, CCC,
# Key History; the keys never), the copy writes the certificates into the
# cardholder certificate occurrences, and OpenSC's pkcs15-tool reads them
# there byte for byte. Then back: the OpenPGP card's certificate onto a
# blank PIV card, where yubico-piv-tool reads it in the first free slot.
# A third certificate has no place on the OpenPGP card when its three
# occurrences are taken; an object of a type the target has no place for
# (a note onto a PIV card) is reported, not written.
set -euo pipefail
# shellcheck source=../cli/lib.sh
. "$(dirname "$0")/../cli/lib.sh"
# shellcheck source=rig.sh
. "${SCMGR_RIG:?SCMGR_RIG must point to tests/rig/rig.sh}"
rig_require
rig_require_tools yubico-piv-tool pkcs15-tool openssl
"$RIG_PY" -c 'import cryptography' 2>/dev/null || {
    [ "${CI:-}" = true ] && rig_die "missing: python3-cryptography (./dev.sh test installs it)"
    echo "SKIP: missing python3-cryptography" >&2
    exit 77
}
cat >"$T/opensc.conf" <<'EOF'
app default {
    framework pkcs15 { use_file_caching = no; }
}
EOF
export OPENSC_CONF=$T/opensc.conf
STEP_TIMEOUT=60 # expect's deadline (../cli/lib.sh)
SCM=("$SCMGR_BIN" --store "$SCMGR_STORE")
unhex() { "$RIG_PY" -c 'import sys; sys.stdout.buffer.write(bytes.fromhex(sys.argv[1]))' "$1"; }

rig_up
rig_card_start 0 piv
rig_card_start 1 openpgp -v --serial 0000CA51
R0=$RIG_READER_0
R1=$RIG_READER_1
YPT=(yubico-piv-tool -r "$R0")
PIN=123456
PW3=12345678
MGM=010203040506070801020304050607080102030405060708

# ---- the PIV card, personalised by yubico-piv-tool ----------------------------------
expect 0 "${YPT[@]}" -a set-ccc
expect 0 "${YPT[@]}" -a generate -s 9a -A ECCP256 -o "$T/pub9a.pem"
expect 0 "${YPT[@]}" -a generate -s 9c -A ECCP256 -o "$T/pub9c.pem"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/ca.key" 2>/dev/null
# Key usages as PIV issuers set them: authentication signs, a signature
# key also commits (non-repudiation).
printf '[auth]\nkeyUsage=critical,digitalSignature\n[sign]\nkeyUsage=critical,digitalSignature,nonRepudiation\n[none]\nbasicConstraints=CA:FALSE\n' >"$T/ext.cnf"
mkcert() { # NAME PUBKEY SERIAL [EXTENSIONS]
    openssl x509 -new -subj "/CN=$1/O=scmgr rig" -key "$T/ca.key" -force_pubkey "$2" -days 3650 \
        -set_serial "$3" -extfile "$T/ext.cnf" -extensions "${4:-none}" -out "$T/$1.pem" 2>"$ERR" ||
        fail "openssl x509 -new $1"
    openssl x509 -in "$T/$1.pem" -outform DER -out "$T/$1.der"
}
mkcert auth9a "$T/pub9a.pem" 1 auth
mkcert sign9c "$T/pub9c.pem" 2 sign
expect 0 "${YPT[@]}" -a import-certificate -s 9a -i "$T/auth9a.pem"
expect 0 "${YPT[@]}" -a import-certificate -s 9c -i "$T/sign9c.pem"
unhex "$(printf '3019d4e739da739ced39ce739d836858210842108421c84210c3eb3410%s350832303330303130313e00' \
    00112233445566778899aabbccddeeff)" >"$T/chuid.bin"
expect 0 "${YPT[@]}" -a write-object --id 0x5fc102 -f binary -i "$T/chuid.bin"

# ---- PIV -> OpenPGP: the plan first, nothing written ------------------------------------
expect 0 "${SCM[@]}" copy 0 1 --dry-run --pin-fd 3 3<<<"$PIN" --dst-pin-fd 4 4<<<"$PIN"
# Each certificate where its key usage says: the authentication one into
# the AUT occurrence, the signature one (non-repudiation) into SIG's.
has "$OUT" 'write +public .*X\.509 Certificate for PIV Authentication  -> 7F21#0$'
has "$OUT" 'write +public .*X\.509 Certificate for Digital Signature  -> 7F21#2$'
has "$OUT" 'no place +public .*Card Holder Unique Identifier'
has "$OUT" 'never +secret .*Private key 9A'
lacks "$OUT" 'write +public .*Card Holder Unique Identifier'
expect 0 pkcs15-tool --reader 1 --list-certificates
lacks "$OUT" 'X\.509 Certificate'

# Without PW3 the OpenPGP card takes nothing, and says which credential.
expect 2 "${SCM[@]}" copy 0 1 --pin-fd 3 3<<<"$PIN" --dst-pin-fd 4 4<<<"$PIN"
has "$ERR" 'No terminal to ask for the Admin PIN \(PW3\): use --password-fd, --pin-fd or --admin-fd\.'
expect 0 pkcs15-tool --reader 1 --list-certificates
lacks "$OUT" 'X\.509 Certificate'

# ---- PIV -> OpenPGP: the certificates go into cardholder certificate occurrences -------
expect 0 "${SCM[@]}" copy 0 1 --pin-fd 3 3<<<"$PIN" --dst-pin-fd 4 4<<<"$PIN" --admin-fd 5 5<<<"$PW3"
has "$OUT" 'copied +public .*X\.509 Certificate for PIV Authentication'
has "$OUT" 'copied +public .*X\.509 Certificate for Digital Signature'
has "$OUT" 'skipped +public .*Card Holder Unique Identifier .*OpenPGP card has no place'
has "$OUT" 'skipped +secret .*Private key 9A .*never releases private keys'
expect 0 "${SCM[@]}" ls 1 --json
certs=$(grep -c . <<<"$("$RIG_PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
for o in d["objects"]:
    if o["type"] == "certificate" and o["size"] > 0:
        print(o["path"], o["label"])' "$OUT")")
[ "$certs" = 2 ] || fail "the OpenPGP card holds $certs certificates, want 2"
# OpenSC reads both, byte for byte (its IDs 03, 02, 01 are occurrences 0, 1, 2),
# each in its purpose's occurrence.
expect 0 pkcs15-tool --reader 1 --read-certificate 03
openssl x509 -in "$OUT" -outform DER | cmp -s - "$T/auth9a.der" || fail "AUT occurrence: not the 9A certificate"
expect 0 pkcs15-tool --reader 1 --read-certificate 01
openssl x509 -in "$OUT" -outform DER | cmp -s - "$T/sign9c.der" || fail "SIG occurrence: not the 9C certificate"
n=0
for id in 03 02 01; do
    timeout "$STEP_TIMEOUT" pkcs15-tool --reader 1 --read-certificate "$id" >"$T/c.pem" 2>/dev/null || continue
    openssl x509 -in "$T/c.pem" -outform DER -out "$T/c$id.der"
    if cmp -s "$T/c$id.der" "$T/auth9a.der" || cmp -s "$T/c$id.der" "$T/sign9c.der"; then
        n=$((n + 1))
    else
        fail "pkcs15-tool reads another certificate under ID $id"
    fi
done
[ "$n" = 2 ] || fail "pkcs15-tool reads $n of the two certificates on the OpenPGP card"
cmp -s "$T/c03.der" "$T/c02.der" && fail "both occurrences hold the same certificate"

# A copy run again finds them there and writes nothing.
expect 0 "${SCM[@]}" copy 0 1 --dry-run --pin-fd 3 3<<<"$PIN" --dst-pin-fd 4 4<<<"$PIN"
has "$OUT" "unchanged +public .*X\\.509 Certificate for PIV Authentication  \\(Already there as 'Cardholder certificate"
has "$OUT" '^0 to write, 0 to replace, 2 unchanged, 3 with no place on .*, 2 never copied\.$'
expect 0 "${SCM[@]}" copy 0 1 --pin-fd 3 3<<<"$PIN" --dst-pin-fd 4 4<<<"$PIN" --admin-fd 5 5<<<"$PW3"
has "$OUT" "skipped +public .*X\\.509 Certificate for Digital Signature  \\(Already on $R1 as 'Cardholder certificate"
has "$OUT" '^0 copied, '
# The encryption occurrence stays empty.
expect 2 pkcs15-tool --reader 1 --read-certificate 02
has "$ERR" "Certificate with ID '02' not found"

# ---- OpenPGP -> a blank PIV card: into the first free certificate slot --------------
rig_card_kill 0
rig_card_start 0 piv
expect 0 "${SCM[@]}" copy 1 0 --dry-run --pin-fd 3 3<<<"$PIN" --dst-pin-fd 4 4<<<"$PIN"
has "$OUT" 'write +public .*Cardholder certificate \(authentication\)  -> 5FC105$'
has "$OUT" 'write +public .*Cardholder certificate \(signature\)  -> 5FC10A$'
has "$OUT" "no place +public .*Signature key attributes  \\(A PIV card has no place for 'Signature key attributes'"
expect 0 "${SCM[@]}" copy 1 0 --pin-fd 3 3<<<"$PIN" --dst-pin-fd 4 4<<<"$PIN" --admin-fd 5 5<<<"$MGM"
has "$OUT" 'copied +public .*Cardholder certificate \(authentication\)$'
has "$OUT" 'copied +public .*Cardholder certificate \(signature\)$'
got=0
for s in 9a 9c 9d 9e; do
    if timeout "$STEP_TIMEOUT" "${YPT[@]}" -a read-certificate -s "$s" -K DER -o "$T/p$s.der" \
        >/dev/null 2>&1; then
        cmp -s "$T/p$s.der" "$T/auth9a.der" || cmp -s "$T/p$s.der" "$T/sign9c.der" ||
            fail "yubico-piv-tool reads another certificate in slot $s"
        got=$((got + 1))
    fi
done
[ "$got" = 2 ] || fail "yubico-piv-tool reads $got certificates on the PIV card, want 2"
cmp -s "$T/p9a.der" "$T/auth9a.der" || fail "slot 9A: not the authentication certificate"
cmp -s "$T/p9c.der" "$T/sign9c.der" || fail "slot 9C: not the signature certificate"

# ---- no place: a note onto a PIV card; a fourth certificate onto the OpenPGP card ----
printf 'a note' >"$T/note"
expect 1 "${SCM[@]}" put 0 "A note" "$T/note" --type note --pin-fd 3 3<<<"$PIN" --admin-fd 5 5<<<"$MGM"
has "$ERR" 'PIV card has no place'
# Without a key usage: the first free occurrence (here the encryption one).
mkcert third "$T/pub9a.pem" 3
mkcert fourth "$T/pub9a.pem" 4
expect 0 "${SCM[@]}" put 1 "third cert" "$T/third.der" --type certificate --pin-fd 3 3<<<"$PIN" \
    --admin-fd 5 5<<<"$PW3"
expect 1 "${SCM[@]}" put 1 "fourth cert" "$T/fourth.der" --type certificate --pin-fd 3 3<<<"$PIN" \
    --admin-fd 5 5<<<"$PW3"
has "$ERR" 'no room for another certificate'
expect 0 pkcs15-tool --reader 1 --read-certificate 02
openssl x509 -in "$OUT" -outform DER | cmp -s - "$T/third.der" || fail "the third certificate is not in DEC's occurrence"

# ---- OpenPGP -> PKCS#15: data objects into its DODF, certificates into its CDF --------
printf 'jdoe' >"$T/login"
printf 'pdo-three' >"$T/pdo3"
expect 0 "${SCM[@]}" put 1 "Login data" "$T/login" --type login --pin-fd 3 3<<<"$PIN" \
    --admin-fd 5 5<<<"$PW3"
expect 0 "${SCM[@]}" put 1 "Private DO 3" "$T/pdo3" --pin-fd 3 3<<<"$PIN" --admin-fd 5 5<<<"$PW3"
rig_card_kill 0
rig_card_p15 0 "crosstype" # OpenSC's pkcs15-init layout, no PIN
expect 0 "${SCM[@]}" copy 1 0 --dry-run --pin-fd 3 3<<<"$PIN"
has "$OUT" 'write +public .*Login data'
has "$OUT" 'write +public .*Cardholder certificate \(authentication\)'
has "$OUT" 'write +public .*Cardholder certificate \(signature\)'
expect 0 "${SCM[@]}" copy 1 0 --pin-fd 3 3<<<"$PIN"
has "$OUT" 'copied +public .*Login data$'
# A private object stays off a card whose layout has no PIN to guard it.
has "$OUT" 'Private DO 3 +\(.*PIN'
lacks "$OUT" 'copied +private .*Private DO 3'
expect 0 pkcs15-tool -r 0 --read-data-object "Login data" --output "$T/p15-login"
same "$T/p15-login" "$T/login"
expect 0 pkcs15-tool -r 0 --list-certificates
[ "$(grep -c 'X\.509 Certificate' "$OUT")" = 3 ] || fail "pkcs15-tool lists $(grep -c 'X\.509 Certificate' "$OUT") certificates, want 3"
# The third certificate is for the 9A key too: the same ID (the SHA-1 of the
# key), so pkcs15-tool reads the first of the two by it; its serial shows it.
grep -q 'Encoded serial : 02 01 03' "$OUT" || fail "pkcs15-tool lists no certificate with serial 3"
for want in auth9a sign9c; do
    found=""
    for id in $(sed -n 's/^[[:space:]]*ID[[:space:]]*: *//p' "$OUT"); do
        timeout "$STEP_TIMEOUT" pkcs15-tool -r 0 --read-certificate "$id" >"$T/c.pem" 2>/dev/null || continue
        openssl x509 -in "$T/c.pem" -outform DER | cmp -s - "$T/$want.der" && found=$id
    done
    [ -n "$found" ] || fail "pkcs15-tool reads no certificate equal to $want on the PKCS#15 card"
done
echo "cli_crosstype: OK"
