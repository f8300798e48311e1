#!/usr/bin/env bash
# openpgp_clients: the rig's OpenPGP card emulator (card-openpgp.py) checked
# by independent clients only. GnuPG (gpg --card-edit driven through its
# command and status fds, gpg-connect-agent SCD GETATTR, gpg --card-status,
# sign/verify, encrypt/decrypt) personalises a blank card; OpenSC
# (openpgp-tool, pkcs15-tool, pkcs11-tool) and openssl read it back and
# use its keys. Then the error paths (wrong PW1/PW3, a blocked PW1, the
# unblock with PW3 and with the resetting code, the private DOs' access
# rules as APDUs), and the card's state across a kill and restart
# (RIG_CARD_KEEP=1). Every client talks to the rig's pcscd and to a
# private GNUPGHOME / OPENSC_CONF in this test's directory.
set -euo pipefail
# shellcheck source=rig.sh
. "${SCMGR_RIG:?SCMGR_RIG must point to tests/rig/rig.sh}"
rig_require
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

missing=""
for t in gpg gpg-connect-agent gpgconf /usr/lib/gnupg/scdaemon openpgp-tool pkcs15-tool \
    pkcs11-tool opensc-tool openssl; do
    command -v "$t" >/dev/null 2>&1 || missing="$missing $t"
done
P11=/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so
[ -f "$P11" ] || missing="$missing $P11"
"$RIG_PY" -c 'import cryptography' 2>/dev/null || missing="$missing python3-cryptography"
if [ -n "$missing" ]; then
    [ "${CI:-}" = true ] && rig_die "missing:$missing (./dev.sh test installs them)"
    echo "SKIP: missing:$missing" >&2
    exit 77
fi

fail() {
    echo "FAIL: $*" >&2
    for f in "$T"/out "$T"/status "$GNUPGHOME"/scdaemon.log; do
        [ -f "$f" ] && { echo "----- $f (last 40 lines)" >&2; tail -n 40 "$f" >&2; }
    done
    rig_logs
    exit 1
}

# A short directory: gpg-agent's sockets live in GNUPGHOME (as root there
# is no /run/user/0) and a socket path has at most 107 bytes.
T=$(mktemp -d /tmp/scmgr-pgp-XXXXXX)
export GNUPGHOME=$T/gnupg OPENSC_CONF=$T/opensc.conf
mkdir -m 700 "$GNUPGHOME"
echo 'app default { }' >"$OPENSC_CONF" # OpenSC's built-in defaults, not the system's file

# The gpg-agent of our GNUPGHOME and the scdaemon it started, by PID.
agent_pids() {
    local a p
    a=$(timeout 5 gpg-connect-agent --no-autostart 'GETINFO pid' /bye 2>/dev/null |
        sed -n 's/^D \([0-9]*\)$/\1/p') || true
    [ -n "$a" ] || return 0
    echo "$a"
    for p in /proc/[0-9]*; do
        [ "$(cut -d' ' -f4 "$p/stat" 2>/dev/null)" = "$a" ] && echo "${p#/proc/}"
    done
    return 0
}

# Stop them (scdaemon holds the reader exclusively while it runs, and its
# PIN cache would make the next step's prompts depend on the last one).
agent_stop() {
    local pids p i=0
    pids=$(agent_pids)
    [ -n "$pids" ] || return 0
    timeout 10 gpgconf --kill gpg-agent >/dev/null 2>&1 || true
    for p in $pids; do
        while rig__alive "$p" && [ $i -lt 250 ]; do
            sleep 0.02
            i=$((i + 1))
        done
        if rig__alive "$p"; then kill -9 "$p" 2>/dev/null || true; fi
    done
    return 0
}

cleanup() {
    agent_stop
    rm -rf "$T"
}
trap cleanup EXIT # rig_up chains it after rig_down
rig_up
reader=$RIG_READER_0
# The reader is named in scdaemon.conf (notes: pcsc-driver, disable-ccid).
cat >"$GNUPGHOME/scdaemon.conf" <<EOF
pcsc-driver /usr/lib/x86_64-linux-gnu/libpcsclite.so.1
disable-ccid
reader-port $reader
log-file $GNUPGHOME/scdaemon.log
EOF
echo allow-loopback-pinentry >"$GNUPGHOME/gpg-agent.conf"

card_start() { RIG_CARD_KEEP=1 rig_card_start 0 openpgp -v --serial 0000CA4D --manufacturer FFFE; }
card_start

# gpg_run NAME TIMEOUT ARGS...: gpg driven by the script $T/NAME.in (one
# "KEYWORD ANSWER" per prompt), output in $T/out, status lines in $T/status.
gpg_run() {
    local name=$1 tmo=$2 rc=0
    shift 2
    agent_stop
    : >"$T/status"
    timeout $((tmo + 10)) "$RIG_PY" "$here/gpgdrive.py" "$T/$name.in" "$T/status" "$tmo" -- "$@" \
        >"$T/out" 2>&1 || rc=$?
    return $rc
}

# card_sw HEXPREFIX: the card's answer (SW) to the last APDU that began with
# HEXPREFIX (lower case), from the card's own log (-v): what the card did,
# whatever the client made of it.
card_sw() {
    awk -v p="> $1" '
        index($0, p) { want = 1; next }
        want && / < / { sw = substr($NF, length($NF) - 3); want = 0 }
        END { print sw }' "$RIG_DIR/card0.log"
}
card_count() { grep -c "> $1" "$RIG_DIR/card0.log" || true; }

status_count() { grep -c "^\[GNUPG:\] $1" "$T/status" || true; }

card_status() {
    agent_stop
    timeout 30 gpg --card-status >"$T/cs" 2>"$T/cs.err" || fail "gpg --card-status: $(cat "$T/cs.err")"
}
expect_line() { # FILE LINE: LINE is one whole line of FILE
    grep -qxF -- "$2" "$1" || { cat "$1" >&2; fail "no line '$2' in $1"; }
}

