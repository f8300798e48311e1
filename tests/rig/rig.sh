#!/usr/bin/env bash
# The PC/SC test rig: a private pcscd with the vpcd driver (two card slots
# on free TCP ports) and emulated cards (vicc-card.py) started and killed
# per slot. Nothing of the host's pcscd is touched: pcscd runs in its own
# mount namespace with a private directory bound over /run/pcscd (pcscd
# 1.9.9 ignores PCSCLITE_CSOCK_NAME and always binds /run/pcscd/pcscd.comm),
# and clients find it through PCSCLITE_CSOCK_NAME, which the rig exports.
#
# As a library (tests source it after `set -euo pipefail`):
#   rig_require          exit 77 (skip) when the rig cannot run here
#   rig_up               pcscd up with 2 empty slots; cleanup is trapped
#   rig_card_start I     a card in slot I (0 or 1), waits until PRESENT
#   rig_card_start I cac [DB]  libcacard's CAC card (rig_cac_db makes DB)
#   rig_card_kill I      the card gone, waits until EMPTY
#   rig_card_fuse I N    the card exits on the N-th command APDU from now
#   rig_card_blown I     the last fuse blew (the card said so in its log)
#   rig_card_p15 I [LABEL]  an iso7816 card in slot I with an empty PKCS#15
#                        layout written by OpenSC's own pkcs15-init; exports
#                        OPENSC_CONF (a private opensc.conf in $RIG_DIR)
#   rig_require_tools T... exit 77 (skip; fail in CI) when a client is missing
#   rig_pcscd_kill [SIG] pcscd gone (its cards exit with it)
#   rig_pcscd_start      pcscd back on the same ports, waits for the readers
#   rig_reader I         print slot I's reader name
#   rig_down             everything stopped by PID, the directory removed
#   rig_logs             print pcscd's and the cards' logs
# By hand, or from a test program (every command reads and writes the
# state file in $RIG_DIR, so a child process can drive the same rig):
#   rig.sh up [--no-cards]      prints `export ...` lines: eval "$(rig.sh up)"
#   rig.sh down | logs | env
#   rig.sh card-start I | card-kill I | card-fuse I N | pcscd-kill [SIG] | pcscd-start
#
# Environment: SCMGR_RIGWAIT (the rigwait helper; meson sets it),
# SCMGR_CACARD (the CAC card's glue, cacard-vpcd; meson sets it), RIG_DIR
# (the rig's directory; by hand a fixed one per user), RIG_DEBUG=1 (pcscd
# debug log), RIG_KEEP=1 (keep the directory on exit), RIG_FRIENDLYNAME
# (vpcd's reader name before " 00 00", default "Virtual PCD"; any bytes
# but '"' and newline, for tests of hostile reader names).
#
# Waits are on pcscd's events (rigwait), never fixed sleeps, except where
# a process has no event to wait on: pcscd's exit is polled every 20 ms.

RIG_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RIG_PY=/usr/bin/python3 # Debian's, with pycryptodome: not a PATH python
# One vpcd config file gives two slots; RIG_SLOTS=4 (6, 8) adds a config
# file per pair, each with its own copy of libifdvpcd.so (the driver keeps
# its slots in globals shared by every reader that loads the same file).
RIG_SLOTS=${RIG_SLOTS:-2}
RIG_TIMEOUT_MS=${RIG_TIMEOUT_MS:-8000}

rig__say() { printf 'rig: %s\n' "$*" >&2; }

rig__now_ms() { echo $(($(date +%s%N) / 1000000)); }

