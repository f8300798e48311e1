#!/usr/bin/env bash
# THE DEMO of `./dev.sh run` (no arguments) — a throwaway, not a way to run
# scmgr for real. It brings up the test rig's private pcscd with four
# emulated cards ("Mike's card" pre-loaded like the patent's example, a
# blank card to restore onto, a PIV card and an OpenPGP card), a throwaway
# VSC store, tells the user the
# PIN and what to try, runs the full-screen UI on them, and removes all of
# it when the UI exits. Nothing of the user's store or the system's pcscd is
# touched.
#
#   tests/rig/demo.sh SCMGR RIGWAIT [UI OPTION...]
#
# SCMGR is the scmgr binary, RIGWAIT the rig's event waiter (build/rigwait);
# the UI options (--theme mono, --log FILE: what `./dev.sh run` was given)
# go to the UI.
# When the rig cannot run here (not root and no user namespaces, or its
# packages missing), it says so in one sentence and runs plain scmgr.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
scmgr=$(realpath "${1:?usage: demo.sh SCMGR RIGWAIT}")
SCMGR_RIGWAIT=$(realpath "${2:?usage: demo.sh SCMGR RIGWAIT}")
export SCMGR_RIGWAIT
shift 2
ui_opts=("$@")
# shellcheck source=rig.sh
. "$here/rig.sh"
# shellcheck source=demo-card.sh
. "$here/demo-card.sh"

if ! why=$( (rig_require) 2>&1 >/dev/null); then
    case "$why" in
    *missing:*)
        why=${why#*missing:}
        why="its packages are missing:${why%% (*}"
        ;;
    *) why="it needs root or unprivileged user namespaces" ;;
    esac
    echo "scmgr demo: no private PC/SC service can run here ($why), so this is plain scmgr" \
        "with the system's pcscd and your own store." >&2
    exec "$scmgr" "${ui_opts[@]}"
fi

demo_dir=$(mktemp -d "${TMPDIR:-/tmp}/scmgr-demo-XXXXXX")
trap 'rm -rf "$demo_dir"' EXIT
export DEMO_STORE="$demo_dir/store"
mkdir -m 700 "$DEMO_STORE"
# The rig's directory inside ours; rig_up chains its rig_down before the
# trap above, so the cards and pcscd stop first, then everything is removed.
export RIG_DIR="$demo_dir/rig"
echo "scmgr demo: starting a private PC/SC service with four emulated cards..." >&2
export RIG_SLOTS=4
rig_up
trap 'exit 129' HUP
rig_card_start 0
rig_card_start 1
rig_card_start 2 piv
rig_card_start 3 openpgp
demo_card_load "$scmgr" 0 || rig_die "could not fill the demo card in $(rig_reader 0)"
demo_card_blank "$scmgr" 1 || rig_die "could not lay out the blank card in $(rig_reader 1)"
demo_card_piv "$scmgr" 2 || rig_die "could not fill the PIV card in $(rig_reader 2)"
demo_card_openpgp "$scmgr" 3 || rig_die "could not fill the OpenPGP card in $(rig_reader 3)"

cat <<EOF

  scmgr DEMO — a throwaway: emulated cards, a private PC/SC service and an
  empty VSC store in $demo_dir, all removed when you quit.

  $(rig_reader 0): "$DEMO_LABEL" (serial $DEMO_SERIAL)
      public: a certificate, a business card, a note; private: 2 objects
  $(rig_reader 1): "$DEMO_BLANK_LABEL", no objects
  The PIN of both cards is $DEMO_PIN.
  $(rig_reader 2): a PIV card, PIN $DEMO_PIV_PIN: a CHUID, a certificate in
      slot 9A, Printed Information behind the PIN; writing asks for its card
      management key, $DEMO_PIV_MGM
  $(rig_reader 3): an OpenPGP card, PIN (PW1) $DEMO_PGP_PIN: cardholder name,
      URL, login data, private DO 1, the certificate; writing asks for its
      admin PIN (PW3), $DEMO_PGP_PW3; keys are never copied

  Back up:  Enter on Mike's card; Tools > Unlock card (F9 t u), PIN $DEMO_PIN;
            Edit > Copy all (F9 e a); Tools > VSC Manager (F9 t v), N, Enter,
            a password twice (8 characters or more), C (back in Readers);
            Enter on VSC 00001079, F9 t u, the password; Tab to the Clipboard
            pane, F6 pastes each object into its own area; F2 saves.
  Disable / enable: VSC Manager (F9 t v), D, then E with the password.
  Restore:  open and unlock the VSC, F9 e a; Enter on the blank card, PIN,
            Tab to the Clipboard pane, F6: the plan, Enter, y writes.
  Tab/arrows move, Enter opens, F1 lists every key, F10 quits.

EOF
if [ -t 0 ] && [ -t 1 ]; then
    read -r -p "  Press Enter to start scmgr (Ctrl-C leaves)... " _
fi

# A child, not exec: the traps above tear the rig down when it exits.
rc=0
PCSCLITE_CSOCK_NAME=$PCSCLITE_CSOCK_NAME "$scmgr" --store "$DEMO_STORE" "${ui_opts[@]}" || rc=$?
echo "scmgr demo: over; removing the emulated cards, the private pcscd and the demo store." >&2
exit "$rc"
