#!/usr/bin/env bash
# The rig's PKCS#15 card, checked by independent clients before any scmgr
# agent reads it (issue 8, §5): OpenSC's own pkcs15-init lays out PKCS#15 on
# vicc's ISO 7816-4 card (rig_card_p15) and stores two certificates and two
# data objects; pkcs15-tool, opensc-explorer and pkcs11-tool must read back
# exactly what was stored. scmgr's PKCS#15 codec (p15_tool, on
# src/agents/p15_asn1.c) must read the same files as pkcs15-tool, and the
# files must be the ones frozen in tests/data/p15 for the codec's unit test
# (P15_FREEZE=DIR writes them there too, to refreeze after an OpenSC
# update). Entries the codec builds (a certificate, a data object, and the
# ODF entry of a first DODF), written with opensc-explorer, must read back
# through pkcs15-tool. Then the failures: missing objects, and pkcs15-init
# on a card without the isoApplet trick, each as the notes describe.
# usage: p15_clients.sh P15_TOOL
set -euo pipefail
# shellcheck source=../cli/lib.sh
. "$(dirname "$0")/../cli/lib.sh"
# shellcheck source=rig.sh
. "${SCMGR_RIG:?SCMGR_RIG must point to tests/rig/rig.sh}"
P15_TOOL=${1:?usage: p15_clients.sh P15_TOOL}
FROZEN="${SCMGR_TEST_DATA:?}/p15"
rig_require
rig_require_tools opensc-tool pkcs15-init pkcs15-tool opensc-explorer pkcs11-tool openssl
P11=/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so
[ -e "$P11" ] || P11=$(dpkg -L opensc-pkcs11 2>/dev/null | grep '/opensc-pkcs11.so$' | head -n 1)
if [ ! -e "$P11" ]; then # a module, not a command: rig_require_tools cannot say
    [ "${CI:-}" = true ] && fail "OpenSC's PKCS#11 module (opensc-pkcs11) is missing"
    echo "SKIP: OpenSC's PKCS#11 module (opensc-pkcs11) is missing" >&2
    exit 77
fi

# hasf FILE TEXT: a fixed string (the clients' output is full of [ ] ( ) :).
hasf() { grep -Fq -- "$2" "$1" || fail "$1 lacks '$2'"; }
# said TEXT: the last command printed it, on stdout or stderr (OpenSC's
# tools use both for their errors).
said() { cat "$OUT" "$ERR" | grep -Fq -- "$1" || fail "no '$1' in the output"; }

