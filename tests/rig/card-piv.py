#!/usr/bin/env python3
"""A PIV card (NIST SP 800-73-4) for the rig, an applet on vcard.py,
faithful enough for OpenSC's PIV-II driver, yubico-piv-tool/libykpiv and
ykcs11 to personalise and use it. With --yubikey it also answers Yubico's
PIV extensions and sends a YubiKey 5's ATR.

What a real card does, and this one with it (see tests/rig/README.md for
what it leaves out):
- SELECT of the PIV AID A0000003080000100001 00, whole or right-truncated
  (OpenSC sends 9 bytes, libykpiv the 5-byte RID), answers the Application
  Property Template. A failed SELECT of another AID answers 6A82 and leaves
  PIV selected (libykpiv tries Yubico's OTP AID and carries on). Before the
  first SELECT nothing is selected and PIV commands answer 6D00.
- GET DATA (5C tag list -> 53 value; Discovery 7E comes back bare) for the
  containers of SP 800-73-4 Part 1 table 3; Printed Information, the
  biometrics and the pairing code answer 6982 until the PIN is verified;
  an absent container answers 6A82.
- PUT DATA after the card management key (9B) authenticated with GENERAL
  AUTHENTICATE, mutual or external; an empty 53 deletes the container.
  The key's algorithm is the card's (3DES by default, or AES-128/192/256).
- VERIFY of the PIN (80; empty: 9000 / 63Cx / 6983; P1=FF forgets it),
  CHANGE REFERENCE DATA for PIN and PUK, RESET RETRY COUNTER with the PUK;
  3 tries each, blocked at 0.
- GENERATE ASYMMETRIC KEY PAIR (RSA 1024/2048, EC P-256/P-384) after the
  management key; GENERAL AUTHENTICATE with a slot's key: raw RSA
  (sign/decrypt: the host pads), ECDSA, ECDH. The PIN guards 9A, 9D and
  the retired slots once per session, 9C for every single use ("always"),
  9E never. No command ever returns a private key.
- --yubikey: GET VERSION (FD), GET SERIAL (F8), IMPORT KEY (FE), SET
  MANAGEMENT KEY (FF), GET METADATA (F7), SET PIN RETRIES (FA) and RESET
  (FB, only with PIN and PUK blocked). Without it those answer 6D00, as a
  standard card does.

Options (after the rig's -P PORT): --yubikey, --version A.B.C (5.4.3),
--serial N, --mgm-alg 3des|aes128|aes192|aes256, --mgm-key HEX (default:
010203040506070801020304050607080102030405060708, cut or repeated to
the algorithm's length). A kept state file (RIG_CARD_KEEP=1) wins over
the options: it holds the objects, PINs, counters, the management key
and the private keys (PKCS#8 PEM), as a real card keeps them.
"""
import argparse
import os
import sys

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

try:  # cryptography >= 43 moved 3DES; Debian 12's 38 has it in algorithms
    from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
except ImportError:
    TripleDES = algorithms.TripleDES

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vcard  # noqa: E402
from vcard import CardError  # noqa: E402

PIV_AID = bytes.fromhex("A000000308000010000100")
RID_LEN = 5
PIN_DEFAULT = b"123456"
PUK_DEFAULT = b"12345678"
TRIES = 3
MGM_DEFAULT = bytes.fromhex("010203040506070801020304050607080102030405060708")
# Management key algorithms (SP 800-78-4 table 6-2): id -> (name, key
# length, block size).
MGM_ALGS = {0x03: ("3des", 24, 8), 0x08: ("aes128", 16, 16),
            0x0A: ("aes192", 24, 16), 0x0C: ("aes256", 32, 16)}
# Asymmetric algorithms: id -> (kind, size).
KEY_ALGS = {0x06: ("rsa", 1024), 0x07: ("rsa", 2048),
            0x11: ("ec", 256), 0x14: ("ec", 384)}
