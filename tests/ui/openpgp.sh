#!/usr/bin/env bash
# The patent's flow (Fig. 3A-3T) on OpenPGP cards in the UI: the card
# personalised by scmgr (the demo's) shows its type, its credentials with
# their tries and its own groups (cardholder data, private DOs, keys,
# certificates); Copy all, then onto a blank OpenPGP card: the paste asks
# for the PIN (PW1) and then for the admin PIN (PW3) by name, a wrong PW3
# writes nothing and says so with the tries left, the right one shows the
# plan (key attributes already there, nothing else), and after a yes the
# result; OpenSC's openpgp-tool and pkcs15-tool read the restored DOs and
# certificate byte for byte.
# shellcheck disable=SC2119 # ui_start takes optional arguments
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
ui_require_ui
for t in openpgp-tool pkcs15-tool openssl; do
    command -v "$t" >/dev/null || {
        [ "${CI:-}" = true ] && fail "$t is missing (./dev.sh test installs it)"
        echo "SKIP: $t is missing" >&2
        exit 77
    }
done
cat >"$T/opensc.conf" <<'CONF'
app default {
    framework pkcs15 { use_file_caching = no; }
}
CONF
export OPENSC_CONF=$T/opensc.conf
ui_rig --empty
rig_card_start 0 openpgp --serial 0000AB01
rig_card_start 1 openpgp --serial 0000AB02
demo_card_openpgp "$SCMGR_BIN" 0 || rig_die "could not personalise the OpenPGP card"
PW1=$DEMO_PGP_PIN
PW3=$DEMO_PGP_PW3

ui_start
ui_wait_for 'card  Mike Sample'
ui_open_entry 0 "$UI_R0"
ui_wait_for 'Type: +openpgp / OpenPGP card 3\.4'
ui_assert 'Creds: +PIN \(PW1\) 3, Resetting code'
ui_assert 'Admin PIN \(PW3\) 3'
# The card's own structure inside the patent's areas.
ui_assert ' Cardholder data:'
ui_assert ' Private DOs:'
ui_assert 'Login data +login +4 B'
ui_menu Edit "Copy all"
ui_wait_for 'Clipboard \(([0-9]+)\)'
n=$(ui_screen | sed -n 's/.*Clipboard (\([0-9]*\)).*/\1/p' | head -n 1)
[ "${n:-0}" -ge 6 ] || ui_fail "Copy all put only ${n:-0} items into the clipboard"

# The blank card: PW1, then PW3 by name; a wrong PW3 writes nothing.
ui_open_entry 1 "$UI_R1"
ui_wait_for 'Serial: +FFFE0000AB02'
ui_refute 'Login data +login'
ui_focus Clipboard
ui_keys F6
ui_wait_for "PIN for $UI_R1"
ui_secret "$PW1"
ui_wait_for "Admin PIN \\(PW3\\) for $UI_R1:"
ui_secret 87654321
ui_wait_for 'Wrong Admin PIN \(PW3\) for the card'
ui_assert '2 tries left'
ui_refute 'Login data +login'
# Again, the right PW3: the plan first.
ui_focus Clipboard
ui_keys F6
ui_wait_for "Admin PIN \\(PW3\\) for $UI_R1:"
ui_secret "$PW3"
ui_wait_for 'Write: [0-9]+ +Replace: 0 +Already there: [0-9]+'
ui_assert 'write +public +Login data'
ui_assert 'at 5E$|at 5E +│'
ui_assert 'already there +public +Signature key attributes'
ui_keys End
ui_wait_for 'write +public +Cardholder certificate \(authentication\)'
ui_keys Enter
ui_wait_for "Write [0-9]+ objects to $UI_R1\\?"
ui_keys y
ui_wait_for 'Written: [0-9]+ +Skipped: [0-9]+ +Failed: 0 +Not tried: 0' 30
ui_keys Enter
ui_wait_for 'Login data +login +4 B'
ui_assert 'Name of cardholder'
ui_quit

# OpenSC reads the restored card as the original.
for d in 0 1; do
    timeout 30 openpgp-tool -r "$d" --user-info >"$T/ui$d" 2>&1 || fail "openpgp-tool -r $d: $(cat "$T/ui$d")"
    sed -i '/Serial\|AID\|Aid\|serial/d' "$T/ui$d"
done
cmp -s "$T/ui0" "$T/ui1" || fail "openpgp-tool --user-info differs: $(diff "$T/ui0" "$T/ui1")"
grep -q 'mike' "$T/ui1" || fail "openpgp-tool shows no login data: $(cat "$T/ui1")"
timeout 30 openpgp-tool -r 1 --raw -d 1 >"$T/pdo1" 2>/dev/null || fail "openpgp-tool -d 1"
printf 'room 4.12' | cmp -s - "$T/pdo1" || fail "private DO 1 on the restored card: $(cat "$T/pdo1")"
timeout 30 pkcs15-tool --reader 1 --read-certificate 03 >"$T/c.pem" 2>"$T/err" || fail "pkcs15-tool: $(cat "$T/err")"
openssl x509 -in "$T/c.pem" -outform DER | cmp -s - "$SCMGR_TEST_DATA/demo-cert.der" ||
    fail "the restored certificate differs"
echo "ui_openpgp: ok"
