#!/usr/bin/env bash
# cli_openpgp: scmgr's OpenPGP agent against the rig's OpenPGP card 3.4,
# compared with what the independent clients read. A blank card is
# personalised by GnuPG only (gpg --card-edit: name, language, salutation,
# URL, login data, private DOs 1-4, three keys generated on the card, a
# cardholder certificate), listed and read by scmgr and by gpg-connect-agent
# (SCD GETATTR), gpg --card-status, openpgp-tool and pkcs15-tool (the same
# bytes), backed up into a VSC (the keys reported as never copied), and
# restored onto a blank OpenPGP card with PW1 and PW3; the independent
# clients then read the same DOs, fingerprints and creation times from the
# restored card (not the keys: the card never releases them, so gpg shows
# the fingerprints of keys the restored card does not hold).
# Failures: a wrong PW3 with tries left, a blocked PW1, private DO 3 without
# PW1 and DO 4 without PW3, an object too large, an object an OpenPGP card
# has no place for, and the card pulled out at every APDU of a restore (the
# card stays readable, every DO old or new, the VSC untouched).
set -euo pipefail
# shellcheck source=rig.sh
. "${SCMGR_RIG:?SCMGR_RIG must point to tests/rig/rig.sh}"
rig_require
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

missing=""
for t in gpg gpg-connect-agent gpgconf /usr/lib/gnupg/scdaemon openpgp-tool pkcs15-tool openssl; do
    command -v "$t" >/dev/null 2>&1 || missing="$missing $t"
done
"$RIG_PY" -c 'import cryptography' 2>/dev/null || missing="$missing python3-cryptography"
if [ -n "$missing" ]; then
    [ "${CI:-}" = true ] && rig_die "missing:$missing (./dev.sh test installs them)"
    echo "SKIP: missing:$missing" >&2
    exit 77
fi

# A short directory: gpg-agent's sockets live in GNUPGHOME (as root there
# is no /run/user/0) and a socket path has at most 107 bytes.
T=$(mktemp -d /tmp/scmgr-clipgp-XXXXXX)
export GNUPGHOME=$T/gnupg OPENSC_CONF=$T/opensc.conf HOME=$T/home SCMGR_STORE=$T/store
mkdir -m 700 "$GNUPGHOME"
mkdir -p "$HOME"
cat >"$OPENSC_CONF" <<'EOF'
app default {
    framework pkcs15 { use_file_caching = no; }
}
EOF
echo allow-loopback-pinentry >"$GNUPGHOME/gpg-agent.conf"
OUT=$T/out
ERR=$T/err
STEP_TIMEOUT=60
exec </dev/null

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
# scdaemon holds the reader exclusively while it runs: stopped before
# every scmgr step and whenever the next client needs another reader.
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

fail() {
    echo "FAIL: $*" >&2
    for f in "$OUT" "$ERR" "$T/status" "$GNUPGHOME/scdaemon.log"; do
        [ -f "$f" ] && { echo "----- $f (last 40 lines)" >&2; tail -n 40 "$f" >&2; }
    done
    rig_logs
    exit 1
}
expect() {
    local want=$1 rc=0
    shift
    agent_stop
    timeout "$STEP_TIMEOUT" "$@" >"$OUT" 2>"$ERR" || rc=$?
    [ "$rc" = "$want" ] || fail "'$*' exited $rc, want $want"
}
SCM=("$SCMGR_BIN" --store "$SCMGR_STORE")
has() { grep -Eq -- "$2" "$1" || fail "$1 lacks /$2/"; }
lacks() { ! grep -Eq -- "$2" "$1" || fail "$1 has /$2/"; }
same() { cmp -s "$1" "$2" || fail "$1 and $2 differ"; }
line() { grep -qxF -- "$2" "$1" || fail "no line '$2' in $1"; }
hexof() { od -An -v -tx1 "$1" | tr -d ' \n' | tr a-f A-F; }

