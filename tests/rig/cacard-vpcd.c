/* cacard-vpcd — the rig's CAC card: Debian's libcacard (QEMU's CAC
 * emulator, an independent implementation) with a software card made from
 * certificates and keys in an NSS database, served to vpcd like every
 * other card of the rig.
 *
 *   cacard-vpcd -d DBDIR -P PORT [-v] NICKNAME...
 *
 * DBDIR is an NSS sql: database holding each NICKNAME's certificate and
 * private key; the database password is the card's PIN (libcacard hands
 * the PIN of a VERIFY to NSS as the token password). Up to three
 * certificates become the CAC's PKI applets, in the order given.
 *
 * The vpcd protocol (vsmartcard's vpcd.c): every message either way is a
 * 2-byte big-endian length and a payload. A 1-byte payload is a control
 * message (0 power off, 1 power on, 2 reset, 4 get ATR; only the last is
 * answered, with the ATR); anything longer is a command APDU, answered with
 * the response APDU. The card connects to vpcd (127.0.0.1:PORT) and serves
 * until vpcd closes the connection.
 *
 * The rig's hooks, as in vcard.py:
 *   RIG_CARD_FUSE=PATH   when PATH appears holding a number N, the card exits
 *                        on the N-th command APDU after that, before answering
 *   RIG_CARD_MODE=mute   power and ATR are answered, command APDUs never
 *   RIG_CARD_MODE=slow   every answer to an APDU goes out one byte per second
 * -v logs every APDU (the data of PIN commands masked) with the time spent
 * inside libcacard, on stdout (the rig's card log).
 *
 * Exit status: 0 when vpcd went away or the fuse blew, 1 on a setup error
 * (a sentence on stderr says which), 2 usage. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <libcacard.h>
#include <cert.h>
#include <pk11pub.h>

/* The virtual reader's name inside libcacard: only used to find it again. */
static const char cv_vreader[] = "cacard-vpcd";

/* The largest message vpcd sends or takes: the length field is 16 bits. */
#define CV_MSG_MAX 65535

/* libcacard's CAC card has three PKI applets (ID, signature, encryption). */
#define CV_CERTS_MAX 3

enum { CV_OFF = 0, CV_ON = 1, CV_RESET = 2, CV_ATR = 4 };

enum cv_mode { CV_NORMAL, CV_MUTE, CV_SLOW };

struct cv {
    int sock;
    VReader *reader;
    unsigned char atr[64];
    int atr_len;
    enum cv_mode mode;
    bool verbose;
    const char *fuse_path; /* NULL: no fuse */
    long fuse_left;        /* APDUs until the card leaves; <0: not armed */
};

static void cv_usage(void)
{
    fprintf(stderr, "usage: cacard-vpcd -d DBDIR -P PORT [-v] NICKNAME...\n");
}

static double cv_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* A nickname ends up inside libcacard's option string, where ',', ')' and
 * blanks separate tokens: refuse such names instead of splitting them. */
static bool cv_name_ok(const char *s)
{
    if (*s == '\0')
        return false;
    for (; *s; s++)
        if (*s == ',' || *s == ')' || *s == '(' || *s == '"' || *s == ' ' || *s == '\t' ||
            *s == '\n')
            return false;
    return true;
}

