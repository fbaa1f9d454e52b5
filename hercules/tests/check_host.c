/* check_host.c - the host rules of docs/protocol.md §4 and §5 (cthost.c) with a scripted server:
 * each test gives the guest's CCWs and the frames the server answers with, and checks what
 * the guest gets (unit status, residual, more, data, sense) and what the host sent. */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "cthost.h"

#define CE_DE (CT_STATUS_CHANNEL_END | CT_STATUS_DEVICE_END)
#define UC    CT_STATUS_UNIT_CHECK
#define NO_CREDIT 0xFFFFFFFFFFull
#define DEVNUM 0x0580

typedef struct FRAME { uint8_t type; uint8_t *bytes; uint32_t len; } FRAME;

/* The module side of the rules (what hdtctape.c does with a socket), scripted. */
typedef struct PEER
{
    CTHOST   h;
    FRAME    script[32];                /* the server's frames, in the order it sends them */
    int      nscript, next;
    FRAME    sent[64];                  /* what the host sent: type, body and data         */
    int      nsent;
    int      connected;
    uint32_t features;                  /* granted at (re)connect                          */
    int      prepare_result;            /* what the next prepare finds                     */
    int      fail_sends;                /* the socket is broken: sends fail               */
    int      request_rc;                /* nonzero: the next request fails so              */
    int      disconnects;
    int      locked;
    char     log[16384];
    uint8_t  sense[256];                /* the device's sense area (Hercules: 256 bytes)   */
} PEER;

static const uint8_t devid_3490[7] = { 0xFF, 0x34, 0x90, 0x50, 0x34, 0x90, 0x50 };

/* ---- the callback table ------------------------------------------------------------------ */
static void p_lock(void *x)
{
    PEER *p = x;
    if (p->locked) check_fail(__FILE__, __LINE__, "the state lock taken twice (it is not recursive)");
    p->locked++;
}

static void p_unlock(void *x)
{
    PEER *p = x;
    if (p->locked != 1) check_fail(__FILE__, __LINE__, "the state lock released without being held");
    p->locked--;
}

static int p_connected_locked(void *x)
{
    PEER *p = x;
    if (p->locked != 1) check_fail(__FILE__, __LINE__, "connected_locked without the lock");
    return p->connected;
}

static int p_prepare(void *x)
{
    PEER *p = x;
    int r = p->prepare_result;
    if (p->locked) check_fail(__FILE__, __LINE__, "prepare with the lock held");
    if (r == CTHOST_RECONNECTED) {      /* hdtctape.c connect_and_attach: a new HelloReply */
        p->connected = 1;
        p->fail_sends = 0;
        p_lock(p);
        cthost_connected_locked(&p->h, p->features);
        p_unlock(p);
        p->prepare_result = CTHOST_UP;
    }
    return r;
}

static void record(PEER *p, uint8_t type, const uint8_t *body, uint32_t len, const uint8_t *data, uint32_t dlen)
{
    FRAME *f = &p->sent[p->nsent < 63 ? p->nsent++ : 63];
    f->type = type;
    f->len = len + dlen;
    f->bytes = malloc(f->len + 1);
    if (len) memcpy(f->bytes, body, len);
    if (dlen) memcpy(f->bytes + len, data, dlen);
}

static int p_send(void *x, uint8_t type, const uint8_t *body, uint32_t len, const uint8_t *data, uint32_t dlen)
{
    PEER *p = x;
    if (p->locked) check_fail(__FILE__, __LINE__, "send with the lock held");
    if (!p->connected || p->fail_sends) return -1;
    record(p, type, body, len, data, dlen);
    return 0;
}

/* As hdtctape.c request_data and dispatch_frame: the frames before the reply go to the rules. */
static int p_request(void *x, uint8_t type, const uint8_t *body, uint32_t len, const uint8_t *data,
                     uint32_t dlen, uint8_t want, uint8_t **reply, uint32_t *reply_len)
{
    PEER *p = x;
    int rc;
    if (p_send(p, type, body, len, data, dlen) != 0) { p->connected = 0; return -1; }
    if ((rc = p->request_rc) != 0) {
        p->request_rc = 0;
        if (rc == -1) p->connected = 0;
        return rc;
    }
    while (p->next < p->nscript) {
        FRAME *f = &p->script[p->next++];
        uint8_t *b = malloc(f->len + 1);
        int d;
        memcpy(b, f->bytes, f->len);
        if (f->type == want) { *reply = b; *reply_len = f->len; return 0; }
        if (f->type == CT_MSG_UNSOLICITED) {
            p_lock(p);
            cthost_unsolicited_locked(&p->h, b[0]);
            p_unlock(p);
            free(b);
            continue;
        }
        d = cthost_frame(&p->h, f->type, b, f->len, want);
        if (d == CTHOST_FRAME_HANDLED) continue;
        if (d == CTHOST_FRAME_END) { p->connected = 0; return -1; }
        /* hdtctape.c dispatch_frame: CTAPE013E, the connection ends */
        snprintf(p->log + strlen(p->log), sizeof(p->log) - strlen(p->log), "unexpected message type %02X\n", f->type);
        free(b);
        p->connected = 0;
        return -1;
    }
    return -2;                          /* the server said nothing more: the reply timed out */
}

static void p_disconnect(void *x) { PEER *p = x; p->disconnects++; p->connected = 0; }

static void p_log(void *x, const char *text)
{
    PEER *p = x;
    strncat(p->log, text, sizeof(p->log) - strlen(p->log) - 1);
}

static const CTHOST_OPS peer_ops = {
    .lock = p_lock, .unlock = p_unlock, .connected_locked = p_connected_locked, .prepare = p_prepare,
    .send = p_send, .request = p_request, .disconnect = p_disconnect, .log = p_log,
};

