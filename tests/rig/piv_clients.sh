#!/usr/bin/env bash
# piv_clients: the rig's PIV emulator (card-piv.py) checked by independent
# clients through the real pcscd. A blank card is personalised with
# yubico-piv-tool and piv-tool (CHUID, CCC, keys generated on the card,
# certificates made by openssl, data objects), then read back with
# opensc-tool, pkcs15-tool, pkcs11-tool (a signature openssl verifies),
# p11tool and yubico-piv-tool, each value compared byte for byte with what
# was written. Then the failures: a wrong management key, wrong PINs down
# to a blocked PIN and the PUK's unblock, a PIN-protected container without
# the PIN; the retired slot that OpenSC shows only once Key History counts
# it; a card pulled out and put back that still holds everything (kept
# state); the YubiKey variant (version, serial, key import, a new
# management key, ykcs11) and an AES management key.
set -euo pipefail
# shellcheck source=rig.sh
. "${SCMGR_RIG:?SCMGR_RIG must point to tests/rig/rig.sh}"
rig_require

P11=/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so
YKCS11=/usr/lib/x86_64-linux-gnu/libykcs11.so
missing=""
for t in yubico-piv-tool piv-tool opensc-tool pkcs15-tool pkcs11-tool p11tool openssl "$P11" "$YKCS11"; do
    [ -e "$t" ] || command -v "$t" >/dev/null 2>&1 || missing="$missing $t"
done
"$RIG_PY" -c 'import cryptography' 2>/dev/null || missing="$missing python3-cryptography"
if [ -n "$missing" ]; then
    [ "${CI:-}" = true ] && rig_die "missing:$missing (./dev.sh test installs them)"
    echo "SKIP: missing:$missing" >&2
    exit 77
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/scmgr-piv-XXXXXX")
trap 'rm -rf "$T"' EXIT # rig_up chains its own cleanup before this one
OUT=$T/out
ERR=$T/err
exec </dev/null # no client may wait on a terminal

# Every client talks to the rig's pcscd only, with a private OpenSC
# configuration (no file cache: each read must reach the card).
cat >"$T/opensc.conf" <<'EOF'
app default {
    framework pkcs15 { use_file_caching = no; }
}
EOF
export OPENSC_CONF=$T/opensc.conf
export HOME=$T/home # p11tool/p11-kit and OpenSC look for per-user files there
mkdir -p "$HOME"
unset OPENSC_DRIVER YKPIV_ENV
CLIENT_TIMEOUT=60 # seconds; every client run is bounded

fail() {
    echo "FAIL: $*" >&2
    echo "--- stdout:" >&2
    cat "$OUT" >&2 2>/dev/null || true
    echo "--- stderr:" >&2
    cat "$ERR" >&2 2>/dev/null || true
    rig_logs
    exit 1
}

# expect CODE COMMAND...: stdout in $OUT, stderr in $ERR, the exit code checked.
expect() {
    local want=$1 rc=0
    shift
    timeout "$CLIENT_TIMEOUT" "$@" >"$OUT" 2>"$ERR" || rc=$?
    [ "$rc" = "$want" ] || fail "'$*' exited $rc, want $want"
}
# expect_fail COMMAND...: any exit code but 0 (and not the timeout's 124).
expect_fail() {
    local rc=0
    timeout "$CLIENT_TIMEOUT" "$@" >"$OUT" 2>"$ERR" || rc=$?
    if [ "$rc" = 0 ] || [ "$rc" = 124 ]; then fail "'$*' exited $rc, want a failure"; fi
}
has() { grep -Eq -- "$2" "$1" || fail "$1 lacks /$2/"; }
lacks() { ! grep -Eq -- "$2" "$1" || fail "$1 has /$2/"; }
hex() { od -An -v -tx1 "$1" | tr -d ' \n'; }
unhex() { "$RIG_PY" -c 'import sys; sys.stdout.buffer.write(bytes.fromhex(sys.argv[1]))' "$1"; }
same() { cmp -s "$1" "$2" || fail "$1 and $2 differ: $(hex "$1" | head -c 80) / $(hex "$2" | head -c 80)"; }

# The reader name must start with "Yubico" for ykcs11 (it skips every
# other reader); OpenSC and yubico-piv-tool do not care about the name.
export RIG_FRIENDLYNAME="Yubico YubiKey vpcd"
export RIG_CARD_KEEP=1
rig_up
rig_card_start 0 piv
R0=$RIG_READER_0
R1=$RIG_READER_1

