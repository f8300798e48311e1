# shellcheck shell=bash
# The UI's end-to-end harness: the real scmgr binary in a tmux pane of a
# chosen size, TERM and LANG, against the PC/SC rig (tests/rig). Tests send
# keys and assert what the screen shows (src/ui/README.md is the spec of
# the texts). Sourced right after `set -euo pipefail`; brings in
# tests/cli/lib.sh (private HOME and store in $T, fail/expect/has/json_get),
# tests/rig/rig.sh and tests/rig/demo-card.sh.
#
#   ui_rig [--demo] [--blank] [--empty]
#                        rig up (exit 77 when it cannot run); --demo: slot 0
#                        holds the demo card ("Mike's card", 00001079, PIN
#                        1234, like `./dev.sh run`); --blank: slot 1 holds an
#                        initialised card with no objects; --empty leaves
#                        both slots empty (the default starts a blank,
#                        uninitialised card in each slot not named)
#   ui_demo [UI_START ARGS]  the usual beginning: skip without a UI, the rig
#                        with --demo --blank, ui_start ARGS, and wait until
#                        Readers lists the demo card
#   ui_start [-s WxH] [-t TERM] [-l LANG] [-e NAME=VALUE]... [-- SCMGR ARGS]
#                        scmgr --store $SCMGR_STORE ARGS in a fresh tmux
#                        session (default 80x24, tmux-256color, C.UTF-8);
#                        its PID in $UI_PID, its stderr in $UI_ERR, every
#                        byte it writes to the terminal in $UI_RAW, the
#                        time (ns) it was started in $UI_T0
#   ui_keys KEY...       tmux send-keys (key names: Enter Tab BTab Down F10
#                        M-t C-l Escape Space ...)
#   ui_type TEXT         send TEXT literally (a PIN, a password)
#   ui_screen            print the pane as text (capture-pane -p)
#   ui_wait_for REGEX [SECONDS]   until the screen matches (grep -E); fails
#                        with the screen, scmgr's stderr and the rig logs
#   ui_wait_gone REGEX [SECONDS]  until the screen no longer matches
#   ui_assert REGEX / ui_refute REGEX   the screen now (no waiting)
#   ui_resize W H        the window (scmgr gets SIGWINCH)
#   ui_exit_status [SECONDS]  wait for scmgr to exit, print its exit status
#   ui_quit [KEY]        KEY (default F10) quits with status 0
#   ui_kill_client       hang-up: the tmux session killed (SIGHUP to scmgr)
#   ui_hup               SIGHUP to scmgr itself
#   ui_wait_pid_gone [SECONDS]   until scmgr's process is gone
#   ui_stop              scmgr and tmux gone (also run on every exit)
#   ui_require_ui        exit 77 when this scmgr has no full-screen UI yet
#   ui_fail MSG          fail with the screen and every log
#   ui_attrs REGEX...    the attributes at each REGEX on the screen
#   ui_focused / ui_focus PANE    which pane has the focus / Tab to PANE
#   ui_menu MENU ITEM    e.g. ui_menu Tools "VSC Manager"
#   ui_open_entry N REGEX   open the N-th Readers entry; the Card title shows REGEX
#   ui_secret TEXT       type a PIN/password (checked masked), Enter
#
# Everything started here is stopped by PID or by its private tmux socket
# from the EXIT trap, on every path.

# shellcheck source=../cli/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../cli/lib.sh"
# shellcheck source=../rig/rig.sh
. "${SCMGR_RIG:?SCMGR_RIG must point to tests/rig/rig.sh}"
# shellcheck source=../rig/demo-card.sh
. "$(dirname "$SCMGR_RIG")/demo-card.sh"

export PIN=$DEMO_PIN # the emulated cards' PIN
export VPW="demo-pass-1" # the VSC password the tests choose
UI_SOCK="scmgr-ui-$$-$RANDOM" # tmux -L: a server of our own
UI_TARGET="ui:0.0"
UI_PID=""
UI_TMUX_PID=""
UI_T0=0
UI_ERR="$T/ui.err"
UI_RAW="$T/ui.raw"
UI_TIMEOUT=${UI_TIMEOUT:-10}
UI__TRAPPED=""

command -v tmux >/dev/null || {
    [ "${CI:-}" = true ] && { echo "FAIL: tmux missing (./dev.sh test installs it)" >&2; exit 1; }
    echo "SKIP: tmux missing (./dev.sh test installs it)" >&2
    exit 77
}

# tmux itself always speaks UTF-8 to us (capture-pane), whatever LANG the
# program in the pane gets.
ui__tmux() { LC_ALL=C.UTF-8 tmux -u -L "$UI_SOCK" "$@"; }

ui__alive() { rig__alive "${1:-}"; }

