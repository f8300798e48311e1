#!/usr/bin/env bash
# cli_cac: scmgr's CAC agent against the rig's CAC card (Debian's libcacard,
# an independent CAC implementation, behind cacard-vpcd), compared with
# what OpenSC's pkcs15-tool and NSS's certutil read. The card is picked by
# the CAC agent (a PIV card next to it still by the PIV agent), its three
# certificates are byte for byte those of the NSS database, its keys are
# listed and never copied, a wrong PIN is "wrong PIN" (6985, no try
# counter), a backup copies the certificates and warns that the card is
# read-only, a restore onto it is refused, and the card pulled out at
# every APDU of a backup gives a clear error, no hang, and no half-made VSC
# (or the VSC that was there, unchanged).
set -euo pipefail
# shellcheck source=rig.sh
. "${SCMGR_RIG:?SCMGR_RIG must point to tests/rig/rig.sh}"
rig_require
rig_cac_require
rig_require_tools pkcs15-tool openssl certutil timeout

T=$(mktemp -d "${TMPDIR:-/tmp}/scmgr-clicac-XXXXXX")
trap 'rm -rf "$T"' EXIT
OUT=$T/out
ERR=$T/err
exec </dev/null
# OpenSC's own configuration: every soft card has the same serial, so its
# file cache would mix cards up.
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
    [ "$rc" != 124 ] || fail "'$*' hung"
    [ "$rc" = "$want" ] || fail "'$*' exited $rc, want $want"
}
SCM=("$SCMGR_BIN" --store "$SCMGR_STORE")
has() { grep -Eq -- "$2" "$1" || fail "$1 lacks /$2/"; }
lacks() { ! grep -Eq -- "$2" "$1" || fail "$1 has /$2/"; }
same() { cmp -s "$1" "$2" || fail "$1 and $2 differ"; }
apdus() { grep -c '^> ' "$RIG_DIR/card0.log" || true; }

PIN=$RIG_CAC_PIN
PW=cac-backup-password-1
LABELS=("" "CAC ID Certificate" "CAC Email Signature Certificate" "CAC Email Encryption Certificate")
KEYS=("" "CAC ID private key" "CAC Email Signature private key" "CAC Email Encryption private key")
SERIAL=40705072360E000058BD002C19B5 # libcacard's card identifier (CCC tag F0), as OpenSC prints it

rig_up
rig_cac_db "$T/db"
rig_card_start 0 cac "$T/db"
rig_card_start 1 piv
R0=$RIG_READER_0
for n in 1 2 3; do
    certutil -L -d "sql:$T/db" -a -n "cert$n" >"$T/nss$n.pem"
    openssl x509 -in "$T/nss$n.pem" -outform DER -out "$T/nss$n.der"
done

# ---- which agent ---------------------------------------------------------------
expect 0 "${SCM[@]}" readers
has "$OUT" "^0 +card +cac +$SERIAL +cacard test cert 1 +$R0\$"
has "$OUT" "^1 +card +piv "
# OpenSC says the same serial (in lower case) and names the token alike.
expect 0 pkcs15-tool -r 0 -D
has "$OUT" "Serial number  : ${SERIAL,,}\$"
has "$OUT" 'PKCS#15 Card \[cacard test cert 1\]'

# ---- what scmgr lists and reads --------------------------------------------------
expect 0 "${SCM[@]}" ls 0
for n in 1 2 3; do
    has "$OUT" "public +certificate +[0-9]+ +A000000079010$((n - 1))/010$((n - 1)) +${LABELS[n]}\$"
done
[ "$(grep -c ' certificate ' "$OUT")" = 3 ] || fail "not 3 certificates"
has "$OUT" 'Locked: 0 private objects and 3 secret keys not shown'
expect 0 "${SCM[@]}" ls 0 --pin-fd 3 3<<<"$PIN"
[ "$(grep -c ' certificate ' "$OUT")" = 3 ] || fail "not 3 certificates with the PIN"
[ "$(grep -c ' private-key ' "$OUT")" = 3 ] || fail "not 3 keys with the PIN"
for n in 1 2 3; do
    has "$OUT" "secret +private-key .* key A000000079010$((n - 1))/010$((n - 1)) +${KEYS[n]}\$"
