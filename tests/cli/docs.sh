# The docs tell the truth: every command of the command table has its own
# --help, the man page's synopsis and the README's command list are what
# the table generates, the man page's and README's lists of the UI's keys
# are what the UI's key table (src/ui/keys.c) generates, and every command
# and option has its entry in the man page. Usage errors name what is
# missing or wrong.
#
# After changing the command, option or key table, regenerate the docs with
#   SCMGR_BIN=build/src/scmgr bash tests/cli/docs.sh --update
# (SCMGR_POLICY is not needed for that).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
MAN="$ROOT/doc/scmgr.1"
README="$ROOT/README.md"
MAN_BEGIN='.\" BEGIN GENERATED SYNOPSIS'
MAN_END='.\" END GENERATED SYNOPSIS'
MD_BEGIN='<!-- BEGIN GENERATED COMMANDS'
MD_END='<!-- END GENERATED COMMANDS -->'
MAN_KEYS_BEGIN='.\" BEGIN GENERATED KEYS'
MAN_KEYS_END='.\" END GENERATED KEYS'
MD_KEYS_BEGIN='<!-- BEGIN GENERATED KEYS'
MD_KEYS_END='<!-- END GENERATED KEYS -->'

# region FILE BEGIN END: the lines strictly between the marker lines. The
# markers go through the environment: awk -v would eat their backslashes.
region() {
    B="$2" E="$3" awk 'index($0, ENVIRON["E"]) == 1 { on = 0 } on { print }
        index($0, ENVIRON["B"]) == 1 { on = 1 }' "$1"
}

# replace FILE BEGIN END NEWFILE: put NEWFILE's lines between the markers.
replace() {
    B="$2" E="$3" F="$4" awk '
        index($0, ENVIRON["E"]) == 1 { on = 0 }
        !on { print }
        index($0, ENVIRON["B"]) == 1 { on = 1; while ((getline l < ENVIRON["F"]) > 0) print l }' \
        "$1" >"$1.new"
    mv "$1.new" "$1"
}

if [ "${1:-}" = "--update" ]; then
    : "${SCMGR_BIN:?SCMGR_BIN must point to the scmgr binary}"
    tmp=$(mktemp)
    trap 'rm -f "$tmp"' EXIT
    "$SCMGR_BIN" --help-doc roff >"$tmp"
    replace "$MAN" "$MAN_BEGIN" "$MAN_END" "$tmp"
    { echo '```'; "$SCMGR_BIN" --help-doc readme; echo '```'; } >"$tmp"
    replace "$README" "$MD_BEGIN" "$MD_END" "$tmp"
    "$SCMGR_BIN" --help-doc roff-keys >"$tmp"
    replace "$MAN" "$MAN_KEYS_BEGIN" "$MAN_KEYS_END" "$tmp"
    "$SCMGR_BIN" --help-doc readme-keys >"$tmp"
    replace "$README" "$MD_KEYS_BEGIN" "$MD_KEYS_END" "$tmp"
    echo "Updated $MAN and $README from the command table and the UI's key table."
    exit 0
fi

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# ---- The generated parts are what the table generates --------------------------
grep -qF "$MAN_BEGIN" "$MAN" && grep -qF "$MAN_END" "$MAN" || fail "doc/scmgr.1 has no synopsis markers"
scm --help-doc roff >"$T/syn.want"
region "$MAN" "$MAN_BEGIN" "$MAN_END" >"$T/syn.have"
diff -u "$T/syn.want" "$T/syn.have" >&2 ||
    fail "doc/scmgr.1's SYNOPSIS differs from the command table; run tests/cli/docs.sh --update"
{ echo '```'; scm --help-doc readme; echo '```'; } >"$T/md.want"
region "$README" "$MD_BEGIN" "$MD_END" >"$T/md.have"
diff -u "$T/md.want" "$T/md.have" >&2 ||
    fail "README.md's command list differs from the command table; run tests/cli/docs.sh --update"
