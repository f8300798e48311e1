#!/usr/bin/env bash
# One list widget everywhere: the VSC Manager's list answers PgDn, End,
# Home and type-ahead ('/' then letters) like the panes; the Readers pane
# finds an entry by its label; the pick list (an object's type) finds by
# letters. The selected VSC is read back through 'e' ("already enabled"
# names it), so the test does not depend on colours.
# shellcheck disable=SC2119 # ui_start takes optional arguments
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
ui_require_ui
ui_rig --empty

# 20 VSCs, more than the Manager shows at 80x24 (14 rows), one with a
# label to find.
for i in $(seq 1 20); do
    uid=$(printf '000001%02d' "$i")
    label="Card $i"
    [ "$i" = 13 ] && label="Zebra keys"
    expect 0 scm vsc new "$uid" --label "$label" --password-fd 3 3<<<"$VPW"
done

# selected UID: 'e' on an enabled VSC says which one is selected.
selected() {
    ui_keys e
    ui_wait_for "vsc:$1 is already enabled"
}

ui_start
ui_wait_for 'VSC 00000101'
ui_menu Tools "VSC Manager"
ui_wait_for '\[N\]ew'
selected 00000101
ui_keys End
selected 00000120
ui_wait_for '00000120' # scrolled into view
ui_keys Home
selected 00000101
ui_keys NPage
selected 00000115 # one page: 14 rows at 80x24
ui_keys PPage
selected 00000101
# Type-ahead: '/' starts it, the letters find "Zebra keys", Enter ends it.
ui_keys /
ui_wait_for 'Find: '
ui_type zeb
ui_wait_for 'Find: zeb'
ui_keys Enter
ui_wait_gone 'Find: zeb'
selected 00000113
# Text no label holds is not taken: the selection stays.
ui_keys /
ui_type 'Zq'
ui_wait_for 'Find: Z '
ui_keys Escape # ends the search only, the Manager stays
ui_wait_gone 'Find: '
ui_assert '\[N\]ew'
selected 00000113
ui_keys c
ui_wait_gone '\[N\]ew'

# The Readers pane: '/' and a label, then Enter opens the one found.
ui_focus Readers
ui_keys /
ui_type 'Card 7'
ui_wait_for 'Find: Card 7'
ui_keys Enter
ui_wait_gone 'Find: '
ui_keys Enter
ui_wait_for 'Card: .*00000107'
# The searches were shown, not kept: Ctrl-O's history has none of them.
ui_keys C-o
ui_wait_for 'Messages'
ui_wait_for 'Opened vsc:00000107'
ui_refute 'Find: '
ui_keys Escape
ui_wait_gone 'Messages'
ui_quit
echo "ui_lists: ok"
