#!/usr/bin/env python3
"""An OpenPGP card 3.4 for the rig (an applet on vcard.py), faithful enough
for GnuPG's scdaemon and OpenSC's openpgp driver to personalise and use it.

What a real 3.4 card does, and this one with it (facts from the OpenPGP
smart card application spec 3.4.1 and from what GnuPG 2.2 / OpenSC 0.23
send; see tests/rig/README.md for what it leaves out):
- SELECT D27600012401: with Le the FCI (6F {84 AID}), as OpenSC asks;
  without Le no data, as GnuPG asks. A failed SELECT (the MF 3F00 GnuPG
  tries first, other drivers' AIDs) answers 6A82 and keeps the selection.
- GET DATA of every DO of the spec's table, PUT DATA with its write rules:
  PW3 for nearly all, PW1 in mode 82 for private DOs 0101 and 0103; 0103
  is read with PW1-82, 0104 with PW3. Cardholder certificate 7F21 has
  three occurrences (0 AUT, 1 DEC, 2 SIG) chosen with SELECT DATA.
- VERIFY 81/82/83 (empty: 9000 or 63Cx; P1=FF: forget), retry counters
  in C4 and blocking at 0, CHANGE REFERENCE DATA, RESET RETRY COUNTER
  with the resetting code (D3) or with PW3.
- GENERATE (P1 80, PW3) and read (P1 81) of RSA 2048/3072/4096 and EC
  P-256/P-384 keys, key import (odd INS DB 3FFF, extended header list
  4D), PSO:CDS (PW1-81, one signature only while C4 byte 1 is 00; the
  signature counter counts), PSO:DECIPHER (RSA, ECDH), INTERNAL
  AUTHENTICATE (PW1-82), GET CHALLENGE, TERMINATE DF / ACTIVATE FILE.
- The card never computes OpenPGP fingerprints: the client writes C7-C9
  and CE-D0 after generating or importing, as GnuPG does.
- Extended length and command chaining are announced in the historical
  bytes (5F52, also in the ATR) and the limits in 7F66 and C0.

Options (after the rig's -P PORT): --serial HEX8 --manufacturer HEX4
(default FFFE, "unmanaged S/N range"), --button (DO 7F74 present),
--short (no extended length: command chaining and 61xx only).
The persistent state is vcard.py's RIG_CARD_STATE (RIG_CARD_KEEP=1).
"""
import argparse
import os
import sys

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    Prehashed, decode_dss_signature)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vcard  # noqa: E402
from vcard import CardError  # noqa: E402

RID_PGP = bytes.fromhex("D27600012401")
PW1_DEFAULT = b"123456"
PW3_DEFAULT = b"12345678"
TRIES = 3
MAX_PIN = 0x7F
MIN_PW1, MIN_PW3, MIN_RC = 6, 8, 8
MAX_SPECIAL = 255    # login data, URL, private DOs (C0 bytes 7-8)
MAX_CERT = 2048      # one cardholder certificate (C0 bytes 5-6)
MAX_CHALLENGE = 255
MAX_APDU = 2048      # 7F66: longest command and response
# Historical bytes: category 00, card service data 31 C5, card
# capabilities 73 C0 01 C0 (byte 3: 80 command chaining, 40 extended
# Lc/Le), status indicator 05 90 00. GnuPG and OpenSC read byte 3 both
# here (5F52) and in the ATR.
HIST = bytes.fromhex("0031C573C001C0059000")
# --short: a card without extended length (as Gnuk): chaining only, and no
# 7F66. Clients then chain long commands and fetch long answers with 61xx.
HIST_SHORT = bytes.fromhex("0031C573C00180059000")
# C0: key import 20, PW1 status changeable 10, private DOs 08,
# algorithm attributes changeable 04, GET CHALLENGE 40 (no SM, no AES,
# no KDF); no SM algorithm; max challenge, max certificate, max special
# DO; no PIN block 2; no MSE.
EXT_CAPS = bytes([0x7C, 0x00]) + MAX_CHALLENGE.to_bytes(2, "big") + \
    MAX_CERT.to_bytes(2, "big") + MAX_SPECIAL.to_bytes(2, "big") + b"\x00\x00"