rig_up
rig_card_p15 0 "scmgr lab"
hasf "$OPENSC_CONF" 'driver = "isoApplet"'
case "$OPENSC_CONF" in "$RIG_DIR"/*) ;; *) fail "OPENSC_CONF is not the rig's own" ;; esac

# ---- what pkcs15-init stores ----------------------------------------------------
# Certificates and keys made here, in the test's directory. The labels,
# IDs and application names are those of tests/data/p15.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/k1.pem" -out "$T/c1.pem" \
    -subj "/CN=scmgr p15 one" -days 30 2>/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/k2.pem" \
    -out "$T/c2.pem" -subj "/CN=scmgr p15 two" -days 30 2>/dev/null
printf 'scmgr data object bytes' >"$T/d1.bin"
head -c 200 /dev/urandom >"$T/d2.bin"

p15init() { expect 0 pkcs15-init -r 0 "$@"; }
p15init --store-certificate "$T/c1.pem" --id 45 --label "lab cert"
p15init --store-data "$T/d1.bin" --label "lab data" --application-name scmgr
p15init --store-certificate "$T/c2.pem" --id 46 --label "second cert"
p15init --store-data "$T/d2.bin" --label "oid data" --application-name scmgr \
    --application-id 1.3.6.1.4.1.99999.1

# ---- pkcs15-tool ------------------------------------------------------------------
expect 0 pkcs15-tool -r 0 --dump
cp "$OUT" "$T/dump"
hasf "$T/dump" "PKCS#15 Card [scmgr lab]:"
hasf "$T/dump" "Manufacturer ID: unknown"
hasf "$T/dump" "Flags          : EID compliant"
hasf "$T/dump" "X.509 Certificate [lab cert]"
hasf "$T/dump" "X.509 Certificate [second cert]"
hasf "$T/dump" "Path           : 3f0050153400"
hasf "$T/dump" "Path           : 3f0050153401"
hasf "$T/dump" "Data object 'lab data'"
hasf "$T/dump" "Data object 'oid data'"
hasf "$T/dump" "applicationOID:  1.3.6.1.4.1.99999.1"
lacks "$T/dump" "PIN"

expect 0 pkcs15-tool -r 0 --list-certificates
cp "$OUT" "$T/certs"
[ "$(grep -c '^X.509 Certificate' "$T/certs")" = 2 ] || fail "two certificates listed"
for pair in 45:c1 46:c2; do
    set -- "${pair%:*}" "${pair#*:}"
    expect 0 pkcs15-tool -r 0 --read-certificate "$1"
    cp "$OUT" "$T/back-$2.pem"
    openssl x509 -in "$T/back-$2.pem" -outform DER -out "$T/back-$2.der"
    openssl x509 -in "$T/$2.pem" -outform DER -out "$T/$2.der"
    cmp "$T/$2.der" "$T/back-$2.der" || fail "certificate $1 read back differs"
    [ "$(openssl x509 -in "$T/back-$2.pem" -noout -fingerprint -sha256)" = \
        "$(openssl x509 -in "$T/$2.pem" -noout -fingerprint -sha256)" ] || fail "fingerprint $1"
done

expect 0 pkcs15-tool -r 0 --list-data-objects
cp "$OUT" "$T/data"
[ "$(grep -c '^Data object' "$T/data")" = 2 ] || fail "two data objects listed"
hasf "$T/data" "Data (23 bytes): $(od -An -tx1 -v "$T/d1.bin" | tr -d ' \n' | tr a-f A-F)"
hasf "$T/data" "Path:            3f0050153201"
expect 0 pkcs15-tool -r 0 --read-data-object "lab data" --output "$T/back-d1.bin"
cmp "$T/d1.bin" "$T/back-d1.bin" || fail "data object 'lab data' read back differs"
# By application OID as well as by label.
expect 0 pkcs15-tool -r 0 --read-data-object 1.3.6.1.4.1.99999.1 --output "$T/back-d2.bin"
cmp "$T/d2.bin" "$T/back-d2.bin" || fail "data object 1.3.6.1.4.1.99999.1 read back differs"

# ---- opensc-explorer: the files themselves ------------------------------------------
mkdir "$T/files"
printf '%s\n' "cat 2F00" "cd 5015" "cat 5031" \
    "get 5032 $T/files/tokeninfo" "get 4401 $T/files/aodf" "get 4404 $T/files/cdf" \
    "get 4405 $T/files/dodf" "cd .." "get 2F00 $T/files/ef-dir" "cd 5015" \
    "get 5031 $T/files/odf" >"$T/explore"
expect 0 opensc-explorer -r 0 <"$T/explore"
# EF.DIR: 61 1F { 4F 0C <PKCS#15 AID>, 50 09 "scmgr lab", 51 04 3F005015 }
hasf "$OUT" "00000000: 61 1F 4F 0C A0 00 00 00 63 50 4B 43 53 2D 31 35"
hasf "$OUT" "00000010: 50 09 73 63 6D 67 72 20 6C 61 62 51 04 3F 00 50"
# ODF: A8 (AODF 4401), A4 (CDF 4404), A7 (DODF 4405)
hasf "$OUT" "00000000: A8 0A 30 08 04 06 3F 00 50 15 44 01 A4 0A 30 08"
hasf "$OUT" "00000010: 04 06 3F 00 50 15 44 04 A7 0A 30 08 04 06 3F 00"
lacks "$OUT" "rror"

# The files are OpenSC's bytes of tests/data/p15 (the random certificate
# and data are in their own EFs, not here). TokenInfo ends in the time of
# its last update: all but those 15 digits must match.
if [ -n "${P15_FREEZE:-}" ]; then
    cp "$T/files/"* "$P15_FREEZE/"
    echo "p15_clients: froze the card's files into $P15_FREEZE" >&2
fi
for f in ef-dir odf aodf cdf dodf; do
    cmp "$FROZEN/$f" "$T/files/$f" || fail "$f differs from tests/data/p15/$f"
done
ti_len=$(stat -c %s "$FROZEN/tokeninfo")
[ "$(stat -c %s "$T/files/tokeninfo")" = "$ti_len" ] || fail "TokenInfo's length changed"
cmp -n $((ti_len - 15)) "$FROZEN/tokeninfo" "$T/files/tokeninfo" || fail "TokenInfo differs"

# ---- scmgr's codec reads what pkcs15-tool reads --------------------------------------
dump() { expect 0 "$P15_TOOL" "$@"; }
dump dir "$T/files/ef-dir"
[ "$(cat "$OUT")" = "app aid=A000000063504B43532D3135 label=scmgr lab path=3F005015" ] ||
    fail "EF.DIR as scmgr reads it"
dump odf "$T/files/odf"
[ "$(tr '\n' ,  <"$OUT")" = "aodf path=3F0050154401,cdf path=3F0050154404,dodf path=3F0050154405," ] ||
    fail "ODF as scmgr reads it"
dump tokeninfo "$T/files/tokeninfo"
[ "$(cat "$OUT")" = "token version=0 serial=0000 manufacturer=unknown label=scmgr lab flags=0x08" ] ||
    fail "TokenInfo as scmgr reads it"
dump aodf "$T/files/aodf"
[ ! -s "$OUT" ] || fail "an AODF without PINs"
# Certificates: label, flags, ID and path as pkcs15-tool printed them.
dump cdf "$T/files/cdf"
awk -F': *' '
    /^X.509 Certificate \[/ { l = $0; sub(/^X.509 Certificate \[/, "", l); sub(/\]$/, "", l) }
    /Object Flags/ { f = $2; sub(/\].*/, "", f); sub(/^\[0x/, "", f) }
    /Path/ { p = toupper($2) }
    /ID/ { printf "cdf label=%s flags=0x%s id=%s path=%s\n", l, f, toupper($2), p }