# A process that has not exited. PID 1 may not reap orphans here, so a
# zombie counts as gone.
rig__alive() {
    local st
    [ -n "${1:-}" ] && [ -r "/proc/$1/stat" ] || return 1
    st=$(sed -e 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
    [ -n "$st" ] && [ "$st" != Z ]
}

# rig__stop PID: TERM, up to 3 s, then KILL; returns once it is gone.
rig__stop() {
    local pid=$1 sig=${2:-TERM} i=0
    rig__alive "$pid" || return 0
    kill -s "$sig" "$pid" 2>/dev/null || true
    while rig__alive "$pid" && [ $i -lt 150 ]; do
        sleep 0.02
        i=$((i + 1))
    done
    if rig__alive "$pid"; then
        kill -9 "$pid" 2>/dev/null || true
        i=0
        while rig__alive "$pid" && [ $i -lt 50 ]; do
            sleep 0.02
            i=$((i + 1))
        done
    fi
    wait "$pid" 2>/dev/null || true
}

rig_logs() {
    local f
    [ -n "${RIG_DIR:-}" ] && [ -d "$RIG_DIR" ] || return 0
    for f in "$RIG_DIR"/pcscd.log "$RIG_DIR"/card*.log; do
        [ -f "$f" ] || continue
        echo "----- $f (last 60 lines)" >&2
        tail -n 60 "$f" >&2
    done
}

# Fail loudly: what went wrong, then every log. Never a skip.
rig_die() {
    rig__say "FAILED: $*"
    rig_logs
    exit 1
}

# ---- state file: lets a child process (a test program) drive the rig ----

rig__save() {
    {
        # -g: the file is sourced inside a function (rig__load).
        declare -p RIG_DIR RIG_PORT RIG_SLOTS RIG_MODE RIG_PCSCD_PID RIG_CARD_PIDS RIG_READERS |
            sed -E 's/^declare -(-|([a-zA-Z]+)) /declare -g\2 /'
        echo "export PCSCLITE_CSOCK_NAME=$(printf %q "$PCSCLITE_CSOCK_NAME")"
    } >"$RIG_DIR/state.tmp" && mv "$RIG_DIR/state.tmp" "$RIG_DIR/state"
}

rig__load() {
    if [ -z "${RIG_DIR:-}" ] || [ ! -f "$RIG_DIR/state" ]; then
        rig_die "no rig in '${RIG_DIR:-}' (rig.sh up first)"
    fi
    # shellcheck disable=SC1091
    . "$RIG_DIR/state"
    export RIG_DIR
}

rig__rigwait() {
    local w=${SCMGR_RIGWAIT:-}
    if [ -z "$w" ]; then
        # By hand: the first build directory that has it.
        for w in "$RIG_HERE"/../../build*/rigwait "$RIG_HERE"/../../build*/tests/rig/rigwait ""; do
            [ -x "$w" ] && break
        done
    fi
    if [ -z "$w" ] || [ ! -x "$w" ]; then
        rig_die "rigwait not found: build it (meson) or set SCMGR_RIGWAIT"
    fi
    echo "$w"
}

rig_wait() { "$(rig__rigwait)" "$@"; }

# ---- can the rig run here? ----------------------------------------------

# How pcscd gets its private /run/pcscd: "root" (mount namespace), "userns"
# (user + mount namespace, as any user), or nothing.
rig__mode() {
    if [ "$(id -u)" = 0 ]; then
        echo root
    elif unshare -U -r -m --propagation private true 2>/dev/null; then
        echo userns
    fi
}

# Exit 77 (meson's "skipped") when the rig cannot run here, with the reason.
# Missing packages are a failure in CI (CI=true), a skip elsewhere.
rig_require() {
    local missing="" t
    for t in pcscd unshare ss "$RIG_PY" /usr/bin/vicc /usr/lib/pcsc/drivers/serial/libifdvpcd.so; do
        [ -e "$t" ] || command -v "$t" >/dev/null 2>&1 || missing="$missing $t"
    done
    "$RIG_PY" -c 'import Cryptodome' 2>/dev/null || missing="$missing python3-pycryptodome"
    if [ -n "$missing" ]; then
        [ "${CI:-}" = true ] && rig_die "missing:$missing (./dev.sh test installs them)"
        rig__say "SKIP: missing:$missing (./dev.sh test installs them)"
        exit 77
    fi
    if [ -z "$(rig__mode)" ]; then
        rig__say "SKIP: needs root or unprivileged user namespaces (unshare -U -r -m) for a private pcscd"
        exit 77
    fi
}

# rig_require_tools CMD...: every CMD (a client a test drives) is on PATH,
# else a skip, or a failure in CI, as for the rig's own packages.
rig_require_tools() {
    local missing="" t
    for t in "$@"; do
        command -v "$t" >/dev/null 2>&1 || missing="$missing $t"
    done
    [ -z "$missing" ] && return 0
    [ "${CI:-}" = true ] && rig_die "missing:$missing (./dev.sh test installs them)"
    rig__say "SKIP: missing:$missing (./dev.sh test installs them)"
    exit 77
}

# ---- pcscd ----------------------------------------------------------------

# RIG_SLOTS consecutive TCP ports nobody uses (vpcd binds PORT and PORT+1
# on all interfaces per pair; a busy port gives a silent pcscd with 0 readers).
rig__free_ports() {
    local base k f
    for _ in $(seq 50); do
        base=$((36000 + (RANDOM % 1500) * 2))
        f="sport = :$base"
        for ((k = 1; k < RIG_SLOTS; k++)); do f="$f or sport = :$((base + k))"; done
        if ! ss -Htan "( $f )" | grep -q .; then
            echo "$base"
            return 0
        fi
    done
    return 1
}

rig__write_conf() {
    local k lib name port
    case "$RIG_SLOTS" in
    2 | 4 | 6 | 8) ;;
    *) rig_die "RIG_SLOTS must be 2, 4, 6 or 8, not '$RIG_SLOTS'" ;;
    esac
    mkdir -p "$RIG_DIR/conf"
    for ((k = 0; k < RIG_SLOTS / 2; k++)); do
        lib=/usr/lib/pcsc/drivers/serial/libifdvpcd.so name=vpcd port=$((RIG_PORT + 2 * k))
        if [ "$k" -gt 0 ]; then
            name=vpcd$k
            # Not in conf/: pcscd reads every file there as a reader's config.
            mkdir -p "$RIG_DIR/lib"
            cp "$lib" "$RIG_DIR/lib/libifdvpcd-$k.so"
            lib=$RIG_DIR/lib/libifdvpcd-$k.so
        fi
        # Each pair its own name ("Virtual PCD B 00 00"): pcscd numbers
        # readers per driver, so two pairs of one name would look alike.
        local suffix="" letters=(A B C D)
        [ "$k" -gt 0 ] && suffix=" ${letters[k]}"
        cat >"$RIG_DIR/conf/$name" <<EOF