CURVES = {256: ec.SECP256R1, 384: ec.SECP384R1}
# Key slots and their PIN rule: 1 never, 2 once per session, 3 always.
PIN_NEVER, PIN_ONCE, PIN_ALWAYS = 1, 2, 3
SLOTS = {0x9A: PIN_ONCE, 0x9C: PIN_ALWAYS, 0x9D: PIN_ONCE, 0x9E: PIN_NEVER}
SLOTS.update({s: PIN_ONCE for s in range(0x82, 0x96)})
MGM_REF, PIN_REF, PUK_REF = 0x9B, 0x80, 0x81
# The largest container value a YubiKey 5 stores (3052 bytes); standard
# cards have per-container limits of the same order.
MAX_OBJECT = 3052
DISCOVERY = 0x7E
# The containers (SP 800-73-4 Part 1 table 3) and whether reading one
# needs the PIN. Retired key-management certificates 82..95 are
# 5FC10D..5FC120.
OBJECTS = {
    0x5FC107: ("Card Capability Container", False),
    0x5FC102: ("Card Holder Unique Identifier", False),
    0x5FC105: ("X.509 Certificate for PIV Authentication", False),
    0x5FC103: ("Cardholder Fingerprints", True),
    0x5FC106: ("Security Object", False),
    0x5FC108: ("Cardholder Facial Image", True),
    0x5FC101: ("X.509 Certificate for Card Authentication", False),
    0x5FC10A: ("X.509 Certificate for Digital Signature", False),
    0x5FC10B: ("X.509 Certificate for Key Management", False),
    0x5FC109: ("Printed Information", True),
    DISCOVERY: ("Discovery Object", False),
    0x5FC10C: ("Key History Object", False),
    0x5FC121: ("Cardholder Iris Images", True),
    0x7F61: ("Biometric Information Templates Group Template", False),
    0x5FC122: ("Secure Messaging Certificate Signer", False),
    0x5FC123: ("Pairing Code Reference Data Container", True),
}
OBJECTS.update({0x5FC10D + i: ("Retired X.509 Certificate for Key Management %d" % (i + 1), False)
                for i in range(20)})
# Yubico's own containers (admin data 5FFF00, attestation 5FFF01, ...).
YUBICO_OBJECTS = {0x5FFF00 + i: ("Yubico object %02X" % i, False) for i in range(0x16)}
# The Discovery Object a card is issued with: the PIV AID and the PIN
# usage policy (40 00: the PIV PIN only, no global PIN).
DISCOVERY_DEFAULT = bytes.fromhex("7E124F0BA0000003080000100001005F2F024000")
# The YubiKey 5's real ATR: historical bytes in compact TLV, 5x "YubiKey"
# (OpenSC's PIV driver recognises it by that).
ATR_YK = bytes.fromhex("3BFD1300008131FE158073C021C057597562694B657940")
YK_VERSION = (5, 4, 3)


def _atr_std():
    """The standard card's ATR: T=0 and T=1, historical bytes in compact
    TLV (73 C0 21 C0 card capabilities, 68 "scmgrPIV" pre-issuing data), TCK.
    No driver's ATR table knows it, so OpenSC takes it for a generic PIV
    card and finds the application by SELECT, as with most issued cards."""
    hist = bytes.fromhex("8073C021C068") + b"scmgrPIV"
    body = bytes([0x80 | len(hist), 0x80, 0x01]) + hist
    tck = 0
    for b in body:
        tck ^= b
    return b"\x3B" + body + bytes([tck])


# ---- BER-TLV ----------------------------------------------------------