done
# The libcacard soft card's data buffers are empty: nothing to list.
lacks "$OUT" 'Person Instance|Personnel|PKI Credential'
expect 0 "${SCM[@]}" ls 0 --json --pin-fd 3 3<<<"$PIN"
[ "$(grep -c '"sealed": true' "$OUT")" = 3 ] || fail "--json: not 3 sealed keys"
[ "$(grep -c '"sealed": false' "$OUT")" = 3 ] || fail "--json: not 3 copyable certificates"
# Each certificate as scmgr reads it is what pkcs15-tool reads and what
# the NSS database holds, byte for byte.
for n in 1 2 3; do
    expect 0 "${SCM[@]}" get 0 "${LABELS[n]}" -o "$T/scm$n.der"
    expect 0 pkcs15-tool -r 0 --read-certificate "000$n"
    openssl x509 -in "$OUT" -outform DER -out "$T/p15-$n.der"
    same "$T/scm$n.der" "$T/p15-$n.der"
    same "$T/scm$n.der" "$T/nss$n.der"
done
# The comparison can fail: two certificates differ.
! cmp -s "$T/scm1.der" "$T/nss2.der" || fail "certificates 1 and 2 are equal"
# A key is never released, and says so.
expect 1 "${SCM[@]}" get 0 "CAC ID private key" --pin-fd 3 3<<<"$PIN"
has "$ERR" "cannot be copied: the card never releases private keys"

# ---- the PIN ---------------------------------------------------------------------
before=$(wc -l <"$RIG_DIR/card0.log")
expect 3 "${SCM[@]}" ls 0 --pin-fd 3 3<<<"00000000"
has "$ERR" '^scmgr: Wrong PIN \(the CAC card answered 6985 and does not say how many tries are left\)\.$'
tail -n +"$((before + 1))" "$RIG_DIR/card0.log" | grep -A1 '^> 0020000008' | grep -q '^< 6985$' ||
    fail "the card did not answer 6985 to the wrong PIN"
expect 2 "${SCM[@]}" ls 0 --pin-fd 3 3<<<"12"
has "$ERR" 'A CAC PIN is 4 to 8 characters\.'
# No try counter: the right PIN still works after wrong ones.
expect 3 "${SCM[@]}" ls 0 --pin-fd 3 3<<<"00000000"
expect 0 "${SCM[@]}" ls 0 --pin-fd 3 3<<<"$PIN"

# ---- backup --------------------------------------------------------------------------
n0=$(apdus)
expect 0 "${SCM[@]}" backup 0 --pin-fd 3 3<<<"$PIN" --password-fd 4 4<<<"$PW"$'\n'"$PW"
echo "scmgr backup: $(($(apdus) - n0)) APDUs"
has "$OUT" "Created vsc:$SERIAL"
for n in 1 2 3; do
    has "$OUT" "copied +public +[0-9]+ +${LABELS[n]}\$"
    has "$OUT" "skipped +secret .*${KEYS[n]} +\(Cannot be copied: the card never releases private keys\.\)"
done
has "$OUT" '^3 copied, 3 skipped, 0 failed, 0 not copied\.$'
has "$OUT" "^Note: scmgr can only read the card in '$R0' \(CAC \(Common Access Card\)\): this backup cannot be restored onto it\.\$"
expect 0 "${SCM[@]}" vsc verify "$SERIAL" --password-fd 3 3<<<"$PW"
for n in 1 2 3; do
    expect 0 "${SCM[@]}" get "vsc:$SERIAL" "${LABELS[n]}" -o "$T/vsc$n.der" --password-fd 3 3<<<"$PW"
    same "$T/vsc$n.der" "$T/nss$n.der"
done
cp "$SCMGR_STORE/$SERIAL.vsc" "$T/vsc.before"
# What OpenSC pays for the same card, for the record (printed, not asserted).
n0=$(apdus)
expect 0 pkcs15-tool -r 0 -D
echo "pkcs15-tool -D: $(($(apdus) - n0)) APDUs"
n0=$(apdus)
for n in 1 2 3; do expect 0 pkcs15-tool -r 0 --read-certificate "000$n"; done
echo "pkcs15-tool --read-certificate x3: $(($(apdus) - n0)) APDUs"