YPT=(yubico-piv-tool -r "$R0") # -r: a substring of the reader name
YPT1=(yubico-piv-tool -r "$R1")
MGM=010203040506070801020304050607080102030405060708
printf '%s' "$MGM" >"$T/mgm.hex" # piv-tool reads the key from PIV_EXT_AUTH_KEY (hex)
printf '%s' 0102030405060708010203040506070801020304050607FF >"$T/bad-mgm.hex"

# fingerprint PEM-or-DER-FILE: the certificate's SHA-256, lower-case hex.
fingerprint() {
    openssl x509 -in "$1" -inform "${2:-PEM}" -noout -fingerprint -sha256 | sed 's/.*=//; s/://g' |
        tr 'A-F' 'a-f'
}

# apdus READER-INDEX APDU...: opensc-tool sends raw APDUs; the status words
# in order, one per line ("9000", "6982", ...).
apdus() {
    local r=$1 a args=()
    shift
    for a in "$@"; do args+=(-s "$a"); done
    expect 0 opensc-tool -r "$r" "${args[@]}"
    sed -n 's/.*SW1=0x\(..\), SW2=0x\(..\).*/\1\2/p' "$OUT" | tr 'a-f' 'A-F'
}
SELECT=00A4040009A0000003080000100000

# ---- the blank card ---------------------------------------------------------
expect 0 opensc-tool -r 0 -n
has "$OUT" '^Personal Identity Verification Card$'
expect 0 "${YPT[@]}" -a status
has "$OUT" '^Version:	No data available' # FD is Yubico's: 6D00 on a standard card
has "$OUT" '^CHUID:	No data available'
has "$OUT" '^CCC:	No data available'
has "$OUT" '^PIN tries left:	3$'
lacks "$OUT" '^Slot '
# SELECT by the 5-byte RID; an empty VERIFY tells the tries without spending
# one; the Discovery Object comes back bare (7E); a failed SELECT of another
# AID leaves PIV selected; an absent container is 6A82.
[ "$(apdus 0 00A4040005A000000308 0020008000 00CB3FFF035C017E00 00A4040008A000000527200101 \
    00CB3FFF055C035FC10700 0020008000 | tr '\n' ' ')" = "9000 63C3 9000 6A82 6A82 63C3 " ] ||
    fail "blank card status words"
has "$OUT" 'Received \(SW1=0x90, SW2=0x00\)'
grep -A2 '00 CB 3F FF 03 5C 01 7E' "$OUT" | grep -q '^7E 12 4F 0B A0 00 00 03 08 00 00 10 00 01 00' ||
    fail "Discovery Object not returned as a bare 7E"

# ---- a wrong management key writes nothing ---------------------------------------
expect_fail "${YPT[@]}" --key=0102030405060708010203040506070801020304050607FF -a set-ccc
has "$ERR" 'Failed authentication with the application'
expect_fail env PIV_EXT_AUTH_KEY="$T/bad-mgm.hex" piv-tool -r 0 -A M:9B:03
expect 0 "${YPT[@]}" -a status
has "$OUT" '^CCC:	No data available'
# Without the management key a PUT DATA and a key generation are refused;
# a wrong witness (mutual) or a wrong cryptogram (external) is refused by the
# card itself (the clients above gave up on their own side), and a PUT DATA
# after either is still refused.
ccc=00DB3FFF095C035FC1075302F000
[ "$(apdus 0 $SELECT $ccc 0047009A05AC03800107 \
    0087039B047C028000 0087039B167C14800800000000000000008108000000000000000000 $ccc \
    0087039B047C028100 0087039B0C7C0A82080000000000000000 $ccc \
    0087039B167C14800800000000000000008108000000000000000000 | tr '\n' ' ')" = \
    "9000 6982 6982 9000 6982 6982 9000 6982 6982 6985 " ] || fail "without the management key"

