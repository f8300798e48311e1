#!/usr/bin/python3
"""The test rig's emulated card: Debian's unmodified /usr/bin/vicc, run in
this process after the emulator's known bugs (vsmartcard 3.3, card type
iso7816) are patched in memory. The package's files are never changed.

usage: vicc-card.py [vicc options], e.g. vicc-card.py -t iso7816 -P 36000

Each patch below names the bug it fixes. In short:
  latency   TCP_QUICKACK + exact reads: ~0.2 ms per APDU instead of ~44 ms
  READ      READ BINARY/RECORD without Le read as Le=00 (was a crash)
  WRITE     UPDATE/WRITE without Le work, and a good write answers 9000
            (was a crash without Le, 6282 with one)
  SELECT    P2=00/04 return an FCP template 62 (was a crash)
  VERIFY    wrong PIN -> 63C2, 63C1, 63C0, then 6983; empty VERIFY -> 63Cx
            without spending a try (was 6300 and a spent try)
  CHANGE    CHANGE REFERENCE DATA implemented (was a crash)
  ACCESS    the compact security attributes (8C) given at CREATE FILE are
            enforced: READ/UPDATE/WRITE/DELETE/CREATE answer 6982 when
            their condition (PIN, or never) is not met (vicc had no access
            control at all). Off with RIG_CARD_ACL=0.
Environment:
  RIG_CARD_FUSE=PATH   when PATH appears holding a number N, the card exits
                       on the N-th command APDU after that, before answering
                       (a card pulled out mid-operation; rig_card_fuse)
  RIG_CARD_EXTENDED=1  announce extended length in the ATR (third software
                       function table, 0x40) and accept extended Le
  RIG_CARD_ACL=0       no access control (the emulator's own behaviour)
  RIG_CARD_STATE=PATH  the card's files and PIN are kept in PATH (pickled
                       after every command APDU) and loaded from it at start:
                       a card pulled out comes back as it was (rig.sh's
                       RIG_CARD_KEEP=1)
The PIN is 1234 with 3 tries (the emulator's defaults); a blocked PIN stays
blocked until the card process restarts, and a restarted card is empty.
"""
import importlib
import logging
import os
import pickle
import runpy
import socket
import struct
import sys
import time

# Debian puts the emulator's package outside sys.path, and ships
# PyCryptodome as "Cryptodome" while the emulator imports "Crypto".
sys.path.insert(0, "/usr/lib/python3/site-packages/virtualsmartcard")
sys.modules.setdefault("Crypto", importlib.import_module("Cryptodome"))

from virtualsmartcard import SmartcardFilesystem, SWutils  # noqa: E402
from virtualsmartcard.ConstantDefinitions import MAX_SHORT_LE  # noqa: E402
from virtualsmartcard.SmartcardFilesystem import (  # noqa: E402
    DF, EF, MF, RecordStructureEF, TransparentStructureEF)
from virtualsmartcard.SmartcardSAM import SAM  # noqa: E402
from virtualsmartcard.SWutils import SW, SwError  # noqa: E402
from virtualsmartcard.TLVutils import bertlv_unpack  # noqa: E402
from virtualsmartcard.VirtualSmartcard import Iso7816OS, VirtualICC  # noqa: E402

PIN_TRIES = 3  # the emulator's SAM starts at 3 and goes back to 3 on success
ACL = os.environ.get("RIG_CARD_ACL", "1") != "0"
EXTENDED = os.environ.get("RIG_CARD_EXTENDED") == "1"

INS_READ = {0xB0, 0xB1, 0xB2, 0xB3}
INS_WRITE = {0xD0, 0xD1, 0xD2, 0xD6, 0xD7, 0xDC, 0xDD, 0xE2}
SW_SECURITY = 0x6982

# SwError looks its SW up in a table of messages that has no 63Cx: raising
# 63Cx would be a KeyError, i.e. a crash. Give them messages.
for _n in range(16):
    SWutils.SW_MESSAGES.setdefault(0x63C0 | _n, "Wrong PIN, %d tries left" % _n)