FRIENDLYNAME "${RIG_FRIENDLYNAME:-Virtual PCD}$suffix"
DEVICENAME /dev/null:$port
LIBPATH $lib
CHANNELID $port
EOF
    done
}

rig_pcscd_start() {
    rig__load
    rig__alive "$RIG_PCSCD_PID" && rig_die "pcscd is already running ($RIG_PCSCD_PID)"
    local dbg=() pre
    [ "${RIG_DEBUG:-}" = 1 ] && dbg=(-d)
    rm -f "$RIG_DIR/run/pcscd.comm" "$RIG_DIR/run/pcscd.pid"
    # In the new mount namespace, bind our directory over /run/pcscd. As
    # non-root /run/pcscd may not exist and cannot be made on the host: a
    # private tmpfs over /run gives a place for it (inside the namespace only).
    # shellcheck disable=SC2016
    pre='[ -d /run/pcscd ] || { mount -t tmpfs rig /run && mkdir /run/pcscd; } &&
         mount --bind "$1" /run/pcscd && shift && exec "$@"'
    local ns=(unshare -m --propagation private)
    [ "$RIG_MODE" = userns ] && ns=(unshare -U -r -m --propagation private)
    if [ "$RIG_MODE" = root ]; then
        mkdir -p /run/pcscd # the mount point only; the host's daemon never sees our files
    fi
    echo "==== pcscd start $(date +%T.%N)" >>"$RIG_DIR/pcscd.log"
    # unshare and sh exec: $! is pcscd's own PID.
    "${ns[@]}" sh -c "$pre" sh "$RIG_DIR/run" pcscd -f "${dbg[@]}" -c "$RIG_DIR/conf" \
        >>"$RIG_DIR/pcscd.log" 2>&1 </dev/null &
    RIG_PCSCD_PID=$!
    rig__no_cards
    rig__save
    if ! rig_wait readers "$RIG_SLOTS" "$RIG_TIMEOUT_MS"; then
        grep -q 'Address already in use' "$RIG_DIR/pcscd.log" && rig__say "a vpcd port is busy"
        rig_die "pcscd ($RIG_PCSCD_PID) did not list $RIG_SLOTS readers on ports $RIG_PORT-$((RIG_PORT + RIG_SLOTS - 1))"
    fi
    mapfile -t RIG_READERS < <(rig_wait list)
    rig__save
}