# ---- personalisation by yubico-piv-tool ----------------------------------------
expect 0 "${YPT[@]}" -a set-chuid -a set-ccc
has "$ERR" 'Successfully set new CHUID'
has "$ERR" 'Successfully set new CCC'
expect 0 "${YPT[@]}" -a generate -s 9a -A RSA2048 -o "$T/pub9a.pem"
expect 0 "${YPT[@]}" -a generate -s 9c -A ECCP256 -o "$T/pub9c.pem"
expect 0 "${YPT[@]}" -a generate -s 9d -A ECCP256 -o "$T/pub9d.pem"
openssl pkey -pubin -in "$T/pub9a.pem" -noout -text | grep -q 'Public-Key: (2048 bit)' || fail "9A public key"
openssl pkey -pubin -in "$T/pub9c.pem" -noout -text | grep -q 'NIST CURVE: P-256' || fail "9C public key"
# The certificates: openssl signs them with a CA key around the card's
# public keys (yubico-piv-tool's selfsign-certificate fails with OpenSSL 3
# on Debian 12 without sending any APDU).
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/ca.key" 2>/dev/null
mkcert() { # mkcert NAME PUBKEY SERIAL
    openssl x509 -new -subj "/CN=$1" -key "$T/ca.key" -force_pubkey "$2" -days 3650 \
        -set_serial "$3" -out "$T/$1.pem" 2>"$ERR" || fail "openssl x509 -new $1"
}
mkcert auth9a "$T/pub9a.pem" 1
mkcert sign9c "$T/pub9c.pem" 2
mkcert km9d "$T/pub9d.pem" 3
expect 0 "${YPT[@]}" -a import-certificate -s 9a -i "$T/auth9a.pem"
expect 0 "${YPT[@]}" -a import-certificate -s 9c -i "$T/sign9c.pem"
expect 0 "${YPT[@]}" -a import-certificate -s 9d -i "$T/km9d.pem"
# A CHUID of our own bytes (FASC-N, GUID, expiry, empty signature), written
# over the one set-chuid made, and a PIN-protected Printed Information.
unhex "$(printf '3019d4e739da739ced39ce739d836858210842108421c84210c3eb3410%s350832303330303130313e00' \
    00112233445566778899aabbccddeeff)" >"$T/chuid.bin"
printf '\x01\x04Mike\x02\x07Manager' >"$T/printed.bin"
expect 0 "${YPT[@]}" -a write-object --id 0x5fc102 -f binary -i "$T/chuid.bin"
expect 0 "${YPT[@]}" -a write-object --id 0x5fc109 -f binary -i "$T/printed.bin"
# The card stores 3052 bytes in a container, and refuses one byte more (6A84)
# although yubico-piv-tool would send up to 3063.
head -c 3052 /dev/zero | tr '\0' 'F' >"$T/face.bin"
head -c 3053 /dev/zero | tr '\0' 'F' >"$T/face-big.bin"
expect 0 "${YPT[@]}" -a write-object --id 0x5fc108 -f binary -i "$T/face.bin"
expect 1 "${YPT[@]}" -a write-object --id 0x5fc108 -f binary -i "$T/face-big.bin"
has "$ERR" 'Failed writing data to device'
expect 0 "${YPT[@]}" -a verify-pin -P 123456 -a read-object --id 0x5fc108 -f binary -o "$T/face.back"
same "$T/face.bin" "$T/face.back"

# ---- and by piv-tool (mutual authentication; A:9B:03 is broken in 0.23) -----
openssl req -new -x509 -newkey rsa:2048 -nodes -keyout "$T/k9e.key" -subj /CN=card9e -days 3650 \
    -set_serial 4 -out "$T/card9e.pem" 2>/dev/null
export PIV_EXT_AUTH_KEY=$T/mgm.hex
# piv-tool exits with the number of bytes it wrote, modulo 256, on success
# (OpenSC 0.23 returns sc_write_binary's count): compare with that.
len9e=$(openssl x509 -in "$T/card9e.pem" -outform DER | wc -c)
expect $((len9e % 256)) piv-tool -r 0 -A M:9B:03 -C 9E -i "$T/card9e.pem"
# -O takes the container's 53 TLV as a file: the Security Object (9000).
printf '\x53\x06\xba\x04\x01\x02\x03\x04' >"$T/secobj.tlv"
expect 8 piv-tool -r 0 -A M:9B:03 -O 9000 -i "$T/secobj.tlv"
unset PIV_EXT_AUTH_KEY
expect 0 piv-tool -r 0 -n
has "$OUT" 'Personal Identity Verification Card'