/* ---- set-up, the server's frames, the guest's CCWs ------------------------------------- */
static PEER *peer(uint32_t features)
{
    PEER *p = calloc(1, sizeof(*p));
    cthost_init(&p->h, &peer_ops, p, DEVNUM, 0x3490);
    p->connected = 1;
    p->features = features;
    p->prepare_result = CTHOST_UP;
    p_lock(p);
    cthost_connected_locked(&p->h, features);
    p_unlock(p);
    return p;
}

static void done(PEER *p)
{
    int i;
    CHECK_EQ(0, p->locked);
    for (i = 0; i < p->nscript; i++) free(p->script[i].bytes);
    for (i = 0; i < p->nsent; i++) free(p->sent[i].bytes);
    cthost_release(&p->h);
    free(p);
    check_end();
}

static void server(PEER *p, uint8_t type, const uint8_t *body, uint32_t len)
{
    FRAME *f = &p->script[p->nscript++];
    f->type = type;
    f->len = len;
    f->bytes = malloc(len + 1);
    memcpy(f->bytes, body, len);
}

/* CcwReply (§3): credit NO_CREDIT = without the write-credit flag */
static void reply(PEER *p, uint8_t status, uint8_t flags, uint32_t residual, const uint8_t *sense, uint8_t slen,
                  unsigned long long credit, const uint8_t *data, uint32_t dlen)
{
    uint8_t b[512];
    uint32_t n = CT_CCW_REPLY_SENSE_OFFSET;
    b[CT_CCW_REPLY_STATUS_OFFSET] = status;
    b[CT_CCW_REPLY_FLAGS_OFFSET] = (uint8_t)(flags | (credit != NO_CREDIT ? CT_CCW_REPLY_FLAG_WRITE_CREDIT : 0));
    ct_put32(b + CT_CCW_REPLY_RESIDUAL_OFFSET, residual);
    b[CT_CCW_REPLY_SENSE_COUNT_OFFSET] = slen;
    if (slen) memcpy(b + n, sense, slen);
    n += slen;
    if (credit != NO_CREDIT) { ct_put32(b + n, (uint32_t)credit); n += 4; }
    if (dlen) memcpy(b + n, data, dlen);
    server(p, CT_MSG_CCW_REPLY, b, n + dlen);
}

static void ok_reply(PEER *p) { reply(p, CE_DE, 0, 0, NULL, 0, NO_CREDIT, NULL, 0); }

/* a ReadAhead under construction (§5.2, §5.3) */
typedef struct BATCH { uint8_t b[4096]; uint32_t len, n; } BATCH;
static void batch_begin(BATCH *r) { r->len = CT_READ_AHEAD_ENTRIES_OFFSET; r->n = 0; }
static void batch_inline(BATCH *r, uint32_t length, uint8_t fill)
{
    ct_put32(r->b + r->len, length);
    memset(r->b + r->len + 4, fill, length);
    r->len += 4 + length;
    r->n++;
}
static void batch_reference(BATCH *r, uint32_t length, uint64_t offset)
{
    ct_put32(r->b + r->len, CT_READ_AHEAD_REFERENCE_FLAG | length);
    ct_put64(r->b + r->len + 4, offset);
    r->len += CT_READ_AHEAD_REFERENCE_ENTRY_SIZE;
    r->n++;
}
static void batch_send(PEER *p, BATCH *r)
{
    ct_put16(r->b + CT_READ_AHEAD_COUNT_OFFSET, r->n);
    server(p, CT_MSG_READ_AHEAD, r->b, r->len);
}

static void image(PEER *p, const char *path)
{
    uint8_t b[512];
    server(p, CT_MSG_READ_AHEAD_IMAGE, b, (uint32_t)ct_put_string(b, path));
}

typedef struct GUEST { CTHOST_RESULT r; uint8_t io[1024]; } GUEST;

static GUEST ccw(PEER *p, uint8_t code, uint8_t flags, uint8_t chained, int seq, uint32_t count, int immediate)
{
    GUEST g;
    CTHOST_CCW c;
    memset(&g, 0, sizeof(g));
    memset(g.io, 0xEE, sizeof(g.io));
    memset(&c, 0, sizeof(c));
    c.code = code;
    c.flags = flags;
    c.chained = chained;
    c.prevcode = 0;
    c.seq = seq;
    c.count = count;
    c.immediate = immediate;
    c.iobuf = g.io;
    if (code == CT_COMMAND_WRITE) memset(g.io, 0xC1 + (seq & 7), count);
    c.sense = p->sense;
    c.sense_size = sizeof(p->sense);
    c.devid = p->h.model == 0x3420 ? NULL : devid_3490;      /* a 3420 has no Sense ID */
    c.numdevid = p->h.model == 0x3420 ? 0 : sizeof(devid_3490);
    c.numsense = p->h.model == 0x3420 ? 24 : 32;
    g.r.unitstat = 0xFF;                /* an answer must set it */
    cthost_exec(&p->h, &c, &g.r);
    CHECK_EQ(0, p->locked);
    return g;
}

static GUEST cmd(PEER *p, uint8_t code, int seq, uint32_t count) { return ccw(p, code, 0, 0, seq, count, 0); }

static void expect(const GUEST *g, uint8_t status, uint32_t residual, int more, int line)
{
    if (g->r.unitstat != status || g->r.residual != residual || g->r.more != more)
        check_fail(__FILE__, line, "guest got status %02X residual %u more %d, expected %02X %u %d",
                   g->r.unitstat, g->r.residual, g->r.more, status, residual, more);
}
#define EXPECT(g, status, residual, more) expect(&(g), status, residual, more, __LINE__)