' "$T/certs" >"$T/certs.want"
diff "$T/certs.want" "$OUT" || fail "certificates: scmgr's codec and pkcs15-tool disagree"
dump dodf "$T/files/dodf"
awk -F': *' '
    /^Data object / { if (l != "") out(); l = $0; sub(/^Data object .\047?/, "", l); sub(/\047$/, "", l); a = ""; o = "" }
    /applicationName/ { a = $2 }
    /applicationOID/ { o = $2 }
    /Path/ { p = toupper($2) }
    function out() { printf "dodf label=%s flags=0x02 id= path=%s app=%s oid=%s\n", l, p, a, o }
    END { if (l != "") out() }
' "$T/data" >"$T/data.want"
diff "$T/data.want" "$OUT" || fail "data objects: scmgr's codec and pkcs15-tool disagree"
# A damaged file: one sentence, no crash.
head -c 30 "$T/files/cdf" >"$T/cut"
expect 1 "$P15_TOOL" cdf "$T/cut"
hasf "$ERR" "The card's CDF is malformed at byte 0: a value of 35 bytes runs past the end"

# ---- entries built by scmgr's codec, read back by OpenSC -------------------------------
# explore I CMD...: opensc-explorer on slot I, in DF 5015; any error fails.
explore() {
    local i=$1
    shift
    printf '%s\n' "cd 5015" "$@" >"$T/explore"
    expect 0 opensc-explorer -r "$i" <"$T/explore"
    lacks "$ERR" "."
    lacks "$OUT" "rror|Unable|nvalid"
}
# A certificate in a new EF 3402, its entry after the last one in the CDF.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes -keyout "$T/k3.pem" \
    -out "$T/c3.pem" -subj "/CN=scmgr p15 three" -days 30 2>/dev/null