rig_up
PIN=123456
PW3=12345678
PW=pgp-backup-password-1
start0() { RIG_CARD_KEEP=1 rig_card_start 0 openpgp -v --serial 0000CA4D; }
start1() { RIG_CARD_KEEP=1 rig_card_start 1 openpgp -v --serial 0000CA4E; }
start0
start1
R0=$RIG_READER_0
R1=$RIG_READER_1

# gpg and scdaemon on reader I (notes: pcsc-driver, disable-ccid).
gpg_reader() {
    agent_stop
    local r=$RIG_READER_0
    [ "$1" = 1 ] && r=$RIG_READER_1
    cat >"$GNUPGHOME/scdaemon.conf" <<EOF
pcsc-driver /usr/lib/x86_64-linux-gnu/libpcsclite.so.1
disable-ccid
reader-port $r
log-file $GNUPGHOME/scdaemon.log
EOF
}
# gpg_run NAME TIMEOUT ARGS...: gpg driven by the script $T/NAME.in.
gpg_run() {
    local name=$1 tmo=$2 rc=0
    shift 2
    agent_stop
    : >"$T/status"
    timeout $((tmo + 10)) "$RIG_PY" "$here/gpgdrive.py" "$T/$name.in" "$T/status" "$tmo" -- "$@" \
        >"$OUT" 2>&1 || rc=$?
    return $rc
}
card_status() { # FILE
    agent_stop
    timeout 30 gpg --card-status >"$1" 2>"$ERR" || fail "gpg --card-status: $(cat "$ERR")"
}
getattr() { # NAME...: scdaemon's raw attributes, one "S NAME VALUE" line each
    agent_stop
    local args=('SCD SERIALNO openpgp')
    for a in "$@"; do args+=("SCD GETATTR $a"); done
    timeout 30 gpg-connect-agent "${args[@]}" /bye >"$T/ga" 2>&1 || fail "gpg-connect-agent"
}
rawapdu() { agent_stop; timeout 20 "$(rig__rigwait)" apdu "$1" "${@:2}"; }
# unpct: gpg-connect-agent's %XX escapes undone, as bytes.
unpct() { "$RIG_PY" -c 'import sys,urllib.parse; sys.stdout.buffer.write(urllib.parse.unquote_to_bytes(sys.argv[1]))' "$1"; }
attr_value() { # NAME: the value of "S NAME VALUE" in $T/ga
    sed -n "s/^S $1 //p" "$T/ga"
}

# ---- personalised by GnuPG ---------------------------------------------------------
gpg_reader 0
cat >"$T/perso.in" <<EOF
cardedit.prompt admin
cardedit.prompt name
keygen.smartcard.surname Doe
keygen.smartcard.givenname John
passphrase.enter $PW3
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
cardedit.prompt generate
cardedit.genkeys.backup_enc n
passphrase.enter $PIN
keygen.valid 0
keygen.name John Doe
keygen.email jdoe@example.org
keygen.comment
passphrase.enter $PIN
cardedit.prompt quit
EOF
gpg_run perso 180 --card-edit || fail "gpg --card-edit (personalise, generate) exit $?"
fpr=$(sed -n 's/^\[GNUPG:\] KEY_CREATED B \([0-9A-F]*\)$/\1/p' "$T/status")
[ -n "$fpr" ] || fail "no KEY_CREATED"
# With keys on the card gpg verifies PW1-82 for private DOs 1 and 3.
cat >"$T/pdo13.in" <<EOF
cardedit.prompt privatedo 1
cardedit.change_private_do pdo-one
passphrase.enter $PIN
cardedit.prompt privatedo 3
cardedit.change_private_do pdo-three
cardedit.prompt quit
EOF
gpg_run pdo13 60 --card-edit || fail "private DOs 1 and 3: exit $?"
# A cardholder certificate (occurrence 0, the AUT key's) by gpg writecert.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/ca.key" -subj "/CN=jdoe card cert" \
    -days 1 -outform DER -out "$T/cert.der" 2>/dev/null
