#!/usr/bin/env bash
# The Readers pane follows pcscd: killed -> "No PC/SC service", back ->
# the readers and cards again, without a key pressed. And the VSC Manager's
# store operations: export to a file, delete (confirmed), import it back,
# each checked with the CLI; a policy without export hides Export; themes
# (a broken one falls back with a message); the policy's idle timeout.
# shellcheck disable=SC2119 # ui_start takes optional arguments
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
ui_require_ui
ui_rig --demo

# A VSC to manage, made with the CLI.
expect 0 scm vsc new 00000042 --password-fd 3 3<<<"$VPW"

ui_start
ui_wait_for "card  Mike's card"
ui_assert 'VSC 00000042'

# ---- pcscd goes and comes back: the pane updates by itself ----------------
rig_pcscd_kill
ui_wait_for 'No PC/SC service'
ui_refute "Mike's card"
# The reason is wrapped in the pane, not cut ("...is runnin").
ui_assert 'running \(pcscd\)\.'
ui_assert 'VSC 00000042' # the store does not depend on pcscd
rig_pcscd_start
rig_card_start 0
ui_wait_gone 'No PC/SC service' 15
ui_wait_for "$UI_R0"

# ---- VSC Manager: export, delete, import ---------------------------------------
ui_menu Tools "VSC Manager"
ui_wait_for '\[N\]ew'
ui_wait_for '00000042'
ui_keys x
ui_wait_for 'Write to file:'
ui_keys C-u
ui_type "$T/exported.vsc"
ui_keys Enter
ui_wait_for "Exported vsc:00000042"
expect 0 scm vsc verify "$T/exported.vsc" --password-fd 3 3<<<"$VPW"

ui_keys l
ui_wait_for 'Delete VSC 00000042'
ui_keys y
ui_wait_for 'Deleted vsc:00000042'
[ ! -e "$SCMGR_STORE/00000042.vsc" ] || ui_fail "the VSC file is still there"

ui_keys i
ui_wait_for 'File to import:'
ui_keys C-u
ui_type "$T/exported.vsc"
ui_keys Enter
ui_wait_for 'Imported vsc:00000042'
expect 0 scm vsc verify 00000042 --password-fd 3 3<<<"$VPW"
ui_keys c
ui_wait_gone '\[N\]ew'
ui_quit

# ---- a policy that forbids export: no Export button ------------------------------
cat >"$T/no-export.ini" <<EOF
[policy]
test_policy = yes
kdf_min_iterations = 1000
min_password_length = 4
allow_export = no
EOF
ui_start --policy "$T/no-export.ini"
ui_wait_for 'VSC 00000042'
ui_menu Tools "VSC Manager"
ui_wait_for '\[N\]ew'
ui_refute 'E\[x\]port'
ui_keys x
ui_wait_for 'Export is not allowed by the policy'
[ ! -e "$T/forbidden.vsc" ]
ui_keys c
ui_quit

# ---- themes: a shipped one by name; a broken file says so and falls back --------
ui_start --theme mono
ui_wait_for "card  Mike's card|no agent"
ui_refute 'theme'
ui_quit
printf '[colors]\npane = chartreuse,default\n' >"$T/broken.ini"
ui_start --theme "$T/broken.ini"
ui_wait_for "Default theme used: 'chartreuse' \\(pane\\) is not a colour"
ui_quit

# ---- the policy's idle timeout closes an open card -------------------------------
cat >"$T/idle.ini" <<EOF
[policy]
test_policy = yes
kdf_min_iterations = 1000
min_password_length = 4
idle_timeout = 2
EOF
ui_start --policy "$T/idle.ini"
ui_wait_for 'VSC 00000042'
ui_open_entry 2 'vsc:00000042'
ui_wait_for 'Idle for 2 s: the card was closed'
ui_assert 'No card open'
ui_quit
echo "ui_service: ok"
