#!/usr/bin/env python3
"""Forge a public object of a VSC file the way an attacker without the
password can: written from doc/vsc-format.md alone, sharing no code with
scmgr's codec.

    forge_vsc.py FILE LABEL NEW-CONTENT-FILE

replaces the data of the public object labelled LABEL with the bytes of
NEW-CONTENT-FILE, in place, and recomputes what needs no key: the area
length, the header checksum and the file checksum. The public area's HMAC
stays as it was (it needs the password's data key), so the file passes
every check short of the password and fails the public MAC with it.
Exits 1 with a sentence if FILE is not what the document describes."""
import hashlib
import struct
import sys

MAGIC = bytes.fromhex("53434D56534300 1A".replace(" ", ""))
HASH = 32


def die(msg):
    sys.stderr.write("forge_vsc: %s\n" % msg)
    sys.exit(1)


def be32(b, off):
    return struct.unpack_from(">I", b, off)[0]


def parse_objects(p):
    """Section 3: count (4), then id (4) | type (1) | label length (2) |
    label | data length (4) | data."""
    n, off, recs = be32(p, 0), 4, []
    for _ in range(n):
        oid, otype, llen = struct.unpack_from(">IBH", p, off)
        off += 7
        label = p[off:off + llen]
        off += llen
        dlen = be32(p, off)
        off += 4
        data = p[off:off + dlen]
        if len(data) != dlen:
            die("an object runs past the end of the public area")
        off += dlen
        recs.append((oid, otype, label, data))
    if off != len(p):
        die("the public object list has %d bytes after its last object" % (len(p) - off))
    return recs


def build_objects(recs):
    out = struct.pack(">I", len(recs))
    for oid, otype, label, data in recs:
        out += struct.pack(">IBH", oid, otype, len(label)) + label
        out += struct.pack(">I", len(data)) + data
    return out


def main():
    if len(sys.argv) != 4:
        die("usage: forge_vsc.py FILE LABEL NEW-CONTENT-FILE")
    path, label = sys.argv[1], sys.argv[2].encode()
    with open(sys.argv[3], "rb") as f:
        new_data = f.read()
    with open(path, "rb") as f:
        buf = f.read()

    # Section 1: magic, version 1.x, flags 0, H.
    if buf[:8] != MAGIC or buf[8] != 1 or buf[10:12] != b"\0\0":
        die("not a VSC 1.x file")
    h = be32(buf, 12)
    head = buf[:16 + h]
    hsum = buf[16 + h:16 + h + HASH]
    hmac = buf[16 + h + HASH:16 + h + 2 * HASH]
    if hashlib.sha256(head).digest() != hsum:
        die("the header checksum is not SHA-256 of bytes 0 .. 16+H")

    # Three area sections: id (1) | L (4) | body (L), ids 0, 1, 2.
    off, areas = 80 + h, []
    for want in range(3):
        aid, alen = struct.unpack_from(">BI", buf, off)
        if aid != want:
            die("area section %d has id %d" % (want, aid))
        areas.append(buf[off + 5:off + 5 + alen])
        off += 5 + alen
    if off + HASH != len(buf):
        die("the size is not 80 + H + sum(5 + L) + 32")
    if hashlib.sha256(buf[:off]).digest() != buf[off:]:
        die("the file checksum is not SHA-256 of every byte before it")

    # The public body is P || HMAC(K_pub, AD || P): edit P, keep the HMAC.
    pub = areas[0]
    recs = parse_objects(pub[:-HASH])
    hits = [i for i, r in enumerate(recs) if r[2] == label]
    if not hits:
        die("no public object labelled %r" % label.decode(errors="replace"))
    oid, otype, lab, _ = recs[hits[0]]
    recs[hits[0]] = (oid, otype, lab, new_data)
    areas[0] = build_objects(recs) + pub[-HASH:]

    # The unkeyed checksums, recomputed as the document describes. The
    # header did not change, so its checksum (and the areas' AD) stay the
    # same; it is recomputed all the same, as a forger of the header would.
    out = head + hashlib.sha256(head).digest() + hmac
    for aid, body in enumerate(areas):
        out += struct.pack(">BI", aid, len(body)) + body
    out += hashlib.sha256(out).digest()
    with open(path, "wb") as f:
        f.write(out)


main()
