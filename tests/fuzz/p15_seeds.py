#!/usr/bin/env python3
"""The PKCS#15 agent's seeds in tests/fuzz/corpus-agent (fuzz_agent.c's input
format): the card's answers, in the order the agent asks, to attach (SELECT
of the PKCS#15 AID, then EF.DIR, ODF, TokenInfo, AODF, CDF, DODF from
tests/data/p15, each a SELECT with its FCP and READ BINARYs), the reads of
the listed objects, the credentials (with a PIN) and the start of a write.

usage: p15_seeds.py tests/data/p15 tests/fuzz/corpus-agent
Variants: plain; noaid (found through EF.DIR); nofcp (SELECT P2=04
refused: the files end where READ BINARY stops); pin (a PIN in the AODF).
"""
import os
import sys

AGENT = 4  # scm_agents[4], flag bits 2-4
PIN = bytes.fromhex(
    "3037300E0C08557365722050494E030206C03003040101A120301E030203880A01010201"
    "04020108020108800101040100300604043F005015")
CERT = bytes.fromhex("3082000A300802010102010205000000000000000000")
OK = b"\x90\x00"


def seed(data_dir, variant):
    seq = []

    def file(data):
        if variant == "nofcp":
            seq.extend([b"\x6a\x86", OK])  # P2=04 refused, then P2=0C
        else:
            seq.append(bytes([0x62, 4, 0x80, 2, len(data) >> 8, len(data) & 0xFF]) + OK)
        seq.extend(data[i:i + 256] + OK for i in range(0, len(data), 256))
        if variant == "nofcp":
            seq.append(b"\x6b\x00")

    seq.append(b"\x6a\x82" if variant == "noaid" else OK)
    for name in ("ef-dir", "odf", "tokeninfo", "aodf", "cdf", "dodf"):
        with open(os.path.join(data_dir, name), "rb") as f:
            data = f.read()
        if name == "aodf" and variant == "pin":
            data = PIN + bytes(len(data) - len(PIN))
        file(data)
    for _ in range(2):
        file(CERT)
    for i in range(2):
        file(b"seed data %d" % i)
    if variant == "pin":
        seq.extend([bytes([0x62, 4, 0x80, 2, 0, 0]) + OK, b"\x63\xc3"])  # tries
        seq.extend([bytes([0x62, 4, 0x80, 2, 0, 0]) + OK, b"\x63\xc2"])  # a wrong PIN
    # A write: SELECT, CREATE, two UPDATEs, the read-back.
    seq.extend([OK] * 4)
    seq.extend([bytes([1, 2, 3]) + bytes(253) + OK, bytes(44) + OK])
    out = bytes([AGENT << 2])
    for s in seq:
        out += (bytes([len(s)]) if len(s) < 0xFE else b"\xfe" + len(s).to_bytes(2, "big")) + s
    return out


def main():
    for v in ("plain", "noaid", "nofcp", "pin"):
        with open(os.path.join(sys.argv[2], "pkcs15-" + v), "wb") as f:
            f.write(seed(sys.argv[1], v))


if __name__ == "__main__":
    main()
