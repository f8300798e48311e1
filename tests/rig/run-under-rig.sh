#!/usr/bin/env bash
# run-under-rig.sh PROGRAM [ARGS...]: bring the rig up with a card in both
# slots, run PROGRAM with the rig's environment (PCSCLITE_CSOCK_NAME,
# RIG_DIR, RIG_READER_0/1; SCMGR_RIG to change the rig), stop the rig.
# Exits with PROGRAM's status, 77 when the rig cannot run here.
set -euo pipefail
# shellcheck source=rig.sh
. "${SCMGR_RIG:?SCMGR_RIG must point to tests/rig/rig.sh}"
rig_require
rig_up
rig_card_start 0
rig_card_start 1
rc=0
"$@" || rc=$?
[ "$rc" = 0 ] || rig_logs
exit "$rc"