/* the frame types the host sent, as "Ccw BufferedCcw ..." */
static void expect_sent(PEER *p, const char *types, int line)
{
    char got[1024] = "";
    int i;
    for (i = 0; i < p->nsent; i++) {
        if (i) strcat(got, " ");
        strcat(got, ct_message_name(p->sent[i].type));
    }
    if (strcmp(got, types)) check_fail(__FILE__, line, "the host sent \"%s\", expected \"%s\"", got, types);
}
#define EXPECT_SENT(p, types) expect_sent(p, types, __LINE__)

static void expect_ra_end(PEER *p, int index, uint32_t unused, uint8_t flags, int line)
{
    FRAME *f = &p->sent[index];
    if (index >= p->nsent || f->type != CT_MSG_READ_AHEAD_END || f->len != CT_READ_AHEAD_END_FIXED_SIZE
     || ct_get32(f->bytes + CT_READ_AHEAD_END_UNUSED_BLOCKS_OFFSET) != unused
     || f->bytes[CT_READ_AHEAD_END_FLAGS_OFFSET] != flags)
        check_fail(__FILE__, line, "frame %d is not ReadAheadEnd unused %u flags %02X", index, unused, flags);
}
#define EXPECT_RA_END(p, i, unused, flags) expect_ra_end(p, i, unused, flags, __LINE__)

/* intervention required as Hercules builds it for an empty 3490 at 0580 (cthost.c) */
static void expect_not_ready_sense(const uint8_t *s, uint8_t byte0, int line)
{
    static const uint8_t want[32] = { 0x40, 0x42, 0x20, 0x43, 0, 0, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0,
                                      0, 0, 0, 0, 0, 0, 0, 0, 0, 0x06, 0, 0xEC, 0x00, 0x58, 0x00, 0 };
    if (s[0] != byte0 || memcmp(s + 1, want + 1, 31) != 0)
        check_fail(__FILE__, line, "sense %02X %02X %02X %02X ... is not intervention required (byte 0 %02X)",
                   s[0], s[1], s[2], s[3], byte0);
}
#define EXPECT_NOT_READY_SENSE(s, byte0) expect_not_ready_sense(s, byte0, __LINE__)

/* ---- §5.1 write-behind ---------------------------------------------------------------- */
static void write_behind_within_credit(void)
{
    PEER *p = peer(CT_FEATURE_WRITE_BEHIND);
    GUEST g;
    check_begin("host rules: Writes within the credit end at once and go as BufferedCcw (§5.1)");
    reply(p, CE_DE, 0, 0, NULL, 0, 2 * (80 + CT_WRITE_COST_PER_BLOCK), NULL, 0);
    g = cmd(p, CT_COMMAND_WRITE, 0, 80);        /* no credit yet: a Ccw, whose reply grants 224 */
    EXPECT(g, CE_DE, 0, 0);
    g = cmd(p, CT_COMMAND_WRITE, 1, 80);
    EXPECT(g, CE_DE, 0, 0);
    g = cmd(p, CT_COMMAND_WRITE, 2, 80);
    EXPECT(g, CE_DE, 0, 0);
    EXPECT_SENT(p, "Ccw BufferedCcw BufferedCcw");
    /* a BufferedCcw is a Ccw's body: the fixed part, then the block */
    CHECK_EQ(CT_CCW_FIXED_SIZE + 80, p->sent[1].len);
    CHECK_EQ(CT_COMMAND_WRITE, p->sent[1].bytes[CT_CCW_COMMAND_OFFSET]);
    CHECK_EQ(1, ct_get32(p->sent[1].bytes + CT_CCW_SEQUENCE_OFFSET));
    CHECK_EQ(80, ct_get32(p->sent[1].bytes + CT_CCW_COUNT_OFFSET));
    CHECK_EQ(0xC2, p->sent[1].bytes[CT_CCW_DATA_OFFSET + 79]);
    CHECK_EQ(2, p->h.wb_unconfirmed);
    /* the credit is spent: the next Write goes as a Ccw, whose reply confirms them */
    ok_reply(p);
    g = cmd(p, CT_COMMAND_WRITE, 3, 80);
    EXPECT(g, CE_DE, 0, 0);
    EXPECT_SENT(p, "Ccw BufferedCcw BufferedCcw Ccw");
    CHECK_EQ(0, p->h.wb_unconfirmed);
    CHECK_EQ(0, p->h.wb_credit);
    CHECK_EQ(2, p->h.n_buffered);
    done(p);
}

static void write_behind_needs_grant_and_room(void)
{
    PEER *p = peer(0);
    GUEST g;
    check_begin("host rules: no write-behind without the feature granted, nor beyond the credit (§5.1)");
    reply(p, CE_DE, 0, 0, NULL, 0, 100000, NULL, 0);  /* a credit the host did not ask for */
    ok_reply(p);
    g = cmd(p, CT_COMMAND_WRITE, 0, 80);
    g = cmd(p, CT_COMMAND_WRITE, 1, 80);
    EXPECT(g, CE_DE, 0, 0);
    EXPECT_SENT(p, "Ccw Ccw");
    done(p);

    p = peer(CT_FEATURE_WRITE_BEHIND);
    check_begin("host rules: a Write whose count + 32 exceeds the credit goes as a Ccw (§5.1)");
    reply(p, CE_DE, 0, 0, NULL, 0, 80 + CT_WRITE_COST_PER_BLOCK - 1, NULL, 0);
    ok_reply(p);
    cmd(p, CT_COMMAND_WRITE, 0, 80);
    g = cmd(p, CT_COMMAND_WRITE, 1, 80);
    EXPECT(g, CE_DE, 0, 0);
    EXPECT_SENT(p, "Ccw Ccw");
    done(p);
}

