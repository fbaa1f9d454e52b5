/* cthost.c - the host rules of docs/protocol.md §4 and §5 for one drive (cthost.h). */

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cthost.h"

#define CE_DE (CT_STATUS_CHANNEL_END | CT_STATUS_DEVICE_END)

/* Command types by the low bits of the command code (ESA/390 Principles of Operation,
   "Command Code"; Hercules esa390.h IS_CCW_WRITE, IS_CCW_CONTROL, IS_CCW_RDBACK). */
#define IS_WRITE(c)    (((c) & 0x03) == 0x01)
#define IS_CONTROL(c)  (((c) & 0x03) == 0x03)
#define IS_RDBACK(c)   (((c) & 0x0F) == 0x0C)

static void hlog(CTHOST *h, const char *fmt, ...)
{
    char text[4096 + 512];
    va_list a;
    va_start(a, fmt);
    vsnprintf(text, sizeof(text), fmt, a);
    va_end(a);
    h->ops->log(h->ctx, text);
}

void cthost_init(CTHOST *h, const CTHOST_OPS *ops, void *ctx, uint16_t devnum, uint16_t model)
{
    memset(h, 0, sizeof(*h));
    h->ops = ops;
    h->ctx = ctx;
    h->devnum = devnum;
    h->model = model;
    h->ra_fd = -1;
}

/* docs/protocol.md AttachReply; docs/reference/hercules-tape.md §3.1: the 3480 and 3490 answer
   Sense ID (E4) with 7 bytes, the 3420 rejects it (Hercules 3.13 tapedev.c gives it identity bytes
   only with LEGACYSENSEID ON), so its AttachReply may carry none; Hercules then presents it by
   dev->devtype alone. Every drive reports its sense bytes (24 on the 3420 and 3480, 32 on the 3490). */
int cthost_check_identity(uint16_t model, uint32_t numdevid, uint32_t devid_room, uint32_t numsense,
                          char *why, size_t whylen)
{
    if (numsense == 0) {
        snprintf(why, whylen, "AttachReply for a %4.4X without its number of sense bytes", model);
        return -1;
    }
    if (numdevid > devid_room) {
        snprintf(why, whylen, "AttachReply with %u Sense ID bytes (at most %u)", (unsigned)numdevid, (unsigned)devid_room);
        return -1;
    }
    if (numdevid == 0 && model != 0x3420) {
        snprintf(why, whylen, "AttachReply without identity for a %4.4X (only a 3420 has no Sense ID)", model);
        return -1;
    }
    return 0;
}

void cthost_release(CTHOST *h)
{
    free(h->ra_frame);
    h->ra_frame = NULL;
    if (h->ra_fd >= 0) close(h->ra_fd);
    h->ra_fd = -1;
}

/* ---- sense ---------------------------------------------------------------------------- */
/* Intervention required, as Hercules builds it for an empty drive (docs/reference/hercules-tape.md §2.2-2.4):
   3480/3490 `40 42 20 43`, byte 7 format 20, bytes 25-30 as tapeccws.c build_senseX;
   3420 `40 22`. sense: at least 32 bytes. */
#define CTHOST_SENSE0_COMMAND_REJECT 0x80  /* sense byte 0 of a command the drive does not have */

static void set_not_ready_sense(CTHOST *h, uint8_t *sense, size_t size)
{
    memset(sense, 0, size);
    sense[0] = CT_SENSE0_INTERVENTION_REQUIRED;
    if (h->model == 0x3420) {
        /* as the server's 3420 without a volume (SenseBuilder.Build3420: Hercules 3.13 build_sense_3420's
           constant bytes, docs/reference/hercules-tape.md §3.1) */
        sense[1] = 0x22;
        if (size >= 24) {
            sense[5] = 0xC0;
            sense[6] = 0x03;
            sense[13] = 0x80;
            sense[14] = 0x01;
            sense[16] = 0x01;
            sense[19] = 0xFF;
            sense[20] = 0xFF;
        }
    } else {
        sense[1] = 0x42;
        sense[2] = 0x20;
        sense[3] = 0x43;
        sense[7] = 0x20;                    /* format 20 */
        sense[25] = 0x06;
        sense[27] = h->model == 0x3480 ? 0xFC : 0xEC;
        sense[28] = (uint8_t)(h->devnum >> 12);                 /* pseudo serial */
        sense[29] = (uint8_t)(h->devnum >> 4);
        sense[30] = (uint8_t)(((h->devnum & 0xF) << 4) | (h->devnum & 0xF));
    }
}

