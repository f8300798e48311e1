# shellcheck shell=bash
# The demo card: an emulated card in a rig slot, laid out by scmgr's own CLI
# and filled with objects like the patent's example (Fig. 3B/3D). Sourced by
# the demo of `./dev.sh run` (demo.sh) and by the UI's end-to-end tests
# (tests/ui/lib.sh), so that both show the same card. Needs rig.sh sourced
# and the rig up (PCSCLITE_CSOCK_NAME exported).
#
#   demo_card_load SCMGR SLOT    "Mike's card", serial 00001079: public
#                                certificate, business card, note; private
#                                "Private Info" and "Login-Object"
#   demo_card_blank SCMGR SLOT   an initialised card with no objects (the
#                                card to restore onto), serial 00001080
#   demo_card_piv SCMGR SLOT     a PIV card (card-piv.py) with a CHUID, the
#                                demo certificate in slot 9A and a PIN-protected
#                                Printed Information, written by scmgr itself
#
# SCMGR is the scmgr binary. Both return non-zero, with scmgr's messages on
# stderr, when a step fails.
#
# tests/data/demo-cert.der is a self-signed certificate made once with
#   openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
#     -subj "/CN=Mike/O=scmgr demo/emailAddress=mike@example.org" -days 3650 -outform DER
# (its private key was thrown away: the demo card holds only the certificate).

DEMO_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DEMO_PIN=1234 # the emulated cards' PIN (vicc-card.py)
DEMO_SERIAL=00001079
DEMO_LABEL="Mike's card"
DEMO_BLANK_SERIAL=00001080
DEMO_BLANK_LABEL="Blank card"
DEMO_CERT="$DEMO_HERE/../data/demo-cert.der"
DEMO_PIV_PIN=123456 # card-piv.py's defaults
DEMO_PIV_MGM=010203040506070801020304050607080102030405060708
DEMO_PGP_PIN=123456 # card-openpgp.py's PW1 and PW3
DEMO_PGP_PW3=12345678

# demo__put SCMGR READER LABEL TYPE AREA: the object's bytes from stdin.
demo__put() {
    "$1" put "$2" "$3" - --type "$4" --area "$5" --pin-fd 3 3<<<"$DEMO_PIN" >/dev/null
}

demo_card_load() {
    local scmgr=$1 reader
    reader=$(rig_reader "$2")
    "$scmgr" card init "$reader" --label "$DEMO_LABEL" --serial "$DEMO_SERIAL" \
        --pin-fd 3 3<<<"$DEMO_PIN" >/dev/null || return 1
    demo__put "$scmgr" "$reader" "Certificate" certificate public <"$DEMO_CERT" || return 1
    demo__put "$scmgr" "$reader" "Mike's card" business-card public <<'EOF' || return 1
BEGIN:VCARD
VERSION:3.0
FN:Mike Example
N:Example;Mike;;;
ORG:Example Corp.
TITLE:Field engineer
TEL;TYPE=work:+1-555-0107
EMAIL:mike@example.org
END:VCARD
EOF
    demo__put "$scmgr" "$reader" "Please read" note public <<'EOF' || return 1
Hello! This card belongs to Mike. If you found it, please call +1-555-0107.
EOF
    demo__put "$scmgr" "$reader" "Private Info" data private <<'EOF' || return 1
Mike's private information: employee no. 4711, badge 0815, blood group A+.
EOF
    demo__put "$scmgr" "$reader" "Login-Object" login private <<'EOF' || return 1
url=https://intranet.example.org/
user=mike
password=correct horse battery staple
EOF
}

demo_card_blank() {
    local reader
    reader=$(rig_reader "$2")
    "$1" card init "$reader" --label "$DEMO_BLANK_LABEL" --serial "$DEMO_BLANK_SERIAL" \
        --pin-fd 3 3<<<"$DEMO_PIN" >/dev/null
}

# The PIV card: scmgr writes its containers with the card management key.
demo_card_piv() {
    local reader
    reader=$(rig_reader "$2")
    demo__piv "$1" "$reader" "Card Holder Unique Identifier" data public \
        < <(printf '\x30\x19\xd4\xe7\x39\xda\x73\x9c\xed\x39\xce\x73\x9d\x83\x68\x58\x21\x08\x42\x10\x84\x21\xc8\x42\x10\xc3\xeb\x34\x10\x00\x00\x10\x79\x00\x00\x10\x79\x00\x00\x10\x79\x00\x00\x10\x79\x35\x08\x32\x30\x33\x30\x30\x31\x30\x31\x3e\x00') ||
        return 1
    demo__piv "$1" "$reader" "X.509 Certificate for PIV Authentication" certificate public \
        <"$DEMO_CERT" || return 1
    demo__piv "$1" "$reader" "Printed Information" data private \
        < <(printf '\x01\x04Mike\x02\x07Manager') || return 1
}

# demo_card_openpgp SCMGR I: the OpenPGP card in slot I personalised by
# scmgr itself (PUT DATA with PW3; private DO 1 with PW1): cardholder
# name, URL, login data, a private DO and the certificate.
demo_card_openpgp() {
    local reader
    reader=$(rig_reader "$2")
    demo__pgp "$1" "$reader" "Name of cardholder" data < <(printf 'Sample<<Mike') || return 1
    demo__pgp "$1" "$reader" "URL of public key" url < <(printf 'https://example.org/mike.asc') ||
        return 1
    demo__pgp "$1" "$reader" "Login data" login < <(printf 'mike') || return 1
    demo__pgp "$1" "$reader" "Private DO 1" data < <(printf 'room 4.12') || return 1
    demo__pgp "$1" "$reader" "Cardholder certificate (authentication)" certificate <"$DEMO_CERT"
}

demo__pgp() {
    "$1" put "$2" "$3" - --type "$4" --pin-fd 3 3<<<"$DEMO_PGP_PIN" \
        --admin-fd 4 4<<<"$DEMO_PGP_PW3" >/dev/null
}

# demo__piv SCMGR READER LABEL TYPE AREA: one container from stdin.
demo__piv() {
    "$1" put "$2" "$3" - --type "$4" --area "$5" --pin-fd 3 3<<<"$DEMO_PIV_PIN" \
        --admin-fd 4 4<<<"$DEMO_PIV_MGM" >/dev/null
}