KEYS = ("sig", "dec", "aut")
CRT = {0xB6: "sig", 0xB8: "dec", 0xA4: "aut"}
ATTR_TAG = {"sig": 0xC1, "dec": 0xC2, "aut": 0xC3}
FPR_TAG = {"sig": 0xC7, "dec": 0xC8, "aut": 0xC9}
CAFPR_TAG = {0xCA: 0, 0xCB: 1, 0xCC: 2}
TIME_TAG = {"sig": 0xCE, "dec": 0xCF, "aut": 0xD0}
# Algorithm attribute ids (RFC 4880): 01 RSA, 12 ECDH, 13 ECDSA.
CURVES = {
    bytes.fromhex("2A8648CE3D030107"): ec.SECP256R1(),
    bytes.fromhex("2B81040022"): ec.SECP384R1(),
}
DEFAULT_ATTR = bytes.fromhex("010800002000")  # RSA 2048, e 32 bits, std
# Hash algorithm by digest length, for ECDSA over a hash the host made.
HASH_BY_LEN = {20: hashes.SHA1(), 28: hashes.SHA224(), 32: hashes.SHA256(),
               48: hashes.SHA384(), 64: hashes.SHA512()}


# ---- BER-TLV ----------------------------------------------------------

def tlv(tag, value):
    """One BER-TLV with a 1- or 2-byte tag."""
    t = tag.to_bytes(2 if tag > 0xFF else 1, "big")
    n = len(value)
    if n < 0x80:
        ln = bytes([n])
    elif n < 0x100:
        ln = bytes([0x81, n])
    else:
        ln = bytes([0x82]) + n.to_bytes(2, "big")
    return t + ln + value


def read_tag(buf, i):
    """(tag, next index). Raises CardError on a truncated tag."""
    if i >= len(buf):
        raise CardError(vcard.SW_WRONG_DATA)
    tag = buf[i]
    i += 1
    if tag & 0x1F == 0x1F:
        while True:
            if i >= len(buf):
                raise CardError(vcard.SW_WRONG_DATA)
            tag = (tag << 8) | buf[i]
            i += 1
            if not buf[i - 1] & 0x80:
                break
    return tag, i


def read_len(buf, i):
    if i >= len(buf):
        raise CardError(vcard.SW_WRONG_DATA)
    n = buf[i]
    i += 1
    if n < 0x80:
        return n, i
    k = n & 0x7F
    if k == 0 or k > 3 or i + k > len(buf):
        raise CardError(vcard.SW_WRONG_DATA)
    return int.from_bytes(buf[i:i + k], "big"), i + k


def parse_tlvs(buf):
    """[(tag, value)] of a run of BER-TLVs; 6A80 if it does not parse."""
    out, i = [], 0
    while i < len(buf):
        if buf[i] in (0x00, 0xFF):  # padding between objects
            i += 1
            continue
        tag, i = read_tag(buf, i)
        n, i = read_len(buf, i)
        if i + n > len(buf):
            raise CardError(vcard.SW_WRONG_DATA)
        out.append((tag, buf[i:i + n]))
        i += n
    return out


def parse_header_list(buf):
    """7F48: tags and lengths without values -> [(tag, length)]."""
    out, i = [], 0
    while i < len(buf):
        tag, i = read_tag(buf, i)
        n, i = read_len(buf, i)
        out.append((tag, n))
    return out


def b2i(b):
    return int.from_bytes(b, "big")