/* ---- state shared with the reading thread --------------------------------------------- */
static void ra_drop_locked(CTHOST *h)
{
    free(h->ra_frame);
    h->ra_frame = NULL;
    h->ra_len = h->ra_off = h->ra_left = 0;
    h->ra_program_began = 0;
}

void cthost_connected_locked(CTHOST *h, uint32_t granted)
{
    h->features = granted;
    h->ra_ref_failed = h->ra_ref_stopped = 0;   /* a new connection starts with references */
    h->wb_credit = 0;                           /* and grants its own credit */
}

void cthost_volume_changed_locked(CTHOST *h)
{
    ra_drop_locked(h);                  /* a mount ends the read-ahead batch (§5.2) */
    h->wb_credit = 0;                   /* and the credit (§5.1): the next Write asks */
}

void cthost_unsolicited_locked(CTHOST *h, uint8_t status)
{
    /* a device end is a mount or unload: the batch is gone, and the credit was for the volume
       that was there (§5.1, §5.2 Mounts and disconnects) */
    if (status & CT_STATUS_DEVICE_END) cthost_volume_changed_locked(h);
}

/* ---- read-ahead batch (§5.2) ---------------------------------------------------------- */
/* Takes body (kept as the batch) when it is a well-formed ReadAhead; returns -1 (body freed) if
   not. */
static int ra_accept(CTHOST *h, uint8_t *body, uint32_t blen)
{
    uint32_t n;
    if (ct_decode_read_ahead(body, blen, (h->features & CT_FEATURE_READ_AHEAD_BY_REFERENCE) != 0, &n) != 0) {
        free(body);
        return -1;
    }
    h->ops->lock(h->ctx);
    free(h->ra_frame);                  /* never two batches: §5.2 ends one before a Ccw */
    h->ra_frame = body;
    h->ra_len = blen;
    h->ra_off = CT_READ_AHEAD_ENTRIES_OFFSET;
    h->ra_left = n;
    h->ops->unlock(h->ctx);
    return 0;
}

/* pread of exactly n bytes; -1 on error or a short file */
static int pread_full(int fd, uint8_t *p, size_t n, off_t at)
{
    while (n > 0) {
        ssize_t r = pread(fd, p, n, at);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) { if (r == 0) errno = EIO; return -1; }
        p += r; n -= (size_t)r; at += r;
    }
    return 0;
}

/* ReadAheadImage (§5.3): the image the next references point into; opened read-only here. A
   path this host cannot use (not absolute, not openable) is not the server's fault: the
   references into it fail, and ReadAheadEnd asks for inline blocks. */
static void ra_image(CTHOST *h, const uint8_t *body, uint32_t blen)
{
    char path[4096] = "";
    CT_STRING p;
    int fd = -1;
    errno = ENOENT;
    if (ct_decode_read_ahead_image(body, blen, &p) == 0) {
        ct_string_copy(p, path, sizeof(path));
        fd = open(path, O_RDONLY | O_CLOEXEC);
    } else if (p.bytes) {
        ct_string_copy(p, path, sizeof(path));  /* a relative path, named in the message */
    }
    if (fd < 0)
        hlog(h, "CTAPE016W %4.4X: cannot open the volume image '%s' for read-ahead: %s\n",
             h->devnum, path, strerror(errno));
    h->ops->lock(h->ctx);
    if (h->ra_fd >= 0) close(h->ra_fd);
    h->ra_fd = fd;
    h->ops->unlock(h->ctx);
}

int cthost_frame(CTHOST *h, uint8_t type, uint8_t *body, uint32_t len, uint8_t want)
{
    if (type == CT_MSG_READ_AHEAD_IMAGE && (h->features & CT_FEATURE_READ_AHEAD_BY_REFERENCE)) {
        ra_image(h, body, len);
        free(body);
        return CTHOST_FRAME_HANDLED;
    }
    /* a batch comes only before a Read's CcwReply (§5.2) */
    if (type == CT_MSG_READ_AHEAD && want == CT_MSG_CCW_REPLY && (h->features & CT_FEATURE_READ_AHEAD)) {
        if (ra_accept(h, body, len) == 0) return CTHOST_FRAME_HANDLED;
        hlog(h, "CTAPE014E %4.4X: malformed ReadAhead (%u bytes) from server\n", h->devnum, (unsigned)len);
        return CTHOST_FRAME_END;
    }
    return CTHOST_FRAME_NOT_MINE;
}