# ---- read back: yubico-piv-tool ---------------------------------------------
expect 0 "${YPT[@]}" -a status
has "$OUT" "^CHUID:	$(hex "$T/chuid.bin")\$"
expect 0 "${YPT[@]}" -a read-object --id 0x5fc102 -f binary -o "$T/chuid.back"
same "$T/chuid.bin" "$T/chuid.back"
expect 0 "${YPT[@]}" -a read-certificate -s 9a -o "$T/auth9a.back"
same "$T/auth9a.pem" "$T/auth9a.back"
expect 0 "${YPT[@]}" -a read-certificate -s 9c -o "$T/sign9c.back"
same "$T/sign9c.pem" "$T/sign9c.back"
fp9a=$(fingerprint "$T/auth9a.pem")
fp9c=$(fingerprint "$T/sign9c.pem")
fp9d=$(fingerprint "$T/km9d.pem")
fp9e=$(fingerprint "$T/card9e.pem")
expect 0 "${YPT[@]}" -a status
grep -A4 '^Slot 9a:' "$OUT" | grep -q "Fingerprint:	$fp9a\$" || fail "status: 9A fingerprint"
grep -A4 '^Slot 9c:' "$OUT" | grep -q "Fingerprint:	$fp9c\$" || fail "status: 9C fingerprint"
grep -A4 '^Slot 9d:' "$OUT" | grep -q "Fingerprint:	$fp9d\$" || fail "status: 9D fingerprint"
grep -A4 '^Slot 9e:' "$OUT" | grep -q "Fingerprint:	$fp9e\$" || fail "status: 9E fingerprint"
grep -A1 '^Slot 9a:' "$OUT" | grep -q 'Algorithm:	RSA2048' || fail "status: 9A algorithm"
grep -A1 '^Slot 9c:' "$OUT" | grep -q 'Algorithm:	ECCP256' || fail "status: 9C algorithm"
has "$OUT" '^PIN tries left:	3$'

# ---- read back: OpenSC (pkcs15-tool, pkcs11-tool) and GnuTLS (p11tool) --------
expect 0 opensc-tool -r 0 -n
has "$OUT" '^Personal Identity Verification Card$'
expect 0 pkcs15-tool -r 0 -D
has "$OUT" 'PIN \[PIN\]'
has "$OUT" 'PIN \[PIV PUK\]'
has "$OUT" 'Private RSA Key \[PIV AUTH key\]'
has "$OUT" 'Private EC Key \[SIGN key\]'
# OpenSC's serial number is the CHUID's GUID (tag 34).
has "$OUT" 'Serial number  : 00112233445566778899aabbccddeeff'
expect 0 pkcs15-tool -r 0 --list-certificates
has "$OUT" 'X.509 Certificate \[Certificate for PIV Authentication\]'
has "$OUT" 'X.509 Certificate \[Certificate for Digital Signature\]'
has "$OUT" 'X.509 Certificate \[Certificate for Key Management\]'
has "$OUT" 'X.509 Certificate \[Certificate for Card Authentication\]'
[ "$(grep -c '^X.509 Certificate' "$OUT")" = 4 ] || fail "pkcs15-tool: not 4 certificates"
for pair in "01 $fp9a" "02 $fp9c" "03 $fp9d" "04 $fp9e"; do
    read -r id fp <<<"$pair"
    expect 0 pkcs15-tool -r 0 --read-certificate "$id" -o "$T/cert$id.pem"
    [ "$(fingerprint "$T/cert$id.pem")" = "$fp" ] || fail "pkcs15-tool: certificate $id's fingerprint"
done
expect 0 pkcs15-tool -r 0 --read-data-object "Card Holder Unique Identifier" -o "$T/chuid.p15"
# OpenSC returns the container with its 53 wrapper.
unhex "53$(printf %02x "$(wc -c <"$T/chuid.bin")")$(hex "$T/chuid.bin")" >"$T/chuid.53"
same "$T/chuid.53" "$T/chuid.p15"
expect 0 pkcs15-tool -r 0 --read-data-object "Security Object" -o "$T/secobj.p15"
same "$T/secobj.tlv" "$T/secobj.p15"
# Printed Information is private: no read without the PIN.
expect_fail pkcs15-tool -r 0 --read-data-object "Printed Information" -o "$T/printed.p15"

expect 0 pkcs11-tool --module "$P11" -L
has "$OUT" "^Slot 0 \(0x0\): $R0"
expect 0 pkcs11-tool --module "$P11" --slot-index 0 -O
has "$OUT" 'label: +Certificate for PIV Authentication'
has "$OUT" 'label: +Certificate for Digital Signature'
has "$OUT" 'label: +Certificate for Card Authentication'
has "$OUT" 'Public Key Object; RSA 2048 bits'
has "$OUT" 'Public Key Object; EC'
printf 'the message the card signs\n' >"$T/msg"
expect 0 pkcs11-tool --module "$P11" --slot-index 0 --login --pin 123456 --sign --id 01 \
    -m SHA256-RSA-PKCS -i "$T/msg" -o "$T/sig9a"
expect 0 openssl dgst -sha256 -verify "$T/pub9a.pem" -signature "$T/sig9a" "$T/msg"
has "$OUT" '^Verified OK$'
# 9C's PIN is "always": pkcs11-tool logs in, then again for the one use.
expect 0 pkcs11-tool --module "$P11" --slot-index 0 --login --pin 123456 --sign --id 02 \
    -m ECDSA-SHA256 --signature-format openssl -i "$T/msg" -o "$T/sig9c"
