"""The rig's core for emulated cards written in this project (PIV, OpenPGP):
the vpcd wire protocol, APDU parsing, command and response chaining, the
rig's test hooks and a state file. An applet (one card type) only answers
whole commands; see class Applet.

Not vicc: vicc's ISO 7816 OS has no PIV or OpenPGP application and its
APDU handling needed the patches listed in vicc-card.py. This core is
small enough to be read whole next to the card it serves.

The vpcd protocol (vsmartcard's vpcd.c): every message is a 2-byte
big-endian length and a payload. A 1-byte payload is a control message
(0 power off, 1 power on, 2 reset, 4 get ATR; only the last is answered,
with the ATR); anything longer is a command APDU, answered with the
response APDU (data and SW1 SW2).

Environment (the same hooks as vicc-card.py, so rig.sh drives every card
type alike):
  RIG_CARD_FUSE=PATH   when PATH appears holding a number N, the card exits
                       on the N-th command APDU after that, before answering
  RIG_CARD_MODE=mute   power and ATR are answered, command APDUs never
  RIG_CARD_MODE=slow   every answer is sent one byte per second
  RIG_CARD_STATE=PATH  the card's persistent state (JSON) is loaded from
                       PATH at start and written back (atomically) after
                       every command that changed it: a card pulled out and
                       put back keeps its objects, as a real card does
"""
import json
import logging
import os
import socket
import struct
import sys
import time

CTRL_OFF, CTRL_ON, CTRL_RESET, CTRL_ATR = 0, 1, 2, 4

SW_OK = 0x9000
SW_WRONG_LENGTH = 0x6700
SW_SECURITY = 0x6982
SW_BLOCKED = 0x6983
SW_CONDITIONS = 0x6985
SW_WRONG_DATA = 0x6A80
SW_FUNC_NOT_SUPPORTED = 0x6A81
SW_NOT_FOUND = 0x6A82
SW_NO_SPACE = 0x6A84
SW_WRONG_P1P2 = 0x6A86
SW_REF_NOT_FOUND = 0x6A88
SW_INS_NOT_SUPPORTED = 0x6D00
SW_CLA_NOT_SUPPORTED = 0x6E00
SW_UNKNOWN = 0x6F00


class CardError(Exception):
    """Raised by an applet to answer with a status word and no data."""

    def __init__(self, sw):
        super().__init__("SW %04X" % sw)
        self.sw = sw


class Apdu:
    """One whole command (chained parts already joined). le is None when
    the command had no Le field, else Ne: 1..256 (short, 00 = 256) or
    1..65536 (extended, 0000 = 65536)."""

    def __init__(self, cla, ins, p1, p2, data, le, extended):
        self.cla, self.ins, self.p1, self.p2 = cla, ins, p1, p2
        self.data, self.le, self.extended = data, le, extended

    def __repr__(self):
        return "%02X %02X %02X %02X [%d] le=%s" % (
            self.cla, self.ins, self.p1, self.p2, len(self.data), self.le)


def parse_apdu(raw):
    """ISO 7816-3 cases 1-4, short and extended. ValueError if malformed."""
    if len(raw) < 4:
        raise ValueError("APDU shorter than 4 bytes")
    cla, ins, p1, p2 = raw[0], raw[1], raw[2], raw[3]
    body = raw[4:]
    if not body:
        return Apdu(cla, ins, p1, p2, b"", None, False)
    if len(body) == 1:
        return Apdu(cla, ins, p1, p2, b"", body[0] or 256, False)
    if body[0] != 0:  # short Lc
        lc = body[0]
        if len(body) == 1 + lc:
            return Apdu(cla, ins, p1, p2, bytes(body[1:]), None, False)
        if len(body) == 2 + lc:
            return Apdu(cla, ins, p1, p2, bytes(body[1:1 + lc]), body[-1] or 256, False)
        raise ValueError("short APDU: Lc %d does not match %d body bytes" % (lc, len(body)))
    # extended: 00 then 2 bytes
    if len(body) == 3:
        n = (body[1] << 8) | body[2]
        return Apdu(cla, ins, p1, p2, b"", n or 65536, True)
    lc = (body[1] << 8) | body[2]
    if lc == 0:
        raise ValueError("extended Lc of 0")
    if len(body) == 3 + lc:
        return Apdu(cla, ins, p1, p2, bytes(body[3:3 + lc]), None, True)
    if len(body) == 5 + lc:
        n = (body[-2] << 8) | body[-1]
        return Apdu(cla, ins, p1, p2, bytes(body[3:3 + lc]), n or 65536, True)
    raise ValueError("extended APDU: Lc %d does not match %d body bytes" % (lc, len(body)))


class Applet:
    """What a card type implements. atr: bytes. command(apdu) returns
    (data, sw) or raises CardError; the core does the framing. Volatile
    state (PINs verified, the selected application) is cleared by
    power_on/reset; state()/load() give the persistent part as a
    JSON-able dict (None if the card keeps nothing)."""

    atr = b"\x3b\x80\x80\x01\x01"
    chaining = True  # join CLA 0x10 parts into one command
    # Ne for a command sent without Le. 0: every byte of the answer waits
    # for GET RESPONSE (61xx), as a T=0 card does. 256: up to 256 bytes
    # come back at once, as T=1 cards (YubiKeys, most PIV cards) do, and
    # clients such as libykpiv expect (its SELECT has no Le).
    ne_without_le = 0

    def power_on(self):
        pass

    def reset(self):
        self.power_on()

    def command(self, apdu):
        raise CardError(SW_INS_NOT_SUPPORTED)

    def state(self):
        return None

    def load(self, state):
        pass