# The UI's keys in both are what its key table (src/ui/keys.c) generates:
# the F1 help's rows.
for m in "$MAN_KEYS_BEGIN" "$MAN_KEYS_END"; do
    grep -qF "$m" "$MAN" || fail "doc/scmgr.1 has no key list markers"
done
for m in "$MD_KEYS_BEGIN" "$MD_KEYS_END"; do
    grep -qF "$m" "$README" || fail "README.md has no key table markers"
done
scm --help-doc roff-keys >"$T/keys.want"
region "$MAN" "$MAN_KEYS_BEGIN" "$MAN_KEYS_END" >"$T/keys.have"
diff -u "$T/keys.want" "$T/keys.have" >&2 ||
    fail "doc/scmgr.1's key list differs from the key table; run tests/cli/docs.sh --update"
scm --help-doc readme-keys >"$T/mdkeys.want"
region "$README" "$MD_KEYS_BEGIN" "$MD_KEYS_END" >"$T/mdkeys.have"
diff -u "$T/mdkeys.want" "$T/mdkeys.have" >&2 ||
    fail "README.md's key table differs from the key table; run tests/cli/docs.sh --update"
# Every key the F1 help names is in the table (the generator is no empty loop).
for k in 'F1, ?' 'F10, q, Ctrl-C' 'Esc 1..Esc 0' 'Ctrl-O' 'Alt-T'; do
    grep -qF "| $k |" "$T/mdkeys.want" || fail "the key table lacks $k"
done

# The top-level help lists the same commands, in the same words.
expect 0 scm --help
grep -vxFf "$OUT" <(scm --help-doc readme) >"$T/missing" && fail "--help lacks: $(cat "$T/missing")"
# The man page still renders, without warnings.
if command -v groff >/dev/null; then
    groff -man -Tutf8 -ww -z "$MAN" 2>"$T/groff" || fail "groff failed on doc/scmgr.1"
    [ ! -s "$T/groff" ] || { cat "$T/groff" >&2; fail "groff warns about doc/scmgr.1"; }
fi

# ---- Every command: its own --help, and its entries in the man page ---------------
# The command names: the lowercase words after "scmgr" in the usage lines.
scm --help-doc readme | awk '$1 == "scmgr" {
        n = ""; for (i = 2; i <= NF && $i ~ /^[a-z]+$/; i++) n = n (n ? " " : "") $i; print n }' \
    >"$T/commands"
[ "$(wc -l <"$T/commands")" -ge 19 ] || fail "the command table lists too few commands"
sed -n '/^\.SH COMMANDS/,/^\.SH FULL-SCREEN UI/p' "$MAN" >"$T/man-commands"
sed -n '/^\.SH OPTIONS/,/^\.SH FILES/p' "$MAN" >"$T/man-options"
: >"$T/options"
while read -r cmd; do
    # shellcheck disable=SC2086
    expect 0 scm $cmd --help
    head -1 "$OUT" | grep -q "^Usage: scmgr $cmd\( \|$\)" || fail "'$cmd --help' has no usage line"
    has "$OUT" '^[A-Z]'
    [ ! -s "$ERR" ] || fail "'$cmd --help' wrote to stderr"
    # Global options and operands before or after do not change it.
    # shellcheck disable=SC2086
    expect 0 scm --store "$T/s2" $cmd --help
    # Its options, for the OPTIONS check below.
    sed -n '/^Options:/,/^$/p' "$OUT" | grep -oE -- '--[a-z-]+' >>"$T/options" || true
    # The man page describes it under COMMANDS: a .B/.BI tag naming it.
    grep -Eq "^\.B[IR]* \"?$cmd( |\"|$)" "$T/man-commands" ||
        fail "doc/scmgr.1 has no COMMANDS entry for '$cmd'"