def i2b(n, size=None):
    size = size or max(1, (n.bit_length() + 7) // 8)
    return n.to_bytes(size, "big")


# ---- keys ---------------------------------------------------------------

def parse_attr(attr):
    """Algorithm attributes -> ('rsa', bits) | ('ec', curve, id); None if
    the card does not support them."""
    if len(attr) in (5, 6) and attr[0] == 0x01:
        bits = b2i(attr[1:3])
        # Import format 00 (e, p, q) only; e up to 32 bits.
        if bits in (2048, 3072, 4096) and b2i(attr[3:5]) in (17, 32) and \
                (len(attr) == 5 or attr[5] == 0x00):
            return ("rsa", bits)
        return None
    if len(attr) >= 2 and attr[0] in (0x12, 0x13):
        oid = attr[1:]
        if oid.endswith(b"\xFF"):  # "public key included at import"
            oid = oid[:-1]
        if oid in CURVES:
            return ("ec", CURVES[oid], attr[0])
    return None


class Key:
    """A private key with the operations the card performs. Stored as
    plain numbers (hex) in the state file: this is a test card."""

    def __init__(self, priv, origin):
        self.priv, self.origin = priv, origin  # origin: 1 generated, 2 imported

    @staticmethod
    def generate(alg):
        if alg[0] == "rsa":
            return Key(rsa.generate_private_key(65537, alg[1]), 1)
        return Key(ec.generate_private_key(alg[1]), 1)

    def is_rsa(self):
        return isinstance(self.priv, rsa.RSAPrivateKey)

    def public_do(self):
        """7F49 as GENERATE / READ PUBLIC KEY answer it."""
        if self.is_rsa():
            pn = self.priv.public_key().public_numbers()
            return tlv(0x7F49, tlv(0x81, i2b(pn.n)) + tlv(0x82, i2b(pn.e)))
        pt = self.priv.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        return tlv(0x7F49, tlv(0x86, pt))

    def raw_rsa(self, data):
        """The RSA private operation (CRT) on data as a number."""
        n = self.priv.private_numbers()
        m = b2i(data)
        if m >= n.public_numbers.n:
            raise CardError(vcard.SW_WRONG_DATA)
        m1 = pow(m, n.dmp1, n.p)
        m2 = pow(m, n.dmq1, n.q)
        h = (n.iqmp * (m1 - m2)) % n.p
        return m2 + h * n.q

    def sign(self, data):
        """PKCS#1 v1.5 over the DigestInfo the host sent (RSA), or ECDSA
        over the hash the host sent (r||s)."""
        if self.is_rsa():
            size = (self.priv.key_size + 7) // 8
            if len(data) > size - 11:
                raise CardError(vcard.SW_WRONG_LENGTH)
            em = b"\x00\x01" + b"\xFF" * (size - 3 - len(data)) + b"\x00" + data
            return i2b(self.raw_rsa(em), size)
        algo = HASH_BY_LEN.get(len(data))
        if algo is None:
            raise CardError(vcard.SW_WRONG_LENGTH)
        der = self.priv.sign(data, ec.ECDSA(Prehashed(algo)))
        r, s = decode_dss_signature(der)
        size = (self.priv.curve.key_size + 7) // 8
        return i2b(r, size) + i2b(s, size)

    def decipher(self, data):
        """RSA: 00 || ciphertext -> message (PKCS#1 v1.5 type 2 removed).
        ECDH: A6 {7F49 {86 point}} -> the shared x coordinate."""
        if self.is_rsa():
            size = (self.priv.key_size + 7) // 8
            if len(data) != size + 1 or data[0] != 0x00:
                raise CardError(vcard.SW_WRONG_DATA)
            em = i2b(self.raw_rsa(data[1:]), size)
            sep = em.find(b"\x00", 2)
            if em[:2] != b"\x00\x02" or sep < 10:
                raise CardError(vcard.SW_WRONG_DATA)
            return em[sep + 1:]
        outer = dict(parse_tlvs(data))
        inner = dict(parse_tlvs(outer.get(0xA6, b"")))
        point = dict(parse_tlvs(inner.get(0x7F49, b""))).get(0x86)
        if not point:
            raise CardError(vcard.SW_WRONG_DATA)
        try:
            peer = ec.EllipticCurvePublicKey.from_encoded_point(self.priv.curve, point)
        except ValueError:
            raise CardError(vcard.SW_WRONG_DATA)
        return self.priv.exchange(ec.ECDH(), peer)

    def state(self):
        if self.is_rsa():
            n = self.priv.private_numbers()
            return {"rsa": [hex(v) for v in (n.p, n.q, n.public_numbers.e)],
                    "origin": self.origin}
        return {"ec": self.priv.curve.name,
                "d": hex(self.priv.private_numbers().private_value),
                "origin": self.origin}

    @staticmethod
    def load(st):
        if "rsa" in st:
            p, q, e = (int(v, 16) for v in st["rsa"])
            return Key(rsa_from_pqe(p, q, e), st["origin"])
        curve = {c.name: c for c in CURVES.values()}[st["ec"]]
        return Key(ec.derive_private_key(int(st["d"], 16), curve), st["origin"])


def rsa_from_pqe(p, q, e):
    n = p * q
    d = pow(e, -1, (p - 1) * (q - 1))
    return rsa.RSAPrivateNumbers(
        p, q, d, d % (p - 1), d % (q - 1), pow(q, -1, p),
        rsa.RSAPublicNumbers(e, n)).private_key()


# ---- the card -------------------------------------------------------------

class OpenPGPCard(vcard.Applet):
    # A T=1 card (the ATR says so): a command without Le still gets up to
    # 256 bytes of its answer at once, the rest through 61xx.
    ne_without_le = 256

    def __init__(self, manufacturer=0xFFFE, serial=1, button=False, short=False):
        self.manufacturer, self.serial, self.button = manufacturer, serial, button
        self.short = short
        self.hist = HIST_SHORT if short else HIST
        self.atr = self._atr(self.hist)
        self.factory()
        self.power_on()

    @staticmethod
    def _atr(hist):
        # T=1 ATR with the historical bytes above; TCK = XOR of T0..end.
        body = bytes([0xD0 | len(hist), 0x18, 0xFF, 0x81, 0xB1, 0xFE, 0x75,
                      0x1F, 0x03]) + hist
        tck = 0
        for b in body:
            tck ^= b
        return b"\x3B" + body + bytes([tck])

    def aid(self):
        return RID_PGP + b"\x03\x04" + self.manufacturer.to_bytes(2, "big") + \
            self.serial.to_bytes(4, "big") + b"\x00\x00"

    def factory(self):
        """A blank card as it leaves the factory (and after ACTIVATE)."""
        self.do = {0x5E: b"", 0x5F50: b"", 0x5B: b"", 0x5F2D: b"", 0x5F35: b"",
                   0x0101: b"", 0x0102: b"", 0x0103: b"", 0x0104: b""}
        self.certs = [b"", b"", b""]
        self.attr = {k: DEFAULT_ATTR for k in KEYS}
        self.fpr = {k: bytes(20) for k in KEYS}
        self.cafpr = [bytes(20)] * 3
        self.gentime = {k: bytes(4) for k in KEYS}
        self.keys = {k: None for k in KEYS}
        self.pw1, self.pw3, self.rc = PW1_DEFAULT, PW3_DEFAULT, b""
        self.tries = {"pw1": TRIES, "rc": 0, "pw3": TRIES}
        self.pw1_many = 0       # C4 byte 1: 00 = PW1-81 valid for one PSO:CDS
        self.sigcount = 0
        self.terminated = False

    def power_on(self):
        self.selected = False
        self.verified = set()   # of 0x81, 0x82, 0x83
        self.occurrence = 0     # 7F21 occurrence chosen by SELECT DATA

    # -- persistent state (vcard.py writes it after every change) --
    def state(self):
        return {
            "do": {"%04X" % t: v.hex() for t, v in self.do.items()},
            "certs": [c.hex() for c in self.certs],
            "attr": {k: v.hex() for k, v in self.attr.items()},
            "fpr": {k: v.hex() for k, v in self.fpr.items()},
            "cafpr": [v.hex() for v in self.cafpr],
            "gentime": {k: v.hex() for k, v in self.gentime.items()},
            "keys": {k: (v.state() if v else None) for k, v in self.keys.items()},
            "pins": [self.pw1.hex(), self.pw3.hex(), self.rc.hex()],
            "tries": self.tries, "pw1_many": self.pw1_many,
            "sigcount": self.sigcount, "terminated": self.terminated,
        }

    def load(self, st):
        self.do = {int(t, 16): bytes.fromhex(v) for t, v in st["do"].items()}
        self.certs = [bytes.fromhex(c) for c in st["certs"]]
        self.attr = {k: bytes.fromhex(v) for k, v in st["attr"].items()}
        self.fpr = {k: bytes.fromhex(v) for k, v in st["fpr"].items()}
        self.cafpr = [bytes.fromhex(v) for v in st["cafpr"]]
        self.gentime = {k: bytes.fromhex(v) for k, v in st["gentime"].items()}
        self.keys = {k: (Key.load(v) if v else None) for k, v in st["keys"].items()}
        self.pw1, self.pw3, self.rc = (bytes.fromhex(p) for p in st["pins"])
        self.tries = st["tries"]
        self.pw1_many = st["pw1_many"]
        self.sigcount = st["sigcount"]
        self.terminated = st["terminated"]

    # -- composite DOs --
    def pw_status(self):
        return bytes([self.pw1_many, MAX_PIN, MAX_PIN, MAX_PIN,
                      self.tries["pw1"], self.tries["rc"], self.tries["pw3"]])

    def key_info(self):
        return b"".join(bytes([i + 1, self.keys[k].origin if self.keys[k] else 0])
                        for i, k in enumerate(KEYS))

    def ext_length(self):
        return tlv(0x02, MAX_APDU.to_bytes(2, "big")) * 2

    def simple(self, tag):
        """The value of a DO that GET DATA reads on its own, or None."""
        if tag in self.do and tag not in (0x0103, 0x0104):
            return self.do[tag]
        fixed = {
            0x4F: self.aid, 0x5F52: lambda: self.hist, 0xC0: lambda: EXT_CAPS,
            0xC4: self.pw_status,
            0xC5: lambda: b"".join(self.fpr[k] for k in KEYS),
            0xC6: lambda: b"".join(self.cafpr),
            0xCD: lambda: b"".join(self.gentime[k] for k in KEYS),
            0xDE: self.key_info,
            0x93: lambda: self.sigcount.to_bytes(3, "big"),
        }
        if tag == 0x7F66 and not self.short:
            return self.ext_length()
        if tag in fixed:
            return fixed[tag]()
        for k in KEYS:
            if tag == ATTR_TAG[k]:
                return self.attr[k]
        return None

    def get_do(self, tag):
        if tag == 0x65:
            return b"".join(tlv(t, self.do[t]) for t in (0x5B, 0x5F2D, 0x5F35))
        if tag == 0x6E:
            extlen = b"" if self.short else tlv(0x7F66, self.ext_length())
            return tlv(0x4F, self.aid()) + tlv(0x5F52, self.hist) + extlen + \
                tlv(0x73, self.get_do(0x73))
        if tag == 0x73:  # the discretionary data objects inside 6E
            return b"".join(tlv(t, self.simple(t)) for t in
                            (0xC0, 0xC1, 0xC2, 0xC3, 0xC4, 0xC5, 0xC6, 0xCD, 0xDE))
        if tag == 0x7A:
            return tlv(0x93, self.simple(0x93))
        if tag == 0x7F21:
            return self.certs[self.occurrence]
        if tag == 0x0103:
            self.need(0x82)
            return self.do[0x0103]
        if tag == 0x0104:
            self.need(0x83)
            return self.do[0x0104]
        if tag == 0x7F74 and self.button:
            return tlv(0x81, b"\x20")
        value = self.simple(tag)
        if value is None:
            raise CardError(vcard.SW_REF_NOT_FOUND)
        return value

    # -- access --
    def need(self, ref):
        if ref not in self.verified:
            raise CardError(vcard.SW_SECURITY)

    def put_do(self, tag, value):
        # Who may write (spec 3.4 §4.4.1; OpenSC's and SmartPGP's tables).
        if tag in (0x0101, 0x0103):
            self.need(0x82)
        else:
            self.need(0x83)
        limits = {0x5B: 39, 0x5F2D: 8, 0x5F35: 1, 0x5E: MAX_SPECIAL,
                  0x5F50: MAX_SPECIAL, 0x0101: MAX_SPECIAL, 0x0102: MAX_SPECIAL,
                  0x0103: MAX_SPECIAL, 0x0104: MAX_SPECIAL}
        if tag in limits:
            if len(value) > limits[tag]:
                raise CardError(vcard.SW_WRONG_LENGTH)
            self.do[tag] = value
        elif tag == 0x7F21:
            if len(value) > MAX_CERT:
                raise CardError(vcard.SW_WRONG_LENGTH)
            self.certs[self.occurrence] = value
        elif tag == 0xC4:
            # Only byte 1 (PW1 validity for PSO:CDS) can be changed.
            if not value or value[0] not in (0, 1):
                raise CardError(vcard.SW_WRONG_DATA)
            self.pw1_many = value[0]
        elif tag in ATTR_TAG.values():
            k = KEYS[tag - 0xC1]
            if parse_attr(value) is None:
                raise CardError(vcard.SW_WRONG_DATA)
            if value != self.attr[k]:
                # New attributes: the old key no longer fits and is gone.
                self.attr[k] = value
                self.keys[k] = None
        elif tag in FPR_TAG.values():
            self._fixed(value, 20)
            self.fpr[KEYS[tag - 0xC7]] = value
        elif tag in CAFPR_TAG:
            self._fixed(value, 20)
            self.cafpr[CAFPR_TAG[tag]] = value
        elif tag in TIME_TAG.values():
            self._fixed(value, 4)
            self.gentime[KEYS[tag - 0xCE]] = value
        elif tag == 0xD3:
            # Resetting code: empty deletes it.
            if value and not MIN_RC <= len(value) <= MAX_PIN:
                raise CardError(vcard.SW_WRONG_LENGTH)
            self.rc = value
            self.tries["rc"] = TRIES if value else 0
        else:
            raise CardError(vcard.SW_REF_NOT_FOUND)

    @staticmethod
    def _fixed(value, n):
        if len(value) != n:
            raise CardError(vcard.SW_WRONG_LENGTH)

    # -- PINs --
    def pin_of(self, ref):
        return ("pw1", self.pw1) if ref in (0x81, 0x82) else ("pw3", self.pw3)

    def check(self, name, secret, offered):
        """Compare offered with secret and keep the retry counter."""
        if self.tries[name] == 0:
            raise CardError(vcard.SW_BLOCKED)
        if offered != secret:
            # The attempt that uses the last try answers 63C0; only the
            # next ones answer 6983 (as SmartPGP and YubiKeys do).
            self.tries[name] -= 1
            raise CardError(0x63C0 | self.tries[name])
        self.tries[name] = TRIES

    def verify(self, a):
        if a.p2 not in (0x81, 0x82, 0x83):
            raise CardError(vcard.SW_WRONG_P1P2)
        if a.p1 == 0xFF:
            if a.data:
                raise CardError(vcard.SW_WRONG_LENGTH)
            self.verified.discard(a.p2)
            return b""
        if a.p1 != 0x00:
            raise CardError(vcard.SW_WRONG_P1P2)
        name, secret = self.pin_of(a.p2)
        if not a.data:
            if a.p2 in self.verified:
                return b""
            if self.tries[name] == 0:
                raise CardError(vcard.SW_BLOCKED)
            raise CardError(0x63C0 | self.tries[name])
        self.verified.discard(a.p2)
        self.check(name, secret, a.data)
        self.verified.add(a.p2)
        return b""

    def change_pin(self, a):
        if a.p1 != 0x00 or a.p2 not in (0x81, 0x83):
            raise CardError(vcard.SW_WRONG_P1P2)
        name, secret = self.pin_of(a.p2)
        old, new = a.data[:len(secret)], a.data[len(secret):]
        self.check(name, secret, old)
        self._set_pin(name, new)
        return b""

    def _set_pin(self, name, new):
        low = MIN_PW1 if name == "pw1" else MIN_PW3
        if not low <= len(new) <= MAX_PIN:
            raise CardError(vcard.SW_WRONG_DATA)
        if name == "pw1":
            self.pw1 = new
            self.verified -= {0x81, 0x82}
        else:
            self.pw3 = new
            self.verified.discard(0x83)
        self.tries[name] = TRIES

    def reset_retry(self, a):
        if a.p2 != 0x81:
            raise CardError(vcard.SW_WRONG_P1P2)
        if a.p1 == 0x00:
            # Resetting code || new PW1. No code set: its counter is 0,
            # which C4 shows, and the card answers as for a blocked one.
            if not self.rc:
                raise CardError(vcard.SW_BLOCKED)
            code, new = a.data[:len(self.rc)], a.data[len(self.rc):]
            self.check("rc", self.rc, code)
        elif a.p1 == 0x02:
            self.need(0x83)
            new = a.data
        else:
            raise CardError(vcard.SW_WRONG_P1P2)
        self._set_pin("pw1", new)
        return b""

    # -- keys --
    def crt_key(self, data):
        """The key a 2-byte control reference template names (B6/B8/A4 00)."""
        if len(data) < 2 or data[0] not in CRT:
            raise CardError(vcard.SW_WRONG_DATA)
        return CRT[data[0]]

    def generate(self, a):
        if a.p2 != 0x00:
            raise CardError(vcard.SW_WRONG_P1P2)
        k = self.crt_key(a.data)
        if a.p1 == 0x81:
            if self.keys[k] is None:
                raise CardError(vcard.SW_REF_NOT_FOUND)
            return self.keys[k].public_do()
        if a.p1 != 0x80:
            raise CardError(vcard.SW_WRONG_P1P2)
        self.need(0x83)
        self.keys[k] = Key.generate(parse_attr(self.attr[k]))
        self._new_key(k)
        return self.keys[k].public_do()

    def _new_key(self, k):
        # The client writes the fingerprint and time; old ones are void.
        self.fpr[k], self.gentime[k] = bytes(20), bytes(4)
        if k == "sig":
            self.sigcount = 0

    def import_key(self, a):
        if (a.p1, a.p2) != (0x3F, 0xFF):
            raise CardError(vcard.SW_REF_NOT_FOUND)
        self.need(0x83)
        outer = parse_tlvs(a.data)
        if len(outer) != 1 or outer[0][0] != 0x4D:
            raise CardError(vcard.SW_WRONG_DATA)
        body = parse_tlvs(outer[0][1])
        if len(body) < 3 or body[1][0] != 0x7F48 or body[2][0] != 0x5F48:
            raise CardError(vcard.SW_WRONG_DATA)
        k = CRT.get(body[0][0])
        if k is None:
            raise CardError(vcard.SW_WRONG_DATA)
        parts, blob, off = {}, body[2][1], 0
        for tag, n in parse_header_list(body[1][1]):
            parts[tag] = blob[off:off + n]
            off += n
        if off != len(blob):
            raise CardError(vcard.SW_WRONG_DATA)
        alg = parse_attr(self.attr[k])
        try:
            if alg[0] == "rsa":
                e, p, q = (b2i(parts.get(t, b"")) for t in (0x91, 0x92, 0x93))
                if not (e and p and q) or (p * q).bit_length() != alg[1]:
                    raise CardError(vcard.SW_WRONG_DATA)
                key = Key(rsa_from_pqe(p, q, e), 2)
            else:
                d = b2i(parts.get(0x92, b""))
                key = Key(ec.derive_private_key(d, alg[1]), 2)
        except ValueError:
            raise CardError(vcard.SW_WRONG_DATA)
        self.keys[k] = key
        self._new_key(k)
        return b""

    def pso(self, a):
        if (a.p1, a.p2) == (0x9E, 0x9A):
            self.need(0x81)
            key = self._key("sig")
            sig = key.sign(a.data)
            self.sigcount = min(self.sigcount + 1, 0xFFFFFF)
            if not self.pw1_many:
                self.verified.discard(0x81)
            return sig
        if (a.p1, a.p2) == (0x80, 0x86):
            self.need(0x82)
            return self._key("dec").decipher(a.data)
        raise CardError(vcard.SW_WRONG_P1P2)

    def _key(self, k):
        if self.keys[k] is None:
            raise CardError(vcard.SW_REF_NOT_FOUND)
        return self.keys[k]

    def select_data(self, a):
        # Data 60 04 5C 02 7F 21 (spec); some clients send 5C 02 7F 21 alone.
        data = a.data
        if data[:1] == b"\x60":
            data = dict(parse_tlvs(data)).get(0x60, b"")
        tags = dict(parse_tlvs(data))
        if a.p2 != 0x04 or tags.get(0x5C) != b"\x7F\x21":
            raise CardError(vcard.SW_REF_NOT_FOUND)
        if a.p1 > 2:
            raise CardError(vcard.SW_REF_NOT_FOUND)
        self.occurrence = a.p1
        return b""

    # -- dispatch --
    def command(self, a):
        if a.cla & ~0x10 != 0x00:
            raise CardError(vcard.SW_CLA_NOT_SUPPORTED)
        if a.extended and self.short:
            raise CardError(vcard.SW_WRONG_LENGTH)
        if a.ins == 0xA4:
            return self.select(a), vcard.SW_OK
        if not self.selected:
            raise CardError(vcard.SW_INS_NOT_SUPPORTED)
        if self.terminated:
            if a.ins != 0x44:
                raise CardError(0x6285)
            self.factory()
            self.power_on()
            self.selected = True
            return b"", vcard.SW_OK
        handlers = {
            0xCA: lambda: self.get_do((a.p1 << 8) | a.p2),
            0xCC: lambda: self.get_next(a),
            0xDA: lambda: self.put_do((a.p1 << 8) | a.p2, a.data) or b"",
            0xDB: lambda: self.import_key(a),
            0x20: lambda: self.verify(a),
            0x24: lambda: self.change_pin(a),
            0x2C: lambda: self.reset_retry(a),
            0x47: lambda: self.generate(a),
            0x2A: lambda: self.pso(a),
            0x88: lambda: self.internal_auth(a),
            0x84: lambda: self.challenge(a),
            0xA5: lambda: self.select_data(a),
            0xE6: self.terminate,
            0x44: lambda: b"",  # ACTIVATE on a live card: nothing to do
        }
        if a.ins not in handlers:
            raise CardError(vcard.SW_INS_NOT_SUPPORTED)
        return handlers[a.ins](), vcard.SW_OK

    def select(self, a):
        if a.p1 == 0x04 and a.data.startswith(RID_PGP) and a.data == self.aid()[:len(a.data)]:
            if self.terminated:
                self.selected = True
                raise CardError(0x6285)
            self.power_on()
            self.selected = True
            # FCI only when asked for (Le present and P2 not 0C).
            if a.le is not None and a.p2 & 0x0C != 0x0C:
                return tlv(0x6F, tlv(0x84, self.aid()))
            return b""
        # Anything else (the MF, other applications): not here, and the
        # current selection stays (ISO 7816-4: a failed SELECT changes nothing).
        raise CardError(vcard.SW_NOT_FOUND)

    def get_next(self, a):
        if (a.p1 << 8 | a.p2) != 0x7F21 or self.occurrence >= 2:
            raise CardError(vcard.SW_REF_NOT_FOUND)
        self.occurrence += 1
        return self.certs[self.occurrence]

    def internal_auth(self, a):
        if (a.p1, a.p2) != (0x00, 0x00):
            raise CardError(vcard.SW_WRONG_P1P2)
        self.need(0x82)
        return self._key("aut").sign(a.data)

    def challenge(self, a):
        n = a.le or 0
        if n > MAX_CHALLENGE:
            raise CardError(vcard.SW_WRONG_LENGTH)
        return os.urandom(n)

    def terminate(self):
        # Allowed with PW3, or when PW3 is blocked (GnuPG's factory-reset
        # blocks both PINs on purpose, then sends E6 and 44).
        if 0x83 not in self.verified and self.tries["pw3"] != 0:
            raise CardError(vcard.SW_SECURITY)
        self.terminated = True
        return b""


def main():
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--serial", default="00000001")
    p.add_argument("--manufacturer", default="FFFE")
    p.add_argument("--button", action="store_true")
    p.add_argument("--short", action="store_true")
    opts, rest = p.parse_known_args()
    try:
        serial, manu = int(opts.serial, 16), int(opts.manufacturer, 16)
        if not (0 <= serial <= 0xFFFFFFFF and 0 <= manu <= 0xFFFF):
            raise ValueError
    except ValueError:
        sys.exit("card-openpgp: --serial is 8 hex digits, --manufacturer 4")
    vcard.main(OpenPGPCard(manu, serial, opts.button, opts.short), rest)


if __name__ == "__main__":
    main()
