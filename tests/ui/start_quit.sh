#!/usr/bin/env bash
# The UI starts at 80x24 against the rig with the demo card, shows the menu
# bar, the three panes, the readers and their cards, the function-key bar,
# and F10 quits with status 0 and the terminal restored.
# shellcheck disable=SC2119 # ui_start takes optional arguments
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
ui_demo
ui_assert '^ File +Edit +View +Tools +Help'
ui_assert 'Readers'
ui_assert 'Card'
ui_assert 'Clipboard \(0\)'
ui_assert '\(empty\)'
ui_assert "$(ui_re "$RIG_READER_0")"
ui_assert "$(ui_re "$RIG_READER_1")"
ui_assert 'card  Blank card'
ui_assert 'No card open\. Select a reader and press Enter\.'
# The function-key bar is the last row, the status line above it.
ui_screen | tail -n 1 | grep -Eq '1Help.*10Quit' || ui_fail "no function-key bar on row 24"
[ "$(ui_screen | wc -l)" = 24 ] || ui_fail "the screen is not 24 rows"
# Readers has the focus at start.
[ "$(ui_focused)" = Readers ] || ui_fail "focus at start: $(ui_focused)"
ui_keys Tab
ui__poll_focus_change Card || ui_fail "Tab did not move the focus to Card"

# Help (F1) and back.
ui_keys F1
ui_wait_for '[┌+] Help [─-]' # the dialog's title in its border
ui_assert 'F10'
ui_keys Escape
ui_wait_gone '[┌+] Help [─-]'

ui_quit
# The terminal is given back: the alternate screen is left (rmcup of
# tmux-256color), and nothing was written to stderr.
grep -q $'\e\\[?1049l' "$UI_RAW" || ui_fail "the terminal was not restored (no rmcup)"
[ ! -s "$UI_ERR" ] || ui_fail "scmgr wrote to stderr"
echo "ui_start_quit: ok"