cat >"$T/cert.in" <<EOF
cardedit.prompt admin
cardedit.prompt writecert 3 < $T/cert.der
passphrase.enter $PW3
cardedit.prompt quit
EOF
gpg_run cert 60 --card-edit || fail "gpg writecert exit $?"
card_status "$T/cs0"
line "$T/cs0" "Name of cardholder: John Doe"
line "$T/cs0" "Private DO 1 .....: pdo-one"
echo "personalised by gpg --card-edit: $fpr"

# ---- what scmgr sees ---------------------------------------------------------------
expect 0 "${SCM[@]}" readers
has "$OUT" "^0 +card +openpgp +FFFE0000CA4D +John Doe +$R0"
has "$OUT" "^1 +card +openpgp +FFFE0000CA4E +OpenPGP card +$R1"
expect 0 "${SCM[@]}" ls 0
for l in 'public +data .* 5B +Name of cardholder$' 'public +url .* 5F50 +URL of public key$' \
    'public +login .* 5E +Login data$' 'public +data .* 0101 +Private DO 1$' \
    'public +data .* 0102 +Private DO 2$' 'public +data .* C7 +Signature key fingerprint$' \
    'public +data .* CF +Encryption key created$' 'public +public-key .* 7F49#B6 +Signature key \(public\)$' \
    'public +certificate .* 7F21#0 +Cardholder certificate \(authentication\)$' \
    'public +data .* 93 +Signature counter$'; do
    has "$OUT" "$l"
done
lacks "$OUT" 'Private DO 3' # behind PW1
lacks "$OUT" 'certificate \(signature\)' # empty occurrences are places, not objects
expect 0 "${SCM[@]}" ls 0 --pin-fd 3 3<<<"$PIN"
has "$OUT" 'private +data .* 0103 +Private DO 3$'
has "$OUT" 'private +data +0 +0104 +Private DO 4$' # behind PW3: its size unknown
has "$OUT" 'secret +private-key .* key B6 +Signature key$'
has "$OUT" 'secret +private-key .* key A4 +Authentication key$'

