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
STEP_TIMEOUT=60
fail() {
    echo "FAIL: $*" >&2
    echo "--- stdout:" >&2
    tail -n 40 "$OUT" >&2 2>/dev/null || true
    echo "--- stderr:" >&2
    tail -n 40 "$ERR" >&2 2>/dev/null || true
    rig_logs 2>&1 | tail -n 60 >&2
    exit 1
}
expect() {
    local want=$1 rc=0
    shift
    timeout "$STEP_TIMEOUT" "$@" >"$OUT" 2>"$ERR" || rc=$?
    [ "$rc" != 124 ] || fail "'$*' hung"
    [ "$rc" = "$want" ] || fail "'$*' exited $rc, want $want"
}
SCM=("$SCMGR_BIN" --store "$SCMGR_STORE")
same() { cmp -s "$1" "$2" || fail "$1 and $2 differ"; }
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

# ---- what scmgr sees -------------------------------------------------------------------
expect 0 "${SCM[@]}" readers
has "$OUT" "^0 +card +pkcs15 +0000 +scmgr lab +$R0"
expect 0 "${SCM[@]}" ls 0
cat $OUT