expect 0 openssl dgst -sha256 -verify "$T/pub9c.pem" -signature "$T/sig9c" "$T/msg"
has "$OUT" '^Verified OK$'
# Decryption with 9A (raw RSA on the card, PKCS#1 padding removed by OpenSC)
# and ECDH with 9D against a peer key openssl made: the same secret both ways.
printf 'a secret for 9A\n' >"$T/secret"
openssl pkeyutl -encrypt -pubin -inkey "$T/pub9a.pem" -in "$T/secret" -out "$T/secret.enc"
expect 0 pkcs11-tool --module "$P11" --slot-index 0 --login --pin 123456 --decrypt --id 01 \
    -m RSA-PKCS -i "$T/secret.enc" -o "$T/secret.dec"
same "$T/secret" "$T/secret.dec"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/peer.key" 2>/dev/null
openssl pkey -in "$T/peer.key" -pubout -outform DER -out "$T/peer.der"
expect 0 pkcs11-tool --module "$P11" --slot-index 0 --login --pin 123456 --derive --id 03 \
    -m ECDH1-DERIVE -i "$T/peer.der" -o "$T/shared.card"
openssl pkeyutl -derive -inkey "$T/peer.key" -peerkey "$T/pub9d.pem" -out "$T/shared.ossl"
same "$T/shared.ossl" "$T/shared.card"
# A signature of another message does not verify (the check can fail).
printf 'another message\n' >"$T/msg2"
expect 1 openssl dgst -sha256 -verify "$T/pub9a.pem" -signature "$T/sig9a" "$T/msg2"

expect 0 p11tool --provider "$P11" --list-all-certs "pkcs11:serial=$(sed -n 's/ *serial num *: //p' <(
    timeout "$CLIENT_TIMEOUT" pkcs11-tool --module "$P11" -L) | head -1)"
has "$OUT" 'Label: Certificate for PIV Authentication'
has "$OUT" 'Label: Certificate for Digital Signature'
has "$OUT" 'Label: Certificate for Key Management'
has "$OUT" 'Label: Certificate for Card Authentication'
has "$OUT" 'Type: X.509 Certificate \(RSA-2048\)'
has "$OUT" 'Type: X.509 Certificate \(EC/ECDSA-SECP256R1\)'

# ---- the card's own rules, through raw APDUs -------------------------------------
# 9A needs the PIN (6982), 9C needs it for every use, 9E never; a PIN-protected
# container is 6982 until VERIFY; empty VERIFY is 9000 once verified.
hash32=000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F
# (The PIN stays verified across client processes, as pcscd leaves the card
# to the next one: 0020FF80 forgets it first.)
sign9c=0087119C267C2482008120${hash32}00
[ "$(apdus 0 $SELECT 0020FF80 00CB3FFF055C035FC10900 $sign9c 0087079A0A7C08820081040001FFFF00 \
    0020008008313233343536FFFF 0020008000 00CB3FFF055C035FC10900 $sign9c $sign9c \
    0087079A0A7C08820081040001FFFF00 | tr '\n' ' ')" \
    = "9000 9000 6982 6982 6982 9000 9000 9000 9000 6982 6A80 " ] || fail "PIN rules"
grep -A1 '^Sending: 00 CB 3F FF 05 5C 03 5F C1 09 00' "$OUT" | tail -1 | grep -q 'SW1=0x90' ||
    fail "Printed Information after VERIFY"
has "$OUT" "^53 $(printf '%02X' "$(wc -c <"$T/printed.bin")") 01 04 4D 69 6B 65"

# ---- wrong PINs, a blocked PIN, the PUK ------------------------------------------
expect 1 "${YPT[@]}" -a verify-pin -P 000000
has "$ERR" 'Pin verification failed, 2 tries left before pin is blocked'
expect 0 "${YPT[@]}" -a status
has "$OUT" '^PIN tries left:	2$'
# OpenSC says so too, and counts the same try.
expect 1 pkcs11-tool --module "$P11" --slot-index 0 --login --pin 999999 -O
has "$ERR" 'CKR_PIN_INCORRECT'
expect 0 "${YPT[@]}" -a status
has "$OUT" '^PIN tries left:	1$'
expect 1 "${YPT[@]}" -a verify-pin -P 000000
has "$ERR" 'Pin code blocked'
# Blocked: the right PIN is refused too, and signing fails.
expect 1 "${YPT[@]}" -a verify-pin -P 123456
has "$ERR" 'Pin code blocked'
expect 0 "${YPT[@]}" -a status
has "$OUT" '^PIN tries left:	0$'
[ "$(apdus 0 $SELECT 0020008000 0020008008313233343536FFFF | tr '\n' ' ')" = "9000 6983 6983 " ] ||
    fail "a blocked PIN's status words"
