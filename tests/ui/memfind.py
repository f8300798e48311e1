#!/usr/bin/env python3
"""Search a process's memory outside secure memory for byte patterns.

    memfind.py PID HEX...

Every readable mapping of PID is read through /proc/PID/mem, except those
the kernel keeps out of core dumps (VmFlags "dd": scm_secure_alloc's pages,
the secure pool) and the kernel's [vvar]/[vsyscall]. Each HEX is a byte
pattern in hex. Prints where each one is found; exit status 1 when any is,
0 when none is, 77 when the memory cannot be read (scmgr is not dumpable:
only root may read it).
"""
import re
import sys

pid = sys.argv[1]
pats = [bytes.fromhex(h) for h in sys.argv[2:]]
try:
    mem = open("/proc/%s/mem" % pid, "rb", 0)
except OSError as e:
    print("SKIP: cannot read the process's memory (%s)" % e, file=sys.stderr)
    sys.exit(77)
regions, cur = [], None
for line in open("/proc/%s/smaps" % pid):
    m = re.match(r"([0-9a-f]+)-([0-9a-f]+) (\S+)\s+\S+\s+\S+\s+\S+\s*(.*)$", line)
    if m:
        cur = [int(m[1], 16), int(m[2], 16), m[3], m[4], False]
        regions.append(cur)
    elif line.startswith("VmFlags:") and cur:
        cur[4] = " dd" in line
found = 0
for lo, hi, perm, name, dd in regions:
    if "r" not in perm or dd or name.startswith("[v"):
        continue
    try:
        mem.seek(lo)
        b = mem.read(hi - lo)
    except OSError:
        continue
    for p in pats:
        i = b.find(p)
        if i >= 0:
            print("%s at %#x in %s: %r" % (p.hex(), lo + i, name or "anonymous",
                                           b[max(0, i - 32):i + 48]))
            found += 1
sys.exit(1 if found else 0)
