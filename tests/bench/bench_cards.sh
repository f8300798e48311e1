#!/usr/bin/env bash
# Benchmark, not a test: for each card type scmgr has an agent for, the
# APDUs and wall time of `scmgr backup` against the same card, side by side
# in one run with the independent client reading the same objects
# (pkcs15-tool for PIV, CAC and PKCS#15: its dump, then every certificate and
# data object; gpg --card-status and openpgp-tool for OpenPGP).
# APDUs are counted at the card (the emulator's own log), so both sides are
# counted alike. Prints figures; asserts only that each run worked.
# Run: meson test -C build-test --benchmark --verbose bench_cards
set -euo pipefail
# shellcheck source=../cli/lib.sh
. "$(dirname "$0")/../cli/lib.sh"
# shellcheck source=../rig/rig.sh
. "${SCMGR_RIG:?SCMGR_RIG must point to tests/rig/rig.sh}"
rig_require
for t in yubico-piv-tool pkcs15-tool openssl; do
    command -v "$t" >/dev/null || { echo "SKIP: $t missing" >&2; exit 77; }
done
cat >"$T/opensc.conf" <<'CONF'
app default {
    framework pkcs15 { use_file_caching = no; }
}
CONF
export OPENSC_CONF=$T/opensc.conf HOME=$T/home
mkdir -p "$HOME"
RUNS=${BENCH_RUNS:-5}
export RIG_SLOTS=4
rig_up
rig_card_start 0 piv -v
R0=$RIG_READER_0
PIN=123456

# The card, personalised by yubico-piv-tool: CHUID, CCC, two keys with
# certificates, Printed Information behind the PIN.
yubico-piv-tool -r "$R0" -a set-chuid -a set-ccc >/dev/null 2>&1
for s in 9a 9c; do
    yubico-piv-tool -r "$R0" -a generate -s $s -A ECCP256 -o "$T/pub$s.pem" >/dev/null 2>&1
done
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/ca.key" 2>/dev/null
for s in 9a 9c; do
    openssl x509 -new -subj "/CN=bench $s" -key "$T/ca.key" -force_pubkey "$T/pub$s.pem" \
        -days 30 -out "$T/$s.pem" 2>/dev/null
    yubico-piv-tool -r "$R0" -a import-certificate -s $s -i "$T/$s.pem" >/dev/null 2>&1
done
printf '\x01\x04Mike' >"$T/printed.bin"
yubico-piv-tool -r "$R0" -a write-object --id 0x5fc109 -f binary -i "$T/printed.bin" >/dev/null 2>&1