# Run CMD on exit before whatever EXIT trap is set now (rig_down, rm -rf $T).
ui__trap() {
    local cmd=$1 prev
    eval "set -- $(trap -p EXIT)"
    prev=${3:-}
    # shellcheck disable=SC2064
    trap "$cmd; $prev" EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

ui_rig() {
    local demo="" blank="" empty=""
    while [ $# -gt 0 ]; do
        case "$1" in
        --demo) demo=1 ;;
        --blank) blank=1 ;;
        --empty) empty=1 ;;
        *) fail "ui_rig: unknown option $1" ;;
        esac
        shift
    done
    rig_require
    rig_up
    # The readers' names as regexes (the Card pane's title names the reader).
    UI_R0=$(ui_re "$RIG_READER_0")
    UI_R1=$(ui_re "$RIG_READER_1")
    export UI_R0 UI_R1
    [ -n "$empty" ] && return 0
    rig_card_start 0
    rig_card_start 1
    if [ -n "$demo" ]; then
        demo_card_load "$SCMGR_BIN" 0 || rig_die "could not fill the demo card"
    fi
    if [ -n "$blank" ]; then
        demo_card_blank "$SCMGR_BIN" 1 || rig_die "could not lay out the blank card"
    fi
}

ui_start() {
    local size=80x24 term=tmux-256color lang=C.UTF-8 envs=() w h
    while [ $# -gt 0 ]; do
        case "$1" in
        -s) size=$2; shift 2 ;;
        -t) term=$2; shift 2 ;;
        -l) lang=$2; shift 2 ;;
        -e) envs+=("$2"); shift 2 ;;
        --) shift; break ;;
        *) break ;;
        esac
    done
    w=${size%x*}
    h=${size#*x}
    ui_stop
    if [ -z "$UI__TRAPPED" ]; then
        ui__trap ui_stop
        UI__TRAPPED=1
    fi
    : >"$UI_ERR"
    : >"$UI_RAW"
    rm -f "$T/ui.pid" "$T/ui.go" "$T/ui.rc"
    mkfifo "$T/ui.go"
    # No status line (the pane is the whole WxH window); keep a dead pane so
    # its exit status and last screen can be read.
    printf '%s\n' 'set -g status off' 'set -g remain-on-exit on' 'set -g history-limit 0' \
        >"$T/tmux.conf"
    # The tmux server is our child (-D: not a daemon), so that it is stopped
    # and reaped by PID like everything else.
    LC_ALL=C.UTF-8 tmux -u -L "$UI_SOCK" -D -f "$T/tmux.conf" </dev/null >/dev/null 2>&1 &
    UI_TMUX_PID=$!
    local i=0
    until ui__tmux list-sessions >/dev/null 2>&1; do
        if ! ui__alive "$UI_TMUX_PID" || [ $i -ge 500 ]; then
            ui_fail "the tmux server did not start"
        fi
        sleep 0.01
        i=$((i + 1))
    done
    # pane.sh waits until the pane's output is recorded (the fifo), then
    # runs scmgr (its PID in ui.pid) and writes its exit status to ui.rc.
    ui__tmux new-session -d -s ui -x "$w" -y "$h" \
        "$(dirname "${BASH_SOURCE[0]}")/pane.sh" "$T/ui.pid" "$T/ui.go" "$UI_ERR" "$T/ui.rc" \
        env -u NO_COLOR -u SCMGR_ASCII TERM="$term" LANG="$lang" LC_ALL="$lang" "${envs[@]}" \
        "$SCMGR_BIN" --store "$SCMGR_STORE" "$@"
    # Every byte scmgr writes, for the byte counts and the LANG=C test.
    ui__tmux pipe-pane -o -t "$UI_TARGET" "cat >>'$UI_RAW'"
    echo go >"$T/ui.go" # blocks until pane.sh reads it
    export UI_T0
    UI_T0=$(date +%s%N) # scmgr is being exec'd now (the benchmark's start)
    i=0
    while [ ! -s "$T/ui.pid" ] && [ $i -lt 500 ]; do
        sleep 0.01
        i=$((i + 1))
    done
    UI_PID=$(cat "$T/ui.pid" 2>/dev/null || true)
    [ -n "$UI_PID" ] || ui_fail "scmgr did not start in tmux"
}

ui_stop() {
    if [ -n "$UI_TMUX_PID" ]; then
        ui__tmux kill-server 2>/dev/null || true
        rig__stop "$UI_TMUX_PID"
        UI_TMUX_PID=""
    fi
    # A scmgr that ignored the hang-up is stopped by its PID.
    if [ -n "$UI_PID" ]; then
        rig__stop "$UI_PID"
    fi
    UI_PID=""
}

ui_keys() { ui__tmux send-keys -t "$UI_TARGET" "$@"; }
ui_type() { ui__tmux send-keys -t "$UI_TARGET" -l -- "$1"; }
ui_screen() { ui__tmux capture-pane -p -t "$UI_TARGET"; }