SWutils.SW_MESSAGES.setdefault(SW_SECURITY, "Security status not satisfied")


# ---- latency: the vpcd socket ---------------------------------------------
# Debian's vpcd sends a message's 2-byte length and its payload in two
# writes. With Nagle on vpcd's side and delayed ACKs on ours, the payload
# waits ~40 ms for our ACK of the length. TCP_QUICKACK (which the kernel
# clears again after use, hence before every read) makes us ACK at once.
# vicc also did one recv() per message and took a short read for the whole
# thing on big extended APDUs: read exactly n bytes instead.
def _read_exact(sock, n):
    buf = b""
    while len(buf) < n:
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        except OSError:
            pass
        try:
            chunk = sock.recv(n - len(buf))
        except InterruptedError:
            continue
        if not chunk:
            return None
        buf += chunk
    return buf


def _recv_from_vpcd(self):
    # Same contract as VirtualICC.__recvFromVPICC: (size, msg), socket.error
    # when vpcd has gone (vicc then exits; it never reconnects).
    head = _read_exact(self.sock, 2)
    if head is None:
        logging.info("Virtual PCD shut down")
        raise socket.error
    size = struct.unpack("!H", head)[0]
    if not size:
        return 0, None
    msg = _read_exact(self.sock, size)
    if msg is None:
        logging.info("Virtual PCD shut down")
        raise socket.error
    if size > 1:  # a command APDU, not power on/off, reset or get ATR
        # Its header only (never a PIN): the benchmarks count APDUs here,
        # at the card, as they do for the other emulators.
        print(" > %s" % msg[:4].hex(), flush=True)
        _fuse_tick()
    return size, msg


# ---- test hook: a card pulled out mid-operation --------------------------------
# Not an emulator fix: the rig's way to remove the card at an exact APDU.
_FUSE_PATH = os.environ.get("RIG_CARD_FUSE")
_fuse_left = None


def _fuse_tick():
    global _fuse_left
    if _FUSE_PATH and os.path.exists(_FUSE_PATH):
        with open(_FUSE_PATH) as f:
            _fuse_left = int(f.read().strip() or "1")
        os.unlink(_FUSE_PATH)
    if _fuse_left is not None:
        _fuse_left -= 1
        if _fuse_left <= 0:
            # Printed, not logged: vicc logs nothing below its -v level,
            # and the rig reads this line (rig_card_blown).
            print("rig: fuse blown, the card leaves now", flush=True)
            os._exit(0)


VirtualICC._VirtualICC__recvFromVPICC = _recv_from_vpcd


# ---- test hook: a card that stops answering ------------------------------------
# Not an emulator fix: RIG_CARD_MODE=mute answers power and ATR requests
# (so the card is PRESENT and a connect works) but never a command APDU;
# RIG_CARD_MODE=slow sends every answer to an APDU one byte per second,
# framing included (vpcd reads the 2-byte length and the payload as they
# come, so the pace reaches the reader as it would from a slow card).
_MODE = os.environ.get("RIG_CARD_MODE", "")
_orig_send = VirtualICC._VirtualICC__sendToVPICC


def _send_to_vpcd(self, msg):
    if _MODE == "slow" and len(msg) > 0 and self._rig_apdu:
        for b in struct.pack("!H", len(msg)) + msg:
            time.sleep(1)
            self.sock.sendall(bytes([b]))
        return
    _orig_send(self, msg)


def _recv_paced(self):
    size, msg = _recv_from_vpcd(self)
    self._rig_apdu = size > 1
    if _MODE == "mute" and self._rig_apdu:
        logging.warning("rig: mute card, this APDU is never answered")
        sys.stdout.flush()
        while True:  # until the rig stops the card (SIGTERM)
            time.sleep(3600)
    return size, msg


if _MODE in ("mute", "slow"):
    VirtualICC._VirtualICC__recvFromVPICC = _recv_paced
    VirtualICC._VirtualICC__sendToVPICC = _send_to_vpcd