expect 1 pkcs11-tool --module "$P11" --slot-index 0 --login --pin 123456 --sign --id 01 \
    -m SHA256-RSA-PKCS -i "$T/msg" -o "$T/sig.blocked"
has "$ERR" 'CKR_PIN_LOCKED'
# A wrong PUK costs a PUK try; the right one sets a new PIN with 3 tries.
expect 1 "${YPT[@]}" -a unblock-pin -P 87654321 -N 654321
has "$ERR" 'Failed verifying puk code, now 2 tries left before blocked'
expect 0 "${YPT[@]}" -a unblock-pin -P 12345678 -N 654321
has "$ERR" 'Successfully unblocked the pin code'
expect 0 "${YPT[@]}" -a status
has "$OUT" '^PIN tries left:	3$'
expect 1 "${YPT[@]}" -a verify-pin -P 123456 # the old PIN is gone
expect 0 "${YPT[@]}" -a change-pin -P 654321 -N 123456
has "$ERR" 'Successfully changed the pin code'
# The PUK's own counter (back at 3 after the good PUK): a wrong try leaves 2.
expect 1 "${YPT[@]}" -a change-puk -P 00000000 -N 11223344
has "$ERR" 'now 2 tries left'
expect 0 "${YPT[@]}" -a change-puk -P 12345678 -N 11223344
expect 0 "${YPT[@]}" -a verify-pin -P 123456
has "$ERR" 'Successfully verified PIN'

# ---- a retired key-management certificate and Key History -------------------------
openssl req -new -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/k82.key" \
    -subj /CN=retired82 -days 3650 -set_serial 82 -out "$T/retired82.pem" 2>/dev/null
expect 0 "${YPT[@]}" -a import-certificate -s 82 -i "$T/retired82.pem"
expect 0 "${YPT[@]}" -a read-certificate -s 82 -o "$T/retired82.back"
same "$T/retired82.pem" "$T/retired82.back"
# On the card, but OpenSC shows retired slots only as Key History counts them.
expect 0 pkcs15-tool -r 0 --list-certificates
lacks "$OUT" 'Retired'
# Key History: one key with an on-card certificate (C1 01 01), none off-card.
printf '\xc1\x01\x01\xc2\x01\x00' >"$T/keyhistory.bin"
expect 0 "${YPT[@]}" -a write-object --id 0x5fc10c -f binary -i "$T/keyhistory.bin"
expect 0 pkcs15-tool -r 0 --list-certificates
has "$OUT" 'X.509 Certificate \[Retired Certificate for Key Management 1\]'
[ "$(grep -c '^X.509 Certificate' "$OUT")" = 5 ] || fail "pkcs15-tool: not 5 certificates"
expect 0 pkcs15-tool -r 0 --read-certificate 05 -o "$T/cert05.pem"
[ "$(fingerprint "$T/cert05.pem")" = "$(fingerprint "$T/retired82.pem")" ] || fail "retired certificate's fingerprint"

# ---- standard card: Yubico's extensions are not there -------------------------------
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/k9d.key" 2>/dev/null
expect 1 "${YPT[@]}" -a import-key -s 9d -i "$T/k9d.key"
expect 1 "${YPT[@]}" -a set-mgm-key -n 0807060504030201080706050403020108070605040302FF
expect 0 "${YPT[@]}" -a version
has "$ERR" 'Failed to retrieve application version'
[ "$(apdus 0 $SELECT 00FD000000 00F8000000 00F7009A00 | tr '\n' ' ')" = "9000 6D00 6D00 6D00 " ] ||
    fail "YubiKey instructions on a standard card"