# rig_pcscd_kill [SIGNAL]: pcscd stopped; the cards exit by themselves
# when vpcd's socket closes (vicc never reconnects), and are waited for.
rig_pcscd_kill() {
    rig__load
    local i
    rig__stop "$RIG_PCSCD_PID" "${1:-TERM}"
    for ((i = 0; i < RIG_SLOTS; i++)); do
        rig__stop "${RIG_CARD_PIDS[i]}"
        RIG_CARD_PIDS[i]=""
    done
    rig__save
}

# ---- cards ----------------------------------------------------------------

rig_reader() {
    rig__load
    echo "${RIG_READERS[$1]}"
}

rig__slot() {
    case "${1:-}" in
    [0-9]) [ "$1" -lt "$RIG_SLOTS" ] && return 0 ;;
    esac
    rig_die "slot must be 0 to $((RIG_SLOTS - 1)), not '${1:-}'"
}

# Every slot empty in RIG_CARD_PIDS.
rig__no_cards() {
    local i
    RIG_CARD_PIDS=()
    for ((i = 0; i < RIG_SLOTS; i++)); do RIG_CARD_PIDS[i]=""; done
}

# rig_card_start I [TYPE [ARG...]]: a card of TYPE in slot I.
#   iso7816  (default, or $RIG_CARD_TYPE) vicc-card.py, Debian's vicc patched
#   NAME     tests/rig/card-NAME.py on vcard.py (the project's emulators),
#            given -P PORT and the ARGs
# RIG_CARD_KEEP=1: the card keeps its state in $RIG_DIR/cardI.TYPE.state
# across a kill and restart (rig_card_forget I drops it): vicc-card.py in
# RIG_CARD_STATE, the project's emulators their own way; CAC cards never.
rig_card_start() {
    rig__slot "$1"
    rig__load
    local i=$1 name type=${2:-${RIG_CARD_TYPE:-iso7816}} cmd state=""
    [ $# -ge 2 ] && shift 2 || shift 1
    case "$type" in
    iso7816) cmd=("$RIG_PY" "$RIG_HERE/vicc-card.py" -t iso7816 -P $((RIG_PORT + i))) ;;
    cac)
        # libcacard's soft card from an NSS database (default: one made
        # once per rig by rig_cac_db), through the rig's glue.
        local db=${1:-$RIG_DIR/cac.db} glue
        glue=$(rig__cacard) || exit 1
        [ -f "$db/cert9.db" ] || rig_cac_db "$db"
        cmd=("$glue" -v -d "$db" -P $((RIG_PORT + i)) cert1 cert2 cert3)
        ;;
    *)
        [ -f "$RIG_HERE/card-$type.py" ] || rig_die "no emulator for card type '$type'"
        cmd=("$RIG_PY" "$RIG_HERE/card-$type.py" -P $((RIG_PORT + i)) "$@")
        ;;
    esac
    [ "${RIG_CARD_KEEP:-}" = 1 ] && [ "$type" != cac ] && state="$RIG_DIR/card$i.$type.state"
    name=${RIG_READERS[$i]}
    rig__alive "${RIG_CARD_PIDS[i]}" && rig_die "slot $i already has a card (${RIG_CARD_PIDS[i]})"
    # A card must never go into a slot pcscd still believes full: it would
    # miss the insertion. rig_card_kill waits for EMPTY, so this is instant.
    rig_wait empty "$name" "$RIG_TIMEOUT_MS" || rig_die "slot $i ($name) is not empty"
    echo "==== card start $(date +%T.%N)" >>"$RIG_DIR/card$i.log"
    rm -f "$RIG_DIR/card$i.fuse"
    RIG_CARD_FUSE="$RIG_DIR/card$i.fuse" RIG_CARD_STATE="$state" \
        "${cmd[@]}" >>"$RIG_DIR/card$i.log" 2>&1 </dev/null &
    RIG_CARD_PIDS[i]=$!
    rig__save
    rig_wait present "$name" "$RIG_TIMEOUT_MS" || rig_die "no card PRESENT in slot $i ($name)"
}