# check_card I NAME: scmgr's bytes of card I are what the independent
# clients read from it; the original values where they are known.
check_card() {
    local i=$1 r=$RIG_READER_0
    [ "$i" = 1 ] && r=$RIG_READER_1
    rm -f "$T"/scm-* "$T"/ind-*
    gpg_reader "$i"
    getattr DISP-NAME DISP-LANG DISP-SEX PUBKEY-URL LOGIN-DATA PRIVATE-DO-1 PRIVATE-DO-2 KEY-FPR \
        KEY-TIME KEY-ATTR
    get() { expect 0 "${SCM[@]}" get "$i" "$1" -o "$T/scm-$2" "${@:3}"; }
    get "Name of cardholder" name
    unpct "$(attr_value DISP-NAME)" >"$T/ind-name"
    same "$T/scm-name" "$T/ind-name"
    printf 'Doe<<John' | cmp -s - "$T/scm-name" || fail "cardholder name"
    get "Language prefs" lang
    unpct "$(attr_value DISP-LANG)" >"$T/ind-lang"
    same "$T/scm-lang" "$T/ind-lang"
    get "Salutation" sex
    unpct "$(attr_value DISP-SEX)" >"$T/ind-sex"
    same "$T/scm-sex" "$T/ind-sex"
    get "URL of public key" url
    unpct "$(attr_value PUBKEY-URL)" >"$T/ind-url"
    same "$T/scm-url" "$T/ind-url"
    get "Login data" login
    unpct "$(attr_value LOGIN-DATA)" >"$T/ind-login"
    same "$T/scm-login" "$T/ind-login"
    printf jdoe | cmp -s - "$T/scm-login" || fail "login data"
    get "Private DO 1" pdo1
    unpct "$(attr_value PRIVATE-DO-1)" >"$T/ind-pdo1"
    same "$T/scm-pdo1" "$T/ind-pdo1"
    get "Private DO 2" pdo2
    unpct "$(attr_value PRIVATE-DO-2)" >"$T/ind-pdo2"
    same "$T/scm-pdo2" "$T/ind-pdo2"
    # Fingerprints and creation times: "S KEY-FPR n HEX", "S KEY-TIME n SECONDS".
    for k in 1 2 3; do
        local fl tl
        fl=$(sed -n "s/^S KEY-FPR $k //p" "$T/ga")
        tl=$(sed -n "s/^S KEY-TIME $k //p" "$T/ga")
        [ -n "$fl" ] && [ -n "$tl" ] || fail "gpg reads no fingerprint/time $k: $(cat "$T/ga")"
        local names=(x Signature Encryption Authentication)
        get "${names[$k]} key fingerprint" "fpr$k"
        [ "$(hexof "$T/scm-fpr$k")" = "$fl" ] || fail "fingerprint $k: $(hexof "$T/scm-fpr$k") vs $fl"
        get "${names[$k]} key created" "time$k"
        [ "$((16#$(hexof "$T/scm-time$k")))" = "$tl" ] || fail "creation time $k"
    done
    [ "$(hexof "$T/scm-fpr1")" = "$fpr" ] || fail "the signature key's fingerprint is not gpg's"
    # DO 3 with PW1 in mode 82 (openpgp-tool's CHV2), DO 4 with PW3.
    agent_stop
    get "Private DO 3" pdo3 --pin-fd 3 3<<<"$PIN"
    timeout 20 openpgp-tool -r "$i" --verify CHV2 --pin "$PIN" --raw -d 3 >"$T/ind-pdo3" 2>"$ERR" ||
        fail "openpgp-tool -d 3"
    same "$T/scm-pdo3" "$T/ind-pdo3"
    printf pdo-three | cmp -s - "$T/scm-pdo3" || fail "private DO 3"
    expect 0 timeout 20 openpgp-tool -r "$i" --verify CHV3 --pin "$PW3" --raw -d 4
    printf pdo-four | cmp -s - "$OUT" || fail "openpgp-tool -d 4: $(cat "$OUT")"
    # The certificate (occurrence 0, OpenSC's ID 03) and the key attributes.
    get "Cardholder certificate (authentication)" cert
    same "$T/scm-cert" "$T/cert.der"
    expect 0 pkcs15-tool --reader "$i" --read-certificate 03
    openssl x509 -in "$OUT" -outform DER -out "$T/ind-cert"
    same "$T/scm-cert" "$T/ind-cert"
    get "Signature key attributes" attr1
    [ "$(hexof "$T/scm-attr1")" = 010800002000 ] || fail "signature key attributes"
}
check_card 0
# The public keys (made from GENERATE P1=81 into SubjectPublicKeyInfo)
# are OpenSC's.
for k in 1:Signature 2:Encryption 3:Authentication; do
    expect 0 "${SCM[@]}" get 0 "${k#*:} key (public)" -o "$T/spki${k%%:*}.der"
    expect 0 pkcs15-tool --reader 0 --read-public-key "0${k%%:*}"
    openssl pkey -pubin -in "$OUT" -outform DER -out "$T/p15pub.der"
    same "$T/spki${k%%:*}.der" "$T/p15pub.der"
