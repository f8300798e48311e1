#!/bin/sh
# The command of the tmux pane that runs scmgr (tests/ui/lib.sh, ui_start):
#   pane.sh PIDFILE GOFIFO ERRFILE RCFILE COMMAND...
# waits until the harness records the pane's output (a line on GOFIFO),
# runs COMMAND with stderr in ERRFILE and its PID in PIDFILE (an inner sh
# that execs it, so the PID is COMMAND's own), and writes its exit status
# to RCFILE. The status is ours to reap: tmux's own view of a dead pane's
# status proved unreliable (now and then it never reaps the child).
pidf=$1 go=$2 err=$3 rcf=$4
shift 4
read -r _ <"$go"
rc=0
# shellcheck disable=SC2016
sh -c 'echo $$ >"$0.tmp" && mv "$0.tmp" "$0" && exec "$@"' "$pidf" "$@" 2>"$err" || rc=$?
echo "$rc" >"$rcf.tmp" && mv "$rcf.tmp" "$rcf"
