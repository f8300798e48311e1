# scmgr's command line itself: help, version, usage errors, configuration
# errors, and that no option takes a password.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# --help and --version, anywhere on the line.
expect 0 scm --help
has "$OUT" '^Usage: scmgr'
has "$OUT" 'scmgr vsc new UID'
has "$OUT" 'scmgr put CARD LABEL FILE'
expect 0 scm -h
expect 0 scm vsc list --help
has "$OUT" '^Usage: scmgr'
expect 0 scm --version
has "$OUT" '^scmgr [0-9]+\.[0-9]+\.[0-9]+$'

# No command: the full-screen UI, which needs a terminal. Without one it
# refuses at once with one sentence instead of waiting for keys.
expect 1 scm </dev/null
has "$ERR" 'full-screen UI needs a terminal'
expect 1 scm --theme mono </dev/null
has "$ERR" 'full-screen UI needs a terminal'

# Usage errors exit 2 with one sentence.
for args in "frobnicate" "vsc" "vsc frob" "vsc new" "vsc new a b" "vsc show" \
            "vsc list extra" "ls" "get vsc:1" "put vsc:1 L" "rm vsc:1" \
            "vsc list --label x" "vsc show 1 --yes" "ls vsc:1 --area public" \
            "--bogus vsc list" "vsc list -x" "vsc new 1 --label" \
            "vsc new 1 --password-fd" "vsc new 1 --password-fd abc" \
            "vsc new 1 --password-fd 77"; do
    # shellcheck disable=SC2086
    expect 2 scm $args
    one_error_line
done

# There is no way to give a password on the command line or in the
# environment: no such option, and no prefix of --password-fd either.
expect 2 scm vsc new 00000001 --password "$PW"
has "$ERR" "Unknown option '--password'"
expect 2 scm vsc new 00000001 --password="$PW"
expect 2 scm vsc new 00000001 --pass 3 3<<<"$PW"
expect 2 scm vsc new 00000001 -p "$PW"
[ ! -e "$(vsc_file 00000001)" ] || fail "a VSC was made from argv"
# SCMGR_PASSWORD means nothing: without a terminal there is no password.
SCMGR_PASSWORD="$PW" expect 2 setsid -w "$SCMGR_BIN" vsc new 00000001
has "$ERR" 'No terminal'
[ ! -e "$(vsc_file 00000001)" ] || fail "a VSC was made from the environment"

# Bad identifiers and card names.
expect 2 scm vsc new ../evil --password-fd 3 3<<<"$PW"
has "$ERR" 'not a valid VSC identifier'
expect 2 scm vsc new "$(printf 'a%.0s' {1..33})" --password-fd 3 3<<<"$PW"
# A reader name without a PC/SC service: one sentence that says so. The
# socket path is one where no pcscd can be, whatever runs on this machine.
PCSCLITE_CSOCK_NAME="$T/no-pcscd.comm" expect 1 scm ls reader0
has "$ERR" 'PC/SC service'
one_error_line
PCSCLITE_CSOCK_NAME="$T/no-pcscd.comm" expect 1 scm readers
has "$ERR" 'PC/SC service'
expect 2 scm ls vsc:.hidden

# No such VSC: exit 5, in every command that names one.
expect 5 scm vsc show 00009999
one_error_line
expect 5 scm ls vsc:00009999
expect 5 scm get vsc:00009999 x --password-fd 3 3<<<"$PW"
expect 5 scm vsc verify 00009999
expect 5 scm vsc rm 00009999 --yes
expect 5 scm vsc disable 00009999 --password-fd 3 3<<<"$PW"

# vsc rm without a terminal needs --yes.
new_vsc 00000002
expect 2 scm vsc rm 00000002
has "$ERR" -- '--yes'
[ -e "$(vsc_file 00000002)" ] || fail "vsc rm deleted without confirmation"

# A malformed --config names the file and the problem; exit 1.
printf '[store]\nthis line is wrong\n' >"$T/bad.ini"
expect 1 scm --config "$T/bad.ini" vsc list
one_error_line
has "$ERR" "$T/bad.ini: line 2"
printf '[store]\npth = /x\n' >"$T/bad.ini"
expect 1 scm vsc list --config "$T/bad.ini"
has "$ERR" "$T/bad.ini: unknown key 'pth'"
expect 1 scm --config "$T/missing.ini" vsc list
has "$ERR" "$T/missing.ini"
# ...and so does a bad policy.
printf '[policy]\nkdf_min_iterations = 1000\n' >"$T/pol.ini"
expect 1 scm --policy "$T/pol.ini" vsc list
has "$ERR" "$T/pol.ini: kdf_min_iterations below 600000 needs test_policy = yes"

# The user's file chooses the store; --store wins over everything.
mkdir -p "$HOME/.config/scmgr"
printf '[store]\npath = %s\n' "$T/store-from-config" >"$HOME/.config/scmgr/scmgr.ini"
(unset SCMGR_STORE; expect 0 scm vsc list; has "$OUT" "$T/store-from-config")
expect 0 scm vsc list --store "$T/store-from-arg"
has "$OUT" "$T/store-from-arg"

# --log writes a log file and nothing secret into it.
expect 0 scm --log "$T/log" vsc list
[ -s "$T/log" ] || fail "no log written"

echo "basics: ok"