elif _MODE:
    sys.exit("vicc-card.py: RIG_CARD_MODE must be mute or slow, not %r" % _MODE)


# ---- READ / WRITE: Le handling ----------------------------------------------
# formatResult compares Le with the data length for "seekable" commands;
# with no Le (None) that comparison raised TypeError and killed the card.
# It also answered 6282 ("end of file before Le bytes") after any write
# given an Le, because a write returns no data. formatResult does not see
# the INS, so execute() records it first.
_orig_execute = Iso7816OS.execute
_orig_format = Iso7816OS.formatResult


def _execute(self, msg):
    self._rig_ins = msg[1] if len(msg) > 1 else None
    answer = _orig_execute(self, msg)
    if _STATE:
        _save(self)
    return answer


# ---- STATE (option): a card that survives being pulled out ------------------
# The emulator forgets everything when its process ends; a real card keeps
# its files. The state is written after each answered command (the fuse
# ends the process before answering, so the last command is lost, as on a
# card pulled out before it ran it) and read back at start.
_STATE = os.environ.get("RIG_CARD_STATE", "")


def _save(os_):
    tmp = _STATE + ".tmp"
    with open(tmp, "wb") as f:
        pickle.dump((os_.mf, os_.SAM, os_.SAM.PIN, os_.SAM.counter), f)
    os.replace(tmp, _STATE)


if _STATE:
    _orig_os_init2 = Iso7816OS.__init__

    def _os_init_state(self, mf, sam, *args, **kwargs):
        if os.path.exists(_STATE):
            with open(_STATE, "rb") as f:
                mf, sam, pin, counter = pickle.load(f)
            sam.PIN, sam.counter = pin, counter
            logging.info("rig: card state loaded from %s", _STATE)
        _orig_os_init2(self, mf, sam, *args, **kwargs)

    Iso7816OS.__init__ = _os_init_state


def _format_result(self, seekable, le, data, sw, sm):
    ins = getattr(self, "_rig_ins", None)
    if seekable and ins in INS_WRITE:
        le = 0  # a write has no response data; its own SW stands
    elif seekable and le is None:
        le = MAX_SHORT_LE if ins in INS_READ else 0  # READ without Le = Le 00
    return _orig_format(self, seekable, le, data, sw, sm)


Iso7816OS.execute = _execute
Iso7816OS.formatResult = _format_result


# ---- SELECT: the FCP --------------------------------------------------------
# The emulator's FCP encoder formats bytes with "%c" % bytes and crashed on
# every SELECT asking for FCI or FCP (P2=00/04, and 01-03/05-07 for "next
# occurrence"). We encode the FCP ourselves. P2=00 (FCI) gets the same 62
# template: ISO 7816-4 allows FCP in place of an FCI, and one shape is
# simpler for the code that reads it.
def _tlv(tag, value):
    n = len(value)
    if n < 0x80:
        head = bytes([n])
    elif n < 0x100:
        head = bytes([0x81, n])
    else:
        head = bytes([0x82, n >> 8, n & 0xFF])
    return bytes([tag]) + head + value


def _fcp(f):
    out = []
    if isinstance(f, RecordStructureEF):
        out.append(_tlv(0x82, bytes([f.filedescriptor, f.datacoding]) +
                        f.maxrecordsize.to_bytes(2, "big") +
                        len(f.records).to_bytes(2, "big")))
    elif isinstance(f, EF):
        out.append(_tlv(0x82, bytes([f.filedescriptor, f.datacoding])))
    else:
        out.append(_tlv(0x82, bytes([f.filedescriptor])))
    out.append(_tlv(0x83, f.fid.to_bytes(2, "big")))
    if isinstance(f, DF) and getattr(f, "dfname", None):
        out.append(_tlv(0x84, bytes(f.dfname)))
    if isinstance(f, TransparentStructureEF):
        out.append(_tlv(0x80, len(f.data).to_bytes(2, "big")))
    if isinstance(f, EF) and getattr(f, "shortfid", None):
        out.append(_tlv(0x88, bytes([f.shortfid << 3])))
    out.append(_tlv(0x8A, bytes([f.lifecycle])))
    return _tlv(0x62, b"".join(out))