# The card under measure: its log and how its commands are marked there
# (the Python emulators log " > ", cacard-vpcd "> " at the start).
LOG=$RIG_DIR/card0.log
MARK=' > '
apdus_now() { grep -c -- "$MARK" "$LOG" || true; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# measure NAME COMMAND...: APDUs at the card and wall time of one run.
measure() {
    local name=$1 a0 a1 t0 t1
    shift
    a0=$(apdus_now)
    t0=$(now_ms)
    "$@" >"$OUT" 2>"$ERR" || { cat "$ERR" >&2; fail "$name failed"; }
    t1=$(now_ms)
    a1=$(apdus_now)
    echo "$name $((a1 - a0)) $((t1 - t0))"
}

p15_all() { # the independent client reading the same objects
    pkcs15-tool --reader 0 -D >/dev/null &&
        pkcs15-tool --reader 0 --read-certificate 01 >/dev/null &&
        pkcs15-tool --reader 0 --read-certificate 02 >/dev/null &&
        pkcs15-tool --reader 0 --read-data-object "Card Holder Unique Identifier" >/dev/null &&
        pkcs15-tool --reader 0 --read-data-object "Card Capability Container" >/dev/null &&
        pkcs15-tool --reader 0 --verify-pin --pin "$PIN" --read-data-object "Printed Information" >/dev/null
}
scm_backup() {
    "$SCMGR_BIN" --store "$SCMGR_STORE" backup 0 --to PIVBENCH --pin-fd 3 3<<<"$PIN" \
        --password-fd 4 4<<<"$PW"$'\n'"$PW"
}
scm_ls() { "$SCMGR_BIN" --store "$SCMGR_STORE" ls 0 --pin-fd 3 3<<<"$PIN"; }

scm_backup >/dev/null # the VSC exists from here on: each run replaces its objects
declare -a rows=()
for ((i = 0; i < RUNS; i++)); do
    rows+=("$(measure "scmgr backup" scm_backup)")
    rows+=("$(measure "scmgr ls (PIN)" scm_ls)")
    rows+=("$(measure "pkcs15-tool -D" pkcs15-tool --reader 0 -D)")
    rows+=("$(measure "pkcs15-tool, every object" p15_all)")
done
# summary TITLE BASE OTHER: the rows as a table, median times, and the
# ratio of row BASE to row OTHER.
summary() {
    echo "$1, $RUNS runs each, APDUs counted at the card; median time:"
    printf '%s\n' "${rows[@]}" | awk -v b="$2" -v c="$3" '
    { n = $NF; a = $(NF-1); $NF = ""; $(NF-1) = ""; k = $0; sub(/ +$/, "", k)
      apdus[k] = a; t[k, ++cnt[k]] = n; order[k] = order[k] ? order[k] : ++o; names[o] = k }
    END {
      for (j = 1; j <= o; j++) { k = names[j]; m = cnt[k]
        for (x = 1; x <= m; x++) v[x] = t[k, x]
        for (x = 1; x <= m; x++) for (y = x + 1; y <= m; y++) if (v[y] < v[x]) { s = v[x]; v[x] = v[y]; v[y] = s }
        med[k] = v[int((m + 1) / 2)]
        printf "  %-34s %5d APDUs  %7d ms\n", k, apdus[k], med[k] }
      printf "  ratio %s / %s: %.2f APDUs, %.2f time\n", b, c,
        apdus[b] / (apdus[c] ? apdus[c] : 1), med[b] / (med[c] ? med[c] : 1) }'
}
summary "PIV card (card-piv.py)" "scmgr backup" "pkcs15-tool, every object"

# ---- OpenPGP card 3.4 (card-openpgp.py), personalised by scmgr: name, URL,
# login data, private DOs 1 and 2, a cardholder certificate. Beside it
# gpg --card-status (scdaemon on PC/SC) and OpenSC reading the same DOs.
if command -v gpg >/dev/null && [ -x /usr/lib/gnupg/scdaemon ] && command -v openpgp-tool >/dev/null; then
    rig_card_start 1 openpgp -v --serial 0000BE01
    R1=$RIG_READER_1
    PW3=12345678
    pgp_put() { # LABEL TYPE: the bytes from stdin
        "$SCMGR_BIN" --store "$SCMGR_STORE" put 1 "$1" - --type "$2" --pin-fd 3 3<<<"$PIN" \
            --admin-fd 4 4<<<"$PW3" >/dev/null
    }
    printf 'Doe<<John' | pgp_put "Name of cardholder" data
    printf 'https://example.org/jdoe.asc' | pgp_put "URL of public key" url
    printf 'jdoe' | pgp_put "Login data" login
    printf 'pdo-one' | pgp_put "Private DO 1" data
    printf 'pdo-two' | pgp_put "Private DO 2" data
    openssl x509 -in "$T/9a.pem" -outform DER -out "$T/9a.der"
    pgp_put "Cardholder certificate (authentication)" certificate <"$T/9a.der"
    export GNUPGHOME=$T/gnupg
    mkdir -m 700 "$GNUPGHOME"
    cat >"$GNUPGHOME/scdaemon.conf" <<CONF
pcsc-driver /usr/lib/x86_64-linux-gnu/libpcsclite.so.1
disable-ccid
reader-port $R1
CONF
    # scdaemon holds the reader while it runs: gone before every scmgr run.
    gpg_stop() { timeout 10 gpgconf --kill gpg-agent >/dev/null 2>&1 || true; }
    gpg_status() { gpg_stop; gpg --card-status; }
    pgp_backup() {
        gpg_stop
        "$SCMGR_BIN" --store "$SCMGR_STORE" backup 1 --to PGPBENCH --pin-fd 3 3<<<"$PIN" \
            --password-fd 4 4<<<"$PW"$'\n'"$PW"
    }
    pgp_opensc() { # openpgp-tool's DOs, then the certificate through pkcs15-tool
        gpg_stop
        openpgp-tool -r 1 --user-info >/dev/null &&
            openpgp-tool -r 1 --raw -d 1 >/dev/null && openpgp-tool -r 1 --raw -d 2 >/dev/null &&
            pkcs15-tool --reader 1 --read-certificate 03 >/dev/null
    }
    pgp_backup >/dev/null
    LOG=$RIG_DIR/card1.log
    rows=()
    for ((i = 0; i < RUNS; i++)); do
        rows+=("$(measure "scmgr backup" pgp_backup)")
        rows+=("$(measure "gpg --card-status" gpg_status)")
        rows+=("$(measure "openpgp-tool + pkcs15-tool" pgp_opensc)")
    done
    gpg_stop
    summary "OpenPGP card 3.4 (card-openpgp.py)" "scmgr backup" "gpg --card-status"
else
    echo "OpenPGP: skipped (gpg, scdaemon or openpgp-tool missing)"
fi

# ---- CAC: libcacard (QEMU's CAC emulator) with its NSS database ---------------------
if command -v certutil >/dev/null && [ -n "${SCMGR_CACARD:-}" ] && [ -x "$SCMGR_CACARD" ]; then
    rig_cac_db "$T/db"
    rig_card_start 2 cac "$T/db"
    cac_backup() {
        "$SCMGR_BIN" --store "$SCMGR_STORE" backup 2 --to CACBENCH --pin-fd 3 3<<<"$RIG_CAC_PIN" \
            --password-fd 4 4<<<"$PW"$'\n'"$PW"
    }
    cac_p15() {
        pkcs15-tool --reader 2 -D >/dev/null &&
            for n in 1 2 3; do pkcs15-tool --reader 2 --read-certificate "000$n" >/dev/null || return 1; done
    }
    cac_backup >/dev/null
    LOG=$RIG_DIR/card2.log
    MARK='^> '
    rows=()
    for ((i = 0; i < RUNS; i++)); do
        rows+=("$(measure "scmgr backup" cac_backup)")
        rows+=("$(measure "pkcs15-tool -D" pkcs15-tool --reader 2 -D)")
        rows+=("$(measure "pkcs15-tool, every certificate" cac_p15)")
    done
    summary "CAC (libcacard)" "scmgr backup" "pkcs15-tool, every certificate"
else
    echo "CAC: skipped (certutil or cacard-vpcd missing)"
fi

# ---- PKCS#15: a layout OpenSC's pkcs15-init made on vicc's ISO card, with
# two certificates and two data objects (as cli_pkcs15) ---------------------------------
if command -v pkcs15-init >/dev/null && command -v opensc-tool >/dev/null; then
    rig_card_p15 3 "bench"
    R3=$RIG_READER_3
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/pk1.pem" -out "$T/pc1.pem" \
        -subj "/CN=bench p15 one" -days 30 2>/dev/null
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/pk2.pem" \
        -out "$T/pc2.pem" -subj "/CN=bench p15 two" -days 30 2>/dev/null
    printf 'bench data object' >"$T/pd1.bin"
    head -c 200 /dev/urandom >"$T/pd2.bin"
    pkcs15-init -r 3 --store-certificate "$T/pc1.pem" --id 45 --label "cert one" >/dev/null 2>&1
    pkcs15-init -r 3 --store-certificate "$T/pc2.pem" --id 46 --label "cert two" >/dev/null 2>&1
    pkcs15-init -r 3 --store-data "$T/pd1.bin" --label "data one" --application-name bench >/dev/null 2>&1
    pkcs15-init -r 3 --store-data "$T/pd2.bin" --label "data two" --application-name bench >/dev/null 2>&1
    p15_backup() {
        "$SCMGR_BIN" --store "$SCMGR_STORE" backup 3 --to P15BENCH --password-fd 4 4<<<"$PW"$'\n'"$PW"
    }
    p15_every() {
        pkcs15-tool --reader 3 -D >/dev/null &&
            pkcs15-tool --reader 3 --read-certificate 45 >/dev/null &&
            pkcs15-tool --reader 3 --read-certificate 46 >/dev/null &&
            pkcs15-tool --reader 3 --read-data-object "data one" >/dev/null &&
            pkcs15-tool --reader 3 --read-data-object "data two" >/dev/null
    }
    p15_backup >/dev/null
    LOG=$RIG_DIR/card3.log
    MARK=' > '
    rows=()
    for ((i = 0; i < RUNS; i++)); do
        rows+=("$(measure "scmgr backup" p15_backup)")
        rows+=("$(measure "pkcs15-tool -D" pkcs15-tool --reader 3 -D)")
        rows+=("$(measure "pkcs15-tool, every object" p15_every)")
    done
    summary "PKCS#15 (pkcs15-init's layout on vicc)" "scmgr backup" "pkcs15-tool, every object"
else
    echo "PKCS#15: skipped (pkcs15-init or opensc-tool missing)"
fi