# ---- nothing can be written ------------------------------------------------------------
expect 1 "${SCM[@]}" restore "$SERIAL" 0 --pin-fd 3 3<<<"$PIN" --password-fd 4 4<<<"$PW"
has "$ERR" "^scmgr: scmgr can only read the card in '$R0' \(CAC \(Common Access Card\)\): nothing was written to it\.\$"
[ "$(wc -l <"$ERR")" = 1 ] || fail "restore: more than one sentence"
printf 'a note' >"$T/note"
expect 1 "${SCM[@]}" put 0 "my note" "$T/note" --type note --pin-fd 3 3<<<"$PIN"
has "$ERR" '^scmgr: A CAC card cannot be written by scmgr: '
expect 1 "${SCM[@]}" rm 0 "CAC ID Certificate" --pin-fd 3 3<<<"$PIN"
has "$ERR" '^scmgr: A CAC card cannot be written by scmgr: '
expect 0 pkcs15-tool -r 0 --read-certificate 0001
openssl x509 -in "$OUT" -outform DER -out "$T/after.der"
same "$T/after.der" "$T/nss1.der"
same "$SCMGR_STORE/$SERIAL.vsc" "$T/vsc.before" # a refused restore never writes the VSC

# ---- the card pulled out at every APDU of a backup --------------------------------------
# into_store STORE: one backup with the card pulled at APDU $n; sets rc.
pulled_backup() {
    rig_card_kill 0
    rig_card_start 0 cac "$T/db"
    rig_card_fuse 0 "$n"
    rc=0
    timeout "$STEP_TIMEOUT" "$SCMGR_BIN" --store "$1" backup 0 --pin-fd 3 3<<<"$PIN" \
        --password-fd 4 4<<<"$PW"$'\n'"$PW" >"$OUT" 2>"$ERR" || rc=$?
    [ "$rc" != 124 ] || fail "backup hung with the card pulled at APDU $n"
}
# 1: a first backup (no VSC yet): none is left behind.
n=1
while :; do
    rm -rf "$T/fresh"
    pulled_backup "$T/fresh"
    if ! rig_card_blown 0; then
        [ "$rc" = 0 ] || fail "backup failed ($rc) with the card in place (fuse $n unused)"
        break
    fi
    rig_wait empty "$R0" 5000 || fail "slot 0 not empty after the pull at $n"
    if [ "$rc" = 0 ]; then
        # Pulled at the very last APDU (the PIN taken back at close): the
        # backup was whole.
        expect 0 "$SCMGR_BIN" --store "$T/fresh" vsc verify "$SERIAL" --password-fd 3 3<<<"$PW"
        n=$((n + 1))
        continue
    fi
    has "$ERR" 'removed|taken out|went away|no card|No card'
    [ "$(wc -l <"$ERR")" = 1 ] || fail "pulled at $n: more than one sentence"
    [ ! -e "$T/fresh/$SERIAL.vsc" ] || fail "pulled at $n: a half-made VSC was left"
    n=$((n + 1))
    [ "$n" -le 120 ] || fail "the backup takes more than 120 APDUs"
done
first=$n
# 2: onto the VSC made above: it stays as it was.
n=1
while :; do
    pulled_backup "$SCMGR_STORE"
    if ! rig_card_blown 0; then
        [ "$rc" = 0 ] || fail "backup failed ($rc) with the card in place (fuse $n unused)"
        break
    fi
    rig_wait empty "$R0" 5000 || fail "slot 0 not empty after the pull at $n"
    if [ "$rc" != 0 ]; then
        has "$ERR" 'removed|taken out|went away|no card|No card'
        same "$SCMGR_STORE/$SERIAL.vsc" "$T/vsc.before"
    fi
    expect 0 "${SCM[@]}" vsc verify "$SERIAL" --password-fd 3 3<<<"$PW"
    n=$((n + 1))
    [ "$n" -le 120 ] || fail "the backup takes more than 120 APDUs"
done
echo "cli_cac: backup interrupted at each of APDUs 1..$((first - 1)) (new VSC) and 1..$((n - 1)) (existing VSC): no hang, no half-made VSC, the old VSC intact"