# ---- the CAC card (libcacard) ---------------------------------------------

# The glue between vpcd and libcacard (tests/rig/cacard-vpcd.c), built only
# when libcacard is there; by hand, the first build directory that has it.
rig__cacard() {
    local g=${SCMGR_CACARD:-}
    if [ -z "$g" ]; then
        for g in "$RIG_HERE"/../../build*/tests/rig/cacard-vpcd ""; do
            [ -x "$g" ] && break
        done
    fi
    if [ -z "$g" ] || [ ! -x "$g" ]; then
        rig_die "cacard-vpcd not built (needs libcacard-dev) or SCMGR_CACARD unset"
    fi
    echo "$g"
}

# rig_cac_require: exit 77 (a failure in CI) when the CAC card cannot be
# made here: no glue (libcacard missing at build time) or no certutil.
rig_cac_require() {
    local g=${SCMGR_CACARD:-}
    if [ -z "$g" ] || [ ! -x "$g" ]; then
        [ "${CI:-}" = true ] && rig_die "cacard-vpcd was not built: libcacard-dev missing (./dev.sh test installs it)"
        rig__say "SKIP: cacard-vpcd was not built (libcacard-dev missing)"
        exit 77
    fi
    rig_require_tools certutil
}

# The CAC card's PIN: libcacard hands a VERIFY's PIN to NSS as the
# database password (8 digits: the CAC PIN is 4 to 8 bytes).
RIG_CAC_PIN=12345678

# rig_cac_db DIR: a new NSS database in DIR (password $RIG_CAC_PIN) with
# three self-signed RSA-2048 certificates and their keys, nicknames cert1..3,
# subjects "CN=cacard test cert N,O=scmgr rig", serials 1001..1003. The keys
# are fresh each time; everything else is fixed.
rig_cac_db() {
    local dir=$1 i
    [ -e "$dir" ] && rig_die "rig_cac_db: $dir exists"
    mkdir -p "$dir"
    printf '%s\n' "$RIG_CAC_PIN" >"$dir/.pw"
    head -c 2048 /dev/urandom >"$dir/.noise"
    certutil -N -d "sql:$dir" -f "$dir/.pw" >/dev/null ||
        rig_die "certutil could not make an NSS database in $dir"
    for i in 1 2 3; do
        certutil -S -d "sql:$dir" -f "$dir/.pw" -z "$dir/.noise" -n "cert$i" \
            -s "CN=cacard test cert $i,O=scmgr rig" -x -t "CT,C,C" -k rsa -g 2048 \
            -m $((1000 + i)) -v 24 --keyUsage digitalSignature,keyEncipherment,nonRepudiation \
            >/dev/null 2>&1 || rig_die "certutil could not make cert$i in $dir"
    done
    rm -f "$dir/.pw" "$dir/.noise"
}

# rig_card_fuse I N: the card in slot I is pulled out (its process exits)
# when the N-th command APDU from now arrives, before answering it: a card
# removed in the middle of an operation, at a point the test chooses.
rig_card_fuse() {
    rig__slot "$1"
    rig__load
    rig__blown "$1" >"$RIG_DIR/card$1.fuse.base"
    echo "$2" >"$RIG_DIR/card$1.fuse.tmp"
    mv "$RIG_DIR/card$1.fuse.tmp" "$RIG_DIR/card$1.fuse"
}

# rig_card_blown I: did the card's last fuse (rig_card_fuse) blow? Each
# emulator says so in its log before it leaves, so this holds at once,
# where the process may take a moment longer to be gone on a loaded machine.
rig_card_blown() {
    rig__slot "$1"
    [ "$(rig__blown "$1")" != "$(cat "$RIG_DIR/card$1.fuse.base" 2>/dev/null || echo 0)" ]
}
rig__blown() { grep -c 'rig: fuse blown' "$RIG_DIR/card$1.log" 2>/dev/null || true; }