/* Answers a Read (02) from the batch, exactly as the drive would have: min(count, L) bytes,
   residual, more when the block is longer. Returns 1 when answered. No round trip: a copy from
   the frame, or one pread from the image for a block by reference (§5.3). */
static int ra_take(CTHOST *h, const CTHOST_CCW *c, CTHOST_RESULT *r)
{
    CT_RA_ENTRY e;
    uint32_t next, n;
    h->ops->lock(h->ctx);
    if (h->ra_left == 0 || h->ra_ref_failed) { h->ops->unlock(h->ctx); return 0; }
    next = ct_read_ahead_entry(h->ra_frame, h->ra_off, &e);
    n = c->count < e.length ? c->count : e.length;  /* count <= 65535, so inline n <= data_len */
    if (e.reference) {
        /* §5.3: the bytes lie in the image; read them straight into the channel's buffer */
        if (h->ra_fd < 0 || pread_full(h->ra_fd, c->iobuf, n, (off_t)e.image_offset) != 0) {
            /* not readable here: the block and the rest go back, the Read goes to the server */
            hlog(h, "CTAPE015W %4.4X: cannot read the volume image for read-ahead (%s); "
                    "asking the server to send blocks inline\n", h->devnum,
                    h->ra_fd < 0 ? "not open" : strerror(errno));
            h->ra_ref_failed = 1;
            h->ops->unlock(h->ctx);
            return 0;
        }
    } else {
        memcpy(c->iobuf, h->ra_frame + e.data_off, n);
    }
    h->ra_off = next;
    h->ra_left--;
    if (c->seq == 0) h->ra_program_began = 1;
    h->n_read_ahead++;
    h->ops->unlock(h->ctx);
    r->more = e.length > c->count;
    r->residual = c->count - n;
    r->unitstat = CE_DE;
    return 1;
}

/* Before any frame that reaches the drive: give the unused blocks back (ReadAheadEnd), and say
   whether a channel program began among the Reads answered here. The batch is dropped only once
   that is sent: if the connection fails, the next exec reconnects and says it again there (the
   batch belongs to the drive, §5.2 Mounts and disconnects). */
void cthost_end_read_ahead(CTHOST *h)
{
    uint8_t body[CT_READ_AHEAD_END_FIXED_SIZE];
    int send, stop;
    h->ops->lock(h->ctx);
    stop = h->ra_ref_failed && !h->ra_ref_stopped;
    send = (h->ra_left || h->ra_program_began || stop) && (h->features & CT_FEATURE_READ_AHEAD);
    ct_encode_read_ahead_end(body, h->ra_left,
        (uint8_t)((h->ra_program_began ? CT_READ_AHEAD_END_FLAG_PROGRAM_STARTED : 0)
                | (stop ? CT_READ_AHEAD_END_FLAG_STOP_REFERENCES : 0)));
    h->ops->unlock(h->ctx);
    if (send && h->ops->send(h->ctx, CT_MSG_READ_AHEAD_END, body, sizeof(body), NULL, 0) != 0)
        return;                         /* kept for the reconnect; the Ccw's send fails too */
    h->ops->lock(h->ctx);
    if (stop) h->ra_ref_stopped = 1;
    h->ra_ref_failed = 0;
    if (h->ra_frame || h->ra_program_began) ra_drop_locked(h);
    h->ops->unlock(h->ctx);
}