ui_fail() {
    {
        echo "FAIL: $*"
        echo "----- screen:"
        ui_screen 2>/dev/null || echo "(no tmux pane)"
        echo "----- scmgr's stderr:"
        cat "$UI_ERR" 2>/dev/null || true
        if [ -n "$UI_PID" ] && [ -r "/proc/$UI_PID/stat" ]; then
            echo "----- scmgr ($UI_PID) still runs: $(cut -d' ' -f3,4 "/proc/$UI_PID/stat") (state, parent) in $(cat "/proc/$UI_PID/wchan" 2>/dev/null); tmux is $UI_TMUX_PID"
            for f in /proc/"$UI_PID"/task/*/stat; do
                echo "  thread ${f%/stat}: $(cut -d' ' -f2,3 "$f") in $(cat "${f%/stat}/wchan" 2>/dev/null)"
            done
        fi
        echo "-----"
    } >&2
    rig_logs
    exit 1
}

ui__poll() {
    local want=$1 re=$2 secs=${3:-$UI_TIMEOUT} end
    end=$(($(date +%s%N) + secs * 1000000000))
    while :; do
        if ui_screen 2>/dev/null | grep -Eq -- "$re"; then
            [ "$want" = match ] && return 0
        else
            [ "$want" = gone ] && return 0
        fi
        [ "$(date +%s%N)" -lt "$end" ] || return 1
        # A scmgr that died (a crash, a sanitizer's abort) shows nothing new.
        [ -z "$UI_PID" ] || ui__alive "$UI_PID" || [ ! -s "$T/ui.rc" ] || return 2
        sleep 0.05
    done
}

ui_wait_for() {
    local rc=0
    ui__poll match "$1" "${2:-}" || rc=$?
    [ $rc = 2 ] && ui_fail "scmgr exited ($(cat "$T/ui.rc")) while the test waited for /$1/"
    [ $rc = 0 ] || ui_fail "the screen did not show /$1/ within ${2:-$UI_TIMEOUT} s"
}

ui_wait_gone() {
    local rc=0
    ui__poll gone "$1" "${2:-}" || rc=$?
    [ $rc = 2 ] && ui_fail "scmgr exited ($(cat "$T/ui.rc")) while the test waited for /$1/ to go"
    [ $rc = 0 ] || ui_fail "the screen still shows /$1/ after ${2:-$UI_TIMEOUT} s"
}

ui_assert() { ui_screen | grep -Eq -- "$1" || ui_fail "the screen lacks /$1/"; }
ui_refute() { ! ui_screen | grep -Eq -- "$1" || ui_fail "the screen shows /$1/"; }

ui_resize() { ui__tmux resize-window -t ui -x "$1" -y "$2"; }

# Print scmgr's exit status once it has exited (pane.sh writes it).
ui_exit_status() {
    local secs=${1:-$UI_TIMEOUT} end
    end=$(($(date +%s%N) + secs * 1000000000))
    until [ -s "$T/ui.rc" ]; do
        [ "$(date +%s%N)" -lt "$end" ] || ui_fail "scmgr did not exit within $secs s"
        sleep 0.05
    done
    cat "$T/ui.rc"
}

# ui_quit [KEY]: KEY (F10) quits, scmgr exits 0.
ui_quit() {
    local st
    ui_keys "${1:-F10}"
    st=$(ui_exit_status "$UI_TIMEOUT")
    [ "$st" = 0 ] || ui_fail "scmgr exited $st after ${1:-F10}"
    ! grep -Eq 'Sanitizer|runtime error' "$UI_ERR" || ui_fail "a sanitizer report on scmgr's stderr"
}

ui_kill_client() { ui__tmux kill-session -t ui; }
ui_hup() { kill -HUP "$UI_PID"; }

ui_wait_pid_gone() {
    local secs=${1:-$UI_TIMEOUT} end
    end=$(($(date +%s%N) + secs * 1000000000))
    while ui__alive "$UI_PID"; do
        [ "$(date +%s%N)" -lt "$end" ] || ui_fail "scmgr ($UI_PID) still runs $secs s after the hang-up"
        sleep 0.05
    done
}

# An scmgr built before the UI answers a bare `scmgr` with its usage. With
# no terminal the UI itself says it needs one (src/ui/README.md).
ui_require_ui() {
    local said
    said=$("$SCMGR_BIN" </dev/null 2>&1 || true)
    if grep -q 'full-screen UI is not part of this version' <<<"$said"; then
        echo "SKIP: this scmgr has no full-screen UI yet" >&2
        exit 77
    fi
}

# ui_demo [UI_START ARGS]: what most tests begin with, in one place.
ui_demo() {
    ui_require_ui
    ui_rig --demo --blank
    ui_start "$@"
    ui_wait_for "card  Mike's card"
}

# ---- reading the screen's attributes ------------------------------------------

# ui_attrs REGEX...: the attributes at each REGEX's first match (attrs.py).
ui_attrs() {
    ui__tmux capture-pane -e -p -t "$UI_TARGET" | python3 "$(dirname "${BASH_SOURCE[0]}")/attrs.py" "$@"
}

# The focused pane (Readers, Card or Clipboard): its title is drawn in the
# focus colour, the other two alike (src/ui/README.md).
ui_focused() {
    local a
    mapfile -t a < <(ui_attrs '\bReaders\b' '\bCard\b' '\bClipboard\b')
    if [ "${a[0]}" != "${a[1]}" ] && [ "${a[1]}" = "${a[2]}" ]; then
        echo Readers
    elif [ "${a[1]}" != "${a[0]}" ] && [ "${a[0]}" = "${a[2]}" ]; then
        echo Card
    elif [ "${a[2]}" != "${a[0]}" ] && [ "${a[0]}" = "${a[1]}" ]; then
        echo Clipboard
    else
        echo "?"
    fi
}

# ui_focus PANE: Tab until PANE has the focus.
ui_focus() {
    local i
    for i in 1 2 3 4; do
        [ "$(ui_focused)" = "$1" ] && return 0
        ui_keys Tab
        ui__poll_focus_change "$1" || true
    done
    [ "$(ui_focused)" = "$1" ] || ui_fail "could not move the focus to $1 (focus: $(ui_focused))"
}

# After a Tab: until the focus is on PANE, at most half a second (the Tab
# may land on another pane, which the caller's loop handles).
ui__poll_focus_change() {
    local i
    for i in $(seq 10); do
        [ "$(ui_focused)" = "$1" ] && return 0
        sleep 0.05
    done
    return 1
}

# ---- the screen flow (names from src/ui/README.md) ------------------------------

# ui_menu MENU ITEM: open MENU with Alt+its first letter, wait for ITEM,
# choose it with its hot letter (src/ui/README.md, "Menus").
ui_menu() {
    local menu=$1 item=$2 key=""
    case "$menu/$item" in
    "File/Open") key=o ;;
    "File/Close card") key=c ;;
    "File/Save VSC") key=s ;;
    "File/Import object...") key=i ;;
    "File/Export object...") key=e ;;
    "File/Quit") key=q ;;
    "Edit/Mark") key=m ;;
    "Edit/Copy") key=c ;;
    "Edit/Copy all") key=a ;;
    "Edit/Paste") key=p ;;
    "Edit/Rename...") key=r ;;
    "Edit/Delete") key=d ;;
    "Edit/Clear clipboard") key=l ;;
    "Edit/Back up card to VSC") key=b ;;
    "Edit/Emergency backup...") key=e ;;
    "View/View object") key=v ;;
    "View/Messages") key=m ;;
    "View/Redraw") key=r ;;
    "Tools/VSC Manager") key=v ;;
    "Tools/New VSC...") key=n ;;
    "Tools/Unlock card") key=u ;;
    "Tools/Initialise card...") key=i ;;
    "Help/Keys") key=k ;;
    "Help/About") key=a ;;
    *) ui_fail "ui_menu: no item '$item' in menu $menu" ;;
    esac
    ui_keys "M-$(tr '[:upper:]' '[:lower:]' <<<"${menu:0:1}")"
    ui_wait_for "$(ui_re "$item")"
    ui_keys "$key"
}

# ui_re TEXT: TEXT as an extended regex matching itself.
# ui_select_row REGEX: move the Card pane's selection (">") onto a row.
ui_select_row() {
    local i
    ui_keys Home
    # The screen may still show the selection from before Home.
    ui_wait_for '│>Public'
    for ((i = 0; i < 20; i++)); do
        ui_screen | grep -Eq -- "│>[[:space:]]*$1" && return 0
        ui_keys Down
        sleep 0.05
    done
    ui_fail "no row /$1/ to select"
}

ui_re() { sed -e 's/[][\.*^$+?(){}|/]/\\&/g' <<<"$1"; }

# ui_open_entry N REGEX: open the N-th entry (0-based) of Readers, wait for
# the Card pane's title to name it (REGEX: the reader's name, or the VSC's).
ui_open_entry() {
    local i
    ui_focus Readers
    ui_keys Home
    for ((i = 0; i < $1; i++)); do ui_keys Down; done
    ui_keys Enter
    ui_wait_for "Card: $2"
}

# ui_secret TEXT: type a PIN or password into the open dialog, check it is
# drawn masked (never in the clear), then Enter.
ui_secret() {
    ui_type "$1"
    ui_wait_for "\\*{${#1}}"
    ui_refute "$(ui_re "$1")"
    ui_keys Enter
}