# ---- pulled out and put back: the card keeps everything (RIG_CARD_KEEP=1) ----------
rig_card_kill 0
rig_card_start 0 piv
expect 0 "${YPT[@]}" -a status
grep -A4 '^Slot 9a:' "$OUT" | grep -q "Fingerprint:	$fp9a\$" || fail "after restart: 9A fingerprint"
grep -A4 '^Slot 9c:' "$OUT" | grep -q "Fingerprint:	$fp9c\$" || fail "after restart: 9C fingerprint"
grep -A4 '^Slot 9d:' "$OUT" | grep -q "Fingerprint:	$fp9d\$" || fail "after restart: 9D fingerprint"
grep -A4 '^Slot 9e:' "$OUT" | grep -q "Fingerprint:	$fp9e\$" || fail "after restart: 9E fingerprint"
has "$OUT" "^CHUID:	$(hex "$T/chuid.bin")\$"
has "$OUT" '^PIN tries left:	3$'
# The keys survived too: a new signature still verifies with 9A's public key;
# and the power cycle forgot the PIN (6982 before VERIFY).
[ "$(apdus 0 $SELECT 00CB3FFF055C035FC10900 | tr '\n' ' ')" = "9000 6982 " ] || fail "PIN kept over a restart"
expect 0 pkcs11-tool --module "$P11" --slot-index 0 --login --pin 123456 --sign --id 01 \
    -m SHA256-RSA-PKCS -i "$T/msg2" -o "$T/sig9a.2"
expect 0 openssl dgst -sha256 -verify "$T/pub9a.pem" -signature "$T/sig9a.2" "$T/msg2"
expect 0 pkcs15-tool -r 0 --list-certificates
has "$OUT" 'Retired Certificate for Key Management 1'
# The changed PUK was kept: the default one is wrong now.
expect 1 "${YPT[@]}" -a change-puk -P 12345678 -N 12345678
has "$ERR" 'Failed verifying puk code, now 2 tries left before blocked'

# ---- the YubiKey variant ------------------------------------------------------------
rig_card_start 1 piv --yubikey --serial 12345678
expect 0 opensc-tool -r 1 -n
has "$OUT" '^Personal Identity Verification Card$'
expect 0 "${YPT1[@]}" -a version
has "$OUT" '^Application version 5.4.3 found.$'
expect 0 "${YPT1[@]}" -a status
has "$OUT" '^Version:	5.4.3$'
has "$OUT" '^Serial Number:	12345678$'
has "$OUT" '^PIN tries left:	3$'
expect 0 "${YPT1[@]}" -a generate -s 9a -A ECCP384 -o "$T/yk9a.pub"
openssl pkey -pubin -in "$T/yk9a.pub" -noout -text | grep -q 'NIST CURVE: P-384' || fail "9A P-384 key"
mkcert ykauth "$T/yk9a.pub" 11
expect 0 "${YPT1[@]}" -a import-certificate -s 9a -i "$T/ykauth.pem"
# Keys made off the card go in with IMPORT KEY (FE): EC P-256 in 9D, the
# RSA key of 9E's certificate in 9E.
openssl req -new -x509 -key "$T/k9d.key" -subj /CN=km9d -days 3650 -set_serial 13 \
    -out "$T/km9d.pem" 2>/dev/null
expect 0 "${YPT1[@]}" -a import-key -s 9d -i "$T/k9d.key"
has "$ERR" 'Successfully imported a new private key'
expect 0 "${YPT1[@]}" -a import-certificate -s 9d -i "$T/km9d.pem"
expect 0 "${YPT1[@]}" -a import-key -s 9e -i "$T/k9e.key"
expect 0 "${YPT1[@]}" -a import-certificate -s 9e -i "$T/card9e.pem"
# The metadata (F7) tells an imported key (origin 02) from a generated one (01).
apdus 1 00A4040005A000000308 00F7009D00 00F7009A00 00F7008000 >/dev/null
grep -A2 '^Sending: 00 F7 00 9D' "$OUT" | tail -1 | grep -q '^01 01 11 02 02 02 01 03 01 02 04 43 86 41 04' ||
    fail "9D metadata"
grep -A2 '^Sending: 00 F7 00 9A' "$OUT" | tail -1 | grep -q '^01 01 14 02 02 02 01 03 01 01 04 63 86 61 04' ||
    fail "9A metadata"
grep -A2 '^Sending: 00 F7 00 80' "$OUT" | tail -1 | grep -q '^01 01 FF 05 01 01 06 02 03 03' || fail "PIN metadata"

# ykcs11 (only readers named "Yubico..."): the token, the objects, signatures.
expect 0 pkcs11-tool --module "$YKCS11" -L
grep -A8 "): $R1\$" "$OUT" | grep -q 'token label *: YubiKey PIV #12345678' || fail "ykcs11 token label"
YK_SLOT=(--module "$YKCS11" --slot-description "$R1")
expect 0 pkcs11-tool "${YK_SLOT[@]}" -O
has "$OUT" 'label: +X.509 Certificate for PIV Authentication'
has "$OUT" 'label: +X.509 Certificate for Key Management'
has "$OUT" 'label: +X.509 Certificate for Card Authentication'
has "$OUT" 'subject: +DN: CN=km9d'
has "$OUT" 'Public Key Object; EC  EC_POINT 384 bits'
has "$OUT" 'Public Key Object; RSA 2048 bits'
openssl pkey -in "$T/k9d.key" -pubout -out "$T/k9d.pub"
openssl pkey -in "$T/k9e.key" -pubout -out "$T/k9e.pub"
expect 0 pkcs11-tool "${YK_SLOT[@]}" --login --pin 123456 --sign --id 03 -m ECDSA-SHA256 \
    --signature-format openssl -i "$T/msg" -o "$T/yksig9d"