rawapdu() { timeout 20 "$(rig__rigwait)" apdu "$reader" "$@"; }
apdu() { # the card's answers to APDUs sent in one connection (no client)
    agent_stop
    rawapdu 00A4040006D27600012401 "$@" | tail -n +2 | tr '\n' ' ' | sed 's/ $//'
}

# ---- 1. the blank card, as each client sees it ------------------------------
card_status
expect_line "$T/cs" "Application ID ...: D276000124010304FFFE0000CA4D0000"
expect_line "$T/cs" "Version ..........: 3.4"
expect_line "$T/cs" "Manufacturer .....: unmanaged S/N range"
expect_line "$T/cs" "Serial number ....: 0000CA4D"
expect_line "$T/cs" "Name of cardholder: [not set]"
expect_line "$T/cs" "Signature PIN ....: forced"
expect_line "$T/cs" "Key attributes ...: rsa2048 rsa2048 rsa2048"
expect_line "$T/cs" "Max. PIN lengths .: 127 127 127"
expect_line "$T/cs" "PIN retry counter : 3 0 3"
expect_line "$T/cs" "Signature counter : 0"
expect_line "$T/cs" "Signature key ....: [none]"
# GnuPG first tries the MF (6A82 is what it copes with), then selects the
# application without asking for the FCI.
[ "$(card_sw 00a4000c023f00)" = 6a82 ] || fail "SELECT MF: $(card_sw 00a4000c023f00)"
grep -q '> 00a4040006d27600012401$' "$RIG_DIR/card0.log" || fail "gpg's SELECT without Le not seen"
agent_stop
[ "$(timeout 20 opensc-tool -r 0 -n)" = "OpenPGP card v3.4 (FFFE 0000CA4D)" ] || fail "opensc-tool -n"
# OpenSC selects with Le and wants the FCI: 6F 12 84 10 AID.
out=$(rawapdu 00A4040006D2760001240100 00A4000C023F00 00CA004F00)
[ "$out" = "$(printf '%s\n' 6F128410D276000124010304FFFE0000CA4D00009000 6A82 D276000124010304FFFE0000CA4D00009000)" ] ||
    fail "SELECT with FCI / failed SELECT keeps the application: $out"
echo "blank card: gpg, opensc-tool and the FCI OK"

# ---- 2. personalise with gpg --card-edit --------------------------------
cat >"$T/perso.in" <<'EOF'
cardedit.prompt admin
cardedit.prompt name
keygen.smartcard.surname Doe
keygen.smartcard.givenname John
passphrase.enter 12345678
cardedit.prompt lang
cardedit.change_lang de
cardedit.prompt salutation
cardedit.change_sex f
cardedit.prompt url
cardedit.change_url https://example.org/jdoe.asc
cardedit.prompt login
cardedit.change_login jdoe
cardedit.prompt privatedo 2
cardedit.change_private_do pdo-two
cardedit.prompt privatedo 4
cardedit.change_private_do pdo-four
cardedit.prompt quit
EOF
gpg_run perso 60 --card-edit || fail "gpg --card-edit (personalise) exit $?"
[ "$(status_count SC_OP_SUCCESS)" = 7 ] || fail "7 card writes expected: $(status_count SC_OP_SUCCESS)"
[ "$(status_count SC_OP_FAILURE)" = 0 ] || fail "a card write failed"

# GnuPG's quirk (notes §3.1): with no DEC/AUT key on the card, SETATTR
# PRIVATE-DO-1 verifies PW1 in mode 81 only; the card wants mode 82 and
# refuses the write with 6982, which gpg reports as a bad PIN.
cat >"$T/pdo1.in" <<'EOF'
cardedit.prompt privatedo 1
cardedit.change_private_do pdo-one
passphrase.enter 123456
cardedit.prompt quit
EOF
gpg_run pdo1 60 --card-edit || true
[ "$(status_count SC_OP_FAILURE)" -ge 1 ] || fail "PRIVATE-DO-1 without keys should fail"
[ "$(card_sw 00200081)" = 9000 ] || fail "gpg's VERIFY 81: $(card_sw 00200081)"
[ "$(card_sw 00da0101)" = 6982 ] || fail "PUT DATA 0101 after PW1-81 only: $(card_sw 00da0101)"
echo "personalised by gpg --card-edit; PRIVATE-DO-1 with PW1-81 only refused (6982)"

# ---- 3. generate the three keys with gpg ---------------------------------
cat >"$T/gen.in" <<'EOF'
cardedit.prompt admin
cardedit.prompt generate
cardedit.genkeys.backup_enc n
passphrase.enter 12345678
passphrase.enter 123456
keygen.valid 0
keygen.name John Doe
keygen.email jdoe@example.org
keygen.comment
passphrase.enter 123456
cardedit.prompt quit
EOF
gpg_run gen 120 --card-edit || fail "gpg --card-edit generate exit $?"
grep -q '^\[GNUPG:\] KEY_CREATED B ' "$T/status" || fail "no KEY_CREATED"
fpr=$(sed -n 's/^\[GNUPG:\] KEY_CREATED B \([0-9A-F]*\)$/\1/p' "$T/status")
for crt in b6 b8 a4; do
    [ "$(card_count "00478000000002$crt")" = 1 ] || fail "one GENERATE of key $crt expected"
done
sigs=$(grep -A1 '> 002a9e9a' "$RIG_DIR/card0.log" | grep -c ' < .*9000$' || true)
# The card never computes the fingerprints: gpg wrote C7-C9 and CE-D0.
for t in c7 c8 c9 ce cf d0; do
    [ "$(card_sw "00da00$t")" = 9000 ] || fail "PUT DATA $t: $(card_sw "00da00$t")"
done
# With keys on the card gpg verifies PW1-82 for PRIVATE-DO-1/3.
cat >"$T/pdo13.in" <<'EOF'
cardedit.prompt privatedo 1
cardedit.change_private_do pdo-one
passphrase.enter 123456
cardedit.prompt privatedo 3
cardedit.change_private_do pdo-three
cardedit.prompt quit
EOF
gpg_run pdo13 60 --card-edit || fail "PRIVATE-DO-1/3 with keys: exit $?"
[ "$(status_count SC_OP_SUCCESS)" = 2 ] || fail "PRIVATE-DO-1/3 not both written"
[ "$(card_sw 00200082)" = 9000 ] || fail "VERIFY 82 not sent or refused"