done
# A key is never released, and says so.
expect 1 "${SCM[@]}" get 0 "Signature key" --pin-fd 3 3<<<"$PIN"
has "$ERR" "cannot be copied: the card never releases private keys"
# Private DO 3 without PW1: not even listed, not read.
expect 5 "${SCM[@]}" get 0 "Private DO 3" -o "$T/no"
has "$ERR" "has no object labelled 'Private DO 3' in its public area \(the others need the PIN\)"
[ ! -e "$T/no" ] || fail "DO 3 written out without PW1"
# Private DO 4 with PW1 but without PW3: one sentence.
expect 3 "${SCM[@]}" get 0 "Private DO 4" -o "$T/no" --pin-fd 3 3<<<"$PIN"
has "$ERR" "Reading the OpenPGP card's Private DO 4 needs its Admin PIN \(PW3\)\."
echo "scmgr reads what gpg-connect-agent, openpgp-tool and pkcs15-tool read"

# ---- a wrong PW3 with tries left, counted as gpg shows it ------------------------------
printf jdoe2 >"$T/login2"
expect 3 "${SCM[@]}" put 0 "Login data" "$T/login2" --replace --pin-fd 3 3<<<"$PIN" \
    --admin-fd 4 4<<<"87654321"
has "$ERR" "Wrong Admin PIN \(PW3\) for the card in '$R0': 2 tries left\."
gpg_reader 0
card_status "$T/cs"
line "$T/cs" "PIN retry counter : 3 0 2"
line "$T/cs" "Login data .......: jdoe" # nothing written

# ---- backup ----------------------------------------------------------------------------
UID_=FFFE0000CA4D
# APDUs of gpg --card-status and of scmgr backup, from the card's own log.
apdus() { grep -c ' > ' "$RIG_DIR/card0.log" || true; }
a0=$(apdus)
card_status "$T/cs"
a1=$(apdus)
# Without PW3 the backup copies all but private DO 4, and says why.
expect 0 "${SCM[@]}" backup 0 --pin-fd 3 3<<<"$PIN" --password-fd 4 4<<<"$PW"$'\n'"$PW"
a2=$(apdus)
has "$OUT" "Created vsc:$UID_"
has "$OUT" 'skipped +secret .*Signature key +\(Cannot be copied: the card never releases private keys\.\)'
has "$OUT" 'skipped +secret .*Authentication key +\(Cannot be copied'
has "$OUT" 'skipped +private .*Private DO 4 +\(Reading the OpenPGP card.s Private DO 4 needs its Admin PIN \(PW3\)\.\)'
has "$OUT" 'copied +private .*Private DO 3$'
has "$OUT" 'copied +public .*Signature key fingerprint$'
echo "APDUs: gpg --card-status $((a1 - a0)), scmgr backup (PW1, no PW3) $((a2 - a1))"
# With PW3 (the right one resets gpg's count) DO 4 goes in too, and
# into the emergency copy's plain files.
E=$T/emergency
expect 0 "${SCM[@]}" backup 0 --emergency "$E" --pin-fd 3 3<<<"$PIN" --password-fd 4 4<<<"$PW" \
    --admin-fd 5 5<<<"$PW3"