def _select_file(self, p1, p2, data):
    f = self._selectFile(p1, p2, data)
    self.current = f
    logging.info("Selected %s", f.fid)
    if p2 & 0x0C in (0x08, 0x0C):  # FMD (none here) or no response data
        return SW["NORMAL"], b""
    return SW["NORMAL"], _fcp(f)


MF.selectFile = _select_file


# ---- VERIFY and CHANGE REFERENCE DATA ----------------------------------------
# vicc answered a wrong PIN with 6300 (no tries left shown), counted an
# empty VERIFY (the ISO 7816-4 way to ask for the tries left) as a wrong
# try, and crashed on CHANGE REFERENCE DATA (bytes.replace with str). The
# PIN's security status lives on the MF, where the access checks below find
# it from any file.
def _verified(mf, value=None):
    if value is not None:
        mf._rig_verified = value
    return getattr(mf, "_rig_verified", False)


def _wrong_pin(sam):
    _verified(sam.mf, False)
    sam.counter -= 1
    raise SwError(0x63C0 | max(sam.counter, 0))


def _verify(self, p1, p2, pin):
    if p1 != 0x00:
        raise SwError(SW["ERR_INCORRECTP1P2"])
    if self.counter <= 0:
        raise SwError(SW["ERR_AUTHBLOCKED"])
    if not pin:
        raise SwError(0x63C0 | min(self.counter, 15))  # a question, not a try
    if pin.replace(b"\0", b"") != self.PIN:
        _wrong_pin(self)
    self.counter = PIN_TRIES
    _verified(self.mf, True)
    return SW["NORMAL"], b""


def _change_reference_data(self, p1, p2, data):
    # P1=00: old PIN || new PIN (the old one is as long as the current PIN);
    # P1=01: the new PIN alone, after a successful VERIFY.
    if self.counter <= 0:
        raise SwError(SW["ERR_AUTHBLOCKED"])
    if p1 == 0x00:
        n = len(self.PIN)
        if len(data) <= n:
            raise SwError(SW["ERR_INCORRECTPARAMETERS"])
        if data[:n] != self.PIN:
            _wrong_pin(self)
        new = data[n:]
    elif p1 == 0x01:
        if not _verified(self.mf):
            raise SwError(SW_SECURITY)
        new = data
    else:
        raise SwError(SW["ERR_INCORRECTP1P2"])
    new = new.replace(b"\0", b"")
    if not new:
        raise SwError(SW["ERR_INCORRECTPARAMETERS"])
    self.PIN = new
    self.counter = PIN_TRIES
    _verified(self.mf, True)
    logging.info("PIN changed")
    return SW["NORMAL"], b""


SAM.verify = _verify
SAM.change_reference_data = _change_reference_data


# Power-up, reset and power-down end the PIN's security status, as on a
# real card (pcscd powers an idle card down ~1 s after the last disconnect).
def _clears_pin(orig):
    def f(self):
        _verified(self.mf, False)
        return orig(self)
    return f


Iso7816OS.powerUp = _clears_pin(Iso7816OS.powerUp)
Iso7816OS.powerDown = _clears_pin(Iso7816OS.powerDown)
Iso7816OS.reset = _clears_pin(Iso7816OS.reset)


# ---- ACCESS: compact security attributes (8C) --------------------------------
# CREATE FILE ignored the FCP's security attributes, so nothing was ever
# protected (no 6982, ever). We keep the 8C of each new file and enforce
# it: an access-mode byte, then one security-condition byte per bit set,
# from b7 down to b1 (ISO 7816-4, 7.4.3).
#   EF: b7 DELETE FILE, b3 WRITE, b2 UPDATE (and ERASE), b1 READ
#   DF: b7 DELETE FILE (self), b3 CREATE DF, b2 CREATE EF, b1 DELETE child
# Condition 00 always, FF never, b5 (0x10) user authentication = the PIN
# verified since the last power-up; any other condition (secure messaging,
# external authentication) is never met here. An operation whose bit is
# not set is allowed. Other attribute forms (86, 8D, A0, A1, AB) stay
# ignored, as in the emulator. Refusals answer 6982.
AM_DELETE, AM_WRITE, AM_UPDATE, AM_READ = 7, 3, 2, 1
AM_CREATE_DF, AM_CREATE_EF, AM_DELETE_CHILD = 3, 2, 1
_orig_create_file = MF.createFile
_orig_delete_file = MF.deleteFile