done <"$T/commands"
# Every per-command and global option has its OPTIONS entry in the man page.
expect 0 scm --help
grep -oE -- '^  (-[a-z], )?--[a-z-]+' "$OUT" | grep -oE -- '--[a-z-]+' >>"$T/options"
sort -u "$T/options" -o "$T/options"
[ "$(wc -l <"$T/options")" -ge 20 ] || fail "too few options found"
while read -r opt; do
    pat=$(printf '%s' "$opt" | sed 's/-/\\\\-/g')
    grep -Eq "^\.B[IR]* .*$pat( |\"|,|$)" "$T/man-options" ||
        fail "doc/scmgr.1 has no OPTIONS entry for $opt"
done <"$T/options"
# The hidden option stays hidden.
lacks "$OUT" 'help-doc'

# ---- Group help and the wrong ones -----------------------------------------------
expect 0 scm vsc --help
for sub in new list show verify disable enable passwd export import rm; do
    has "$OUT" "^  scmgr vsc $sub( |$)"
done
expect 0 scm card --help
has "$OUT" '^  scmgr card init READER'
expect 0 scm get vsc:X LABEL --help
has "$OUT" '^Usage: scmgr get CARD LABEL'
expect 2 scm frobnicate --help
one_error_line
has "$ERR" "Unknown command 'frobnicate'"
expect 2 scm vsc frob --help
has "$ERR" "Unknown command 'vsc frob'"
expect 2 scm --help-doc html
one_error_line

# ---- Usage errors name what is missing or wrong ------------------------------------
# check_usage "ARGS" REGEX: exit 2, one sentence that matches.
check_usage() {
    # shellcheck disable=SC2086
    expect 2 scm $1
    one_error_line
    has "$ERR" "$2"
}
check_usage "get vsc:X" "'get' needs more arguments: LABEL is missing"
check_usage "put vsc:X" "'put' needs more arguments: LABEL and FILE are missing"
check_usage "put vsc:X L" "FILE is missing"
check_usage "ls" "'ls' needs more arguments: CARD is missing"
check_usage "vsc new" "'vsc new' needs more arguments: UID is missing"
check_usage "vsc verify" "UID or FILE is missing"
check_usage "vsc export 1" "FILE is missing"
check_usage "restore 1" "READER is missing"
check_usage "copy" "SRC and DST are missing"
check_usage "card init" "'card init' needs more arguments: READER is missing"
check_usage "vsc" "'vsc' needs a sub-command: new, list, show"
check_usage "card" "'card' needs a sub-command: init"
check_usage "vsc new a b" "'vsc new' takes only UID, so 'b' is one too many"
check_usage "vsc list extra" "'vsc list' takes no arguments, so 'extra' is one too many"
check_usage "get vsc:X L extra" "'get' takes only CARD and LABEL, so 'extra' is one too many"
check_usage "vsc list --label x" "'vsc list' does not take --label; see scmgr vsc list --help"
check_usage "ls vsc:X --area public" "'ls' does not take --area"
check_usage "readers --pin-fd 0" "'readers' does not take --pin-fd"
check_usage "get vsc:X L --frobnicate" "Unknown option '--frobnicate'; see scmgr get --help"
check_usage "vsc new 1 --label" "Option '--label' needs a value; see scmgr vsc new --help"
check_usage "--frobnicate vsc list" "Unknown option '--frobnicate'; see scmgr --help"
check_usage "put vsc:X L F --type frob" "Unknown --type 'frob'; see scmgr put --help"
# The user's bytes in a sentence are made inert.
check_usage "vsc list $(printf '\033]52;c;x\007')" "one too many"
lacks "$ERR" "$(printf '\033')"
# ...once: shown as \x1B, not escaped twice.
has "$ERR" '\\x1B\]52'
lacks "$ERR" '\\\\x1B'
check_usage "$(printf 'frob\033[2J')" "Unknown command 'frob"
lacks "$ERR" "$(printf '\033')"
# Nothing was made by any of this.
[ ! -e "$SCMGR_STORE" ] || [ -z "$(ls -A "$SCMGR_STORE")" ] || fail "a usage error touched the store"

echo "docs: ok"
