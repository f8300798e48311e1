#!/usr/bin/env bash
# A hang-up (the SSH session drops: tmux kills the session, scmgr gets
# SIGHUP) with unsaved changes in an open VSC: scmgr exits without asking
# and without saving (the file is unchanged), the VSC file is whole
# (verified with every MAC), no temporary file is left, and the store works
# at once (no stale lock). Then the same with SIGHUP sent to
# scmgr alone, and SIGTERM.
# shellcheck disable=SC2119 # ui_start takes optional arguments
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
ui_require_ui
ui_rig --demo --blank

expect 0 scm vsc new 00001079 --password-fd 3 3<<<"$VPW"
printf 'kept\n' | scm put vsc:00001079 "Old note" - --type note --password-fd 3 3<<<"$VPW" >/dev/null

# unsaved_changes: the demo card's public objects pasted into the open VSC.
unsaved_changes() {
    ui_wait_for "card  Mike's card"
    ui_open_entry 0 "$UI_R0"
    ui_wait_for 'Please read +note'
    ui_menu Edit "Copy all"
    ui_wait_for 'Clipboard \(3\)'
    ui_open_entry 2 '.*00001079'
    ui_menu Tools "Unlock card"
    ui_wait_for 'Password for vsc:00001079:'
    ui_secret "$VPW"
    ui_wait_gone '\[locked'
    ui_focus Clipboard
    ui_keys F6
    ui_wait_for '\[unsaved\]'
}

store_is_whole() {
    local f
    expect 0 scm vsc verify 00001079 --password-fd 3 3<<<"$VPW"
    expect 0 scm ls vsc:00001079 --json --password-fd 3 3<<<"$VPW"
    [ "$(json_get "$OUT" '"Old note" in [o["label"] for o in d["objects"]]')" = True ] ||
        fail "the saved object is gone"
    for f in "$SCMGR_STORE"/* "$SCMGR_STORE"/.*; do
        case "${f##*/}" in
        . | .. | 00001079.vsc | 00001079.vsc.bak | .00001079.lock) ;;
        *) fail "a stray file in the store after the hang-up: ${f##*/}" ;;
        esac
    done
    # Not left locked: a change through the CLI works at once.
    printf 'after\n' | expect 0 scm put vsc:00001079 "After $1" - --type note --password-fd 3 3<<<"$VPW"
}

for how in session hup term; do
    before=$(sha256sum <"$SCMGR_STORE/00001079.vsc")
    ui_start
    unsaved_changes
    pid=$UI_PID
    case "$how" in
    session) ui_kill_client ;;
    hup) ui_hup ;;
    term) kill -TERM "$UI_PID" ;;
    esac
    ui_wait_pid_gone 5
    ! ui__alive "$pid" || ui_fail "scmgr still runs after the hang-up ($how)"
    grep -q 'AddressSanitizer\|runtime error' "$UI_ERR" && ui_fail "sanitizer report after the hang-up ($how)"
    # Nothing asked, nothing saved: the unsaved paste is dropped, the file
    # is byte for byte the one saved before.
    [ "$(sha256sum <"$SCMGR_STORE/00001079.vsc")" = "$before" ] ||
        fail "the VSC file changed on a hang-up ($how)"
    store_is_whole "$how"
done
echo "ui_hangup: ok"