has "$OUT" 'copied +private .*Private DO 4$'
printf pdo-four | cmp -s - "$E"/*-Private_DO_4.bin || fail "emergency copy of private DO 4"
same "$E"/*-Cardholder_certificate__authentication_.der "$T/cert.der"
"$RIG_PY" - "$E" <<'PY' || fail "manifest.json"
import json, os, sys
m = json.load(open(os.path.join(sys.argv[1], "manifest.json")))
assert m["card"]["agent"] == "openpgp", m["card"]
keys = [o for o in m["objects"] if o["type"] == "private-key"]
assert len(keys) == 3 and all(not o["copied"] and "never releases" in o["why"] for o in keys), keys
PY
gpg_reader 0
card_status "$T/cs"
line "$T/cs" "PIN retry counter : 3 0 3"
expect 0 "${SCM[@]}" vsc verify "$UID_" --password-fd 3 3<<<"$PW"
expect 0 "${SCM[@]}" ls "vsc:$UID_" --password-fd 3 3<<<"$PW"
lacks "$OUT" 'private-key'
cp "$SCMGR_STORE/$UID_.vsc" "$T/vsc.before"

# ---- restore onto a blank OpenPGP card ---------------------------------------------------
# Without PW3 there is nothing to write with: one sentence.
expect 2 "${SCM[@]}" restore "$UID_" 1 --pin-fd 3 3<<<"$PIN" --password-fd 4 4<<<"$PW"
has "$ERR" 'No terminal to ask for the Admin PIN \(PW3\): use --password-fd, --pin-fd or --admin-fd\.'
# The dry run: what would be written, what is there as it is, what has
# no place (the keys' public parts, the counter); nothing is written.
expect 0 "${SCM[@]}" restore "$UID_" 1 --dry-run --pin-fd 3 3<<<"$PIN" --password-fd 4 4<<<"$PW"
has "$OUT" 'write +public .*Name of cardholder +-> 5B$'
has "$OUT" 'write +public .*Signature key fingerprint +-> C7$'
has "$OUT" 'unchanged +public .*Signature key attributes'
has "$OUT" 'no place +public .*Signature key \(public\) +\(The OpenPGP card.s Signature key \(public\) cannot be written'
has "$OUT" 'no place +public .*Signature counter'
out=$(rawapdu "$R1" 00A4040006D27600012401 00CA006500 | tail -n 1)
[ "$out" = 5B005F2D005F35009000 ] || fail "the dry run wrote to the card: $out"
expect 0 "${SCM[@]}" restore "$UID_" 1 --pin-fd 3 3<<<"$PIN" --password-fd 4 4<<<"$PW" \
    --admin-fd 5 5<<<"$PW3"
cp "$OUT" "$T/restore.out"
has "$OUT" 'copied +public .*Name of cardholder$'
has "$OUT" 'copied +private .*Private DO 4$'
has "$OUT" 'copied +public .*Authentication key created$'
has "$OUT" 'Signature key attributes +\(Already on .* with the same content\.\)'
has "$OUT" 'skipped +public .*Signature key \(public\) +\(The OpenPGP card.s Signature key \(public\) cannot be written: keys are generated on the card or imported, never restored from a copy\.\)'
has "$OUT" 'skipped +public .*Signature counter +\(The OpenPGP card counts its signatures itself'
same "$SCMGR_STORE/$UID_.vsc" "$T/vsc.before" # a restore never writes the VSC
check_card 1
# What gpg --card-status shows of both cards: the same but for the
# serial, the counter and the keys (fingerprints of keys card 1 lacks).
card_status "$T/cs1"
for l in "Name of cardholder: John Doe" "Language prefs ...: de" "Salutation .......: Ms." \
    "URL of public key : https://example.org/jdoe.asc" "Login data .......: jdoe" \
    "Private DO 1 .....: pdo-one" "Private DO 2 .....: pdo-two" \
    "Key attributes ...: rsa2048 rsa2048 rsa2048" "Signature counter : 0"; do
    line "$T/cs1" "$l"
done
for f in "Signature key" "Encryption key" "Authentication key"; do
    grep -A1 "^$f *\.*:" "$T/cs0" >"$T/k0" || fail "gpg shows no $f on card 0"
    grep -A1 "^$f *\.*:" "$T/cs1" >"$T/k1" || fail "gpg shows no $f on card 1"
    grep -q created "$T/k1" || fail "gpg shows no creation time of the $f"
    same "$T/k0" "$T/k1" # the fingerprint and its "created" line
done
grep -q '^General key info..: pub  rsa2048/' "$T/cs1" ||
    fail "gpg does not match the restored fingerprint to the key it knows"
# The card itself holds no key: GENERATE P1=81 finds none.
out=$(rawapdu "$R1" 00A4040006D27600012401 0047810002B60000 | tail -n +2 | tr '\n' ' ')
[ "$out" = "6A88 " ] || fail "the restored card holds a key? $out"
# Run again: everything is there as it is, nothing written.
expect 0 "${SCM[@]}" restore "$UID_" 1 --pin-fd 3 3<<<"$PIN" --password-fd 4 4<<<"$PW" \
    --admin-fd 5 5<<<"$PW3"
has "$OUT" '^0 copied'
echo "restored onto a blank card: gpg, openpgp-tool and pkcs15-tool read the same DOs"

# ---- no place, too large -----------------------------------------------------------------
printf 'a note' >"$T/note"
expect 1 "${SCM[@]}" put 1 "my note" "$T/note" --type note --pin-fd 3 3<<<"$PIN" --admin-fd 5 5<<<"$PW3"
has "$ERR" "An OpenPGP card has no place for 'my note' \(of type note\)"
# Certificates go to the empty occurrences (1 DEC, then 2 SIG: OpenSC's
# ID 02 and 01), written through SELECT DATA; a fourth has no place.
for c in dec sig; do
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/$c.key" \
        -subj "/CN=$c cert" -days 1 -outform DER -out "$T/$c.der" 2>/dev/null
    expect 0 "${SCM[@]}" put 1 "$c cert" "$T/$c.der" --type certificate --pin-fd 3 3<<<"$PIN" \
        --admin-fd 5 5<<<"$PW3"
done
expect 0 pkcs15-tool --reader 1 --read-certificate 01
openssl x509 -in "$OUT" -outform DER -out "$T/ind-sig"
same "$T/ind-sig" "$T/sig.der"
expect 0 "${SCM[@]}" get 1 "Cardholder certificate (encryption)" -o "$T/scm-dec"
same "$T/scm-dec" "$T/dec.der"
expect 1 "${SCM[@]}" put 1 "fourth cert" "$T/cert.der" --type certificate --pin-fd 3 3<<<"$PIN" \
    --admin-fd 5 5<<<"$PW3"
has "$ERR" "The OpenPGP card has no room for another certificate: its 3 cardholder certificates are taken\."
head -c 300 /dev/zero | tr '\0' 'L' >"$T/big"
expect 1 "${SCM[@]}" put 1 "Login data" "$T/big" --replace --pin-fd 3 3<<<"$PIN" --admin-fd 5 5<<<"$PW3"
has "$ERR" 'The OpenPGP card has no room for Login data \(300 bytes\): it takes at most 255\.'
expect 0 "${SCM[@]}" get 1 "Login data" -o "$T/still"
printf jdoe | cmp -s - "$T/still" || fail "login data changed by a refused write"
# rm: gone for gpg too.
expect 0 "${SCM[@]}" rm 1 "URL of public key" --pin-fd 3 3<<<"$PIN" --admin-fd 5 5<<<"$PW3"
gpg_reader 1
card_status "$T/cs"
line "$T/cs" "URL of public key : [not set]"

# ---- a blocked PW1 -------------------------------------------------------------------------
expect 3 "${SCM[@]}" ls 1 --pin-fd 3 3<<<"999999"
has "$ERR" "Wrong PIN for the card in '$R1': 2 tries left\."
expect 3 "${SCM[@]}" ls 1 --pin-fd 3 3<<<"999999"
expect 3 "${SCM[@]}" ls 1 --pin-fd 3 3<<<"999999" --force-last-try
has "$ERR" "blocked"
gpg_reader 1
card_status "$T/cs"
line "$T/cs" "PIN retry counter : 0 0 3"
expect 3 "${SCM[@]}" ls 1 --pin-fd 3 3<<<"$PIN"
has "$ERR" "The PIN of the card in '$R1' is blocked\."
# Unblocked by PW3 (RESET RETRY COUNTER P1=02), as gpg's passwd does.
out=$(rawapdu "$R1" 00A4040006D27600012401 00200083083132333435363738 002C028106313233343536 |
    tail -n +2 | tr '\n' ' ')
[ "$out" = "9000 9000 " ] || fail "unblock by PW3: $out"
expect 0 "${SCM[@]}" ls 1 --pin-fd 3 3<<<"$PIN"

# ---- the card pulled out at every APDU of a restore ----------------------------------------
# Each time the card comes back (its kept state) and answers, and each DO
# is either as on a blank card (empty) or as in the VSC; the VSC is untouched.
pdo_of() { # P1P2 (4 hex digits): the DO's value as the card answers GET DATA (hex), without the SW
    local v
    v=$(rawapdu "$R1" 00A4040006D27600012401 "00CA${1}00" | tail -n 1)
    case $v in *9000) echo "${v%9000}" ;; 6A88 | 6a88) echo "" ;; *) echo "ERR$v" ;; esac
}
want_login=$(printf jdoe | od -An -tx1 | tr -d ' \n' | tr a-f A-F)
want_url=$(printf https://example.org/jdoe.asc | od -An -tx1 | tr -d ' \n' | tr a-f A-F)
want_pdo1=$(printf pdo-one | od -An -tx1 | tr -d ' \n' | tr a-f A-F)
holder_name=$(printf '\x5b\x09Doe<<John' | od -An -tx1 | tr -d ' \n' | tr a-f A-F)
holder_lang=$(printf '\x5f\x2d\x02de' | od -An -tx1 | tr -d ' \n' | tr a-f A-F)
want_65=${holder_name}${holder_lang}5F350132
n=1
while :; do
    rig_card_kill 1
    rig_card_forget 1
    start1
    rig_card_fuse 1 "$n"
    rc=0
    agent_stop
    timeout "$STEP_TIMEOUT" "${SCM[@]}" restore "$UID_" 1 --pin-fd 3 3<<<"$PIN" \
        --password-fd 4 4<<<"$PW" --admin-fd 5 5<<<"$PW3" >"$OUT" 2>"$ERR" || rc=$?
    [ "$rc" != 124 ] || fail "restore hung with the card pulled at APDU $n"
    if ! rig_card_blown 1; then
        [ "$rc" = 0 ] || fail "restore failed ($rc) with the card in place (fuse $n unused)"
        break
    fi
    if [ "$rc" = 0 ]; then
        # Pulled at the very last APDU (PW3 taken back at close): the
        # restore was complete.
        rig_wait empty "$R1" 5000 || fail "slot 1 not empty after the pull at $n"
        start1
        break
    fi
    has "$ERR" 'removed|taken out|went away|no card|No card'
    rig_wait empty "$R1" 5000 || fail "slot 1 not empty after the pull at $n"
    start1
    v=$(pdo_of 005E)
    [ "$v" = "" ] || [ "$v" = "$want_login" ] || fail "login data torn at APDU $n: $v"
    v=$(pdo_of 5F50)
    [ "$v" = "" ] || [ "$v" = "$want_url" ] || fail "URL torn at APDU $n: $v"
    v=$(pdo_of 0101)
    [ "$v" = "" ] || [ "$v" = "$want_pdo1" ] || fail "private DO 1 torn at APDU $n: $v"
    # Name, language and salutation are written in that order: 65 holds
    # a prefix of them, each old (empty) or new, never a torn one.
    v=$(pdo_of 0065)
    case $v in
    5B005F2D005F3500 | "${holder_name}5F2D005F3500" | "${holder_name}${holder_lang}5F3500" | "$want_65") ;;
    *) fail "cardholder data torn at APDU $n: $v" ;;
    esac
    same "$SCMGR_STORE/$UID_.vsc" "$T/vsc.before"
    n=$((n + 1))
    [ "$n" -le 150 ] || fail "the restore takes more than 150 APDUs"
done
[ "$(pdo_of 0065)" = "$want_65" ] ||
    fail "cardholder data after the last restore (fuse $n): $(rawapdu "$R1" 00A4040006D27600012401 00CA006500)"
echo "cli_openpgp: restore interrupted at each of APDUs 1..$((n - 1)), card and VSC intact"
check_card 1
echo "cli_openpgp: OK"
