#!/usr/bin/env bash
# Wrapping, not cutting, at 80x24: the viewer wraps a long line of a text
# object and a certificate's long subject (its continuation rows under the
# value) and shows them whole; the hex view keeps its rows of whole bytes.
# A confirmation opened at 100x30 and then resized to 80x24 is laid out
# again for the new size: its whole question and its buttons inside its box.
# shellcheck disable=SC2119 # ui_start takes optional arguments
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
ui_require_ui
for tool in openssl certtool; do
    command -v "$tool" >/dev/null && continue
    [ "${CI:-}" = true ] && fail "$tool missing (./dev.sh test installs it)"
    echo "SKIP: $tool missing" >&2
    exit 77
done
ui_rig --empty
rig_card_start 0

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$T/key.pem" \
    -subj "/CN=Mike Hamann/O=Patent and Trademark Office of the Federal Republic/OU=Smart card laboratory on the second floor" \
    -days 30 -outform DER -out "$T/cert.der" 2>"$T/openssl.err" ||
    fail "openssl could not make the test certificate: $(cat "$T/openssl.err")"
subject=$(certtool -i --inder --infile "$T/cert.der" | sed -n 's/^[[:space:]]*Subject: //p')
[ "${#subject}" -gt 70 ] || fail "the test subject fits one row: it proves nothing"
line="The quarterly meeting of the whole office team moves to the large conference room on the second floor, and everybody brings the signed minutes of the last one along."
[ "${#line}" -gt 70 ] || fail "the test line fits one row"
printf 'Agenda\n%s\nEnd\n' "$line" >"$T/note"
label="Minutes of the quarterly meeting of the whole office team in the large room"

expect 0 scm card init 0 --label "Wrap card" --serial 5680 --pin-fd 3 3<<<"$PIN"
expect 0 scm put 0 "Long cert" "$T/cert.der" --type certificate --pin-fd 3 3<<<"$PIN"
expect 0 scm put 0 "$label" "$T/note" --type note --pin-fd 3 3<<<"$PIN"

# The viewer's text columns (5-75 at 80x24), rows joined, spaces squeezed.
flat_screen() {
    ui_screen | LC_ALL=C.UTF-8 sed -E -e 's/^.{4}(.{0,71}).*/\1/' -e 's/^ *//' -e 's/ *$//' |
        paste -sd' ' - | tr -s ' '
}
assert_flat() {
    local i
    for ((i = 0; i < 100; i++)); do
        [[ "$(flat_screen)" == *"$1"* ]] && return 0
        sleep 0.05
    done
    ui_fail "the viewer lacks the whole text '$1'"
}

ui_start
ui_wait_for 'card +Wrap card'
ui_open_entry 0 "$UI_R0"
ui_wait_for 'Long cert +certificate'

# A long text line: wrapped over rows, every word there, no ellipsis.
ui_select_row 'Minutes of'
ui_keys F3
ui_wait_for 'View: Minutes'
assert_flat "Agenda $line End"
# (the box's title, row 3, may end with the ellipsis: the label is long)
! ui_screen | sed -n '4,23p' | grep -q '…' || ui_fail "the viewer cut a line"
ui_keys Escape
ui_wait_gone 'View: Minutes'

# A long subject: whole, its second row under the value.
ui_select_row 'Long cert'
ui_keys F3
ui_wait_for 'X.509 certificate'
assert_flat "Subject: $subject"
ui_screen | python3 -c '
import re, sys
rows = sys.stdin.read().splitlines()
i = next(i for i, r in enumerate(rows) if "Subject:" in r)
value = re.search(r"Subject: +", rows[i]).end()
cont = len(rows[i + 1]) - len(rows[i + 1][4:].lstrip(" "))
sys.exit(0 if cont == value else 1)' || ui_fail "the subject's second row does not start under its value"
ui_refute '…'
# The hex view is as it was: rows of 8 whole bytes at 80x24, none wrapped.
ui_keys Tab
ui_wait_for '00000000  30 82 [0-9a-f]{2} [0-9a-f]{2} 30 82 [0-9a-f]{2} [0-9a-f]{2}  0'
ui_screen | grep -A1 '00000000  30 82' | tail -1 | grep -Eq '│ 00000008  ' ||
    ui_fail "the hex rows are not one after the other"
ui_keys Escape
ui_wait_gone 'View: Long cert'

# A confirmation laid out again after a resize: opened at 100x30, read
# whole at 80x24.
ui_start -s 100x30
ui_wait_for 'card +Wrap card'
ui_open_entry 0 "$UI_R0"
ui_wait_for 'Long cert +certificate'
ui_select_row 'Minutes of'
ui_keys F8
ui_wait_for '┌ Confirm'
question="Delete object '$label' from $RIG_READER_0?"
# dialog_text: the text inside the Confirm box, rows joined; its buttons
# must be inside it too.
dialog_text() {
    ui_screen | python3 -c '
import sys
rows = sys.stdin.read().splitlines()
top = next(i for i, r in enumerate(rows) if "┌ Confirm" in r)
l = rows[top].index("┌"); r = rows[top].index("┐", l)
out = []
for row in rows[top + 1:]:
    if len(row) <= r or row[l] == "└":
        break
    out.append(row[l + 1:r].strip())
print(" ".join(" ".join(out).split()))'
}
assert_dialog() {
    local i
    for ((i = 0; i < 100; i++)); do
        [[ "$(dialog_text)" == *"$1"*"[ Yes ] [ No ]"* ]] && return 0
        sleep 0.05
    done
    ui_fail "the confirmation lacks its whole question '$1' or its buttons (it shows '$(dialog_text)')"
}
assert_dialog "$question"
ui_resize 80 24
ui_wait_for '^.{79}[┐+k]$'
assert_dialog "$question"
ui_resize 100 30
ui_wait_for '^.{99}[┐+k]$'
assert_dialog "$question"
ui_keys Escape
ui_wait_for 'Nothing deleted'
ui_quit
echo PASS
