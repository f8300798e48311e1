#!/usr/bin/env bash
# cac_clients: the rig's CAC card (Debian's libcacard, an independent CAC
# implementation, behind cacard-vpcd) read through the real pcscd by the
# independent clients: OpenSC's opensc-tool, pkcs15-tool and pkcs11-tool,
# and OpenSSL. This checks the card before any scmgr agent is tested on it:
# what the clients print must be what the NSS database holds, the keys
# sign and decrypt but never leave, a wrong PIN is refused, nothing can be
# written, and a card pulled out in the middle of a read gives the client
# an error, not a hang.
set -euo pipefail
# shellcheck source=rig.sh
. "${SCMGR_RIG:?SCMGR_RIG must point to tests/rig/rig.sh}"
rig_require
rig_cac_require
rig_require_tools opensc-tool pkcs15-tool pkcs11-tool openssl timeout

P11=""
for f in /usr/lib/*/opensc-pkcs11.so /usr/lib/opensc-pkcs11.so; do
    [ -f "$f" ] && P11=$f && break
done
[ -n "$P11" ] || rig_require_tools opensc-pkcs11.so # skip, or fail in CI

T=$(mktemp -d "${TMPDIR:-/tmp}/scmgr-cac-XXXXXX")
trap 'rm -rf "$T"' EXIT # rig_up keeps this trap and runs rig_down first

fail() {
    echo "FAIL: $*" >&2
    rig_logs
    exit 1
}

# run NAME CMD...: CMD's exit status in RC, stdout in $T/NAME.out, stderr
# in $T/NAME.err. Every client call is bounded: a client still running
# after 30 s is a hang, and a failure.
run() {
    local name=$1
    shift
    RC=0
    timeout 30 "$@" >"$T/$name.out" 2>"$T/$name.err" </dev/null || RC=$?
    [ "$RC" != 124 ] || fail "$name: '$*' hung (killed after 30 s)"
}
# ok NAME CMD...: as run, and CMD must succeed.
ok() {
    run "$@"
    [ "$RC" = 0 ] || fail "$1: '${*:2}' exited $RC: $(cat "$T/$1.err")"
}
# same NAME EXPECTED-FILE: the output of NAME is exactly the expected text.
same() {
    diff -u "$2" "$T/$1.out" >&2 || fail "$1: output differs from the expected text (above)"
}
has() {
    grep -qF -- "$2" "$T/$1.out" "$T/$1.err" || fail "$1: no '$2' in: $(cat "$T/$1.out" "$T/$1.err")"
}

PIN=$RIG_CAC_PIN
TOKEN="cacard test cert 1" # OpenSC names the token after the first certificate
LABELS=("" "CAC ID Certificate" "CAC Email Signature Certificate" "CAC Email Encryption Certificate")
# pkcs11-tool on the card's token (an array: timeout runs no functions);
# the PIN on argv is the test card's.
P11T=(pkcs11-tool --module "$P11" --token-label "$TOKEN")
card_log_apdus() { grep -c '^> ' "$RIG_DIR/card0.log" || true; }
card_log_lines() { wc -l <"$RIG_DIR/card0.log"; }

# OpenSC's own configuration, never the system's: every soft card has the
# same serial, so the file cache would mix up cards (virt_cacard's advice).
cat >"$T/opensc.conf" <<'EOF'
app default {
    framework pkcs15 {
        use_file_caching = no;
    }
}
EOF
export OPENSC_CONF=$T/opensc.conf

rig_up
rig_cac_db "$T/db"
rig_card_start 0 cac "$T/db"

# The certificates as certutil made them (DER), the reference for all below.
for n in 1 2 3; do
    certutil -L -d "sql:$T/db" -a -n "cert$n" >"$T/ref$n.pem"
    openssl x509 -in "$T/ref$n.pem" -outform DER -out "$T/ref$n.der"
    openssl x509 -in "$T/ref$n.pem" -noout -pubkey >"$T/pub$n.pem"
done
fpr() { openssl x509 -inform "$1" -in "$2" -noout -fingerprint -sha256; }

# ---- identification ----------------------------------------------------------
ok list opensc-tool -l
grep -qE '^0 +Yes +Virtual PCD 00 00$' "$T/list.out" || fail "reader 0 without a card: $(cat "$T/list.out")"
ok atr opensc-tool -r 0 -a
# libcacard's CAC ATR ("the older CAC card from the CAC documents", src/cac.c),
# not the NSS soft card's generic one: the glue answers the card's own ATR.
echo 3b:7a:18:00:00:73:66:74:65:20:63:64:31:34:34 >"$T/atr.exp"
same atr "$T/atr.exp"
ok name opensc-tool -r 0 -n
echo "Common Access Card (CAC)" >"$T/name.exp"
same name "$T/name.exp"

# ---- PKCS#15 view: certificates, keys, the PIN --------------------------------
ok certs pkcs15-tool -r 0 --list-certificates
for n in 1 2 3; do
    printf 'X.509 Certificate [%s]\n\tObject Flags   : [0x00]\n\tAuthority      : no\n' "${LABELS[n]}"
    printf '\tPath           : a000000079010%d::\n\tID             : 000%d\n' $((n - 1)) "$n"
    printf '\tEncoded serial : 02 02 03E%X\n\n' $((8 + n))
done >"$T/certs.exp"
same certs "$T/certs.exp"

ok keys pkcs15-tool -r 0 --list-keys
# MD:guid is derived from the key, new with every database: left out.
grep -v 'MD:guid' "$T/keys.out" >"$T/keys.cut" && mv "$T/keys.cut" "$T/keys.out"
for n in 1 2 3; do
    printf 'Private RSA Key [%s]\n\tObject Flags   : [0x01], private\n' "${LABELS[n]}"
    printf '\tUsage          : [0x20E], decrypt, sign, signRecover, nonRepudiation\n'
    printf '\tAccess Flags   : [0x1D], sensitive, alwaysSensitive, neverExtract, local\n'
    printf '\tAlgo_refs      : 0\n\tModLength      : 2048\n\tKey ref        : %d (0x0%d)\n' "$n" "$n"
    printf '\tNative         : yes\n\tPath           : a000000079010%d::3f00010%d\n' $((n - 1)) $((n - 1))
    printf '\tAuth ID        : 01\n\tID             : 000%d\n\n' "$n"
done >"$T/keys.exp"
same keys "$T/keys.exp"

ok pins pkcs15-tool -r 0 --list-pins
{
    printf 'PIN [PIN]\n\tObject Flags   : [0x01], private\n\tID             : 01\n'
    printf '\tFlags          : [0x30], initialized, needs-padding\n'
    printf '\tLength         : min_len:4, max_len:8, stored_len:8\n\tPad char       : 0xFF\n'
    printf '\tReference      : 0 (0x00)\n\tType           : ascii-numeric\n\n'
} >"$T/pins.exp"
same pins "$T/pins.exp"

# Each certificate read back is the one certutil made, byte for byte.
for n in 1 2 3; do
    ok "cert$n" pkcs15-tool -r 0 --read-certificate "000$n"
    [ "$(fpr PEM "$T/cert$n.out")" = "$(fpr DER "$T/ref$n.der")" ] ||
        fail "certificate 000$n: not the DER certutil made"
    openssl x509 -in "$T/cert$n.out" -noout -subject >"$T/subj$n.out"
    echo "subject=O = scmgr rig, CN = cacard test cert $n" >"$T/subj$n.exp"
    same "subj$n" "$T/subj$n.exp"
done
# The check can fail: two different certificates do not compare equal.
[ "$(fpr PEM "$T/cert1.out")" != "$(fpr DER "$T/ref2.der")" ] || fail "certificates 1 and 2 are equal"

# ---- PKCS#11 view --------------------------------------------------------------
ok slots pkcs11-tool --module "$P11" -L
for s in "token label        : $TOKEN" "token manufacturer : Common Access Card" \
    "token model        : PKCS#15 emulated" "pin min/max        : 4/8"; do
    has slots "$s"
done
ok objects "${P11T[@]}" -O
[ "$(grep -c '^Certificate Object; type = X.509 cert' "$T/objects.out")" = 3 ] || fail "-O: not 3 certificates"
[ "$(grep -c '^Public Key Object; RSA 2048 bits' "$T/objects.out")" = 3 ] || fail "-O: not 3 public keys"
for n in 1 2 3; do
    has objects "subject:    DN: O=scmgr rig, CN=cacard test cert $n"
done
for d in "PKI Certificate" "PKI Credential" "Person Instance" "Personnel"; do
    has objects "label:          '$d'"
done
# Private keys appear only after the PIN, and are marked never extractable.
ok privkeys "${P11T[@]}" --login --pin "$PIN" -O --type privkey
[ "$(grep -c '^Private Key Object; RSA' "$T/privkeys.out")" = 3 ] || fail "not 3 private keys"
[ "$(grep -c 'Access:     sensitive, always sensitive, never extractable, local' "$T/privkeys.out")" = 3 ] ||
    fail "private keys not all never-extractable: $(cat "$T/privkeys.out")"

# ---- the keys work: signatures verified by OpenSSL, a decryption ----------------
echo "hello scmgr" >"$T/msg"
for n in 1 2 3; do
    ok "sign$n" "${P11T[@]}" --login --pin "$PIN" --sign --id "000$n" -m SHA256-RSA-PKCS -i "$T/msg" -o "$T/sig$n"
    ok "verify$n" openssl dgst -sha256 -verify "$T/pub$n.pem" -signature "$T/sig$n" "$T/msg"
    has "verify$n" "Verified OK"
done
# ... and the verification can fail: key 1's signature is not key 2's.
run verify_wrong openssl dgst -sha256 -verify "$T/pub2.pem" -signature "$T/sig1" "$T/msg"
[ "$RC" != 0 ] || fail "key 1's signature verified with key 2"
ok encrypt openssl pkeyutl -encrypt -pubin -inkey "$T/pub3.pem" -in "$T/msg" -out "$T/enc"
ok decrypt "${P11T[@]}" --login --pin "$PIN" --decrypt --id 0003 -m RSA-PKCS -i "$T/enc" -o "$T/dec"
cmp -s "$T/msg" "$T/dec" || fail "decryption gave '$(cat "$T/dec")'"

# ---- PIN: a wrong one is refused with 6985, and there is no try counter ----------
before=$(card_log_lines)
run badpin "${P11T[@]}" --login --pin 00000000 --sign --id 0001 -m SHA256-RSA-PKCS -i "$T/msg" -o "$T/sig-bad"
[ "$RC" != 0 ] || fail "a wrong PIN was accepted"
has badpin "C_Login failed"
[ ! -s "$T/sig-bad" ] || fail "a signature came out with a wrong PIN"
# What the card answered to the client's VERIFY (its log masks the PIN).
tail -n +"$((before + 1))" "$RIG_DIR/card0.log" | grep -A1 '^> 0020000008' | grep -q '^< 6985$' ||
    fail "the card did not answer 6985 to the wrong PIN"
# The same by hand: wrong PIN 6985, empty VERIFY 6A88 while logged out (no
# tries to report), right PIN 9000, empty VERIFY then 9000.
ok verify opensc-tool -r 0 -s "00 20 00 00 08 $(printf '%s' 00000000 | od -An -tx1)" -s "00 20 00 00 00" \
    -s "00 20 00 00 08 $(printf '%s' "$PIN" | od -An -tx1)" -s "00 20 00 00 00"
grep '^Received' "$T/verify.out" >"$T/verify.sw"
printf 'Received (SW1=0x%s, SW2=0x%s)\n' 69 85 6A 88 90 00 90 00 >"$T/verify.exp"
diff -u "$T/verify.exp" "$T/verify.sw" >&2 || fail "VERIFY status words (above)"
# Four wrong PINs block nothing: libcacard keeps no counter (NSS checks the
# database password), so the right PIN still signs.
for _ in 1 2 3 4; do
    run badpin "${P11T[@]}" --login --pin 00000000 --sign --id 0001 -m SHA256-RSA-PKCS -i "$T/msg" -o "$T/sig-bad"
    [ "$RC" != 0 ] || fail "a wrong PIN was accepted"
done
ok sign_after "${P11T[@]}" --login --pin "$PIN" --sign --id 0001 -m SHA256-RSA-PKCS -i "$T/msg" -o "$T/sig-after"
ok verify_after openssl dgst -sha256 -verify "$T/pub1.pem" -signature "$T/sig-after" "$T/msg"

# ---- read-only: UPDATE BUFFER is refused everywhere -------------------------------
# 6985 on each PKI applet, 6900 (libcacard's "command not supported") on
# the CCC; the certificates are unchanged afterwards.
ok update opensc-tool -r 0 \
    -s "00 A4 04 00 07 A0 00 00 00 79 01 00" -s "80 58 01 01 04 70 02 00 00" \
    -s "00 A4 04 00 07 A0 00 00 00 79 01 01" -s "80 58 01 01 04 70 02 00 00" \
    -s "00 A4 04 00 07 A0 00 00 00 79 01 02" -s "80 58 01 01 04 70 02 00 00" \
    -s "00 A4 04 00 07 A0 00 00 01 16 DB 00" -s "80 58 01 01 04 70 02 00 00"
grep '^Received' "$T/update.out" >"$T/update.sw"
printf 'Received (SW1=0x%s, SW2=0x%s)\n' 90 00 69 85 90 00 69 85 90 00 69 85 90 00 69 00 >"$T/update.exp"
diff -u "$T/update.exp" "$T/update.sw" >&2 || fail "UPDATE BUFFER status words (above)"
for n in 1 2 3; do
    ok "reread$n" pkcs15-tool -r 0 --read-certificate "000$n"
    [ "$(fpr PEM "$T/reread$n.out")" = "$(fpr DER "$T/ref$n.der")" ] || fail "certificate $n changed"
done

# ---- figures (printed, never asserted) -------------------------------------------
before=$(card_log_apdus)
t=$(rig__now_ms)
ok dump pkcs15-tool -r 0 -D
echo "pkcs15-tool -D: $(($(rig__now_ms) - t)) ms, $(($(card_log_apdus) - before)) APDUs"
t=$(rig__now_ms)
ok name2 opensc-tool -r 0 -n
echo "opensc-tool -n: $(($(rig__now_ms) - t)) ms"

# ---- a card pulled out in the middle of a read ----------------------------------
# How many APDUs a whole read of certificate 3 takes (OpenSC reads the
# whole card first), then the card is pulled at the first APDU, a third,
# two thirds of the way and at the last one: each time the client ends
# with an error and no certificate, the slot is EMPTY, and a new card
# reads fine.
before=$(card_log_apdus)
ok full pkcs15-tool -r 0 --read-certificate 0003
total=$(($(card_log_apdus) - before))
[ "$total" -ge 8 ] || fail "a certificate read took only $total APDUs"
echo "pkcs15-tool --read-certificate: $total APDUs"
blown() { grep -c '^rig: fuse blown' "$RIG_DIR/card0.log" || true; }
n_blown=$(blown)
for at in 1 $((total / 3)) $((total * 2 / 3)) "$total"; do
    rig_card_fuse 0 "$at"
    run "pulled$at" pkcs15-tool -r 0 --read-certificate 0003
    echo "card pulled at APDU $at of $total: exit $RC, $(head -n 1 "$T/pulled$at.err")"
    [ "$RC" != 0 ] || fail "pulled at $at: the client reported success"
    [ -s "$T/pulled$at.err" ] || fail "pulled at $at: no error message"
    ! grep -q 'BEGIN CERTIFICATE' "$T/pulled$at.out" || fail "pulled at $at: a certificate came out"
    [ "$(blown)" = "$((n_blown + 1))" ] || fail "pulled at $at: the fuse did not blow"
    n_blown=$(blown)
    rig_card_kill 0 # the slot is EMPTY
    rig_card_start 0 cac "$T/db"
done
# The same in a signature: the card leaves at the second, last part of the
# chained SIGN command.
before=$(card_log_apdus)
ok sign_count "${P11T[@]}" --login --pin "$PIN" --sign --id 0001 -m SHA256-RSA-PKCS -i "$T/msg" -o "$T/sig-count"
total=$(($(card_log_apdus) - before))
rig_card_fuse 0 $((total - 1))
run pulled_sign "${P11T[@]}" --login --pin "$PIN" --sign --id 0001 -m SHA256-RSA-PKCS -i "$T/msg" -o "$T/sig-pulled"
echo "card pulled at APDU $((total - 1)) of $total of a signature: exit $RC, $(grep -m1 error "$T/pulled_sign.err")"
[ "$RC" != 0 ] || fail "pulled mid-signature: the client reported success"
has pulled_sign "C_SignFinal failed"
[ "$(blown)" = "$((n_blown + 1))" ] || fail "pulled mid-signature: the fuse did not blow"
[ ! -s "$T/sig-pulled" ] || fail "pulled mid-signature: a signature came out"
rig_card_kill 0
rig_card_start 0 cac "$T/db"
ok cert_after pkcs15-tool -r 0 --read-certificate 0001
[ "$(fpr PEM "$T/cert_after.out")" = "$(fpr DER "$T/ref1.der")" ] || fail "certificate 1 after the pull-outs"
echo "cac_clients: all checks passed"
