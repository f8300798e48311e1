#!/usr/bin/env bash
# `./dev.sh run --theme mono`: options of the UI itself still mean the demo
# (with those options); a command or --store means plain scmgr. dev.sh's
# demo_args decides, demo.sh passes the options on to the UI it starts.
set -euo pipefail
# shellcheck source=../cli/lib.sh
. "$(dirname "$0")/../cli/lib.sh"
# shellcheck source=rig.sh
. "${SCMGR_RIG:?SCMGR_RIG must point to tests/rig/rig.sh}"
top=$(cd "$(dirname "$0")/../.." && pwd)

# dev.sh's rule, on its own (dev.sh itself would install and build).
eval "$(sed -n '/^demo_args() {/,/^}/p' "$top/dev.sh")"
for a in "" "--theme mono" "--theme=mono" "--theme mono --log /tmp/x" "--log-level debug"; do
    # shellcheck disable=SC2086 # the words are the arguments
    demo_args $a || fail "dev.sh run $a should start the demo"
done
for a in "ls vsc:1" "--store /tmp/s" "--theme" "--theme mono readers" "--version"; do
    # shellcheck disable=SC2086
    ! demo_args $a || fail "dev.sh run $a should start plain scmgr"
done

rig_require
# A stand-in for scmgr: the demo's own card loading goes to the real one,
# the UI it starts at the end only records its arguments.
cat >"$T/scmgr" <<EOS
#!/usr/bin/env bash
case " \$* " in
*" --theme "*) printf '%s\n' "\$*" >"$T/ui-args"; exit 0 ;;
esac
exec "$SCMGR_BIN" "\$@"
EOS
chmod +x "$T/scmgr"
RIG_DIR="$T/rig" "$top/tests/rig/demo.sh" "$T/scmgr" "$SCMGR_RIGWAIT" --theme mono </dev/null \
    >"$T/demo.out" 2>"$T/demo.err" || { cat "$T/demo.out" "$T/demo.err" >&2; fail "demo.sh failed"; }
[ -s "$T/ui-args" ] || { cat "$T/demo.err" >&2; fail "the demo did not start the UI with --theme"; }
has "$T/ui-args" '^--store .*scmgr-demo-.*/store --theme mono$'
has "$T/demo.err" "starting a private PC/SC service"
echo "demo_args: ok"