# rig_card_kill I [SIGNAL]: the card process ends (as a card pulled out
# would), and pcscd has seen the slot EMPTY on return.
rig_card_kill() {
    rig__slot "$1"
    rig__load
    local i=$1
    rig__stop "${RIG_CARD_PIDS[i]}" "${2:-TERM}"
    RIG_CARD_PIDS[i]=""
    rig__save
    rig_wait empty "${RIG_READERS[$i]}" "$RIG_TIMEOUT_MS" || rig_die "slot $i did not become EMPTY"
}

# rig_card_forget I: the kept state of slot I's cards is gone (a new card).
rig_card_forget() {
    rig__slot "$1"
    rig__load
    rm -f "$RIG_DIR/card$1".*.state
}

# Is the card in slot I still running? (A crash of the emulator ends it.)
rig_card_alive() {
    rig__load
    rig__alive "${RIG_CARD_PIDS[$1]}"
}

# ---- PKCS#15 written by OpenSC (cards-in-the-wild §4.1) ------------------

# vicc's iso7816 card; OpenSC knows no driver for it.
RIG_P15_ATR=3b:95:13:81:01:80:73:ff:01:00:0b

# rig_p15_conf: a private opensc.conf (never the system's) that binds the
# card's ATR to OpenSC's isoApplet driver, the one driver that speaks plain
# ISO 7816-4 file commands and that pkcs15-init has a profile for; and no
# file cache, so every client reads the card, not a copy in ~/.cache.
# Exports OPENSC_CONF.
rig_p15_conf() {
    rig__load
    export OPENSC_CONF="$RIG_DIR/opensc-p15.conf"
    cat >"$OPENSC_CONF" <<EOF
app default {
    card_atr $RIG_P15_ATR { driver = "isoApplet"; }
    framework pkcs15 { use_file_caching = no; }
}
EOF
}

# rig_card_p15 I [LABEL]: an iso7816 card in slot I carrying an empty
# PKCS#15 layout (EF.DIR, DF 5015, an ODF listing the AODF alone,
# TokenInfo, an empty AODF) written by `pkcs15-init --create-pkcs15
# --profile pkcs15 --no-so-pin`; its first --store-certificate/--store-data
# creates the CDF 4404/DODF 4405 and enters it in the ODF. The
# isoApplet driver binds only when SELECT of IsoApplet's AID succeeds, and
# vicc selects DF names by prefix: one CREATE of a DF named with that AID
# (4953, "IS") is the whole trick. pkcs15-init's own CREATEs carry
# isoApplet's proprietary security attributes (86), not 8C, so the card's
# access control (vicc-card.py ACCESS) has nothing to refuse: the MF has no
# 8C either. No PIN: with a PIN profile (pkcs15+onepin) isoApplet sets the
# PUK by CHANGE REFERENCE DATA P1=01 before any VERIFY (IsoApplet's own
# first-use rule), which an ISO card refuses (6982). OpenSC's output is in
# $RIG_DIR/cardI.p15.log.
rig_card_p15() {
    rig__slot "$1"
    local i=$1 label=${2:-scmgr rig} log
    rig_require_tools opensc-tool pkcs15-init
    rig_card_start "$i"
    rig_p15_conf
    log="$RIG_DIR/card$i.p15.log"
    # -c default: no driver probing (48 SELECTs); SELECT MF, then CREATE
    # FILE 62 {82 38 (DF), 83 4953, 84 F276A288BCFBA69D34F31001}.
    opensc-tool -r "$i" -c default -s 00A4000C023F00 \
        -s 00E0000017621582013883024953840CF276A288BCFBA69D34F31001 >"$log" 2>&1 ||
        rig_die "opensc-tool could not send the CREATE to slot $i (see $log)"
    [ "$(grep -c 'SW1=0x90, SW2=0x00' "$log")" = 2 ] ||
        rig_die "the card in slot $i refused the IsoApplet DF: $(cat "$log")"
    pkcs15-init -r "$i" --create-pkcs15 --profile pkcs15 --no-so-pin --label "$label" \
        >>"$log" 2>&1 || rig_die "pkcs15-init --create-pkcs15 failed on slot $i: $(cat "$log")"
}