openssl x509 -in "$T/c3.pem" -outform DER -out "$T/c3.der"
expect 0 "$P15_TOOL" add-cert "$T/files/cdf" "scmgr cert" 47 3F0050153402
read -r off hex <"$OUT"
[ "$off" = 77 ] || fail "the CDF's entries end at byte 77, not $off"
explore 0 "create 3402 $(stat -c %s "$T/c3.der")" "put 3402 $T/c3.der" "update_binary 4404 $off $hex"
# A data object in a new EF 3202, its entry after the last one in the DODF.
printf 'written by scmgr' >"$T/d3.bin"
expect 0 "$P15_TOOL" add-data "$T/files/dodf" "scmgr data" scmgr 1.2.3.4 3F0050153202
read -r off hex <"$OUT"
explore 0 "create 3202 16" "put 3202 $T/d3.bin" "update_binary 4405 $off $hex"
expect 0 pkcs15-tool -r 0 --read-certificate 47
openssl x509 -in "$OUT" -outform DER -out "$T/back-c3.der"
cmp "$T/c3.der" "$T/back-c3.der" || fail "scmgr's certificate read back differs"
expect 0 pkcs15-tool -r 0 --read-data-object "scmgr data" --output "$T/back-d3.bin"
cmp "$T/d3.bin" "$T/back-d3.bin" || fail "scmgr's data object read back differs"
expect 0 pkcs15-tool -r 0 --dump
hasf "$OUT" "X.509 Certificate [scmgr cert]"
hasf "$OUT" "applicationOID:  1.2.3.4"
# pkcs15-init's own objects are all still there, unchanged.
[ "$(grep -c '^X.509 Certificate' "$OUT")" = 3 ] || fail "three certificates"
[ "$(grep -c '^Data object' "$OUT")" = 3 ] || fail "three data objects"
expect 0 pkcs15-tool -r 0 --read-data-object "lab data" --output "$T/again-d1.bin"
cmp "$T/d1.bin" "$T/again-d1.bin" || fail "'lab data' changed"
# A first data object on a fresh layout: pkcs15-init's empty layout lists
# the AODF alone, so the DODF is created and entered in the ODF first.
rig_card_p15 1 "fresh"
explore 1 "get 5031 $T/fresh-odf"
head -c 256 /dev/zero >"$T/fresh-dodf"
expect 0 "$P15_TOOL" odf "$T/fresh-odf"
[ "$(cat "$OUT")" = "aodf path=3F0050154401" ] || fail "a fresh ODF lists the AODF alone"
expect 0 "$P15_TOOL" add-odf "$T/fresh-odf" dodf 3F0050154405
read -r odf_off odf_hex <"$OUT"
[ "$odf_off $odf_hex" = "12 A70A300804063F0050154405" ] || fail "the ODF entry pkcs15-init writes"
expect 0 "$P15_TOOL" add-data "$T/fresh-dodf" "first" "" "" 3F0050153200
read -r off hex <"$OUT"
explore 1 "create 4405 256" "update_binary 5031 $odf_off $odf_hex" "create 3200 16" \
    "put 3200 $T/d3.bin" "update_binary 4405 $off $hex"
expect 0 pkcs15-tool -r 1 --read-data-object first --output "$T/back-first.bin"
cmp "$T/d3.bin" "$T/back-first.bin" || fail "the first data object read back differs"
rig_card_kill 1

