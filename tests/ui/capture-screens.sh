#!/usr/bin/env bash
# Regenerates doc/screens.md: text captures (tmux capture-pane) of the main
# screens at 80x24 against the rig with the demo card, through the same
# harness as the end-to-end tests (lib.sh).
#
#   tests/ui/capture-screens.sh [BUILD_DIR [OUTPUT]]
#
# BUILD_DIR (default build-e2e, else build-test) has scmgr and rigwait built
# with tests enabled; OUTPUT defaults to doc/screens.md.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-}
if [ -z "$build" ]; then
    for build in "$top/build-e2e" "$top/build-test" "$top/build"; do
        [ -x "$build/src/scmgr" ] && [ -x "$build/rigwait" ] && break
    done
fi
build=$(cd "$build" && pwd)
out=$(realpath -m "${2:-$top/doc/screens.md}")
export SCMGR_BIN="$build/src/scmgr" SCMGR_RIGWAIT="$build/rigwait"
export SCMGR_RIG="$top/tests/rig/rig.sh" SCMGR_POLICY="$top/tests/data/test-policy.ini"
# shellcheck source=lib.sh
. "$top/tests/ui/lib.sh"
ui_require_ui
ui_rig --demo --blank

doc="$T/screens.md"
# shot TITLE TEXT: one section with the screen as it is now.
shot() {
    {
        printf '## %s\n\n%s\n\n```\n' "$1" "$2"
        ui_screen
        printf '```\n\n'
    } >>"$doc"
}

cat >"$doc" <<'EOF_HEAD'
# Screens

Text captures of scmgr's full-screen UI at 80x24 (`tmux capture-pane`: characters only, no
colours), against the test rig with the demo card of `./dev.sh run` in the first reader and a
blank card in the second. Regenerate with `tests/ui/capture-screens.sh` after building with tests
(`meson setup build-e2e -Dtests=true && ninja -C build-e2e`). The texts are specified in
`src/ui/README.md`; the end-to-end tests in `tests/ui/` assert them.

EOF_HEAD

ui_start
ui_wait_for "card  Mike's card"
ui_wait_for 'card  Blank card'
ui_wait_for '10Quit'
shot "Start: readers and the demo card" \
    "The Readers pane lists both readers and their cards; nothing is open yet (Fig. 3A)."

ui_open_entry 0 "$UI_R0"
ui_wait_for 'Please read +note'
shot "The card opened: public objects, private locked" \
    "Enter on the reader opens the card: its details and public objects (Fig. 3B)."

ui_menu Tools "Unlock card"
ui_wait_for 'PIN for [^:]*:'
ui_type "$PIN"
ui_wait_for '\*\*\*\*'
shot "The PIN dialog" \
    "The PIN is masked with \`*\` (Fig. 3C). The prompt shows the tries left, which the card reports without spending one."
ui_keys Enter
ui_wait_for 'Private Info +data'
shot "The card with its private objects" "After the PIN: public and private objects (Fig. 3D)."

ui_menu Edit "Copy all"
ui_wait_for 'Clipboard \(5\)'
ui_menu Tools "VSC Manager"
ui_wait_for '\[N\]ew'
ui_keys n
ui_wait_for 'Identifier \(UID\):'
shot "VSC Manager: New" \
    "Tools > VSC Manager > New: the identifier is prefilled with the serial of the selected card (Fig. 3I)."
ui_keys Enter
ui_wait_for 'New password for vsc:00001079 \(at least [0-9]+ characters\):'
ui_secret "$VPW"
ui_wait_for 'Repeat the new password:'
ui_secret "$VPW"
ui_wait_for '00001079 .*enabled'
shot "The VSC Manager" "The VSC list after New, with its buttons (Fig. 3H, 3J)."
ui_keys c
ui_wait_gone '\[N\]ew'
ui_wait_for 'VSC 00001079'
shot "A new VSC in Readers" "The new VSC appears as a virtual reader (Fig. 3K); the clipboard holds the copied objects."

ui_open_entry 2 '.*00001079'
ui_menu Tools "Unlock card"
ui_wait_for 'Password for vsc:00001079:'
ui_secret "$VPW"
ui_wait_gone '\[locked'
ui_focus Clipboard
ui_keys F6
ui_wait_for 'Pasted 5 objects'
shot "The VSC after Paste" \
    "The VSC opened and unlocked (Fig. 3L-3N), the clipboard pasted from the Clipboard pane, each object into its own area (3O/3P); unsaved until F2."
ui_keys F2
ui_wait_for 'Saved vsc:00001079'

ui_keys F7
ui_wait_for 'Identifier \(UID\):'
ui_type "/not-a-valid-uid"
ui_keys Enter
ui_wait_for 'not a valid'
shot "A long message" \
    "The status line has two rows: a sentence longer than one is wrapped, never cut mid-word; a longer one ends with \`…\` and \`Ctrl-O: all\`."
ui_keys C-o
ui_wait_for ' Messages '
shot "Messages (Ctrl-O)" \
    "Ctrl-O (View > Messages): the last status messages in full, with their time; \`!\` marks an error."
ui_keys Escape
ui_wait_gone ' Messages '

ui_resize 60 20
ui_wait_for 'terminal too small'
shot "Too small" "At 60x20 (anything under 80x24) only this notice is drawn; the screen returns when the terminal grows."
ui_resize 80 24
ui_wait_for 'VSC 00001079'
ui_quit

mkdir -p "$(dirname "$out")"
mv "$doc" "$out"
echo "wrote $out"