static void deferred_unit_check_from_the_server(void)
{
    PEER *p = peer(CT_FEATURE_WRITE_BEHIND);
    uint8_t sense[32] = { 0x12, 0x40, 0x20, 0x52 };   /* equipment check, deferred unit check */
    GUEST g;
    int i, zero = 1;
    check_begin("host rules: the server's deferred unit check reaches the next CCW with its sense; the credit ends (§5.1)");
    reply(p, CE_DE, 0, 0, NULL, 0, 100000, NULL, 0);
    cmd(p, CT_COMMAND_WRITE, 0, 80);
    cmd(p, CT_COMMAND_WRITE, 1, 80);            /* buffered: its failure shows at the next CCW */
    memset(p->sense, 0x77, sizeof(p->sense));
    reply(p, CE_DE | UC, 0, 1, sense, 32, 0, NULL, 0);
    g = ccw(p, 0x1F, 0, 0, 2, 1, 1);            /* Write Tape Mark */
    EXPECT(g, CE_DE | UC, 1, 0);
    CHECK_MEM(sense, p->sense, 32);
    for (i = 32; i < (int)sizeof(p->sense); i++) zero &= p->sense[i] == 0;
    CHECK(zero);
    CHECK_EQ(0, p->h.wb_credit);
    ok_reply(p);
    cmd(p, CT_COMMAND_WRITE, 3, 80);            /* no credit: a Ccw */
    EXPECT_SENT(p, "Ccw BufferedCcw Ccw Ccw");
    done(p);
}

static void lost_connection_with_unconfirmed_writes(void)
{
    PEER *p = peer(CT_FEATURE_WRITE_BEHIND);
    GUEST g;
    check_begin("host rules: a connection lost with unconfirmed Writes: the next CCW ends with a deferred unit check (§5.1)");
    reply(p, CE_DE, 0, 0, NULL, 0, 100000, NULL, 0);
    cmd(p, CT_COMMAND_WRITE, 0, 80);
    cmd(p, CT_COMMAND_WRITE, 1, 80);
    cmd(p, CT_COMMAND_WRITE, 2, 80);
    p->request_rc = -1;                         /* the Rewind's request finds the socket closed */
    g = ccw(p, 0x07, 0, 0, 3, 1, 1);
    EXPECT(g, CE_DE | UC, 1, 0);
    EXPECT_NOT_READY_SENSE(p->sense, 0x42);     /* intervention required, deferred unit check */
    CHECK(strstr(p->log, "CTAPE008E 0580: connection lost with 2 written blocks the server had not confirmed; "
                         "CCW 07 ends with a deferred unit check") != NULL);
    CHECK_EQ(1, p->disconnects);
    CHECK_EQ(0, p->h.wb_unconfirmed);
    /* the Sense after it is the host's to answer: the server never saw that unit check (§4) */
    p->prepare_result = CTHOST_RECONNECTED;
    g = cmd(p, CT_COMMAND_SENSE, 4, 32);
    EXPECT(g, CE_DE, 0, 0);
    EXPECT_NOT_READY_SENSE(g.io, 0x42);
    EXPECT_SENT(p, "Ccw BufferedCcw BufferedCcw Ccw");
    done(p);

    p = peer(CT_FEATURE_WRITE_BEHIND);
    check_begin("host rules: a connection found gone before a CCW with unconfirmed Writes: that CCW gets the deferred unit check, unsent (§5.1)");
    reply(p, CE_DE, 0, 0, NULL, 0, 100000, NULL, 0);
    cmd(p, CT_COMMAND_WRITE, 0, 80);
    cmd(p, CT_COMMAND_WRITE, 1, 80);
    p->connected = 0;                           /* the server dropped it while the guest was idle */
    p->prepare_result = CTHOST_RECONNECTED;
    g = cmd(p, CT_COMMAND_READ, 2, 80);
    EXPECT(g, CE_DE | UC, 80, 0);
    EXPECT_NOT_READY_SENSE(p->sense, 0x42);
    EXPECT_SENT(p, "Ccw BufferedCcw");
    CHECK_EQ(0, p->h.wb_credit);                /* the new connection grants its own */
    done(p);
}

/* ---- §4 the server away ---------------------------------------------------------------- */
/* the host of a 3420 (no Sense ID, 24 sense bytes) whose server cannot be reached */
static PEER *away_3420(void)
{
    PEER *p = peer(0);
    p->h.model = 0x3420;
    p->connected = 0;
    p->prepare_result = CTHOST_DOWN;
    return p;
}