def _fcp_tags(data):
    """{tag: value} of the FCP template in a CREATE FILE's data."""
    try:
        for tag, _, value in bertlv_unpack(data):
            if tag in (0x62, 0x6F) and isinstance(value, list):
                return {t: bytes(v) for t, _, v in value if not isinstance(v, list)}
    except Exception:  # malformed: the emulator answers for it
        pass
    return {}


def _parse_8c(v):
    if not v:
        return None
    acl, conds = {}, list(v[1:])
    for bit in range(7, 0, -1):
        if v[0] & (1 << (bit - 1)):
            acl[bit] = conds.pop(0) if conds else 0xFF  # a missing byte: never
    return acl


def _check(f, bit):
    acl = getattr(f, "_rig_acl", None)
    sc = acl.get(bit, 0x00) if acl else 0x00
    if sc == 0x00:
        return
    if sc & 0xF0 == 0x10 and _verified(f.getMF()):
        return
    raise SwError(SW_SECURITY)


def _create_file(self, p1, p2, data):
    tags = _fcp_tags(data)
    fdb = tags[0x82][0] if tags.get(0x82) else p1
    _check(self.currentDF(), AM_CREATE_DF if fdb & 0x38 == 0x38 else AM_CREATE_EF)
    sw, resp = _orig_create_file(self, p1, p2, data)
    acl = _parse_8c(tags.get(0x8C))
    if acl:
        self.current._rig_acl = acl  # the new file is the current one
    return sw, resp


def _delete_file(self, p1, p2, data):
    f = self._selectFile(p1, p2, data)  # as the emulator finds it
    _check(f, AM_DELETE)
    if f.parent is not None:
        _check(f.parent, AM_DELETE_CHILD)
    return _orig_delete_file(self, p1, p2, data)


def _guard(orig, bit):
    def f(self, *args, **kwargs):
        _check(self, bit)
        return orig(self, *args, **kwargs)
    return f


if ACL:
    MF.createFile = _create_file
    MF.deleteFile = _delete_file
    for _cls, _name, _bit in (
            (TransparentStructureEF, "readbinary", AM_READ),
            (TransparentStructureEF, "updatebinary", AM_UPDATE),
            (TransparentStructureEF, "erasebinary", AM_UPDATE),
            (TransparentStructureEF, "writebinary", AM_WRITE),
            (RecordStructureEF, "readrecord", AM_READ),
            (RecordStructureEF, "updaterecord", AM_UPDATE),
            (RecordStructureEF, "eraserecord", AM_UPDATE),
            (RecordStructureEF, "writerecord", AM_WRITE),
            (RecordStructureEF, "appendrecord", AM_WRITE)):
        setattr(_cls, _name, _guard(getattr(_cls, _name), _bit))


# ---- extended length (option) ---------------------------------------------
# vicc has the switch but no command-line option for it.
if EXTENDED:
    _orig_os_init = Iso7816OS.__init__

    def _os_init(self, mf, sam, ins2handler=None, extended_length=False):
        _orig_os_init(self, mf, sam, ins2handler, True)

    Iso7816OS.__init__ = _os_init


# MF.create prints every new file's arguments (a leftover debug print) on
# stdout: send it to the debug log.
SmartcardFilesystem.print = lambda *a, **k: logging.debug("create %r", a)

sys.argv[0] = "/usr/bin/vicc"
runpy.run_path("/usr/bin/vicc", run_name="__main__")