class Core:
    """Framing around an applet: chaining both ways and GET RESPONSE."""

    def __init__(self, applet, state_path=None):
        self.applet = applet
        self.state_path = state_path
        self.pending = b""   # response bytes not yet fetched (61xx)
        self.chain = None    # (cla, ins, p1, p2, data) of a chain in progress
        if state_path and os.path.exists(state_path):
            with open(state_path) as f:
                applet.load(json.load(f))
        self._saved = json.dumps(applet.state(), sort_keys=True)

    def control(self, code):
        if code in (CTRL_ON, CTRL_RESET):
            self.pending, self.chain = b"", None
            self.applet.reset() if code == CTRL_RESET else self.applet.power_on()
        elif code == CTRL_OFF:
            self.pending, self.chain = b"", None
        elif code == CTRL_ATR:
            return bytes(self.applet.atr)
        return None

    def _out(self, data, sw, le):
        """Send what fits in Ne; keep the rest for GET RESPONSE."""
        if le is None:  # no Le: the card type decides (ne_without_le)
            le = self.applet.ne_without_le
        if len(data) > le:
            self.pending = data[le:]
            rest = len(self.pending)
            return data[:le] + bytes([0x61, rest if rest < 256 else 0])
        self.pending = b""
        return data + struct.pack("!H", sw)

    def apdu(self, raw):
        try:
            a = parse_apdu(raw)
        except ValueError as e:
            logging.warning("bad APDU %s: %s", raw.hex(), e)
            return struct.pack("!H", SW_WRONG_LENGTH)
        if a.cla == 0xFF:
            return struct.pack("!H", SW_CLA_NOT_SUPPORTED)
        if a.ins == 0xC0 and a.cla & 0x10 == 0 and self.chain is None:
            if not self.pending:
                return struct.pack("!H", SW_CONDITIONS)
            data, self.pending = self.pending, b""
            return self._out(data, SW_OK, a.le or 256)
        self.pending = b""
        if self.applet.chaining and a.cla & 0x10:
            head = (a.cla & ~0x10, a.ins, a.p1, a.p2)
            if self.chain is not None and self.chain[0] != head:
                self.chain = None
                return struct.pack("!H", 0x6883)  # last command of the chain expected
            prev = self.chain[1] if self.chain else b""
            self.chain = (head, prev + a.data)
            return struct.pack("!H", SW_OK)
        if self.chain is not None:
            head, prev = self.chain
            self.chain = None
            if head != (a.cla, a.ins, a.p1, a.p2):
                return struct.pack("!H", 0x6883)
            a.data = prev + a.data
        try:
            data, sw = self.applet.command(a)
        except CardError as e:
            data, sw = b"", e.sw
        self._save()
        return self._out(bytes(data), sw, a.le)

    def _save(self):
        if not self.state_path:
            return
        now = json.dumps(self.applet.state(), sort_keys=True)
        if now == self._saved:
            return
        tmp = self.state_path + ".tmp"
        with open(tmp, "w") as f:
            f.write(now)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.state_path)
        self._saved = now


# ---- the socket ----------------------------------------------------------

def _read_exact(sock, n):
    # TCP_QUICKACK before every read: vpcd writes the length and the
    # payload separately, and a delayed ACK costs ~40 ms per APDU.
    buf = b""
    while len(buf) < n:
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        except OSError:
            pass
        chunk = sock.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


class _Fuse:
    def __init__(self, path):
        self.path, self.left = path, None

    def tick(self):
        if self.path and os.path.exists(self.path):
            with open(self.path) as f:
                self.left = int(f.read().strip() or "1")
            os.unlink(self.path)
        if self.left is not None:
            self.left -= 1
            if self.left <= 0:
                logging.warning("rig: fuse blown, the card leaves now")
                sys.stdout.flush()
                os._exit(0)


def serve(applet, port, host="127.0.0.1"):
    """Connect to vpcd and answer until it goes away."""
    mode = os.environ.get("RIG_CARD_MODE", "")
    if mode not in ("", "mute", "slow"):
        sys.exit("RIG_CARD_MODE must be mute or slow, not %r" % mode)
    core = Core(applet, os.environ.get("RIG_CARD_STATE") or None)
    fuse = _Fuse(os.environ.get("RIG_CARD_FUSE"))
    sock = socket.create_connection((host, port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    logging.info("connected to vpcd at %s:%d", host, port)
    while True:
        head = _read_exact(sock, 2)
        if head is None:
            logging.info("vpcd shut down")
            return
        size = struct.unpack("!H", head)[0]
        msg = _read_exact(sock, size) if size else b""
        if msg is None:
            return
        if size == 1:
            out = core.control(msg[0])
            logging.info("control %d", msg[0])
            if out is None:
                continue
        elif size == 0:
            continue
        else:
            fuse.tick()
            if mode == "mute":
                logging.warning("rig: mute card, this APDU is never answered")
                sys.stdout.flush()
                while True:
                    time.sleep(3600)
            logging.info("> %s", msg.hex())
            out = core.apdu(msg)
            logging.info("< %s", out.hex())
        frame = struct.pack("!H", len(out)) + out
        if mode == "slow" and size > 1:
            for b in frame:
                time.sleep(1)
                sock.sendall(bytes([b]))
        else:
            sock.sendall(frame)


def main(applet, argv=None):
    """Command line shared by the emulators: -P PORT [-v]."""
    import argparse
    p = argparse.ArgumentParser()
    p.add_argument("-P", "--port", type=int, required=True)
    p.add_argument("-v", "--verbose", action="store_true")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(message)s", stream=sys.stdout)
    try:
        serve(applet, args.port)
    except (ConnectionError, KeyboardInterrupt):
        pass
