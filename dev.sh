#!/usr/bin/env bash
# The two commands of the README, for a fresh Debian 12 machine:
#
#   ./dev.sh run [SCMGR ARGS...]   install what is missing, build, start scmgr
#   ./dev.sh test                  install what is missing, build, run every test
#
# Root runs apt-get directly; anyone else through sudo. Nothing else is
# downloaded. Exit status: scmgr's own (run) or non-zero if any test failed.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$top"

# Debian packages: to build; the PC/SC rig, for the demo and the tests; to
# test and fuzz.
build_pkgs=(gcc libc6-dev meson ninja-build pkg-config libncurses-dev libpcsclite-dev
            libgnutls28-dev libiniparser-dev)
# The PC/SC rig (tests/rig): a private pcscd with the vpcd driver, the vicc
# card emulator (with pycryptodome), the project's own card emulators
# (card-*.py: python3-cryptography), ss to find free ports, unshare.
rig_pkgs=(pcscd vsmartcard-vpcd vsmartcard-vpicc python3 python3-pycryptodome python3-cryptography iproute2
          util-linux)
# The UI's end-to-end tests drive scmgr in tmux. The independent clients
# that check the rig's emulated cards (issue 8): OpenSC, yubico-piv-tool and
# ykcs11, GnuPG's scdaemon, OpenSSL and GnuTLS's tools; libcacard (QEMU's CAC
# emulator) with NSS's certutil for the CAC card.
test_pkgs=(libcmocka-dev clang tmux opensc yubico-piv-tool ykcs11 gnupg scdaemon openssl
           gnutls-bin libcacard-dev libnss3-tools)

say() { printf '==> %s\n' "$*" >&2; }

install_missing() {
    local missing=() p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    say "installing Debian packages: ${missing[*]}"
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || { echo "dev.sh: need root or sudo to install ${missing[*]}" >&2; exit 1; }
        sudo=(sudo)
    fi
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# configure DIR [meson options...]: set up once, reconfigure when options change.
configure() {
    local dir=$1; shift
    if [ -f "$dir/build.ninja" ]; then
        meson configure "$dir" "$@" >/dev/null
    else
        meson setup "$dir" "$@" >/dev/null
    fi
}

# With arguments: a plain scmgr (the system's pcscd, the user's store).
# Without: the demo (tests/rig/demo.sh), a throwaway store and a private
# pcscd with an emulated card pre-loaded with example objects.
# Arguments that are all options of the UI itself (--theme mono, --log F)
# still mean the demo, with those options; a command, or --store (the
# user's own store), means plain scmgr.
demo_args() {
    while [ $# -gt 0 ]; do
        case "$1" in
        --theme | --log | --log-level | --config | --policy)
            [ $# -ge 2 ] || return 1
            shift 2
            ;;
        --theme=* | --log=* | --log-level=* | --config=* | --policy=*) shift ;;
        *) return 1 ;;
        esac
    done
}

cmd_run() {
    local demo=""
    demo_args "$@" && demo=1
    if [ -z "$demo" ]; then
        install_missing "${build_pkgs[@]}"
    else
        install_missing "${build_pkgs[@]}" "${rig_pkgs[@]}"
    fi
    configure build -Dtests=false
    ninja -C build >/dev/null
    if [ -z "$demo" ]; then
        exec ./build/src/scmgr "$@"
    fi
    exec tests/rig/demo.sh ./build/src/scmgr ./build/rigwait "$@"
}

cmd_test() {
    install_missing "${build_pkgs[@]}" "${rig_pkgs[@]}" "${test_pkgs[@]}"
    local rc=0

    say "build with warnings as errors, then every test"
    configure build-test -Dtests=true -Dwerror=true
    ninja -C build-test
    meson test -C build-test --print-errorlogs || rc=1

    say "AddressSanitizer + UndefinedBehaviorSanitizer build, every test"
    configure build-asan -Dtests=true -Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false
    ninja -C build-asan
    meson test -C build-asan --print-errorlogs || rc=1

    if command -v clang >/dev/null; then
        say "libFuzzer targets (clang): a short run over the committed corpus"
        CC=clang configure build-fuzz -Dtests=true -Dfuzz=true -Db_lundef=false
        ninja -C build-fuzz
        meson test -C build-fuzz --suite fuzz --print-errorlogs || rc=1
    fi

    if [ $rc -ne 0 ]; then
        say "FAILED"
    else
        say "all tests passed"
    fi
    return $rc
}

case "${1:-}" in
run) shift; cmd_run "$@" ;;
test) shift; cmd_test "$@" ;;
*) echo "usage: ./dev.sh run [SCMGR ARGS...] | ./dev.sh test" >&2; exit 2 ;;
esac