card_status
expect_line "$T/cs" "Name of cardholder: John Doe"
expect_line "$T/cs" "Language prefs ...: de"
expect_line "$T/cs" "Salutation .......: Ms."
expect_line "$T/cs" "URL of public key : https://example.org/jdoe.asc"
expect_line "$T/cs" "Login data .......: jdoe"
expect_line "$T/cs" "Private DO 1 .....: pdo-one"
expect_line "$T/cs" "Private DO 2 .....: pdo-two"
expect_line "$T/cs" "PIN retry counter : 3 0 3"
expect_line "$T/cs" "Signature counter : $sigs"
grep -q '^Private DO 3' "$T/cs" && fail "DO 3 shown without PW1-82"
grep -q '^Private DO 4' "$T/cs" && fail "DO 4 shown without PW3"
sp=$(echo "$fpr" | sed -E 's/(....)/\1 /g; s/ $//; s/^(.{24}) /\1  /')
expect_line "$T/cs" "Signature key ....: $sp"
grep -q "^General key info..: pub  rsa2048/${fpr:24} .* John Doe <jdoe@example.org>$" "$T/cs" ||
    fail "General key info"
echo "keys generated by gpg ($fpr), card-status reads it all back"

# gpg-connect-agent: the raw attributes scdaemon reads.
agent_stop
timeout 30 gpg-connect-agent 'SCD SERIALNO openpgp' 'SCD GETATTR DISP-NAME' 'SCD GETATTR DISP-LANG' \
    'SCD GETATTR DISP-SEX' 'SCD GETATTR PUBKEY-URL' 'SCD GETATTR LOGIN-DATA' \
    'SCD GETATTR PRIVATE-DO-1' 'SCD GETATTR PRIVATE-DO-2' 'SCD GETATTR CHV-STATUS' \
    'SCD GETATTR SIG-COUNTER' 'SCD GETATTR KEY-FPR' /bye >"$T/ga" 2>&1 || fail "gpg-connect-agent"
for l in "S DISP-NAME Doe<<John" "S DISP-LANG de" "S DISP-SEX 2" \
    "S PUBKEY-URL https://example.org/jdoe.asc" "S LOGIN-DATA jdoe" \
    "S PRIVATE-DO-1 pdo-one" "S PRIVATE-DO-2 pdo-two" "S CHV-STATUS +0+127+127+127+3+0+3" \
    "S SIG-COUNTER $sigs" "S KEY-FPR 1 $fpr"; do
    expect_line "$T/ga" "$l"
done
echo "gpg-connect-agent SCD GETATTR OK"

# ---- 4. the keys at work: gpg signs and decrypts, gpg checks -----------
echo "a message for the card" >"$T/msg"
cat >"$T/sign.in" <<'EOF'
passphrase.enter 123456
EOF
gpg_run sign 60 -u "$fpr" --detach-sign -o "$T/msg.sig" "$T/msg" || fail "gpg --detach-sign exit $?"
[ "$(card_sw 002a9e9a)" = 9000 ] || fail "PSO:CDS"
agent_stop
timeout 30 gpg --status-fd 1 --verify "$T/msg.sig" "$T/msg" >"$T/verify" 2>&1 || fail "gpg --verify"
grep -q "^\[GNUPG:\] VALIDSIG $fpr " "$T/verify" || fail "no VALIDSIG by $fpr"
sigs=$((sigs + 1))
# Signature PIN forced (C4 byte 1 = 00): a second PSO:CDS needs VERIFY 81 again.
out=$(apdu 0020008106313233343536 002A9E9A0401020304 002A9E9A0401020304)
[ "$out" = "9000 $(echo "$out" | cut -d' ' -f2) 6982" ] || fail "PW1-81 valid for one signature only: $out"
sigs=$((sigs + 1))

timeout 30 gpg --batch --trust-model always -e -r "$fpr" -o "$T/msg.gpg" "$T/msg" 2>"$T/out" || fail "gpg -e"
gpg_run sign 60 -o "$T/msg.dec" -d "$T/msg.gpg" || fail "gpg -d exit $?"
grep -q '^\[GNUPG:\] DECRYPTION_OKAY' "$T/status" || fail "no DECRYPTION_OKAY"
cmp -s "$T/msg" "$T/msg.dec" || fail "decrypted text differs"
[ "$(card_sw 002a8086)" = 9000 ] || fail "PSO:DECIPHER"
grep -q '> 002a808600010100' "$RIG_DIR/card0.log" || fail "gpg's DECIPHER was not one extended APDU"
echo "gpg signature verified by gpg, gpg decrypted what gpg encrypted"

# ---- 5. OpenSC reads the same card --------------------------------------
agent_stop
timeout 30 openpgp-tool -r 0 --user-info --key-info >"$T/ot" 2>&1 || fail "openpgp-tool --user-info"
for l in "Account:         jdoe" "URL:             https://example.org/jdoe.asc" \
    "Language:        de" "Gender:          female" "DO 0101:         pdo-one" \
    "DO 0102:         pdo-two" "Sig Algorithm:   RSA2048"; do
    expect_line "$T/ot" "$l"
done
# openpgp-tool prints DO 5B with "<<" made a space, in the card's order.
expect_line "$T/ot" "Name:            Doe John"
colons=$(echo "$fpr" | tr 'A-F' 'a-f' | sed -E 's/(..)/\1:/g; s/:$//')
expect_line "$T/ot" "Sig Fingerprint: $colons"
grep -q '^DO 010[34]' "$T/ot" && fail "openpgp-tool shows DO 3/4 without a PIN"
# The private DOs through openpgp-tool -d, with and without the PIN each needs.
[ "$(timeout 20 openpgp-tool -r 0 --raw -d 1)" = pdo-one ] || fail "openpgp-tool -d 1"
[ "$(timeout 20 openpgp-tool -r 0 --raw -d 2)" = pdo-two ] || fail "openpgp-tool -d 2"
timeout 20 openpgp-tool -r 0 -d 3 >"$T/out" 2>&1 && fail "openpgp-tool -d 3 without PIN worked"
grep -q 'Security status not satisfied' "$T/out" || fail "openpgp-tool -d 3: $(cat "$T/out")"
timeout 20 openpgp-tool -r 0 -d 4 >"$T/out" 2>&1 && fail "openpgp-tool -d 4 without PIN worked"
[ "$(timeout 20 openpgp-tool -r 0 --verify CHV2 --pin 123456 --raw -d 3)" = pdo-three ] ||
    fail "openpgp-tool --verify CHV2 -d 3"