/* Starts NSS on DBDIR and makes the soft card; false after saying why. */
static bool cv_card_init(struct cv *c, const char *db, char **names, int n)
{
    char opts[4096];
    size_t len;
    int i;
    VCardEmulOptions *o;

    /* The db path sits between double quotes and ends at the first quote
     * or newline (libcacard's option parser). */
    if (strpbrk(db, "\"\n")) {
        fprintf(stderr, "cacard-vpcd: the database path may not hold '\"' or a newline\n");
        return false;
    }
    len = (size_t)snprintf(opts, sizeof opts, "db=\"sql:%s\" use_hw=no soft=(,%s,CAC,", db,
                           cv_vreader);
    for (i = 0; i < n && len < sizeof opts; i++)
        len += (size_t)snprintf(opts + len, sizeof opts - len, ",%s", names[i]);
    if (len + 2 > sizeof opts) {
        fprintf(stderr, "cacard-vpcd: the database path and nicknames are too long\n");
        return false;
    }
    strcat(opts, ")");
    o = vcard_emul_options(opts);
    if (o == NULL || vcard_emul_init(o) != VCARD_EMUL_OK) {
        fprintf(stderr,
                "cacard-vpcd: libcacard made no card from %s (is it an NSS database "
                "holding these nicknames?)\n",
                db);
        return false;
    }
    /* libcacard skips a nickname it cannot find and makes a card from the
     * rest: a card with a certificate missing would pass for a good one. */
    for (i = 0; i < n; i++) {
        CERTCertificate *cert = PK11_FindCertFromNickname(names[i], NULL);
        if (cert == NULL) {
            fprintf(stderr, "cacard-vpcd: no certificate '%s' in %s\n", names[i], db);
            return false;
        }
        CERT_DestroyCertificate(cert);
    }
    c->reader = vreader_get_reader_by_name(cv_vreader);
    if (c->reader == NULL) {
        fprintf(stderr, "cacard-vpcd: libcacard made no reader\n");
        return false;
    }
    /* The ATR only comes with a power-on (which also logs out), so it is
     * taken once here and answered from memory: vpcd asks for it at any
     * time, and a GET ATR must not reset the card. */
    c->atr_len = (int)sizeof c->atr;
    if (vreader_power_on(c->reader, c->atr, &c->atr_len) != VREADER_OK) {
        fprintf(stderr, "cacard-vpcd: libcacard's reader holds no card\n");
        return false;
    }
    printf("card ready: %s\n", opts);
    fflush(stdout);
    return true;
}

