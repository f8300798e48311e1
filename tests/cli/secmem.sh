# Secure memory that cannot be locked (a normal user past RLIMIT_MEMLOCK)
# still works, and says so once: in the log and in `scmgr --version`.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# As we run: one page can be locked (root, or a user's default limit).
expect 0 scm --version
has "$OUT" '^scmgr [0-9]+\.[0-9]+\.[0-9]+$'
has "$OUT" '^secure memory: locked'
expect 0 scm --log "$T/log0" --log-level debug vsc new a1 --password-fd 3 3<<<"$PW"
lacks "$T/log0" 'secure memory'

# A normal user with RLIMIT_MEMLOCK 0 (root may lock past any limit).
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && command -v prlimit >/dev/null; then
    as_user() { setpriv --reuid=nobody --regid=nogroup --clear-groups prlimit --memlock=0 "$@"; }
elif [ "$(id -u)" != 0 ] && command -v prlimit >/dev/null; then
    as_user() { prlimit --memlock=0 "$@"; }
else
    echo "SKIP: neither root with setpriv nor prlimit" >&2
    exit 77
fi
# The user's directory outside $T, which only we may enter.
# AddressSanitizer turns mlock into a no-op that succeeds: nothing to see.
if grep -q __asan_init "$SCMGR_BIN"; then
    echo "SKIP: an ASan build cannot fail mlock" >&2
    exit 77
fi
U=$(mktemp -d "${TMPDIR:-/tmp}/scmgr-secmem-XXXXXX")
trap 'rm -rf "$T" "$U"' EXIT
if [ "$(id -u)" = 0 ]; then chown nobody "$U"; fi
# Reach the binary and the policy as that user: both under the build and
# source trees, which are world-readable in CI and here.
expect 0 as_user "$SCMGR_BIN" --version
has "$OUT" '^secure memory: NOT locked \(RLIMIT_MEMLOCK 0 KiB\): secrets may be swapped'
# The work goes on, with one warning however many secrets were held.
expect 0 as_user env HOME="$U" SCMGR_STORE="$U/store" "$SCMGR_BIN" --log "$U/log" \
    vsc new u1 --password-fd 3 3<<<"$PW"
expect 0 as_user env HOME="$U" SCMGR_STORE="$U/store" "$SCMGR_BIN" --log "$U/log" \
    vsc passwd u1 --password-fd 3 --new-password-fd 4 3<<<"$PW" 4<<<"$PW-2"
expect 0 as_user env HOME="$U" SCMGR_STORE="$U/store" "$SCMGR_BIN" --log "$U/log" \
    vsc verify u1 --password-fd 3 3<<<"$PW-2"
[ "$(grep -c 'warn secure memory: NOT locked' "$U/log")" = 3 ] ||
    fail "want one warning per run, log: $(cat "$U/log")"