# ---- the whole rig --------------------------------------------------------

# rig_up: a private pcscd with two empty slots, everything stopped on exit
# (the EXIT trap runs rig_down, then whatever EXIT trap was set before).
# shellcheck disable=SC2120 # $3 is the old trap's command, from `set --`
rig_up() {
    local prev=""
    rig_require
    if [ -z "${RIG_DIR:-}" ]; then
        RIG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/scmgr-rig-XXXXXX")
    fi
    export RIG_DIR
    mkdir -p "$RIG_DIR/run"
    chmod 755 "$RIG_DIR" # pcscd in a user namespace must reach run/
    if [ "${RIG_NO_TRAP:-}" != 1 ]; then
        eval "set -- $(trap -p EXIT)"
        prev=${3:-}
        # shellcheck disable=SC2064
        trap "rig_down; $prev" EXIT
        trap 'exit 130' INT
        trap 'exit 143' TERM
    fi
    RIG_MODE=$(rig__mode)
    RIG_PORT=$(rig__free_ports) || rig_die "no free TCP port pair found for vpcd"
    RIG_PCSCD_PID=""
    rig__no_cards
    RIG_READERS=()
    export PCSCLITE_CSOCK_NAME="$RIG_DIR/run/pcscd.comm"
    rig__write_conf
    rig__save
    rig_pcscd_start
    export RIG_READER_0="${RIG_READERS[0]}" RIG_READER_1="${RIG_READERS[1]}"
    local i
    for ((i = 2; i < RIG_SLOTS; i++)); do export "RIG_READER_$i=${RIG_READERS[i]}"; done
}

rig_down() {
    local i
    [ -n "${RIG_DIR:-}" ] && [ -f "$RIG_DIR/state" ] || return 0
    # shellcheck disable=SC1091
    . "$RIG_DIR/state"
    for ((i = 0; i < ${#RIG_CARD_PIDS[@]}; i++)); do
        rig__stop "${RIG_CARD_PIDS[i]:-}"
    done
    rig__stop "${RIG_PCSCD_PID:-}"
    if [ "${RIG_KEEP:-}" = 1 ]; then
        rig__say "kept $RIG_DIR"
    else
        rm -rf "$RIG_DIR"
    fi
}

# ---- by hand ----------------------------------------------------------------

rig__main() {
    set -euo pipefail
    local cmd=${1:-}
    shift || true
    # A fixed directory per user, so that `up` and `down` meet.
    : "${RIG_DIR:=${TMPDIR:-/tmp}/scmgr-rig.$(id -u)}"
    export RIG_DIR
    case "$cmd" in
    up)
        [ -f "$RIG_DIR/state" ] && rig_die "a rig is up in $RIG_DIR: rig.sh down first"
        # shellcheck disable=SC2119
        RIG_NO_TRAP=1 rig_up
        if [ "${1:-}" != --no-cards ]; then
            rig_card_start 0
            rig_card_start 1
        fi
        rig__env
        ;;
    down) rig_down ;;
    env) rig__load && rig__env ;;
    logs) rig_logs ;;
    card-start) rig_card_start "$@" ;;
    card-kill) rig_card_kill "$@" ;;
    card-fuse) rig_card_fuse "$@" ;;
    pcscd-kill) rig_pcscd_kill "$@" ;;
    pcscd-start) rig_pcscd_start ;;
    *)
        echo "usage: rig.sh up [--no-cards] | down | env | logs | card-start I | card-kill I | card-fuse I N" \
            "| pcscd-kill [SIG] | pcscd-start" >&2
        exit 2
        ;;
    esac
}

rig__env() {
    printf 'export RIG_DIR=%q PCSCLITE_CSOCK_NAME=%q RIG_READER_0=%q RIG_READER_1=%q\n' \
        "$RIG_DIR" "$PCSCLITE_CSOCK_NAME" "${RIG_READERS[0]}" "${RIG_READERS[1]}"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    rig__main "$@"
fi