static void server_away(void)
{
    PEER *p = peer(0);
    GUEST g;
    check_begin("host rules: an unreachable server: unit check, intervention required; Sense and Sense ID answered here (§4)");
    p->connected = 0;
    p->prepare_result = CTHOST_DOWN;
    g = cmd(p, CT_COMMAND_READ, 0, 80);
    EXPECT(g, UC, 80, 0);
    EXPECT_NOT_READY_SENSE(p->sense, 0x40);
    g = cmd(p, CT_COMMAND_SENSE_ID, 0, 7);
    EXPECT(g, CE_DE, 0, 0);
    CHECK_MEM(devid_3490, g.io, 7);
    g = cmd(p, CT_COMMAND_SENSE_ID, 0, 20);     /* a longer count: the residual */
    EXPECT(g, CE_DE, 13, 0);
    g = cmd(p, CT_COMMAND_WRITE, 0, 10);
    EXPECT(g, UC, 10, 0);
    /* the server is back, but the Sense after our unit check is still ours */
    p->prepare_result = CTHOST_RECONNECTED;
    g = cmd(p, CT_COMMAND_SENSE, 1, 24);
    EXPECT(g, CE_DE, 0, 1);                     /* 32 sense bytes, 24 asked for */
    EXPECT_NOT_READY_SENSE(p->sense, 0x40);
    CHECK_MEM(p->sense, g.io, 24);
    EXPECT_SENT(p, "");
    /* and the Sense after that goes to the server again */
    reply(p, CE_DE, 0, 8, NULL, 0, NO_CREDIT, (const uint8_t *)"\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0A\x0B\x0C\x0D\x0E\x0F\x10\x11\x12\x13\x14\x15\x16\x17\x18", 24);
    g = cmd(p, CT_COMMAND_SENSE, 0, 32);
    EXPECT(g, CE_DE, 8, 0);
    CHECK_EQ(0x18, g.io[23]);
    EXPECT_SENT(p, "Ccw");
    done(p);

    p = away_3420();
    check_begin("host rules: a 3420 that cannot reach the server has the 3420's not-ready sense 40 22 (§4)");
    g = cmd(p, 0x07, 0, 1);
    EXPECT(g, UC, 1, 0);
    CHECK_EQ(0x40, p->sense[0]);
    CHECK_EQ(0x22, p->sense[1]);
    CHECK_EQ(0, p->sense[2]);
    CHECK_EQ(0xC0, p->sense[5]);                /* the constants of the server's 3420 sense */
    CHECK_EQ(0x03, p->sense[6]);
    CHECK_EQ(0xFF, p->sense[20]);
    done(p);

    p = away_3420();
    check_begin("host rules: a 3420 that cannot reach the server rejects Sense ID as the server's 3420 does (command reject, not ready)");
    g = cmd(p, CT_COMMAND_SENSE_ID, 0, 7);
    EXPECT(g, UC, 7, 0);
    g = cmd(p, CT_COMMAND_SENSE, 1, 24);
    EXPECT(g, CE_DE, 0, 0);
    CHECK_EQ(0xC0, g.io[0]);                    /* command reject, intervention required */
    CHECK_EQ(0x22, g.io[1]);
    CHECK_EQ(0x01, g.io[4]);
    g = cmd(p, CT_COMMAND_SENSE, 0, 24);        /* the reject was that CCW's: the next Sense is not ready only */
    EXPECT(g, CE_DE, 0, 0);
    CHECK_EQ(0x40, g.io[0]);
    CHECK_EQ(0x00, g.io[4]);
    done(p);
}

static void failures_under_a_ccw(void)
{
    PEER *p = peer(0);
    GUEST g;
    check_begin("host rules: a CcwReply whose residual exceeds the count drops the connection: unit check (§4)");
    reply(p, CE_DE, 0, 81, NULL, 0, NO_CREDIT, NULL, 0);
    g = cmd(p, CT_COMMAND_READ, 0, 80);
    EXPECT(g, UC, 80, 0);
    EXPECT_NOT_READY_SENSE(p->sense, 0x40);
    CHECK(strstr(p->log, "CTAPE007E 0580: malformed CcwReply (7 bytes) for CCW 02; dropping the connection") != NULL);
    CHECK_EQ(1, p->disconnects);
    done(p);

    p = peer(0);
    check_begin("host rules: a CcwReply with more data than count - residual drops the connection (§4)");
    reply(p, CE_DE, 0, 78, NULL, 0, NO_CREDIT, (const uint8_t *)"abc", 3);
    g = cmd(p, CT_COMMAND_READ, 0, 80);
    EXPECT(g, UC, 80, 0);
    CHECK(strstr(p->log, "CTAPE007E") != NULL);
    done(p);

    p = peer(0);
    check_begin("host rules: no reply in time: unit check, intervention required, the connection dropped (§4)");
    p->request_rc = -2;
    g = cmd(p, CT_COMMAND_WRITE, 0, 80);
    EXPECT(g, UC, 80, 0);
    CHECK(strstr(p->log, "CTAPE006E 0580: CCW 01: no reply from the server in time; unit check, intervention required") != NULL);
    CHECK_EQ(1, p->disconnects);
    done(p);
}

static void data_placement(void)
{
    PEER *p = peer(0);
    GUEST g;
    uint8_t sense[24] = { 0x80 };
    check_begin("host rules: Read Backward's data ends the buffer, at offset residual (§3 CcwReply)");
    reply(p, CE_DE, 0, 6, NULL, 0, NO_CREDIT, (const uint8_t *)"WXYZ", 4);
    g = cmd(p, 0x0C, 0, 10);
    EXPECT(g, CE_DE, 6, 0);
    CHECK(g.r.rdback);
    CHECK_MEM("WXYZ", g.io + 6, 4);
    CHECK_EQ(0xEE, g.io[5]);
    reply(p, CE_DE, CT_CCW_REPLY_FLAG_MORE, 0, NULL, 0, NO_CREDIT, (const uint8_t *)"ABCD", 4);
    g = cmd(p, CT_COMMAND_READ, 0, 4);
    EXPECT(g, CE_DE, 0, 1);
    CHECK(!g.r.rdback);
    CHECK_MEM("ABCD", g.io, 4);
    /* a unit check's sense replaces the whole sense area */
    memset(p->sense, 0x77, sizeof(p->sense));
    reply(p, UC, 0, 4, sense, 24, NO_CREDIT, NULL, 0);
    g = cmd(p, 0x99, 0, 4);
    EXPECT(g, UC, 4, 0);
    CHECK_EQ(0x80, p->sense[0]);
    CHECK_EQ(0, p->sense[24]);
    done(p);

    p = peer(0);
    check_begin("host rules: output data goes with write and non-immediate control CCWs only (§3 Ccw)");
    ok_reply(p); ok_reply(p); ok_reply(p); ok_reply(p);
    cmd(p, CT_COMMAND_WRITE, 0, 4);
    ccw(p, 0x07, 0, 0, 0, 1, 1);                /* Rewind: immediate */
    cmd(p, 0x4F, 0, 4);                         /* Locate Block: control with data */
    cmd(p, CT_COMMAND_READ, 0, 4);
    EXPECT_SENT(p, "Ccw Ccw Ccw Ccw");
    CHECK_EQ(CT_CCW_FIXED_SIZE + 4, p->sent[0].len);
    CHECK_EQ(CT_CCW_FIXED_SIZE, p->sent[1].len);
    CHECK_EQ(CT_CCW_FIXED_SIZE + 4, p->sent[2].len);
    CHECK_EQ(CT_CCW_FIXED_SIZE, p->sent[3].len);
    done(p);
}