def tlv(tag, value):
    """One BER-TLV; tag an int of 1-3 bytes."""
    t = tag.to_bytes((tag.bit_length() + 7) // 8 or 1, "big")
    n = len(value)
    if n < 0x80:
        ln = bytes([n])
    elif n < 0x100:
        ln = bytes([0x81, n])
    else:
        ln = bytes([0x82, n >> 8, n & 0xFF])
    return t + ln + value


def parse_tlvs(data):
    """A list of (tag, value); CardError 6A80 if malformed."""
    out, i = [], 0
    while i < len(data):
        tag = data[i]
        i += 1
        if tag & 0x1F == 0x1F:  # multi-byte tag
            while True:
                if i >= len(data):
                    raise CardError(vcard.SW_WRONG_DATA)
                tag = (tag << 8) | data[i]
                i += 1
                if not data[i - 1] & 0x80:
                    break
        if i >= len(data):
            raise CardError(vcard.SW_WRONG_DATA)
        n = data[i]
        i += 1
        if n & 0x80:
            k = n & 0x7F
            if k not in (1, 2, 3) or i + k > len(data):
                raise CardError(vcard.SW_WRONG_DATA)
            n = int.from_bytes(data[i:i + k], "big")
            i += k
        if i + n > len(data):
            raise CardError(vcard.SW_WRONG_DATA)
        out.append((tag, data[i:i + n]))
        i += n
    return out


def _one_tlv(data, tag):
    items = parse_tlvs(data)
    if len(items) != 1 or items[0][0] != tag:
        raise CardError(vcard.SW_WRONG_DATA)
    return items[0][1]


def _pin_ok_format(ref):
    """PINs and the PUK are 6-8 bytes padded to 8 with FF."""
    v = ref.rstrip(b"\xFF")
    return len(ref) == 8 and 6 <= len(v) <= 8 and b"\xFF" not in v


def _pad(pin):
    return pin + b"\xFF" * (8 - len(pin))


# ---- keys ---------------------------------------------------------------

class Key:
    """A private key in a slot. pem is cached: the state is compared after
    every command."""

    def __init__(self, alg, priv, pin_policy, touch_policy, origin):
        self.alg, self.priv = alg, priv
        self.pin_policy, self.touch_policy, self.origin = pin_policy, touch_policy, origin
        self.pem = priv.private_bytes(serialization.Encoding.PEM,
                                      serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()).decode()

    def kind(self):
        return KEY_ALGS[self.alg][0]

    def size(self):
        return KEY_ALGS[self.alg][1]

    def public_tlvs(self):
        """The public key as GENERATE answers it inside 7F49."""
        pub = self.priv.public_key()
        if self.kind() == "rsa":
            n = pub.public_numbers()
            return (tlv(0x81, n.n.to_bytes(self.size() // 8, "big")) +
                    tlv(0x82, n.e.to_bytes((n.e.bit_length() + 7) // 8, "big")))
        return tlv(0x86, pub.public_bytes(serialization.Encoding.X962,
                                          serialization.PublicFormat.UncompressedPoint))

    def to_json(self):
        return {"alg": self.alg, "pem": self.pem, "pin_policy": self.pin_policy,
                "touch_policy": self.touch_policy, "origin": self.origin}

    @staticmethod
    def from_json(d):
        priv = serialization.load_pem_private_key(d["pem"].encode(), None)
        return Key(d["alg"], priv, d["pin_policy"], d["touch_policy"], d["origin"])


def _generate(alg):
    kind, size = KEY_ALGS[alg]
    if kind == "rsa":
        return rsa.generate_private_key(65537, size)
    return ec.generate_private_key(CURVES[size]())


def _import_rsa(alg, parts):
    """YubiKey import: p, q, dp, dq, qinv (tags 01-05); e is 65537, as the
    YubiKey assumes."""
    try:
        p, q, dp, dq, qi = (int.from_bytes(parts[t], "big") for t in (1, 2, 3, 4, 5))
    except KeyError:
        raise CardError(vcard.SW_WRONG_DATA)
    e = 65537
    n = p * q
    if n.bit_length() != KEY_ALGS[alg][1] or p < 3 or q < 3:
        raise CardError(vcard.SW_WRONG_DATA)
    try:
        d = pow(e, -1, (p - 1) * (q - 1))
    except ValueError:
        raise CardError(vcard.SW_WRONG_DATA)
    if dp != d % (p - 1) or dq != d % (q - 1) or qi != pow(q, -1, p):
        raise CardError(vcard.SW_WRONG_DATA)
    nums = rsa.RSAPrivateNumbers(p, q, d, dp, dq, qi, rsa.RSAPublicNumbers(e, n))
    return nums.private_key()


def _import_ec(alg, parts):
    size = KEY_ALGS[alg][1]
    s = parts.get(6)
    if s is None or len(s) != size // 8:
        raise CardError(vcard.SW_WRONG_DATA)
    try:
        return ec.derive_private_key(int.from_bytes(s, "big"), CURVES[size]())
    except ValueError:
        raise CardError(vcard.SW_WRONG_DATA)


# ---- the card -------------------------------------------------------------

class PivCard(vcard.Applet):
    ne_without_le = 256  # a T=1 card: answers to Le-less commands come at once

    def __init__(self, yubikey=False, version=YK_VERSION, serial=10000001,
                 mgm_alg=0x03, mgm_key=None):
        self.yubikey, self.version, self.serial = yubikey, version, serial
        self.atr = ATR_YK if yubikey else _atr_std()
        self._factory(mgm_alg, mgm_key)
        self.power_on()

    def _factory(self, mgm_alg=0x03, mgm_key=None):
        """A blank card as issued: default PINs and management key, the
        Discovery Object, no other container, no keys."""
        klen = MGM_ALGS[mgm_alg][1]
        if mgm_key is None:
            mgm_key = (MGM_DEFAULT * 2)[:klen]
        if len(mgm_key) != klen:
            raise ValueError("a %s management key has %d bytes" % (MGM_ALGS[mgm_alg][0], klen))
        self.pin, self.puk = _pad(PIN_DEFAULT), _pad(PUK_DEFAULT)
        self.pin_max = self.puk_max = TRIES
        self.pin_tries, self.puk_tries = TRIES, TRIES
        self.pin_default = self.puk_default = True
        self.mgm_alg, self.mgm_key = mgm_alg, mgm_key
        self.objects = {DISCOVERY: DISCOVERY_DEFAULT}
        self.keys = {}

    def power_on(self):
        # Volatile security state: gone with the power, as on a real card.
        self.selected = False
        self.pin_ok = False        # PIN verified this session
        self.pin_always = False    # ... and not yet used by a PIN-always key
        self.mgm_ok = False        # management key authenticated
        self.witness = None        # mutual auth: the plain witness sent
        self.challenge = None      # external auth: the challenge sent

    # -- persistent state --
    def state(self):
        return {
            "pin": self.pin.hex(), "puk": self.puk.hex(),
            "pin_max": self.pin_max, "puk_max": self.puk_max,
            "pin_tries": self.pin_tries, "puk_tries": self.puk_tries,
            "pin_default": self.pin_default, "puk_default": self.puk_default,
            "mgm_alg": self.mgm_alg, "mgm_key": self.mgm_key.hex(),
            "objects": {"%X" % t: v.hex() for t, v in sorted(self.objects.items())},
            "keys": {"%02X" % s: k.to_json() for s, k in sorted(self.keys.items())},
        }

    def load(self, st):
        self.pin, self.puk = bytes.fromhex(st["pin"]), bytes.fromhex(st["puk"])
        self.pin_max, self.puk_max = st["pin_max"], st["puk_max"]
        self.pin_tries, self.puk_tries = st["pin_tries"], st["puk_tries"]
        self.pin_default, self.puk_default = st["pin_default"], st["puk_default"]
        self.mgm_alg, self.mgm_key = st["mgm_alg"], bytes.fromhex(st["mgm_key"])
        self.objects = {int(t, 16): bytes.fromhex(v) for t, v in st["objects"].items()}
        self.keys = {int(s, 16): Key.from_json(k) for s, k in st["keys"].items()}

    # -- dispatch --
    def command(self, a):
        if a.cla != 0x00:
            raise CardError(vcard.SW_CLA_NOT_SUPPORTED)
        if a.ins == 0xA4:
            return self.select(a)
        if not self.selected:
            raise CardError(vcard.SW_INS_NOT_SUPPORTED)
        handler = self.COMMANDS.get(a.ins)
        if handler is None and self.yubikey:
            handler = self.YUBIKEY_COMMANDS.get(a.ins)
        if handler is None:
            raise CardError(vcard.SW_INS_NOT_SUPPORTED)
        return handler(self, a)

    def select(self, a):
        if a.p1 != 0x04:
            raise CardError(vcard.SW_NOT_FOUND)
        aid = a.data
        if len(aid) < RID_LEN or not PIV_AID.startswith(aid):
            # Another application: not here. PIV stays selected (libykpiv
            # relies on it after probing Yubico's OTP AID).
            raise CardError(vcard.SW_NOT_FOUND)
        self.selected = True
        if a.p2 & 0x0C == 0x0C:
            return b"", vcard.SW_OK
        return self.property_template(), vcard.SW_OK

    def property_template(self):
        pix = PIV_AID[RID_LEN:]
        body = tlv(0x4F, pix) + tlv(0x79, tlv(0x4F, PIV_AID[:RID_LEN]))
        if not self.yubikey:  # a YubiKey sends only these two
            body += tlv(0x50, b"scmgr PIV emulator")
            algs = b"".join(tlv(0x80, bytes([x])) for x in
                            [self.mgm_alg] + sorted(KEY_ALGS))
            body += tlv(0xAC, algs + tlv(0x06, b""))
        return tlv(0x61, body)

    # -- containers --
    def _known(self, tag):
        return tag in OBJECTS or (self.yubikey and tag in YUBICO_OBJECTS)

    def _tag_list(self, data):
        v = _one_tlv(data, 0x5C)
        if len(v) not in (1, 2, 3):
            raise CardError(vcard.SW_WRONG_DATA)
        return int.from_bytes(v, "big")

    def get_data(self, a):
        if (a.p1, a.p2) != (0x3F, 0xFF):
            raise CardError(vcard.SW_WRONG_P1P2)
        tag = self._tag_list(a.data)
        if not self._known(tag):
            raise CardError(vcard.SW_NOT_FOUND)
        value = self.objects.get(tag)
        if value is None:
            raise CardError(vcard.SW_NOT_FOUND)
        needs_pin = (OBJECTS.get(tag) or YUBICO_OBJECTS.get(tag))[1]
        if needs_pin and not self.pin_ok:
            raise CardError(vcard.SW_SECURITY)
        if tag == DISCOVERY:
            return value, vcard.SW_OK  # kept as the whole 7E TLV
        return tlv(0x53, value), vcard.SW_OK

    def put_data(self, a):
        if (a.p1, a.p2) != (0x3F, 0xFF):
            raise CardError(vcard.SW_WRONG_P1P2)
        if not self.mgm_ok:
            raise CardError(vcard.SW_SECURITY)
        items = parse_tlvs(a.data)
        if len(items) == 1 and items[0][0] == DISCOVERY:
            tag, value, whole = DISCOVERY, items[0][1], a.data
        elif len(items) == 2 and items[0][0] == 0x5C and items[1][0] == 0x53:
            tag = self._tag_list(tlv(0x5C, items[0][1]))
            if tag == DISCOVERY:
                raise CardError(vcard.SW_WRONG_DATA)
            value = whole = items[1][1]
        else:
            raise CardError(vcard.SW_WRONG_DATA)
        if not self._known(tag):
            raise CardError(vcard.SW_WRONG_DATA)
        if len(value) > MAX_OBJECT:
            raise CardError(vcard.SW_NO_SPACE)
        if value:
            self.objects[tag] = bytes(whole)
        else:
            self.objects.pop(tag, None)
        return b"", vcard.SW_OK

    # -- PIN and PUK --
    def verify(self, a):
        if a.p2 != PIN_REF:
            raise CardError(vcard.SW_REF_NOT_FOUND)  # no global PIN, no OCC
        if a.p1 == 0xFF:  # forget the verification
            if a.data:
                raise CardError(vcard.SW_WRONG_DATA)
            self.pin_ok = self.pin_always = False
            return b"", vcard.SW_OK
        if a.p1 != 0x00:
            raise CardError(vcard.SW_WRONG_P1P2)
        if not a.data:  # how many tries are left, nothing spent
            if self.pin_tries == 0:
                raise CardError(vcard.SW_BLOCKED)
            if self.pin_ok:
                return b"", vcard.SW_OK
            raise CardError(0x63C0 | self.pin_tries)
        if not _pin_ok_format(a.data):
            raise CardError(vcard.SW_WRONG_DATA)
        if self.pin_tries == 0:
            raise CardError(vcard.SW_BLOCKED)
        if a.data != self.pin:
            self.pin_tries -= 1
            self.pin_ok = self.pin_always = False
            raise CardError(0x63C0 | self.pin_tries)
        self.pin_tries = self.pin_max
        self.pin_ok = self.pin_always = True
        return b"", vcard.SW_OK

    def _check_ref(self, which, value):
        """Compare a PIN or the PUK, counting a wrong one."""
        tries = which + "_tries"
        if getattr(self, tries) == 0:
            raise CardError(vcard.SW_BLOCKED)
        if value != getattr(self, which):
            setattr(self, tries, getattr(self, tries) - 1)
            if which == "pin":
                self.pin_ok = self.pin_always = False
            raise CardError(0x63C0 | getattr(self, tries))
        setattr(self, tries, getattr(self, which + "_max"))

    def change_reference(self, a):
        if a.p1 != 0x00:
            raise CardError(vcard.SW_WRONG_P1P2)
        which = {PIN_REF: "pin", PUK_REF: "puk"}.get(a.p2)
        if which is None:
            raise CardError(vcard.SW_REF_NOT_FOUND)
        if len(a.data) != 16 or not _pin_ok_format(a.data[:8]) or not _pin_ok_format(a.data[8:]):
            raise CardError(vcard.SW_WRONG_DATA)
        self._check_ref(which, a.data[:8])
        setattr(self, which, a.data[8:])
        setattr(self, which + "_default", False)
        return b"", vcard.SW_OK

    def reset_retry(self, a):
        if a.p1 != 0x00:
            raise CardError(vcard.SW_WRONG_P1P2)
        if a.p2 != PIN_REF:
            raise CardError(vcard.SW_REF_NOT_FOUND)
        if len(a.data) != 16 or not _pin_ok_format(a.data[:8]) or not _pin_ok_format(a.data[8:]):
            raise CardError(vcard.SW_WRONG_DATA)
        self._check_ref("puk", a.data[:8])
        self.pin, self.pin_tries, self.pin_default = a.data[8:], self.pin_max, False
        self.pin_ok = self.pin_always = False
        return b"", vcard.SW_OK

    # -- GENERAL AUTHENTICATE --
    def _cipher(self):
        name = MGM_ALGS[self.mgm_alg][0]
        alg = TripleDES(self.mgm_key) if name == "3des" else algorithms.AES(self.mgm_key)
        return Cipher(alg, modes.ECB())

    def _encrypt(self, block):
        e = self._cipher().encryptor()
        return e.update(block) + e.finalize()

    def general_authenticate(self, a):
        inner = dict(parse_tlvs(_one_tlv(a.data, 0x7C)))
        if a.p2 == MGM_REF:
            return self._mgm_auth(a.p1, inner)
        key = self.keys.get(a.p2)
        if a.p2 not in SLOTS:
            raise CardError(vcard.SW_WRONG_P1P2)
        if key is None:
            raise CardError(vcard.SW_REF_NOT_FOUND)
        if a.p1 != key.alg:
            raise CardError(vcard.SW_WRONG_P1P2)
        if 0x82 not in inner or inner[0x82]:
            raise CardError(vcard.SW_WRONG_DATA)
        if key.pin_policy == PIN_ONCE and not self.pin_ok:
            raise CardError(vcard.SW_SECURITY)
        if key.pin_policy == PIN_ALWAYS and not (self.pin_ok and self.pin_always):
            raise CardError(vcard.SW_SECURITY)
        if 0x81 in inner:
            out = self._private_op(key, inner[0x81])
        elif 0x85 in inner and key.kind() == "ec":
            out = self._ecdh(key, inner[0x85])
        else:
            raise CardError(vcard.SW_WRONG_DATA)
        if key.pin_policy == PIN_ALWAYS:
            self.pin_always = False  # the next use needs a VERIFY again
        return tlv(0x7C, tlv(0x82, out)), vcard.SW_OK

    def _mgm_auth(self, alg, inner):
        if alg != self.mgm_alg:
            raise CardError(vcard.SW_WRONG_P1P2)
        bs = MGM_ALGS[alg][2]
        witness, self.witness = self.witness, None
        challenge, self.challenge = self.challenge, None
        self.mgm_ok = False
        if inner == {0x80: b""}:  # mutual, step 1: an encrypted witness
            self.witness = os.urandom(bs)
            return tlv(0x7C, tlv(0x80, self._encrypt(self.witness))), vcard.SW_OK
        if set(inner) == {0x80, 0x81}:  # mutual, step 2
            if witness is None:
                raise CardError(vcard.SW_CONDITIONS)
            if inner[0x80] != witness or len(inner[0x81]) != bs:
                raise CardError(vcard.SW_SECURITY)
            self.mgm_ok = True
            return tlv(0x7C, tlv(0x82, self._encrypt(inner[0x81]))), vcard.SW_OK
        if inner == {0x81: b""}:  # external, step 1: a plain challenge
            self.challenge = os.urandom(bs)
            return tlv(0x7C, tlv(0x81, self.challenge)), vcard.SW_OK
        if set(inner) == {0x82}:  # external, step 2
            if challenge is None:
                raise CardError(vcard.SW_CONDITIONS)
            if inner[0x82] != self._encrypt(challenge):
                raise CardError(vcard.SW_SECURITY)
            self.mgm_ok = True
            return b"", vcard.SW_OK
        raise CardError(vcard.SW_WRONG_DATA)

    def _private_op(self, key, data):
        if key.kind() == "rsa":
            # Raw RSA: the host formats (PKCS#1, PSS, OAEP), as PIV says.
            k = key.size() // 8
            m = int.from_bytes(data, "big")
            nums = key.priv.private_numbers()
            if len(data) != k or m >= nums.public_numbers.n:
                raise CardError(vcard.SW_WRONG_DATA)
            return pow(m, nums.d, nums.public_numbers.n).to_bytes(k, "big")
        # ECDSA over a hash the host sent: cut or left-padded to the
        # field's length, as the curve's order needs.
        flen = key.size() // 8
        digest = data[:flen].rjust(flen, b"\0")
        algo = hashes.SHA256() if flen == 32 else hashes.SHA384()
        return key.priv.sign(digest, ec.ECDSA(Prehashed(algo)))

    def _ecdh(self, key, point):
        try:
            peer = ec.EllipticCurvePublicKey.from_encoded_point(key.priv.curve, point)
            return key.priv.exchange(ec.ECDH(), peer)
        except ValueError:
            raise CardError(vcard.SW_WRONG_DATA)

    # -- keys --
    def generate(self, a):
        if a.p1 != 0x00 or a.p2 not in SLOTS:
            raise CardError(vcard.SW_WRONG_P1P2)
        if not self.mgm_ok:
            raise CardError(vcard.SW_SECURITY)
        ctl = dict(parse_tlvs(_one_tlv(a.data, 0xAC)))
        alg = ctl.get(0x80, b"")
        if len(alg) != 1 or alg[0] not in KEY_ALGS:
            raise CardError(vcard.SW_WRONG_DATA)
        pin_policy, touch = self._policies(a.p2, ctl)
        key = Key(alg[0], _generate(alg[0]), pin_policy, touch, 1)
        self.keys[a.p2] = key
        return tlv(0x7F49, key.public_tlvs()), vcard.SW_OK

    def _policies(self, slot, ctl):
        """PIN and touch policy: the slot's rule unless a YubiKey was told
        otherwise (AA, AB; 0 = the slot's default)."""
        pin, touch = SLOTS[slot], 1
        if self.yubikey:
            for tag in (0xAA, 0xAB):
                v = ctl.get(tag)
                if v is not None and (len(v) != 1 or v[0] > 3):
                    raise CardError(vcard.SW_WRONG_DATA)
            if ctl.get(0xAA, b"\0")[0]:
                pin = ctl[0xAA][0]
            if ctl.get(0xAB, b"\0")[0]:
                touch = ctl[0xAB][0]
        return pin, touch

    # -- Yubico's extensions --
    def get_version(self, a):
        return bytes(self.version), vcard.SW_OK

    def get_serial(self, a):
        return self.serial.to_bytes(4, "big"), vcard.SW_OK

    def import_key(self, a):
        if a.p2 not in SLOTS or a.p1 not in KEY_ALGS:
            raise CardError(vcard.SW_WRONG_P1P2)
        if not self.mgm_ok:
            raise CardError(vcard.SW_SECURITY)
        parts = dict(parse_tlvs(a.data))
        if KEY_ALGS[a.p1][0] == "rsa":
            priv = _import_rsa(a.p1, parts)
        else:
            priv = _import_ec(a.p1, parts)
        pin_policy, touch = self._policies(a.p2, parts)
        self.keys[a.p2] = Key(a.p1, priv, pin_policy, touch, 2)
        return b"", vcard.SW_OK

    def set_mgm_key(self, a):
        if a.p1 != 0xFF or a.p2 not in (0xFF, 0xFE):
            raise CardError(vcard.SW_WRONG_P1P2)
        if not self.mgm_ok:
            raise CardError(vcard.SW_SECURITY)
        d = a.data
        if len(d) < 3 or d[1] != MGM_REF or d[0] not in MGM_ALGS or d[2] != len(d) - 3:
            raise CardError(vcard.SW_WRONG_DATA)
        if d[2] != MGM_ALGS[d[0]][1] or (d[0] != 0x03 and self.version < (5, 4, 0)):
            raise CardError(vcard.SW_WRONG_DATA)
        self.mgm_alg, self.mgm_key = d[0], bytes(d[3:])
        return b"", vcard.SW_OK

    def get_metadata(self, a):
        if a.p1 != 0x00:
            raise CardError(vcard.SW_WRONG_P1P2)
        ref = a.p2
        if ref in (PIN_REF, PUK_REF):
            which = "pin" if ref == PIN_REF else "puk"
            body = (tlv(0x01, b"\xFF") + tlv(0x05, bytes([getattr(self, which + "_default")])) +
                    tlv(0x06, bytes([getattr(self, which + "_max"), getattr(self, which + "_tries")])))
        elif ref == MGM_REF:
            default = self.mgm_key == (MGM_DEFAULT * 2)[:len(self.mgm_key)]
            body = (tlv(0x01, bytes([self.mgm_alg])) + tlv(0x02, b"\x00\x01") +
                    tlv(0x05, bytes([default])))
        elif ref in SLOTS:
            key = self.keys.get(ref)
            if key is None:
                raise CardError(vcard.SW_REF_NOT_FOUND)
            body = (tlv(0x01, bytes([key.alg])) +
                    tlv(0x02, bytes([key.pin_policy, key.touch_policy])) +
                    tlv(0x03, bytes([key.origin])) + tlv(0x04, key.public_tlvs()))
        else:
            raise CardError(vcard.SW_REF_NOT_FOUND)
        return body, vcard.SW_OK

    def set_pin_retries(self, a):
        if not self.mgm_ok or not self.pin_ok:
            raise CardError(vcard.SW_SECURITY)
        if not (1 <= a.p1 <= 15 and 1 <= a.p2 <= 15):
            raise CardError(vcard.SW_WRONG_P1P2)
        # As on a YubiKey, PIN and PUK go back to their defaults.
        self.pin_max = self.pin_tries = a.p1
        self.puk_max = self.puk_tries = a.p2
        self.pin, self.puk = _pad(PIN_DEFAULT), _pad(PUK_DEFAULT)
        self.pin_default = self.puk_default = True
        return b"", vcard.SW_OK

    def reset_card(self, a):
        # Only a card whose PIN and PUK are both blocked may be wiped.
        if self.pin_tries or self.puk_tries:
            raise CardError(vcard.SW_CONDITIONS)
        self._factory()
        self.power_on()
        self.selected = True
        return b"", vcard.SW_OK

    COMMANDS = {
        0xCB: get_data, 0xDB: put_data, 0x20: verify, 0x24: change_reference,
        0x2C: reset_retry, 0x87: general_authenticate, 0x47: generate,
    }
    YUBIKEY_COMMANDS = {
        0xFD: get_version, 0xF8: get_serial, 0xFE: import_key, 0xFF: set_mgm_key,
        0xF7: get_metadata, 0xFA: set_pin_retries, 0xFB: reset_card,
    }


def main():
    p = argparse.ArgumentParser(description="PIV card emulator for the rig")
    p.add_argument("--yubikey", action="store_true", help="YubiKey 5 ATR and extensions")
    p.add_argument("--version", default="%d.%d.%d" % YK_VERSION)
    p.add_argument("--serial", type=int, default=10000001)
    p.add_argument("--mgm-alg", default="3des", choices=[v[0] for v in MGM_ALGS.values()])
    p.add_argument("--mgm-key", help="hex")
    args, rest = p.parse_known_args()
    alg = [k for k, v in MGM_ALGS.items() if v[0] == args.mgm_alg][0]
    version = tuple(int(x) for x in args.version.split("."))
    key = bytes.fromhex(args.mgm_key) if args.mgm_key else None
    card = PivCard(args.yubikey, version, args.serial, alg, key)
    vcard.main(card, rest)


if __name__ == "__main__":
    main()
