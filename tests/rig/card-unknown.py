#!/usr/bin/env python3
"""A card no agent knows, for the rig: it answers every SELECT with 6A82
and every other command with 6D00, behind an ATR no table lists (the
"logging card" of notes on first-contact traces). scmgr must show its
reader and ATR, say that no agent knows it, and never crash or hang.

Options (after the rig's -P PORT): --atr HEX (default 3B8080010101).
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vcard  # noqa: E402


class Unknown(vcard.Applet):
    def __init__(self, atr):
        self.atr = atr

    def command(self, apdu):
        if apdu.ins == 0xA4:
            raise vcard.CardError(vcard.SW_NOT_FOUND)
        raise vcard.CardError(vcard.SW_INS_NOT_SUPPORTED)


def main():
    p = argparse.ArgumentParser(description="a card no agent knows")
    p.add_argument("--atr", default="3B8080010101")
    args, rest = p.parse_known_args()
    vcard.main(Unknown(bytes.fromhex(args.atr)), rest)


if __name__ == "__main__":
    main()