/* ---- answers made here (§4) ----------------------------------------------------------- */
static void local_not_ready(CTHOST *h, const CTHOST_CCW *c, CTHOST_RESULT *r)
{
    uint32_t n;
    if (c->code == CT_COMMAND_SENSE) {  /* Sense: the not-ready sense, as a drive gives it */
        h->local_sense = 0;
        set_not_ready_sense(h, c->sense, c->sense_size);
        if (h->local_deferred) c->sense[0] |= CT_SENSE0_DEFERRED_UNIT_CHECK;
        if (h->local_reject) {
            c->sense[0] |= CTHOST_SENSE0_COMMAND_REJECT;
            c->sense[4] |= 0x01;
        }
        h->local_deferred = 0;
        h->local_reject = 0;
        n = c->count < c->numsense ? c->count : c->numsense;
        memcpy(c->iobuf, c->sense, n);
        r->residual = c->count - n;
        r->more = c->count < c->numsense;
        r->unitstat = CE_DE;
        return;
    }
    if (c->code == CT_COMMAND_SENSE_ID && c->numdevid > 0) {   /* Sense ID: the last known identity */
        n = c->count < c->numdevid ? c->count : c->numdevid;
        memcpy(c->iobuf, c->devid, n);
        r->residual = c->count - n;
        r->more = c->count < c->numdevid;
        r->unitstat = CE_DE;
        return;
    }
    set_not_ready_sense(h, c->sense, c->sense_size);
    if (c->code == CT_COMMAND_SENSE_ID && h->model == 0x3420) {
        /* a 3420 has no Sense ID: the server's 3420 rejects it (SenseBuilder.Build3420, command reject) */
        c->sense[0] |= CTHOST_SENSE0_COMMAND_REJECT;
        c->sense[4] |= 0x01;
        h->local_reject = 1;
    }
    r->residual = c->count;
    r->more = 0;
    r->unitstat = CT_STATUS_UNIT_CHECK;
    h->local_sense = 1;
}

/* The connection ended while buffered Writes were unconfirmed (§5.1): the server may never have
   received them. The guest learns it as from a 3490 whose buffer could not be written: this
   CCW is not run and ends with a deferred unit check (intervention required, deferred UC);
   a Sense right after returns that sense. Returns 1 when it answered the CCW. */
static int deferred_loss(CTHOST *h, const CTHOST_CCW *c, CTHOST_RESULT *r)
{
    if (!h->wb_unconfirmed) return 0;
    hlog(h, "CTAPE008E %4.4X: connection lost with %u written blocks the server had not confirmed; "
            "CCW %2.2X ends with a deferred unit check\n", h->devnum, (unsigned)h->wb_unconfirmed, c->code);
    h->wb_unconfirmed = 0;
    h->ops->lock(h->ctx);
    h->wb_credit = 0;
    h->ops->unlock(h->ctx);
    set_not_ready_sense(h, c->sense, c->sense_size);
    c->sense[0] |= CT_SENSE0_DEFERRED_UNIT_CHECK;
    r->residual = c->count;
    r->more = 0;
    r->unitstat = CE_DE | CT_STATUS_UNIT_CHECK;
    h->local_sense = 1;
    h->local_deferred = 1;
    return 1;
}

/* The connection failed under this CCW: a deferred unit check for unconfirmed Writes, else
   a not-ready drive's unit check. */
static void lost(CTHOST *h, const CTHOST_CCW *c, CTHOST_RESULT *r)
{
    if (!deferred_loss(h, c, r))
        local_not_ready(h, c, r);
}

static void put_ccw(uint8_t *fixed, const CTHOST_CCW *c)
{
    CT_CCW w;
    w.code = c->code;
    w.flags = c->flags;
    w.chained = c->chained;
    w.prevcode = c->prevcode;
    w.seq = (uint32_t)c->seq;
    w.count = c->count;
    ct_encode_ccw(fixed, &w);
}

/* Write-behind (§5.1): a Write within the credit goes out as a BufferedCcw and ends at once
   with channel end and device end, as on a 3490 with tape-write-immediate off. Returns 1 when
   it answered the CCW. Only while no read-ahead batch is open (ReadAheadEnd must go first). */
static int write_behind(CTHOST *h, const CTHOST_CCW *c, CTHOST_RESULT *r)
{
    uint8_t fixed[CT_CCW_FIXED_SIZE];
    int ok;
    if (c->code != CT_COMMAND_WRITE || h->local_sense) return 0;
    h->ops->lock(h->ctx);
    ok = h->ops->connected_locked(h->ctx) && h->ra_left == 0 && !h->ra_program_began
      && (h->features & CT_FEATURE_WRITE_BEHIND) && c->count + CT_WRITE_COST_PER_BLOCK <= h->wb_credit;
    if (ok) h->wb_credit -= c->count + CT_WRITE_COST_PER_BLOCK;   /* spent even if the send fails */
    h->ops->unlock(h->ctx);
    if (!ok) return 0;
    put_ccw(fixed, c);
    if (h->ops->send(h->ctx, CT_MSG_BUFFERED_CCW, fixed, sizeof(fixed), c->iobuf, c->count) != 0) {
        hlog(h, "CTAPE006E %4.4X: CCW %2.2X: connection lost; unit check, intervention required\n",
             h->devnum, c->code);
        h->ops->disconnect(h->ctx);
        lost(h, c, r);
        return 1;
    }
    h->wb_unconfirmed++;
    h->n_buffered++;
    r->unitstat = CE_DE;
    r->residual = 0;
    r->more = 0;
    return 1;
}

