# Shared by the CLI test scripts: a private store and HOME, and helpers.
# Sourced by each script right after `set -euo pipefail`.
: "${SCMGR_BIN:?SCMGR_BIN must point to the scmgr binary}"
: "${SCMGR_POLICY:?SCMGR_POLICY must point to tests/data/test-policy.ini}"

T=$(mktemp -d "${TMPDIR:-/tmp}/scmgr-cli-XXXXXX")
trap 'rm -rf "$T"' EXIT
# Nothing of the user's may leak in: own HOME, no XDG overrides.
export HOME="$T/home"
mkdir -p "$HOME"
unset XDG_CONFIG_HOME XDG_DATA_HOME SCMGR_STORE
export SCMGR_STORE="$T/store"
# No test may wait on a terminal: stdin is empty unless a test says so.
exec </dev/null

OUT="$T/out"
ERR="$T/err"
PW="test-pw-1"

scm() { "$SCMGR_BIN" "$@"; }

fail() {
    echo "FAIL: $*" >&2
    echo "--- stdout:" >&2; cat "$OUT" >&2 2>/dev/null || true
    echo "--- stderr:" >&2; cat "$ERR" >&2 2>/dev/null || true
    # A test on the PC/SC rig (tests/rig/rig.sh sourced): pcscd's and the cards' logs.
    if declare -F rig_logs >/dev/null; then rig_logs; fi
    exit 1
}

# expect CODE COMMAND...: run it with stdout in $OUT and stderr in $ERR,
# and check the exit code. Redirections on the call (3<<<, <) reach the
# command. With STEP_TIMEOUT (seconds) set, a command that runs longer is
# stopped and the test fails: a card test must never hang.
expect() {
    local want=$1 rc=0
    shift
    if [ -n "${STEP_TIMEOUT:-}" ]; then
        timeout "$STEP_TIMEOUT" "$@" >"$OUT" 2>"$ERR" || rc=$?
        [ "$rc" != 124 ] || fail "'$*' hung (no end within $STEP_TIMEOUT s)"
    else
        "$@" >"$OUT" 2>"$ERR" || rc=$?
    fi
    [ "$rc" = "$want" ] || fail "'$*' exited $rc, want $want"
}
same() { cmp -s "$1" "$2" || fail "$1 and $2 differ"; }

# has FILE REGEX / lacks FILE REGEX (grep -E)
has() { grep -Eq -- "$2" "$1" || fail "$1 lacks /$2/"; }
lacks() { ! grep -Eq -- "$2" "$1" || fail "$1 has /$2/"; }

# Every error message is one line starting with "scmgr: ".
one_error_line() {
    [ "$(wc -l <"$ERR")" = 1 ] || fail "stderr is not one line"
    has "$ERR" '^scmgr: '
}

json_ok() { python3 -c 'import json,sys; json.load(sys.stdin)' <"$1" || fail "$1 is not JSON"; }

# json_get FILE PYTHON-EXPR: print the expression evaluated on the document d.
json_get() { python3 -c "import json,sys; d=json.load(sys.stdin); print(($2))" <"$1"; }

# new_vsc UID [ARGS...]: make a VSC with the test password.
new_vsc() {
    local uid=$1
    shift
    expect 0 scm vsc new "$uid" --password-fd 3 "$@" 3<<<"$PW"
}

vsc_file() { echo "$SCMGR_STORE/$1.vsc"; }