# ---- pkcs11-tool through OpenSC's PKCS#11 module ----------------------------------------
expect 0 pkcs11-tool --module "$P11" -L
hasf "$OUT" "token label        : scmgr lab"
hasf "$OUT" "token model        : PKCS#15"
expect 0 pkcs11-tool --module "$P11" --slot-index 0 -O
cp "$OUT" "$T/p11"
[ "$(grep -c '^Certificate Object; type = X.509 cert' "$T/p11")" = 3 ] || fail "pkcs11: 3 certs"
hasf "$T/p11" "label:      scmgr cert"
hasf "$T/p11" "label:      lab cert"
hasf "$T/p11" "subject:    DN: CN=scmgr p15 one"
hasf "$T/p11" "ID:         45"
hasf "$T/p11" "subject:    DN: CN=scmgr p15 two"
hasf "$T/p11" "ID:         46"
hasf "$T/p11" "Public Key Object; RSA 2048 bits"
hasf "$T/p11" "label:          'lab data'"
hasf "$T/p11" "label:          'oid data'"
[ "$(grep -c "application:    'scmgr'" "$T/p11")" = 3 ] || fail "pkcs11: application names"
hasf "$T/p11" "app_id:         1.3.6.1.4.1.99999.1"

# ---- failures ------------------------------------------------------------------------
# Objects that are not there: a sentence and a non-zero exit, nothing written.
expect 0 pkcs15-tool -r 0 --list-data-objects
cp "$OUT" "$T/data-after"
expect 2 pkcs15-tool -r 0 --read-data-object "no such object" --output "$T/none.bin"
said "Data object with label 'no such object' not found."
[ ! -s "$T/none.bin" ] || fail "a missing data object wrote bytes"
expect 2 pkcs15-tool -r 0 --read-certificate 99
said "Certificate with ID '99' not found."
expect 0 pkcs15-tool -r 0 --list-data-objects
cmp "$OUT" "$T/data-after" || fail "the failed reads changed the card"

# pkcs15-init on a plain card in slot 1 (no IsoApplet DF): every way the
# notes describe fails, and the card keeps no PKCS#15 DF.
rig_card_start 1
conf() { printf 'app default {\n%s\n    framework pkcs15 { use_file_caching = no; }\n}\n' "$1" >"$T/$2.conf"; }
conf "" plain
conf "    enable_default_driver = yes;" default
p15init1() { expect 1 env OPENSC_CONF="$T/$1.conf" pkcs15-init -r 1 --create-pkcs15 \
    --profile pkcs15 --no-so-pin --label x; }
p15init1 plain # no driver takes the card
said "Failed to connect to card: Card is invalid or cannot be handled"
p15init1 default # the default driver takes it; pkcs15-init has nothing for it
said "Couldn't bind to the card: Not supported"
# The ATR mapped to isoApplet, but its AID cannot be selected.
expect 1 pkcs15-init -r 1 --create-pkcs15 --profile pkcs15 --no-so-pin --label x
said "Failed to connect to card: Card is invalid or cannot be handled"
expect 0 opensc-tool -r 1 -c default -s 00A4000C023F00 -s 00A4000C025015
hasf "$OUT" "SW1=0x6A, SW2=0x82"
# With the trick but a PIN: isoApplet sets the PUK by CHANGE REFERENCE DATA
# P1=01 before any VERIFY, which the card refuses (6982).
rig_card_kill 1
rig_card_start 1
expect 0 opensc-tool -r 1 -c default -s 00A4000C023F00 \
    -s 00E0000017621582013883024953840CF276A288BCFBA69D34F31001
expect 1 pkcs15-init -r 1 --create-pkcs15 --profile pkcs15+onepin --pin 1234 \
    --puk 1234567812345678 --label "pin card"
said "Failed to create PKCS #15 meta structure: Security status not satisfied"

# Neither card crashed on anything above (a crash in vicc shows to the
# client as an empty answer, so its log is checked too).
rig_card_alive 0 || fail "the card in slot 0 died"
rig_card_alive 1 || fail "the card in slot 1 died"
! grep -q Traceback "$RIG_DIR"/card*.log || fail "the emulator raised: $(grep -h -A5 Traceback "$RIG_DIR"/card*.log)"
echo "p15_clients: ok"