static bool cv_connect(struct cv *c, int port)
{
    struct sockaddr_in sa;
    int one = 1;

    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    c->sock = socket(AF_INET, SOCK_STREAM, 0);
    if (c->sock < 0 || connect(c->sock, (struct sockaddr *)&sa, sizeof sa) != 0) {
        fprintf(stderr, "cacard-vpcd: cannot connect to vpcd at 127.0.0.1:%d: %s\n", port,
                strerror(errno));
        return false;
    }
    /* vpcd waits for each whole answer: never hold a small frame back. */
    setsockopt(c->sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return true;
}

/* Reads exactly N bytes; false when vpcd went away. */
static bool cv_read(struct cv *c, unsigned char *buf, size_t n)
{
    size_t got = 0;
    int one = 1;

    while (got < n) {
        ssize_t r;
        /* vpcd writes the length and the payload in two writes; a delayed
         * ACK of the first would cost ~40 ms per APDU. The kernel clears
         * QUICKACK by itself, hence before every read. */
        setsockopt(c->sock, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
        r = recv(c->sock, buf + got, n - got, MSG_WAITALL);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return false;
        got += (size_t)r;
    }
    return true;
}

static bool cv_send_all(struct cv *c, const unsigned char *buf, size_t n)
{
    while (n > 0) {
        ssize_t w = send(c->sock, buf, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        buf += w;
        n -= (size_t)w;
    }
    return true;
}

/* One frame: length and payload in one send() (one segment, as vpcd reads
 * them back to back), or one byte per second for a slow card. */
static bool cv_send(struct cv *c, const unsigned char *payload, size_t n, bool slow)
{
    static unsigned char frame[2 + CV_MSG_MAX];
    size_t i;

    frame[0] = (unsigned char)(n >> 8);
    frame[1] = (unsigned char)n;
    memcpy(frame + 2, payload, n);
    if (!slow)
        return cv_send_all(c, frame, n + 2);
    for (i = 0; i < n + 2; i++) {
        sleep(1);
        if (!cv_send_all(c, frame + i, 1))
            return false;
    }
    return true;
}

/* The fuse: armed when its file appears (the number in it is read and the
 * file removed), then counts command APDUs down to the one the card does
 * not live to answer. */
static void cv_fuse_tick(struct cv *c)
{
    FILE *f;

    if (c->fuse_path && (f = fopen(c->fuse_path, "r")) != NULL) {
        long n = 1;
        if (fscanf(f, "%ld", &n) != 1 || n < 1)
            n = 1;
        fclose(f);
        unlink(c->fuse_path);
        c->fuse_left = n;
    }
    if (c->fuse_left > 0 && --c->fuse_left == 0) {
        printf("rig: fuse blown, the card leaves now\n");
        fflush(stdout);
        _exit(0);
    }
}

static void cv_log_apdu(const char *dir, const unsigned char *b, int n, bool mask)
{
    int i;

    printf("%s ", dir);
    for (i = 0; i < n; i++)
        printf(mask && i >= 5 ? "**" : "%02x", b[i]);
    printf("\n");
}

static void cv_apdu(struct cv *c, unsigned char *cmd, int n)
{
    static unsigned char rsp[CV_MSG_MAX];
    int rlen = (int)sizeof rsp;
    double t0, t1;
    /* VERIFY, CHANGE REFERENCE DATA, RESET RETRY COUNTER carry PINs. */
    bool secret = cmd[1] == 0x20 || cmd[1] == 0x24 || cmd[1] == 0x2C;

    cv_fuse_tick(c);
    if (c->mode == CV_MUTE) {
        printf("rig: mute card, this APDU is never answered\n");
        fflush(stdout);
        for (;;)
            pause();
    }
    t0 = cv_now_ms();
    if (vreader_xfr_bytes(c->reader, cmd, n, rsp, &rlen) != VREADER_OK || rlen < 2) {
        /* Only a card missing from libcacard's reader gets here; answer as
         * a card with a fault would, rather than leave vpcd waiting. */
        rsp[0] = 0x6F;
        rsp[1] = 0x00;
        rlen = 2;
    }
    t1 = cv_now_ms();
    if (c->verbose) {
        cv_log_apdu(">", cmd, n, secret);
        cv_log_apdu("<", rsp, rlen, false);
        printf("  %.3f ms in libcacard\n", t1 - t0);
        fflush(stdout);
    }
    cv_send(c, rsp, (size_t)rlen, c->mode == CV_SLOW);
}

static void cv_control(struct cv *c, unsigned char code)
{
    switch (code) {
    case CV_OFF:
        vreader_power_off(c->reader);
        break;
    case CV_ON:
    case CV_RESET: {
        /* A reset and a power-on both drop the login and the selected
         * applet; the ATR never changes. */
        unsigned char atr[64];
        int len = (int)sizeof atr;
        vreader_power_on(c->reader, atr, &len);
        break;
    }
    case CV_ATR:
        cv_send(c, c->atr, (size_t)c->atr_len, false);
        break;
    default:
        break;
    }
    if (c->verbose) {
        printf("control %u\n", code);
        fflush(stdout);
    }
}

static int cv_serve(struct cv *c)
{
    static unsigned char msg[CV_MSG_MAX];
    unsigned char head[2];

    for (;;) {
        size_t n;
        if (!cv_read(c, head, 2))
            return 0;
        n = (size_t)head[0] << 8 | head[1];
        if (n == 0)
            continue;
        if (!cv_read(c, msg, n))
            return 0;
        if (n == 1)
            cv_control(c, msg[0]);
        else
            cv_apdu(c, msg, (int)n);
    }
}

int main(int argc, char **argv)
{
    struct cv c = {.sock = -1, .fuse_left = -1};
    const char *db = NULL, *mode = getenv("RIG_CARD_MODE");
    int port = 0, opt, rc;

    while ((opt = getopt(argc, argv, "d:P:v")) != -1) {
        switch (opt) {
        case 'd':
            db = optarg;
            break;
        case 'P':
            port = atoi(optarg);
            break;
        case 'v':
            c.verbose = true;
            break;
        default:
            cv_usage();
            return 2;
        }
    }
    if (db == NULL || port <= 0 || port > 65535 || optind >= argc || argc - optind > CV_CERTS_MAX) {
        cv_usage();
        return 2;
    }
    for (int i = optind; i < argc; i++) {
        if (!cv_name_ok(argv[i])) {
            fprintf(stderr, "cacard-vpcd: a nickname may not be empty or hold blanks, "
                            "quotes, ',', '(' or ')'\n");
            return 2;
        }
    }
    if (mode == NULL || *mode == '\0')
        c.mode = CV_NORMAL;
    else if (strcmp(mode, "mute") == 0)
        c.mode = CV_MUTE;
    else if (strcmp(mode, "slow") == 0)
        c.mode = CV_SLOW;
    else {
        fprintf(stderr, "cacard-vpcd: RIG_CARD_MODE must be mute or slow, not '%s'\n", mode);
        return 2;
    }
    c.fuse_path = getenv("RIG_CARD_FUSE");
    if (c.fuse_path && *c.fuse_path == '\0')
        c.fuse_path = NULL;

    if (!cv_card_init(&c, db, argv + optind, argc - optind))
        return 1;
    if (!cv_connect(&c, port))
        return 1;
    rc = cv_serve(&c);
    if (c.verbose)
        printf("vpcd shut down\n");
    close(c.sock);
    vreader_free(c.reader);
    vcard_emul_finalize();
    return rc;
}
