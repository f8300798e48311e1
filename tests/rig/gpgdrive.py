#!/usr/bin/env python3
"""Drive an interactive gpg command (gpg --card-edit, --edit-key) from a
script, through gpg's machine interface: --command-fd and --status-fd,
with --pinentry-mode loopback so that every PIN is asked on the command
fd and no pinentry ever runs (a pinentry would wait for a terminal).

usage: gpgdrive.py SCRIPT STATUS_LOG TIMEOUT_S -- GPG_ARGS...

SCRIPT holds one answer per line, "KEYWORD ANSWER" (the answer may be
empty or hold spaces), in the order gpg asks: each GET_LINE, GET_BOOL or
GET_HIDDEN prompt of gpg must name the next line's KEYWORD, or the run
fails (a changed dialogue must break the test, not answer the wrong
question). Every status line goes to STATUS_LOG. Exit status: gpg's, or
3 for a prompt out of script, 4 for the timeout (gpg is killed).
"""
import os
import select
import subprocess
import sys
import time


def main():
    if len(sys.argv) < 5 or sys.argv[4] != "--":
        sys.exit(__doc__)
    script_path, log_path, timeout = sys.argv[1], sys.argv[2], float(sys.argv[3])
    with open(script_path) as f:
        script = [ln.rstrip("\n").split(" ", 1) for ln in f if ln.strip()]
    script = [(s[0], s[1] if len(s) > 1 else "") for s in script]
    rfd, wfd = os.pipe()
    gpg = subprocess.Popen(
        ["gpg", "--no-tty", "--pinentry-mode", "loopback", "--command-fd", "0",
         "--status-fd", str(wfd)] + sys.argv[5:],
        stdin=subprocess.PIPE, pass_fds=(wfd,))
    os.close(wfd)
    deadline = time.monotonic() + timeout
    buf, rc = b"", None
    with open(log_path, "a") as log:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                print("gpgdrive: timeout, gpg killed", file=sys.stderr)
                gpg.kill()
                gpg.wait()
                return 4
            ready, _, _ = select.select([rfd], [], [], left)
            if not ready:
                continue
            chunk = os.read(rfd, 4096)
            if not chunk:
                break
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                text = line.decode("utf-8", "replace")
                log.write(text + "\n")
                log.flush()
                words = text.split()
                if len(words) < 3 or words[0] != "[GNUPG:]" or \
                        words[1] not in ("GET_LINE", "GET_BOOL", "GET_HIDDEN"):
                    continue
                if not script or script[0][0] != words[2]:
                    want = script[0][0] if script else "(end of script)"
                    print("gpgdrive: gpg asks %s, the script has %s" % (words[2], want),
                          file=sys.stderr)
                    gpg.kill()
                    gpg.wait()
                    return 3
                answer = script.pop(0)[1]
                log.write("gpgdrive> %s\n" % ("***" if words[1] == "GET_HIDDEN" else answer))
                try:
                    gpg.stdin.write(answer.encode() + b"\n")
                    gpg.stdin.flush()
                except BrokenPipeError:
                    pass
        try:
            rc = gpg.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            gpg.kill()
            gpg.wait()
            return 4
    if script:
        print("gpgdrive: %d script lines left unasked, first %s" % (len(script), script[0][0]),
              file=sys.stderr)
        return 3 if rc == 0 else rc
    return rc


if __name__ == "__main__":
    sys.exit(main())