[ "$(timeout 20 openpgp-tool -r 0 --verify CHV3 --pin 12345678 --raw -d 4)" = pdo-four ] ||
    fail "openpgp-tool --verify CHV3 -d 4"
# CHV1 (PW1-81) is not enough for DO 3.
timeout 20 openpgp-tool -r 0 --verify CHV1 --pin 123456 -d 3 >"$T/out" 2>&1 &&
    fail "openpgp-tool -d 3 after CHV1 worked"
echo "openpgp-tool: user info, key info, private DOs with their access rules OK"

# A cardholder certificate in each of the three occurrences of 7F21 (AUT,
# DEC, SIG) through SELECT DATA; SIG's written with command chaining.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/ca.key" -subj "/CN=occurrence sig" \
    -days 1 -outform DER -out "$T/sig.der" 2>/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/ca2.key" \
    -subj "/CN=occurrence aut" -days 1 -outform DER -out "$T/aut.der" 2>/dev/null
hexof() { od -An -v -tx1 "$1" | tr -d ' \n' | tr a-f A-F; }
sigder=$(hexof "$T/sig.der")
[ $((${#sigder} / 2)) -gt 255 ] || fail "the test certificate should need chaining"
chain=()
rest=$sigder
while [ ${#rest} -gt 400 ]; do
    chain+=("10DA7F21C8${rest:0:400}")
    rest=${rest:400}
done
chain+=("$(printf '00DA7F21%02X' $((${#rest} / 2)))$rest")
# SELECT DATA with a bad template is refused; the right one picks SIG (2).
out=$(apdu 00200083083132333435363738 00A50204045C027F22 00A502040660045C027F21 "${chain[@]}")
want="9000 6A88 9000$(printf ' 9000%.0s' "${chain[@]}")"
[ "$out" = "$want" ] || fail "chained PUT DATA 7F21 (occurrence 2): $out"
autder=$(hexof "$T/aut.der")
# AUT's (occurrence 0 again after a new SELECT) as one extended APDU.
out=$(apdu 00200083083132333435363738 "$(printf '00DA7F2100%04X' $((${#autder} / 2)))$autder")
[ "$out" = "9000 9000" ] || fail "extended PUT DATA 7F21 (occurrence 0): $out"
# GET NEXT DATA walks the occurrences: AUT, DEC (empty), SIG.
out=$(apdu 00CA7F21000000 00CC7F21000000 00CC7F21000000 00CC7F21000000)
read -r o0 o1 o2 o3 <<<"$out"
if ! { [ "$o0" = "${autder}9000" ] && [ "$o1" = 9000 ] && [ "$o2" = "${sigder}9000" ] &&
    [ "$o3" = 6A88 ]; }; then
    fail "GET DATA / GET NEXT DATA 7F21: $(echo "$out" | cut -c1-200)"
fi

timeout 30 pkcs15-tool -r 0 -D >"$T/p15" 2>&1 || fail "pkcs15-tool -D: $(cat "$T/p15")"
for l in "PKCS#15 Card [OpenPGP card]:" "	Serial number  : fffe0000ca4d" \
    "Private RSA Key [Signature key]" "Private RSA Key [Encryption key]" \
    "Private RSA Key [Authentication key]" "Public RSA Key [Signature key]" \
    "	ModLength      : 2048"; do
    expect_line "$T/p15" "$l"
done
# OpenSC names each occurrence: 0 AUT (ID 03), 2 SIG (ID 01); DEC is empty.
expect_line "$T/p15" "X.509 Certificate [AUT certificate]"
expect_line "$T/p15" "X.509 Certificate [SIG certificate]"
grep -q '^X.509 Certificate \[DEC' "$T/p15" && fail "pkcs15-tool lists the empty DEC certificate"
timeout 30 pkcs15-tool -r 0 --read-certificate 01 -o "$T/got.pem" >/dev/null 2>&1 ||
    fail "pkcs15-tool --read-certificate 01"
openssl x509 -in "$T/got.pem" -outform DER -out "$T/got.der"
cmp -s "$T/got.der" "$T/sig.der" || fail "certificate 01 (SIG occurrence) differs from what was written"
timeout 30 pkcs15-tool -r 0 --read-certificate 03 -o "$T/got.pem" >/dev/null 2>&1 ||
    fail "pkcs15-tool --read-certificate 03"
openssl x509 -in "$T/got.pem" -outform DER -out "$T/got.der"
cmp -s "$T/got.der" "$T/aut.der" || fail "certificate 03 (AUT occurrence) differs"
echo "pkcs15-tool -D: keys, PINs and the certificates of occurrences 0 and 2 OK"

# pkcs11-tool signs with the AUT key (INTERNAL AUTHENTICATE) and the SIG key
# (PSO:CDS); openssl verifies with the public keys pkcs15-tool read.
for id in 03 01; do
    slot=0
    [ $id = 01 ] && slot=1 # the "User PIN (sig)" token holds the SIG key
    timeout 30 pkcs15-tool -r 0 --read-public-key $id -o "$T/pub$id.pem" >/dev/null 2>&1 ||
        fail "pkcs15-tool --read-public-key $id"
    timeout 30 pkcs11-tool --module "$P11" --slot-index $slot --login --pin 123456 --sign --id $id \
        -m SHA256-RSA-PKCS -i "$T/msg" -o "$T/p11.sig" >"$T/out" 2>&1 || fail "pkcs11-tool --sign --id $id"
    openssl dgst -sha256 -verify "$T/pub$id.pem" -signature "$T/p11.sig" "$T/msg" >"$T/out" 2>&1 ||
        fail "openssl does not verify pkcs11-tool's signature with key $id"
done
[ "$(card_sw 00880000)" = 9000 ] || fail "INTERNAL AUTHENTICATE"
sigs=$((sigs + 1))
echo "pkcs11-tool signatures (AUT, SIG) verified by openssl"

# ---- 6. error paths --------------------------------------------------------
# Empty VERIFY tells the state without spending a try; P1=FF forgets.
out=$(apdu 0020008100 0020008106313233343536 0020008100 0020FF8100 0020008100)
[ "$out" = "63C3 9000 9000 9000 63C3" ] || fail "empty VERIFY / VERIFY FF: $out"
# The private DOs' rules, as APDUs (whatever a client sends).
out=$(apdu 00CA010300 00CA010400 0020008106313233343536 00DA010301AA 00DA010101AA 00CA010100)
[ "$out" = "6982 6982 9000 6982 6982 $(printf pdo-one | od -An -v -tx1 | tr -d ' \n' | tr a-f A-F)9000" ] ||
    fail "PW1-81 must not open DO 3 or write DO 1/3: $out"
out=$(apdu 0020008206313233343536 00DA010201AA 00DA010401AA 00CA010400 00DA01010770646F2D6F6E65)
[ "$out" = "9000 6982 6982 6982 9000" ] || fail "PW1-82 must not write DO 2/4 nor read DO 4: $out"
out=$(apdu 00200083083132333435363738 00DA010101AA 00CA010300)
[ "$out" = "9000 6982 6982" ] || fail "PW3 must not write DO 1 nor read DO 3: $out"
# GET CHALLENGE (announced in C0), no DO 7F74 unless --button, no MSE.
read -r c1 c2 c3 <<<"$(apdu 0084000008 00CA7F7400 00220000)"
[ "${#c1} ${c1:16}" = "20 9000" ] || fail "GET CHALLENGE: $c1"
[ "$c2 $c3" = "6A88 6D00" ] || fail "7F74 / MSE: $c2 $c3"

# A wrong Admin PIN through gpg: the card counts it, gpg says so, nothing
# is written.
cat >"$T/badpw3.in" <<'EOF'
cardedit.prompt admin
cardedit.prompt url
cardedit.change_url https://example.org/other.asc
passphrase.enter 87654321
cardedit.prompt quit
EOF
gpg_run badpw3 60 --card-edit || true
[ "$(card_sw 00200083)" = 63c2 ] || fail "wrong PW3: $(card_sw 00200083)"
grep -q 'Bad PIN' "$T/out" || fail "gpg did not report the bad Admin PIN"
card_status
expect_line "$T/cs" "PIN retry counter : 3 0 2"
expect_line "$T/cs" "URL of public key : https://example.org/jdoe.asc"

# Three wrong PW1 through gpg --detach-sign: 63C2, 63C1, 63C0, then 6983
# even for the right PIN; the signature counter does not move.
echo "passphrase.enter 111111" >"$T/bad.in"
for want in 63c2 63c1 63c0; do
    gpg_run bad 60 -u "$fpr" --detach-sign -o "$T/x.sig" "$T/msg" && fail "signed with a wrong PIN"
    [ "$(card_sw 00200081)" = $want ] || fail "wrong PW1: $(card_sw 00200081), want $want"
    rm -f "$T/x.sig"
done
# gpg no longer asks: scdaemon sees 0 tries in C4 and gives up itself.
gpg_run sign 60 -u "$fpr" --detach-sign -o "$T/x.sig" "$T/msg" && fail "signed with a blocked PIN"
expect_line "$T/out" "gpg: signing failed: PIN blocked"
# OpenSC reads the same counters from C4.
agent_stop
timeout 30 pkcs15-tool -r 0 -D >"$T/p15" 2>&1 || fail "pkcs15-tool -D (blocked)"
p15_tries() {
    awk -v pin="PIN [$1]" '$0 == pin { on = 1 } on && /Tries left/ { print $NF; exit }' "$T/p15"
}
tries="$(p15_tries "User PIN") $(p15_tries "User PIN (sig)") $(p15_tries "Admin PIN")"
[ "$tries" = "0 0 2" ] || fail "pkcs15-tool's tries left (user, sig, admin): $tries"
out=$(apdu 0020008106313233343536 0020008100)
[ "$out" = "6983 6983" ] || fail "blocked PW1 must refuse the right PIN: $out"
card_status
expect_line "$T/cs" "PIN retry counter : 0 0 2"
expect_line "$T/cs" "Signature counter : $sigs"
echo "wrong PW3 and PW1 counted, PW1 blocked"

# Unblock with PW3 (gpg --card-edit passwd, 2); the right PW3 also restores
# its own counter.
cat >"$T/unblock.in" <<'EOF'
cardedit.prompt admin
cardedit.prompt passwd
cardutil.change_pin.menu 2
passphrase.enter 12345678
passphrase.enter 654321
passphrase.enter 654321
cardutil.change_pin.menu q
cardedit.prompt quit
EOF
gpg_run unblock 60 --card-edit || fail "passwd 2 (unblock) exit $?"
[ "$(card_sw 002c0281)" = 9000 ] || fail "RESET RETRY COUNTER with PW3: $(card_sw 002c0281)"
card_status
expect_line "$T/cs" "PIN retry counter : 3 0 3"
out=$(apdu 0020008106313233343536 0020008106363534333231)
[ "$out" = "63C2 9000" ] || fail "the new PW1 after the unblock: $out"
echo "PW1 unblocked with PW3"

# Change PW1 back (passwd 1: CHANGE REFERENCE DATA 81, old || new), set a
# resetting code (passwd 4: PUT DATA D3), block PW1 and unblock it with the
# code (unblock: RESET RETRY COUNTER 00 2C 00 81, code || new).
cat >"$T/rc.in" <<'EOF'
cardedit.prompt admin
cardedit.prompt passwd
cardutil.change_pin.menu 1
passphrase.enter 654321
passphrase.enter 123456
passphrase.enter 123456
cardutil.change_pin.menu 4
passphrase.enter 12345678
passphrase.enter 87654321
passphrase.enter 87654321
cardutil.change_pin.menu q
cardedit.prompt quit
EOF
gpg_run rc 60 --card-edit || fail "passwd 1 and 4 exit $?"
[ "$(card_sw 002400810c)" = 9000 ] || fail "CHANGE REFERENCE DATA PW1: $(card_sw 002400810c)"
[ "$(card_sw 00da00d3)" = 9000 ] || fail "PUT DATA D3: $(card_sw 00da00d3)"
card_status
expect_line "$T/cs" "PIN retry counter : 3 3 3"
out=$(apdu 0020008106303030303030 0020008106303030303030 0020008106303030303030 0020008100)
[ "$out" = "63C2 63C1 63C0 6983" ] || fail "blocking PW1 again: $out"
# A wrong resetting code counts too.
out=$(apdu 002C00810E3131313131313131313233343536)
[ "$out" = "63C2" ] || fail "wrong resetting code: $out"
cat >"$T/unblockrc.in" <<'EOF'
cardedit.prompt unblock
passphrase.enter 87654321
passphrase.enter 123456
passphrase.enter 123456
cardedit.prompt quit
EOF
gpg_run unblockrc 60 --card-edit || fail "unblock with the resetting code exit $?"
[ "$(card_sw 002c0081)" = 9000 ] || fail "RESET RETRY COUNTER with the code: $(card_sw 002c0081)"
card_status
expect_line "$T/cs" "PIN retry counter : 3 3 3"
out=$(apdu 0020008106313233343536)
[ "$out" = "9000" ] || fail "PW1 after the unblock with the code: $out"
echo "PW1 changed, resetting code set, PW1 unblocked with it"

# ---- 7. key import: gpg --edit-key keytocard (PUT DATA 00 DB 3F FF, 4D) --
agent_stop
timeout 60 gpg --batch --pinentry-mode loopback --passphrase '' \
    --quick-gen-key 'Imported <imp@example.org>' rsa2048 sign never >"$T/out" 2>&1 ||
    fail "gpg --quick-gen-key: $(cat "$T/out")"
imp=$(timeout 30 gpg --with-colons --list-keys imp@example.org 2>/dev/null | awk -F: '$1 == "fpr" { print $10; exit }')
cat >"$T/k2c.in" <<'EOF'
keyedit.prompt keytocard
keyedit.keytocard.use_primary y
cardedit.genkeys.storekeytype 1
cardedit.genkeys.replace_key y
passphrase.enter 12345678
keyedit.prompt save
EOF
gpg_run k2c 60 --edit-key "$imp" || fail "keytocard exit $?"
[ "$(card_sw 00db3fff)" = 9000 ] || fail "key import: $(card_sw 00db3fff)"
grep -q '> 00db3fff0001' "$RIG_DIR/card0.log" || fail "gpg's import was not one extended APDU"
card_status
sp=$(echo "$imp" | sed -E 's/(....)/\1 /g; s/ $//; s/^(.{24}) /\1  /')
expect_line "$T/cs" "Signature key ....: $sp"
expect_line "$T/cs" "Signature counter : 0"
gpg_run sign 60 -u "$imp" --detach-sign -o "$T/imp.sig" "$T/msg" || fail "signing with the imported key"
agent_stop
timeout 30 gpg --status-fd 1 --verify "$T/imp.sig" "$T/msg" >"$T/verify" 2>&1 || fail "gpg --verify (imported)"
grep -q "^\[GNUPG:\] VALIDSIG $imp " "$T/verify" || fail "no VALIDSIG by the imported key"
echo "a key imported by gpg keytocard signs on the card"

# The same import with command chaining (as a client without extended
# length sends it), into the AUT slot; pkcs15-tool must read back the
# public key and pkcs11-tool must sign with it (INTERNAL AUTHENTICATE).
"$RIG_PY" - "$T" <<'EOF' >"$T/import.apdus"
import sys
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

def tlv(tag, v):
    n = len(v)
    ln = bytes([n]) if n < 0x80 else (bytes([0x81, n]) if n < 0x100 else b"\x82" + n.to_bytes(2, "big"))
    return tag + ln + v

key = rsa.generate_private_key(65537, 2048)
nums = key.private_numbers()
e, p, q = (x.to_bytes((x.bit_length() + 7) // 8, "big") for x in (nums.public_numbers.e, nums.p, nums.q))
hdr = b"\x91" + bytes([len(e)]) + b"\x92\x81" + bytes([len(p)]) + b"\x93\x81" + bytes([len(q)])
data = tlv(b"\x4d", b"\xa4\x00" + tlv(b"\x7f\x48", hdr) + tlv(b"\x5f\x48", e + p + q))
parts = [data[i:i + 255] for i in range(0, len(data), 255)]
for i, part in enumerate(parts):
    cla = "00" if i == len(parts) - 1 else "10"
    print(cla + "DB3FFF" + "%02X" % len(part) + part.hex().upper())
with open(sys.argv[1] + "/imported.pem", "wb") as f:
    f.write(key.public_key().public_bytes(serialization.Encoding.PEM,
                                          serialization.PublicFormat.SubjectPublicKeyInfo))
EOF
mapfile -t imp_apdus <"$T/import.apdus"
[ ${#imp_apdus[@]} -ge 2 ] || fail "the import should need chaining"
out=$(apdu "${imp_apdus[@]}")
# Without PW3: the chain's parts are taken, its last command refused.
[ "$out" = "$(printf '9000 %.0s' "${imp_apdus[@]:1}")6982" ] || fail "chained import without PW3: $out"
out=$(apdu 00200083083132333435363738 "${imp_apdus[@]}" 00CA00DE00)
[ "$out" = "9000$(printf ' 9000%.0s' "${imp_apdus[@]}") 0102020103029000" ] ||
    fail "chained import (key info DE: SIG imported by gpg, DEC generated, AUT imported): $out"
# OpenSC lists a key only when its fingerprint (C5) is not zero, and the
# card voids the fingerprint at an import: the client must write C9 (here
# any 20 bytes: the card does not check them), as gpg does.
timeout 30 pkcs15-tool -r 0 -D >"$T/p15" 2>&1 || fail "pkcs15-tool -D (imported)"
grep -q '^Private RSA Key \[Authentication key\]' "$T/p15" && fail "a key without fingerprint is listed"
out=$(apdu 00200083083132333435363738 00DA00C914A1A2A3A4A5A6A7A8A9AAABACADAEAFB0B1B2B3B4)
[ "$out" = "9000 9000" ] || fail "PUT DATA C9: $out"
timeout 30 pkcs15-tool -r 0 -D >"$T/p15" 2>&1 || fail "pkcs15-tool -D (imported, C9)"
expect_line "$T/p15" "Private RSA Key [Authentication key]"
timeout 30 pkcs15-tool -r 0 --read-public-key 03 -o "$T/got.pem" >/dev/null 2>&1 ||
    fail "pkcs15-tool --read-public-key 03 (imported)"
cmp -s <(openssl pkey -pubin -in "$T/got.pem" -outform DER) \
    <(openssl pkey -pubin -in "$T/imported.pem" -outform DER) || fail "imported public key differs"
timeout 30 pkcs11-tool --module "$P11" --slot-index 0 --login --pin 123456 --sign --id 03 \
    -m SHA256-RSA-PKCS -i "$T/msg" -o "$T/p11.sig" >"$T/out" 2>&1 || fail "pkcs11-tool --sign (imported)"
openssl dgst -sha256 -verify "$T/imported.pem" -signature "$T/p11.sig" "$T/msg" >"$T/out" 2>&1 ||
    fail "openssl does not verify the imported key's signature"
echo "a key imported with command chaining is read by pkcs15-tool and signs through pkcs11-tool"

# ---- 8. the state across a pull-out (RIG_CARD_KEEP=1), and a new card ------
card_status
cp "$T/cs" "$T/cs.before"
rig_card_kill 0
card_start
card_status
diff "$T/cs.before" "$T/cs" >&2 || fail "gpg --card-status differs after the restart"
gpg_run sign 60 -u "$imp" --detach-sign -o "$T/imp2.sig" "$T/msg" || fail "signing after the restart"
agent_stop
timeout 30 gpg --status-fd 1 --verify "$T/imp2.sig" "$T/msg" >"$T/verify" 2>&1 || fail "gpg --verify (restart)"
grep -q "^\[GNUPG:\] VALIDSIG $imp " "$T/verify" || fail "no VALIDSIG after the restart"
[ "$(timeout 20 openpgp-tool -r 0 --verify CHV3 --pin 12345678 --raw -d 4)" = pdo-four ] ||
    fail "DO 4 after the restart"
rig_card_kill 0
rig_card_forget 0
card_start
card_status
expect_line "$T/cs" "Name of cardholder: [not set]"
expect_line "$T/cs" "Signature key ....: [none]"
expect_line "$T/cs" "PIN retry counter : 3 0 3"
echo "the card keeps its state across a kill and restart; a forgotten one is blank"

# ---- 9. EC keys: gpg key-attr NIST P-256 (C1-C3), generate, ECDSA, ECDH --
cat >"$T/ecattr.in" <<'EOF'
cardedit.prompt admin
cardedit.prompt key-attr
cardedit.genkeys.algo 2
keygen.curve NIST P-256
passphrase.enter 12345678
cardedit.genkeys.algo 2
keygen.curve NIST P-256
passphrase.enter 12345678
cardedit.genkeys.algo 2
keygen.curve NIST P-256
passphrase.enter 12345678
cardedit.prompt quit
EOF
# (NIST curves are expert-only in gpg's menu; gpg asks PW3 for each key.)
gpg_run ecattr 60 --expert --card-edit || fail "key-attr exit $?"
card_status
expect_line "$T/cs" "Key attributes ...: nistp256 nistp256 nistp256"
# ECDSA for SIG and AUT (13), ECDH for DEC (12), OID 1.2.840.10045.3.1.7.
out=$(apdu 00CA00C100 00CA00C200 00CA00C300)
[ "$out" = "132A8648CE3D0301079000 122A8648CE3D0301079000 132A8648CE3D0301079000" ] ||
    fail "algorithm attributes: $out"
gpg_run gen 120 --card-edit || fail "gpg --card-edit generate (P-256) exit $?"
ecfpr=$(sed -n 's/^\[GNUPG:\] KEY_CREATED B \([0-9A-F]*\)$/\1/p' "$T/status")
[ -n "$ecfpr" ] || fail "no KEY_CREATED for the P-256 keys"
card_status
# The counter counts the self-signatures this card (since its start) made.
n=$(tac "$RIG_DIR/card0.log" | sed '/==== card start/q' | tac | grep -A1 '> 002a9e9a' |
    grep -c ' < .*9000$' || true)
expect_line "$T/cs" "Signature counter : $n"
gpg_run sign 60 -u "$ecfpr" --detach-sign -o "$T/ec.sig" "$T/msg" || fail "ECDSA signing exit $?"
agent_stop
timeout 30 gpg --status-fd 1 --verify "$T/ec.sig" "$T/msg" >"$T/verify" 2>&1 || fail "gpg --verify (ECDSA)"
grep -q "^\[GNUPG:\] VALIDSIG $ecfpr .* 19 " "$T/verify" || fail "no ECDSA VALIDSIG by $ecfpr"
timeout 30 gpg --batch --trust-model always -e -r "$ecfpr" -o "$T/ec.gpg" "$T/msg" 2>"$T/out" ||
    fail "gpg -e (ECDH)"
gpg_run sign 60 -o "$T/ec.dec" -d "$T/ec.gpg" || fail "gpg -d (ECDH) exit $?"
cmp -s "$T/msg" "$T/ec.dec" || fail "ECDH: decrypted text differs"
grep -q '> 002a8086..a6' "$RIG_DIR/card0.log" || fail "no PSO:DECIPHER with an A6 template"
# OpenSC: ECDSA with the AUT key, verified by openssl.
agent_stop
timeout 30 pkcs15-tool -r 0 --read-public-key 03 -o "$T/ecpub.pem" >/dev/null 2>&1 ||
    fail "pkcs15-tool --read-public-key 03 (EC)"
timeout 30 pkcs11-tool --module "$P11" --slot-index 0 --login --pin 123456 --sign --id 03 \
    -m ECDSA-SHA256 --signature-format openssl -i "$T/msg" -o "$T/p11ec.sig" >"$T/out" 2>&1 ||
    fail "pkcs11-tool ECDSA: $(cat "$T/out")"
openssl dgst -sha256 -verify "$T/ecpub.pem" -signature "$T/p11ec.sig" "$T/msg" >"$T/out" 2>&1 ||
    fail "openssl does not verify pkcs11-tool's ECDSA signature"
echo "P-256 keys generated by gpg: gpg ECDSA and ECDH, pkcs11-tool ECDSA verified by openssl"

# ---- 10. gpg's factory-reset: both PINs blocked, TERMINATE DF, ACTIVATE --
cat >"$T/reset.in" <<'EOF'
cardedit.prompt admin
cardedit.prompt factory-reset
cardedit.factory-reset.proceed y
cardedit.factory-reset.really yes
cardedit.prompt quit
EOF
gpg_run reset 60 --card-edit || fail "factory-reset exit $?"
[ "$(card_sw 0020008320)" = 6983 ] || fail "PW3 not blocked by factory-reset: $(card_sw 0020008320)"
[ "$(card_sw 00e60000)" = 9000 ] || fail "TERMINATE DF: $(card_sw 00e60000)"
[ "$(card_sw 00440000)" = 9000 ] || fail "ACTIVATE FILE: $(card_sw 00440000)"
card_status
expect_line "$T/cs" "Key attributes ...: rsa2048 rsa2048 rsa2048"
expect_line "$T/cs" "Signature key ....: [none]"
expect_line "$T/cs" "PIN retry counter : 3 0 3"
expect_line "$T/cs" "Serial number ....: 0000CA4D"
out=$(apdu 0020008106313233343536 00200083083132333435363738 00E60000 00CA006E00 00440000 0020008100)
[ "$out" = "9000 9000 9000 6285 9000 63C3" ] || fail "TERMINATE / ACTIVATE as APDUs: $out"
echo "gpg factory-reset: the card is blank again"

# ---- 11. a card without extended length (--short): the clients chain ----
rig_card_kill 0
rig_card_forget 0
RIG_CARD_KEEP=1 rig_card_start 0 openpgp -v --serial 0000CA4E --short
card_status
expect_line "$T/cs" "Application ID ...: D276000124010304FFFE0000CA4E0000"
out=$(apdu 00CA7F6600 00CA5F5200 00CA004F000000)
[ "$out" = "6A88 0031C573C001800590009000 6700" ] || fail "--short: no 7F66, chaining only: $out"
gpg_run gen 120 --card-edit || fail "gpg --card-edit generate (short) exit $?"
sfpr=$(sed -n 's/^\[GNUPG:\] KEY_CREATED B \([0-9A-F]*\)$/\1/p' "$T/status")
[ -n "$sfpr" ] || fail "no KEY_CREATED on the short card"
# The 270-byte public keys came in two parts: 256 bytes and 610E, then
# GET RESPONSE for the rest.
grep -A1 '> 0047800002b60000$' "$RIG_DIR/card0.log" | grep -q ' < .*610e$' ||
    fail "GENERATE on the short card did not answer 610E"
grep -A1 '> 00c000000e$' "$RIG_DIR/card0.log" | grep -q ' < .*9000$' ||
    fail "no GET RESPONSE on the short card"
timeout 30 gpg --batch --trust-model always -e -r "$sfpr" -o "$T/s.gpg" "$T/msg" 2>"$T/out" ||
    fail "gpg -e (short)"
gpg_run sign 60 -o "$T/s.dec" -d "$T/s.gpg" || fail "gpg -d (short) exit $?"
cmp -s "$T/msg" "$T/s.dec" || fail "decrypted text differs (short)"
grep -q '> 102a8086' "$RIG_DIR/card0.log" || fail "gpg's DECIPHER on the short card was not chained"
[ "$(card_sw 002a8086)" = 9000 ] || fail "chained PSO:DECIPHER: $(card_sw 002a8086)"
# gpg writes a cardholder certificate (7F21, occurrence 0) with chaining;
# pkcs15-tool reads it back through 61xx.
cat >"$T/cert.in" <<EOF
cardedit.prompt admin
cardedit.prompt writecert 3 < $T/sig.der
passphrase.enter 12345678
cardedit.prompt quit
EOF
gpg_run cert 60 --card-edit || fail "gpg writecert exit $?"
[ "$(status_count SC_OP_SUCCESS)" = 1 ] || fail "gpg writecert failed"
grep -q '> 10da7f21' "$RIG_DIR/card0.log" || fail "gpg's PUT DATA 7F21 was not chained"
agent_stop
timeout 30 pkcs15-tool -r 0 --read-certificate 03 -o "$T/got.pem" >/dev/null 2>&1 ||
    fail "pkcs15-tool --read-certificate 03 (short)"
openssl x509 -in "$T/got.pem" -outform DER -out "$T/got.der"
cmp -s "$T/got.der" "$T/sig.der" || fail "certificate read on the short card differs"
timeout 30 pkcs15-tool -r 0 --read-public-key 03 -o "$T/spub.pem" >/dev/null 2>&1 ||
    fail "pkcs15-tool --read-public-key 03 (short)"
timeout 30 pkcs11-tool --module "$P11" --slot-index 0 --login --pin 123456 --sign --id 03 \
    -m SHA256-RSA-PKCS -i "$T/msg" -o "$T/p11.sig" >"$T/out" 2>&1 || fail "pkcs11-tool --sign (short)"
openssl dgst -sha256 -verify "$T/spub.pem" -signature "$T/p11.sig" "$T/msg" >"$T/out" 2>&1 ||
    fail "openssl does not verify the short card's signature"
echo "a card without extended length: gpg and OpenSC chain and use GET RESPONSE"
echo "openpgp_clients: OK"