expect 0 openssl dgst -sha256 -verify "$T/k9d.pub" -signature "$T/yksig9d" "$T/msg"
has "$OUT" '^Verified OK$'
expect 0 pkcs11-tool "${YK_SLOT[@]}" --login --pin 123456 --sign --id 04 -m SHA256-RSA-PKCS \
    -i "$T/msg" -o "$T/yksig9e"
expect 0 openssl dgst -sha256 -verify "$T/k9e.pub" -signature "$T/yksig9e" "$T/msg"
has "$OUT" '^Verified OK$'
expect 0 pkcs11-tool "${YK_SLOT[@]}" --login --pin 123456 --sign --id 01 -m ECDSA-SHA384 \
    --signature-format openssl -i "$T/msg" -o "$T/yksig9a"
expect 0 openssl dgst -sha384 -verify "$T/yk9a.pub" -signature "$T/yksig9a" "$T/msg"
has "$OUT" '^Verified OK$'
# OpenSC reads the same certificates off the YubiKey.
expect 0 pkcs15-tool -r 1 --read-certificate 03 -o "$T/yk03.pem"
[ "$(fingerprint "$T/yk03.pem")" = "$(fingerprint "$T/km9d.pem")" ] || fail "YubiKey 9D certificate"

# A new management key: the default one is refused from then on.
NEWMGM=0807060504030201080706050403020108070605040302FF
expect 0 "${YPT1[@]}" -a set-mgm-key -n $NEWMGM
has "$ERR" 'Successfully set new management key'
expect 1 "${YPT1[@]}" -a set-ccc
has "$ERR" 'Failed authentication with the application'
expect 0 "${YPT1[@]}" --key=$NEWMGM -a set-ccc
printf '%s' $NEWMGM >"$T/newmgm.hex"
expect_fail env PIV_EXT_AUTH_KEY="$T/mgm.hex" piv-tool -r 1 -A M:9B:03
expect 0 env PIV_EXT_AUTH_KEY="$T/newmgm.hex" piv-tool -r 1 -A M:9B:03
expect 0 "${YPT1[@]}" -a status
has "$OUT" '^CCC:	f0'
rig_card_kill 1
rig_card_forget 1

# ---- AES management keys (piv-tool; yubico-piv-tool 2.2.0 knows only 3DES) ----------
for alg in aes128:08:16 aes192:0A:24 aes256:0C:32; do
    IFS=: read -r name id len <<<"$alg"
    key=$(printf '%s' "$MGM$MGM" | head -c $((len * 2)))
    if [ "$name" = aes256 ]; then # one card with a key of its own
        key=00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF
        rig_card_start 1 piv --mgm-alg aes256 --mgm-key "$key"
    else
        rig_card_start 1 piv --mgm-alg "$name"
    fi
    printf '%s' "$key" >"$T/aes.hex"
    printf '%s' "${key%??}00" >"$T/aes-bad.hex"
    expect_fail env PIV_EXT_AUTH_KEY="$T/mgm.hex" piv-tool -r 1 -A M:9B:03
    expect_fail env PIV_EXT_AUTH_KEY="$T/aes-bad.hex" piv-tool -r 1 -A "M:9B:$id"
    expect 1 "${YPT1[@]}" -a set-ccc
    printf '\x53\x05\x01\x03%s' "${name:3}" >"$T/printed.tlv" # "128", "192" or "256"
    len=$(wc -c <"$T/printed.tlv")
    expect "$len" env PIV_EXT_AUTH_KEY="$T/aes.hex" piv-tool -r 1 -A "M:9B:$id" -O 3001 -i "$T/printed.tlv"
    expect 0 "${YPT1[@]}" -a verify-pin -P 123456 -a read-object --id 0x5fc109 -f binary -o "$T/printed.back"
    [ "$(cat "$T/printed.back")" = "$(printf '\x01\x03%s' "${name:3}")" ] || fail "$name: Printed Information"
    rig_card_kill 1
    rig_card_forget 1
done

rig_card_alive 0 || fail "card 0 died"
echo "piv_clients: OK"