/* ---- §5.2 read-ahead ------------------------------------------------------------------- */
static void read_ahead_hits(void)
{
    PEER *p = peer(CT_FEATURE_READ_AHEAD);
    BATCH b;
    GUEST g;
    check_begin("host rules: Reads answered from the batch: data, residual and more as the drive gives them (§5.2)");
    batch_begin(&b);
    batch_inline(&b, 80, 0xA1);
    batch_inline(&b, 120, 0xA2);
    batch_inline(&b, 50, 0xA3);
    batch_send(p, &b);
    reply(p, CE_DE, 0, 40, NULL, 0, NO_CREDIT, (const uint8_t *)"0123456789012345678901234567890123456789012345678901234567890", 60);
    g = cmd(p, CT_COMMAND_READ, 0, 100);
    EXPECT(g, CE_DE, 40, 0);
    g = cmd(p, CT_COMMAND_READ, 1, 100);        /* an 80-byte block */
    EXPECT(g, CE_DE, 20, 0);
    CHECK_EQ(0xA1, g.io[79]);
    CHECK_EQ(0xEE, g.io[80]);
    g = cmd(p, CT_COMMAND_READ, 2, 100);        /* a 120-byte block into 100 bytes */
    EXPECT(g, CE_DE, 0, 1);
    CHECK_EQ(0xA2, g.io[99]);
    CHECK_EQ(0xEE, g.io[100]);
    EXPECT_SENT(p, "Ccw");
    /* anything else gives the unused block back first */
    reply(p, CE_DE, 0, 0, NULL, 0, NO_CREDIT, (const uint8_t *)"\x01\x00\x00\x03\x01\x00\x00\x03", 8);
    g = cmd(p, 0x22, 3, 8);                     /* Read Block ID */
    EXPECT(g, CE_DE, 0, 0);
    EXPECT_SENT(p, "Ccw ReadAheadEnd Ccw");
    EXPECT_RA_END(p, 1, 1, 0);
    CHECK_EQ(2, p->h.n_read_ahead);
    done(p);
}

static void read_ahead_misses(void)
{
    PEER *p = peer(CT_FEATURE_READ_AHEAD);
    BATCH b;
    GUEST g;
    check_begin("host rules: a batch used up needs no ReadAheadEnd (§5.2)");
    batch_begin(&b);
    batch_inline(&b, 10, 0xB1);
    batch_send(p, &b);
    ok_reply(p);
    ok_reply(p);
    cmd(p, CT_COMMAND_READ, 1, 10);
    g = cmd(p, CT_COMMAND_READ, 2, 10);
    EXPECT(g, CE_DE, 0, 0);
    CHECK_EQ(0xB1, g.io[0]);
    cmd(p, CT_COMMAND_READ, 3, 10);
    EXPECT_SENT(p, "Ccw Ccw");
    done(p);

    p = peer(CT_FEATURE_READ_AHEAD);
    check_begin("host rules: a Read with data chaining into or out of it goes to the server (§5.2)");
    batch_begin(&b);
    batch_inline(&b, 10, 0xB1);
    batch_inline(&b, 10, 0xB2);
    batch_send(p, &b);
    ok_reply(p);
    ok_reply(p);
    ok_reply(p);
    cmd(p, CT_COMMAND_READ, 1, 10);
    ccw(p, CT_COMMAND_READ, CT_CCW_FLAG_CHAIN_DATA, 0, 2, 10, 0);
    EXPECT_SENT(p, "Ccw ReadAheadEnd Ccw");
    EXPECT_RA_END(p, 1, 2, 0);
    ccw(p, CT_COMMAND_READ, 0, CT_CCW_FLAG_CHAIN_DATA, 3, 10, 0);
    EXPECT_SENT(p, "Ccw ReadAheadEnd Ccw Ccw");
    done(p);

    p = peer(CT_FEATURE_READ_AHEAD);
    check_begin("host rules: a ReadAhead before anything but a Read's reply is not the host's to take (§5.2)");
    batch_begin(&b);
    batch_inline(&b, 10, 0xB1);
    batch_send(p, &b);
    p->h.features = 0;                          /* not granted: the frame is the server's mistake */
    g = cmd(p, CT_COMMAND_READ, 1, 10);
    EXPECT(g, UC, 10, 0);
    CHECK(strstr(p->log, "unexpected message type 25") != NULL);
    done(p);
}