void cthost_exec(CTHOST *h, const CTHOST_CCW *c, CTHOST_RESULT *r)
{
    uint8_t fixed[CT_CCW_FIXED_SIZE], *reply = NULL;
    uint32_t outlen, rlen = 0, credit;
    CT_CCW_REPLY m;
    int rc, conn;

    r->rdback = 0;
    /* read-ahead (§5.2): a Read without data chaining that the batch can answer */
    if (c->code == CT_COMMAND_READ && !(c->flags & CT_CCW_FLAG_CHAIN_DATA)
     && !(c->chained & CT_CCW_FLAG_CHAIN_DATA) && !h->local_sense && ra_take(h, c, r))
        return;
    if (write_behind(h, c, r))
        return;

    if (h->local_sense) {
        /* the unit check before this CCW came from here, not from the server: its sense is
           ours to give (a drive's contingent sense), whether or not the server is back (§4) */
        h->local_sense = 0;
        if (c->code == CT_COMMAND_SENSE) {
            local_not_ready(h, c, r);
            return;
        }
    }

    conn = h->ops->prepare(h->ctx);     /* a Close or EOF waiting: reconnect before sending */
    if (conn != CTHOST_UP) {
        /* buffered Writes the old connection never confirmed: this CCW reports them */
        if (deferred_loss(h, c, r)) return;
        if (conn == CTHOST_DOWN) {
            local_not_ready(h, c, r);
            return;
        }
    }
    cthost_end_read_ahead(h);           /* unused read-ahead blocks go back first (§5.2) */

    /* The channel prefetched output data for write-type CCWs and for control CCWs that are
       not immediate (Hercules channel.c); those carry exactly count bytes, everything else
       none (§3 Ccw). */
    outlen = IS_WRITE(c->code) || (IS_CONTROL(c->code) && !c->immediate) ? c->count : 0;
    put_ccw(fixed, c);

    rc = h->ops->request(h->ctx, CT_MSG_CCW, fixed, sizeof(fixed), c->iobuf, outlen, CT_MSG_CCW_REPLY, &reply, &rlen);
    if (rc != 0) {
        hlog(h, "CTAPE006E %4.4X: CCW %2.2X: %s; unit check, intervention required\n",
             h->devnum, c->code, rc == -2 ? "no reply from the server in time" : "connection lost");
        h->ops->disconnect(h->ctx);
        lost(h, c, r);
        return;
    }

    /* CcwReply: its layout, then what fits this CCW: residual at most the count, data at most
       count - residual */
    if (ct_decode_ccw_reply(reply, rlen, &m) != 0 || m.residual > c->count || m.data_len > c->count - m.residual) {
        hlog(h, "CTAPE007E %4.4X: malformed CcwReply (%u bytes) for CCW %2.2X; dropping the connection\n",
             h->devnum, (unsigned)rlen, c->code);
        free(reply);
        h->ops->disconnect(h->ctx);
        lost(h, c, r);
        return;
    }
    /* the server has run every buffered Write before this CCW; the reply sets the new credit */
    credit = m.has_credit && (h->features & CT_FEATURE_WRITE_BEHIND) ? m.credit : 0;
    h->ops->lock(h->ctx);
    h->wb_credit = credit;
    h->ops->unlock(h->ctx);
    h->wb_unconfirmed = 0;
    if (m.data_len) {
        /* Read Backward: the channel stores the buffer from offset residual, ending at the
           CCW's data address (Hercules channel.c copy_iobuf; §3 CcwReply) */
        memcpy(c->iobuf + (IS_RDBACK(c->code) ? m.residual : 0), reply + m.data_off, m.data_len);
    }
    r->rdback = IS_RDBACK(c->code);
    if (m.status & CT_STATUS_UNIT_CHECK) {
        memset(c->sense, 0, c->sense_size);
        memcpy(c->sense, m.sense, m.sense_len < c->sense_size ? m.sense_len : c->sense_size);
    }
    r->unitstat = m.status;
    r->more = (m.flags & CT_CCW_REPLY_FLAG_MORE) ? 1 : 0;
    r->residual = m.residual;
    free(reply);
}