static void read_ahead_program_and_writes(void)
{
    PEER *p = peer(CT_FEATURE_READ_AHEAD | CT_FEATURE_WRITE_BEHIND);
    BATCH b;
    GUEST g;
    check_begin("host rules: a channel program begun from the batch is told in ReadAheadEnd; no write-behind while a batch is open (§5.1, §5.2)");
    batch_begin(&b);
    batch_inline(&b, 10, 0xC1);
    batch_inline(&b, 10, 0xC2);
    batch_send(p, &b);
    reply(p, CE_DE, 0, 0, NULL, 0, 100000, NULL, 0);
    ok_reply(p);
    cmd(p, CT_COMMAND_READ, 5, 10);
    g = cmd(p, CT_COMMAND_READ, 0, 10);         /* a new channel program, answered here */
    EXPECT(g, CE_DE, 0, 0);
    g = cmd(p, CT_COMMAND_WRITE, 1, 10);        /* credit, but a batch is open: ReadAheadEnd first */
    EXPECT(g, CE_DE, 0, 0);
    EXPECT_SENT(p, "Ccw ReadAheadEnd Ccw");
    EXPECT_RA_END(p, 1, 1, CT_READ_AHEAD_END_FLAG_PROGRAM_STARTED);
    done(p);

    p = peer(CT_FEATURE_READ_AHEAD);
    check_begin("host rules: ReadAheadEnd says a program began even when every block was used (§5.2)");
    batch_begin(&b);
    batch_inline(&b, 10, 0xC1);
    batch_send(p, &b);
    ok_reply(p);
    ok_reply(p);
    cmd(p, CT_COMMAND_READ, 3, 10);
    cmd(p, CT_COMMAND_READ, 0, 10);
    cmd(p, 0x07, 1, 1);
    EXPECT_SENT(p, "Ccw ReadAheadEnd Ccw");
    EXPECT_RA_END(p, 1, 0, CT_READ_AHEAD_END_FLAG_PROGRAM_STARTED);
    done(p);
}

static void read_ahead_ends(void)
{
    PEER *p = peer(CT_FEATURE_READ_AHEAD | CT_FEATURE_WRITE_BEHIND);
    BATCH b;
    GUEST g;
    uint8_t de = CT_STATUS_DEVICE_END;
    check_begin("host rules: an unsolicited device end drops the batch and the credit (§5.1, §5.2)");
    batch_begin(&b);
    batch_inline(&b, 10, 0xD1);
    batch_inline(&b, 10, 0xD2);
    batch_send(p, &b);
    reply(p, CE_DE, 0, 0, NULL, 0, 100000, NULL, 0);
    server(p, CT_MSG_UNSOLICITED, &de, 1);      /* a second mount's DE, before the next reply */
    ok_reply(p);
    ok_reply(p);
    cmd(p, CT_COMMAND_READ, 1, 10);
    CHECK_EQ(2, p->h.ra_left);
    p_lock(p);
    cthost_unsolicited_locked(&p->h, de);       /* as the housekeeping thread reads it */
    p_unlock(p);
    g = cmd(p, CT_COMMAND_READ, 2, 10);         /* to the server, nothing to give back */
    EXPECT(g, CE_DE, 0, 0);
    g = cmd(p, CT_COMMAND_WRITE, 3, 10);        /* no credit: a Ccw */
    EXPECT_SENT(p, "Ccw Ccw Ccw");
    done(p);

    p = peer(CT_FEATURE_READ_AHEAD);
    check_begin("host rules: a ReadAheadEnd that could not be sent goes out after the reconnect (§5.2)");
    batch_begin(&b);
    batch_inline(&b, 10, 0xD1);
    batch_inline(&b, 10, 0xD2);
    batch_inline(&b, 10, 0xD3);
    batch_send(p, &b);
    ok_reply(p);
    ok_reply(p);
    cmd(p, CT_COMMAND_READ, 1, 10);
    cmd(p, CT_COMMAND_READ, 2, 10);             /* from the batch: 2 left */
    p->fail_sends = 1;                          /* the socket broke while the guest was idle */
    g = cmd(p, 0x22, 3, 8);
    EXPECT(g, UC, 8, 0);
    CHECK_EQ(2, p->h.ra_left);                  /* kept: it belongs to the drive */
    p->prepare_result = CTHOST_RECONNECTED;
    cmd(p, 0x22, 4, 8);
    EXPECT_SENT(p, "Ccw ReadAheadEnd Ccw");
    EXPECT_RA_END(p, 1, 2, 0);
    done(p);

    p = peer(CT_FEATURE_READ_AHEAD);
    check_begin("host rules: a malformed ReadAhead ends the connection: unit check (CTAPE014E)");
    batch_begin(&b);
    batch_send(p, &b);                          /* no blocks */
    g = cmd(p, CT_COMMAND_READ, 1, 10);
    EXPECT(g, UC, 10, 0);
    CHECK(strstr(p->log, "CTAPE014E 0580: malformed ReadAhead (2 bytes) from server") != NULL);
    done(p);
}

/* ---- §5.3 by reference ----------------------------------------------------------------- */
static char *make_image(void)
{
    static char path[] = "/tmp/ctcheck-image-XXXXXX";
    uint8_t data[4096];
    int fd, i;
    for (i = 0; i < 4096; i++) data[i] = (uint8_t)(i * 13 + 5);
    fd = mkstemp(path);
    if (fd < 0 || write(fd, data, sizeof(data)) != (ssize_t)sizeof(data)) return NULL;
    close(fd);
    return path;
}

static void by_reference(void)
{
    PEER *p = peer(CT_FEATURE_READ_AHEAD | CT_FEATURE_READ_AHEAD_BY_REFERENCE);
    char *path = make_image();
    BATCH b;
    GUEST g;
    int i, same = 1;
    check_begin("host rules: blocks by reference are read from the announced image (§5.3)");
    CHECK(path != NULL);
    image(p, path ? path : "/");
    batch_begin(&b);
    batch_reference(&b, 10, 100);
    batch_reference(&b, 300, 1000);
    batch_inline(&b, 3, 0xE1);
    batch_send(p, &b);
    ok_reply(p);
    cmd(p, CT_COMMAND_READ, 1, 10);
    g = cmd(p, CT_COMMAND_READ, 2, 8);          /* a 10-byte block into 8 */
    EXPECT(g, CE_DE, 0, 1);
    for (i = 0; i < 8; i++) same &= g.io[i] == (uint8_t)((100 + i) * 13 + 5);
    CHECK(same);
    g = cmd(p, CT_COMMAND_READ, 3, 400);
    EXPECT(g, CE_DE, 100, 0);
    for (i = 0; i < 300; i++) same &= g.io[i] == (uint8_t)((1000 + i) * 13 + 5);
    CHECK(same);
    CHECK_EQ(0xEE, g.io[300]);
    g = cmd(p, CT_COMMAND_READ, 4, 400);
    EXPECT(g, CE_DE, 397, 0);
    CHECK_EQ(0xE1, g.io[2]);
    EXPECT_SENT(p, "Ccw");
    CHECK_EQ(3, p->h.n_read_ahead);
    done(p);

    p = peer(CT_FEATURE_READ_AHEAD | CT_FEATURE_READ_AHEAD_BY_REFERENCE);
    check_begin("host rules: a reference the host cannot read: the blocks go back with flag 02, the Read to the server (§5.3)");
    image(p, path ? path : "/");
    batch_begin(&b);
    batch_reference(&b, 10, 0);
    batch_reference(&b, 10, 5000);              /* past the end of the image */
    batch_reference(&b, 10, 20);
    batch_send(p, &b);
    ok_reply(p);
    reply(p, CE_DE, 0, 0, NULL, 0, NO_CREDIT, (const uint8_t *)"0123456789", 10);
    cmd(p, CT_COMMAND_READ, 1, 10);
    cmd(p, CT_COMMAND_READ, 2, 10);             /* block 1: readable */
    g = cmd(p, CT_COMMAND_READ, 3, 10);         /* block 2: not */
    EXPECT(g, CE_DE, 0, 0);
    CHECK_MEM("0123456789", g.io, 10);
    EXPECT_SENT(p, "Ccw ReadAheadEnd Ccw");
    EXPECT_RA_END(p, 1, 2, CT_READ_AHEAD_END_FLAG_STOP_REFERENCES);
    CHECK(strstr(p->log, "CTAPE015W 0580: cannot read the volume image for read-ahead") != NULL);
    done(p);

    p = peer(CT_FEATURE_READ_AHEAD | CT_FEATURE_READ_AHEAD_BY_REFERENCE);
    check_begin("host rules: an image the host cannot open, or a relative path: references fail over to the server (§5.3)");
    image(p, "/nonexistent/ctcheck/volume.aws");
    batch_begin(&b);
    batch_reference(&b, 10, 0);
    batch_send(p, &b);
    ok_reply(p);
    image(p, "relative/volume.aws");
    batch_begin(&b);
    batch_reference(&b, 10, 0);
    batch_send(p, &b);
    ok_reply(p);
    ok_reply(p);
    cmd(p, CT_COMMAND_READ, 1, 10);
    g = cmd(p, CT_COMMAND_READ, 2, 10);
    EXPECT(g, CE_DE, 0, 0);
    g = cmd(p, CT_COMMAND_READ, 3, 10);
    EXPECT_SENT(p, "Ccw ReadAheadEnd Ccw ReadAheadEnd Ccw");
    EXPECT_RA_END(p, 1, 1, CT_READ_AHEAD_END_FLAG_STOP_REFERENCES);
    EXPECT_RA_END(p, 3, 1, 0);                  /* stop was said once on this connection */
    CHECK(strstr(p->log, "CTAPE016W 0580: cannot open the volume image '/nonexistent/ctcheck/volume.aws' for read-ahead") != NULL);
    CHECK(strstr(p->log, "CTAPE016W 0580: cannot open the volume image 'relative/volume.aws' for read-ahead") != NULL);
    done(p);

    p = peer(CT_FEATURE_READ_AHEAD);
    check_begin("host rules: a reference entry without read-ahead by reference granted is a malformed batch (§5.3)");
    batch_begin(&b);
    batch_reference(&b, 10, 0);
    batch_send(p, &b);
    g = cmd(p, CT_COMMAND_READ, 1, 10);
    EXPECT(g, UC, 10, 0);
    CHECK(strstr(p->log, "CTAPE014E") != NULL);
    done(p);
    if (path) unlink(path);
}

static void attach_identity(void)
{
    char why[256] = "";
    check_begin("host rules: a 3420's AttachReply without Sense ID bytes is accepted; a 3480's or 3490's is not (docs/protocol.md AttachReply)");
    CHECK_EQ(0, cthost_check_identity(0x3420, 0, 7, 24, why, sizeof(why)));
    CHECK_EQ(0, cthost_check_identity(0x3420, 7, 7, 24, why, sizeof(why)));     /* LEGACYSENSEID */
    CHECK_EQ(0, cthost_check_identity(0x3480, 7, 7, 24, why, sizeof(why)));
    CHECK_EQ(0, cthost_check_identity(0x3490, 7, 7, 32, why, sizeof(why)));
    CHECK_EQ(-1, cthost_check_identity(0x3490, 0, 7, 32, why, sizeof(why)));
    CHECK(strstr(why, "without identity for a 3490") != NULL);
    CHECK_EQ(-1, cthost_check_identity(0x3480, 0, 7, 24, why, sizeof(why)));
    CHECK_EQ(-1, cthost_check_identity(0x3490, 8, 7, 32, why, sizeof(why)));
    CHECK(strstr(why, "8 Sense ID bytes") != NULL);
    CHECK_EQ(-1, cthost_check_identity(0x3420, 0, 7, 0, why, sizeof(why)));
    CHECK(strstr(why, "sense bytes") != NULL);
    check_end();
}

void check_host_rules(void)
{
    attach_identity();
    write_behind_within_credit();
    write_behind_needs_grant_and_room();
    deferred_unit_check_from_the_server();
    lost_connection_with_unconfirmed_writes();
    server_away();
    failures_under_a_ccw();
    data_placement();
    read_ahead_hits();
    read_ahead_misses();
    read_ahead_program_and_writes();
    read_ahead_ends();
    by_reference();
}
