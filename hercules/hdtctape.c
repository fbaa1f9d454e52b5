/* hdtctape.c - Hercules device module "CTAPE": a tape drive whose CCWs run on a ChannelTape
 * server. Every CCW the channel hands this handler goes over TCP to the server as one `Ccw`
 * frame; the `CcwReply` supplies unit status, residual, "more", sense and input data.
 * Wire protocol: docs/protocol.md (version 1). Builds for Hercules 3.13 and SDL Hyperion 4.x
 * from this one source (hercules/Makefile, HERC_FLAVOR=313|4x).
 *
 * Config statement:   CUU CTAPE host:port [image|volser|*] [options...]
 *
 * Threads and locks (why it is safe with Hercules' locking):
 *   - exec/init/query/close/halt run on Hercules threads. A request (one at a time per
 *     connection, docs/protocol.md §2) is sent and its reply read by the requesting thread
 *     itself, with a deadline: no thread hand-off on the path of a CCW. Frames that arrive
 *     meanwhile are handled on the way: Unsolicited status is queued, Ping answered.
 *     No Hercules lock is taken, so this cannot deadlock against init (which Hercules calls
 *     with dev->lock held).
 *   - one module-wide housekeeping thread reads idle connections (a non-blocking look every
 *     100 ms for Unsolicited status, Ping, the server's Close), raises queued unsolicited status
 *     with device_attention() (which takes dev->lock and may wait for it; no module lock is
 *     held then), sends keepalive Pings on idle connections and finishes parked closes (below).
 *   - Hercules 3.13 `devinit` calls close() and then init() for the same device, and has no
 *     reinit flag; 4.x calls init() with dev->reinit set and no close(). So close() on 3.13
 *     "parks" the connection for a moment: an init() for the same device that follows reuses it
 *     (and sends Mount); otherwise the housekeeping thread sends Close after the grace period.
 *     During Hercules shutdown, and always on 4.x, close() closes at once.
 *   - a dead server cannot hang a Hercules thread: connect, every send (SO_SNDTIMEO) and every
 *     wait for a reply are bounded. On 4.x the halt callback (HSCH/CSCH/HIO/reset) sends Halt
 *     and, if the reply does not come promptly, shuts the socket down.
 * Streaming (docs/protocol.md §5, asked for in Hello; HDTCTAPE_FEATURES=none turns it off):
 *   - write-behind: a Write within the server's write credit goes out as a BufferedCcw and ends
 *     at once with CE+DE, as on a 3490 with tape-write-immediate off; the next Ccw's reply
 *     confirms every buffered block (or carries the server's deferred unit check). A
 *     connection lost with unconfirmed blocks gives the next CCW a deferred unit check here.
 *   - read-ahead: the server sends the blocks after a Read in one ReadAhead frame before its
 *     CcwReply; later Reads (no data chaining) are answered from it without a round trip, and
 *     the blocks not used are given back (ReadAheadEnd) before anything else is sent.
 *   Both run on the device thread inside exec, without a system call for a Read answered from
 *   the batch.
 * Failure behaviour (docs/protocol.md §4): an unreachable or vanished server gives unit check
 * with intervention-required sense; the next CCW reconnects (Attach with the take-over flag).
 * While not connected, Sense (04) returns that sense and Sense ID (E4) the last known identity.
 */

#include "hstdinc.h"
#include "hercules.h"
#include "devtype.h"

#include <pthread.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#if defined(HDL_NAME_HERCULES)          /* SDL Hyperion 4.x: version.h */
  #define CT_HERC4 1
  typedef U32 CT_COUNT;
  #define CT_FLAVOR "4.x"
#else                                   /* Hercules 3.x */
  #define CT_HERC4 0
  typedef U16 CT_COUNT;
  #define CT_FLAVOR "3.13"
#endif

/* ---- protocol constants (docs/protocol.md §1, §3) ------------------------------------- */
#define CT_PROTOCOL_VERSION   1
#define CT_MAX_FRAME_DEFAULT  2097408u  /* 2 MiB + 256 */
#define CT_MIN_FRAME          65792u
#define MSG_HELLO        0x01
#define MSG_HELLO_REPLY  0x02
#define MSG_ATTACH       0x10
#define MSG_ATTACH_REPLY 0x11
#define MSG_CCW          0x20
#define MSG_CCW_REPLY    0x21
#define MSG_HALT         0x22
#define MSG_BUFFERED_CCW 0x24
#define MSG_READ_AHEAD   0x25
#define MSG_READ_AHEAD_END 0x26
#define MSG_READ_AHEAD_IMAGE 0x28
#define MSG_UNSOLICITED  0x30
#define MSG_MOUNT        0x40
#define MSG_MOUNT_REPLY  0x41
#define MSG_QUERY        0x42
#define MSG_QUERY_REPLY  0x43
#define MSG_PING         0x50
#define MSG_PONG         0x51
#define MSG_CLOSE        0x60
#define MSG_ERROR        0x7F
#define ATTACH_FLAG_TAKEOVER 0x01
#define CCW_REPLY_FLAG_MORE  0x01
#define CCW_REPLY_FLAG_CREDIT 0x02
#define FEATURE_WRITE_BEHIND 0x00000001u /* docs/protocol.md §5.1 */
#define FEATURE_READ_AHEAD   0x00000002u /* docs/protocol.md §5.2 */
#define FEATURE_READ_BY_REF  0x00000004u /* docs/protocol.md §5.3 */
#define RA_ENTRY_REFERENCE   0x80000000u /* length word: the block lies in the image at an offset */
#define CT_WRITE_COST        32u         /* credit a buffered Write spends besides its count */
#define CT_MAX_CCW_DATA      65535u      /* a ReadAhead block carries at most this much */
#define RA_END_PROGRAM_BEGAN 0x01
#define RA_END_STOP_REFERENCES 0x02
#define SENSE_DEFERRED_UC    0x02        /* sense byte 0: deferred unit check */
#define CLOSE_REASON_NORMAL   0
#define CLOSE_REASON_SHUTDOWN 1

/* ---- timing ------------------------------------------------------------------------------ */
#define CT_CONNECT_TIMEOUT_S_DEFAULT 5    /* env HDTCTAPE_CONNECT_TIMEOUT */
#define CT_REPLY_TIMEOUT_S_DEFAULT   60   /* env HDTCTAPE_TIMEOUT: a CCW's reply */
#define CT_SHORT_TIMEOUT_MS          3000 /* Hello, Attach, Mount, Close */
#define CT_QUERY_TIMEOUT_MS          1000 /* devlist must not hang the console */
#define CT_HALT_GRACE_MS             1000 /* 4.x: wait for the halted CCW's reply, then cut */
#define CT_KEEPALIVE_S               25   /* protocol: ping at least every 30 s when idle */
#define CT_PARK_GRACE_MS             1500 /* 3.13: close() -> init() of devinit */
#define CT_RECONNECT_THROTTLE_MS     1000
#define CT_MOUNT_DE_WINDOW_MS        2000
#define CT_QUERY_CACHE_MS            2000 /* 3.13's panel queries every device per refresh */

/* ---- identity used until the server has told us (and when it is unreachable) ------------ */
static BYTE ct_immed_marker = 1;       /* what a non-NULL immed[] entry points at */
static const BYTE ct_fallback_devid[7] = { 0xFF, 0x34, 0x90, 0x50, 0x34, 0x90, 0x50 };

/* Hercules' tape immediate-command table (tapeccws.c TapeImmedCommands), used until the
   server's AttachReply supplies the drive's own bitmap. */
static const BYTE ct_tape_immed[256] =
{
 /* 0 1 2 3 4 5 6 7 8 9 A B C D E F */
    0,0,0,1,0,0,0,1,0,0,0,0,0,0,0,1, /* 00 */
    0,0,0,1,0,0,0,1,0,0,0,1,0,0,0,1, /* 10 */
    0,0,0,1,0,0,0,1,0,0,0,1,0,0,0,1, /* 20 */
    0,0,0,1,0,0,0,1,0,0,0,1,0,0,0,1, /* 30 */
    0,0,0,1,0,0,0,1,0,0,0,0,0,0,0,0, /* 40 */
    0,0,0,1,0,0,0,1,0,0,0,1,0,0,0,1, /* 50 */
    0,0,0,1,0,0,0,1,0,0,0,1,0,0,0,1, /* 60 */
    0,0,0,1,0,0,0,0,0,0,0,1,0,0,0,1, /* 70 */
    0,0,0,1,0,0,0,1,0,0,0,1,0,0,0,1, /* 80 */
    0,0,0,1,0,0,0,1,0,0,0,1,0,0,0,0, /* 90 */
    0,0,0,1,0,0,0,1,0,0,0,1,0,0,0,0, /* A0 */
    0,0,0,1,0,0,0,0,0,0,0,1,0,0,0,1, /* B0 */
    0,0,0,1,0,0,0,0,0,0,0,1,0,0,0,1, /* C0 */
    0,0,0,1,0,0,0,1,0,0,0,0,0,0,0,1, /* D0 */
    0,0,0,0,0,0,0,1,0,0,0,1,0,0,0,1, /* E0 */
    0,0,0,1,0,0,0,1,0,0,0,1,0,0,0,1  /* F0 */
};

/* ---- per-device state ----------------------------------------------------------------- */
typedef struct CTAPE CTAPE;
struct CTAPE
{
    CTAPE          *next;               /* registry chain (g_mu)                    */
    int             refs;               /* registry + users (g_mu)                  */
    int             registered;         /* in the registry (g_mu)                   */
    int             parked;             /* 3.13 close() waiting for devinit's init  */
    struct timespec park_deadline;

    DEVBLK         *dev;
    U16             devnum;
    char            host[256];
    char            port[16];
    char            words[1024];        /* mount words for the first Attach         */
    int             attached_once;      /* the server has accepted an Attach        */
    int             placeholder_fd;     /* /dev/null in dev->fd: close() gets called */
    long            reply_timeout_ms;   /* HDTCTAPE_TIMEOUT, read once at init        */

    pthread_mutex_t mu;                 /* everything below, except sending          */
    pthread_cond_t  cv;
    pthread_mutex_t send_mu;            /* one frame at a time on the socket         */

    int             sock;               /* -1 = not connected                        */
    int             lost;               /* the connection ended (seen while reading)  */
    int             idle_reading;       /* read_idle_connection() is reading a frame   */
    U32             max_frame;
    struct timespec last_send;
    struct timespec last_connect_fail;  /* throttles reconnects to a dead server   */

    int             req_busy;           /* a request is outstanding (its thread reads) */
    BYTE            abandoned_type;     /* reply type of a request that timed out: a   */
                                        /* late reply of that type is dropped          */
    int             ccw_outstanding;

    int             mount_window;       /* Mount outstanding (init of devinit)       */
    int             mount_de_seen;
    struct timespec swallow_de_until;   /* 3.13: Hercules' devinit raises its own DE */

    /* identity and state from the server */
    U16             model;
    DEVIM           immed[256];         /* dev->immed is a DEVIM* (both versions):   */
                                        /* entry non-NULL = command is immediate     */
    char            status_text[256];
    struct timespec last_query;         /* devlist text fetched then (0: fetch now)    */
    int             local_sense;        /* our last answer was a unit check made here */
                                        /* (server unreachable): a Sense right after  */
                                        /* gets that sense from us, not the server    */
    int             local_deferred;     /* ... and it was a deferred unit check        */

    /* streaming (docs/protocol.md §5); wb_* are used by exec only (the device thread) */
    U32             features;           /* granted in the HelloReply                   */
    U32             wb_credit;          /* bytes of Writes we may still acknowledge (mu) */
    U32             wb_unconfirmed;     /* BufferedCcw sent since the last CcwReply     */
    BYTE           *ra_frame;           /* the ReadAhead batch being used (mu)          */
    U32             ra_len, ra_off;     /* its length, and the next block's offset      */
    U32             ra_left;            /* blocks of it not yet used                   */
    int             ra_program_began;   /* we answered a Read with sequence number 0    */
    int             ra_fd;              /* the announced volume image, read-only (§5.3) */
    int             ra_ref_failed;      /* it could not be read: ReadAheadEnd says stop */
    int             ra_ref_stopped;     /* ... and that was sent on this connection     */
    unsigned long long n_buffered;      /* Writes written behind (logged at close)      */
    unsigned long long n_read_ahead;    /* Reads answered from read-ahead batches       */
};

/* ---- module-wide state ---------------------------------------------------------------- */
typedef struct ATTN { CTAPE *ct; BYTE status; struct ATTN *next; } ATTN;

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t  g_cv;           /* CLOCK_MONOTONIC, like every deadline here:  */
static pthread_once_t  g_cv_once = PTHREAD_ONCE_INIT;  /* made by module_init_once()   */
static CTAPE          *g_devices;
static ATTN           *g_attn_head, *g_attn_tail;
static int             g_housekeeper_running;

/* ---- small helpers -------------------------------------------------------------------- */
static void now_ts(struct timespec *t) { clock_gettime(CLOCK_MONOTONIC, t); }

static long long ms_since(const struct timespec *t)
{
    struct timespec n; now_ts(&n);
    return (long long)(n.tv_sec - t->tv_sec) * 1000 + (n.tv_nsec - t->tv_nsec) / 1000000;
}

static void ts_add_ms(struct timespec *t, long ms)
{
    t->tv_sec += ms / 1000;
    t->tv_nsec += (ms % 1000) * 1000000L;
    if (t->tv_nsec >= 1000000000L) { t->tv_sec++; t->tv_nsec -= 1000000000L; }
}

static int ts_passed(const struct timespec *t)
{
    struct timespec n; now_ts(&n);
    return n.tv_sec > t->tv_sec || (n.tv_sec == t->tv_sec && n.tv_nsec >= t->tv_nsec);
}

static void cond_init_monotonic(pthread_cond_t *c)
{
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(c, &a);
    pthread_condattr_destroy(&a);
}

/* g_cv's deadlines come from now_ts() (CLOCK_MONOTONIC). A cond with the default clock
   (CLOCK_REALTIME) would take such a deadline as long past: the housekeeping thread would
   never sleep, spinning a core and polling the socket under the device thread's feet. */
static void init_global_cv(void) { cond_init_monotonic(&g_cv); }
static void module_init_once(void) { pthread_once(&g_cv_once, init_global_cv); }

static long env_seconds(const char *name, long dflt)
{
    const char *v = getenv(name);
    char *end;
    long s;
    if (!v || !*v) return dflt;
    s = strtol(v, &end, 10);
    return (*end || s <= 0) ? dflt : s;
}

/* Streaming features to ask for (docs/protocol.md §5). HDTCTAPE_FEATURES: "none", or any of
   "write-behind", "read-ahead", "read-by-reference" (with read-ahead) separated by commas;
   unset = all three. */
static U32 wanted_features(void)
{
    const char *v = getenv("HDTCTAPE_FEATURES");
    U32 f = 0;
    if (!v) return FEATURE_WRITE_BEHIND | FEATURE_READ_AHEAD | FEATURE_READ_BY_REF;
    if (strstr(v, "write-behind")) f |= FEATURE_WRITE_BEHIND;
    if (strstr(v, "read-ahead")) f |= FEATURE_READ_AHEAD;
    if (strstr(v, "read-by-reference") && (f & FEATURE_READ_AHEAD)) f |= FEATURE_READ_BY_REF;
    return f;
}

static void put16(BYTE *p, U32 v) { p[0] = (BYTE)(v >> 8); p[1] = (BYTE)v; }
static void put32(BYTE *p, U32 v) { p[0] = (BYTE)(v >> 24); p[1] = (BYTE)(v >> 16); p[2] = (BYTE)(v >> 8); p[3] = (BYTE)v; }
static U32  get16(const BYTE *p)  { return ((U32)p[0] << 8) | p[1]; }
static U32  get32(const BYTE *p)  { return ((U32)p[0] << 24) | ((U32)p[1] << 16) | ((U32)p[2] << 8) | p[3]; }

/* A protocol string (u16 length + UTF-8) at p, within len bytes; copied NUL-terminated.
   Returns the bytes consumed or -1 when it does not fit. */
static int get_string(const BYTE *p, U32 len, char *out, size_t outsize)
{
    U32 n;
    if (len < 2) return -1;
    n = get16(p);
    if (n > len - 2) return -1;
    if (outsize) {
        size_t c = n < outsize - 1 ? n : outsize - 1;
        memcpy(out, p + 2, c);
        out[c] = '\0';
    }
    return (int)(2 + n);
}

static size_t put_string(BYTE *p, const char *s)
{
    size_t n = strlen(s);
    if (n > 0xFFFF) n = 0xFFFF;
    put16(p, (U32)n);
    memcpy(p + 2, s, n);
    return 2 + n;
}

/* ---- sense ---------------------------------------------------------------------------- */
/* Intervention required, as Hercules builds it for an empty drive (hercules-tape.md §2.2-2.4):
   3480/3490 `40 42 20 43`, byte 7 format 20, bytes 25-30 as tapeccws.c build_senseX;
   3420 `40 22`. */
static void set_not_ready_sense(CTAPE *ct, DEVBLK *dev)
{
    memset(dev->sense, 0, sizeof(dev->sense));
    dev->sense[0] = SENSE_IR;
    if (ct->model == 0x3420) {
        dev->sense[1] = 0x22;
    } else {
        dev->sense[1] = 0x42;
        dev->sense[2] = 0x20;
        dev->sense[3] = 0x43;
        dev->sense[7] = 0x20;               /* format 20 */
        dev->sense[25] = 0x06;
        dev->sense[27] = ct->model == 0x3480 ? 0xFC : 0xEC;
        dev->sense[28] = (BYTE)(ct->devnum >> 12);              /* pseudo serial */
        dev->sense[29] = (BYTE)(ct->devnum >> 4);
        dev->sense[30] = (BYTE)(((ct->devnum & 0xF) << 4) | (ct->devnum & 0xF));
    }
}

/* ---- registry and references ---------------------------------------------------------- */
static void ct_free(CTAPE *ct)
{
    if (ct->placeholder_fd >= 0) close(ct->placeholder_fd);
    free(ct->ra_frame);
    if (ct->ra_fd >= 0) close(ct->ra_fd);
    pthread_mutex_destroy(&ct->mu);
    pthread_mutex_destroy(&ct->send_mu);
    pthread_cond_destroy(&ct->cv);
    free(ct);
}

static void ct_unref_locked(CTAPE *ct)   /* g_mu held */
{
    if (--ct->refs == 0) ct_free(ct);
}

static void ct_unregister_locked(CTAPE *ct)   /* g_mu held */
{
    CTAPE **pp;
    if (!ct->registered) return;
    for (pp = &g_devices; *pp; pp = &(*pp)->next)
        if (*pp == ct) { *pp = ct->next; break; }
    ct->registered = 0;
    ct->next = NULL;
}

/* ---- socket I/O ----------------------------------------------------------------------- */
/* Header and body with one sendmsg: a frame goes out as one segment (TCP_NODELAY is set), so
   the server sees it whole instead of waking once for the 5-byte header and again for the body. */
static int send_frame_iov(int fd, BYTE *hdr, const BYTE *body, U32 len, const BYTE *data, U32 dlen)
{
    struct iovec iov[3];
    struct msghdr m;
    int niov = 1, i = 0;
    iov[0].iov_base = hdr;
    iov[0].iov_len = 5;
    if (len) { iov[niov].iov_base = (void *)body; iov[niov].iov_len = len; niov++; }
    if (dlen) { iov[niov].iov_base = (void *)data; iov[niov].iov_len = dlen; niov++; }
    while (i < niov) {
        ssize_t w;
        memset(&m, 0, sizeof(m));
        m.msg_iov = iov + i;
        m.msg_iovlen = (size_t)(niov - i);
        w = sendmsg(fd, &m, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;                   /* includes EAGAIN: SO_SNDTIMEO expired */
        }
        while (i < niov && (size_t)w >= iov[i].iov_len) { w -= (ssize_t)iov[i].iov_len; i++; }
        if (i < niov) {
            iov[i].iov_base = (BYTE *)iov[i].iov_base + w;
            iov[i].iov_len -= (size_t)w;
        }
    }
    return 0;
}

/* One frame: length, type, body, then data (a CCW's output, sent from the channel's buffer
   without a copy). Serialised with send_mu; the socket is looked up under mu so that
   disconnect() (which closes the descriptor only while holding send_mu) cannot race. */
static int send_frame_data(CTAPE *ct, BYTE type, const BYTE *body, U32 len, const BYTE *data, U32 dlen)
{
    BYTE hdr[5];
    int fd, rc = -1;
    put32(hdr, len + dlen + 1);
    hdr[4] = type;
    pthread_mutex_lock(&ct->send_mu);
    pthread_mutex_lock(&ct->mu);
    fd = ct->lost ? -1 : ct->sock;
    pthread_mutex_unlock(&ct->mu);
    if (fd >= 0 && len + dlen + 1 <= ct->max_frame)
        rc = send_frame_iov(fd, hdr, body, len, data, dlen);
    if (rc == 0) {
        pthread_mutex_lock(&ct->mu);
        now_ts(&ct->last_send);
        pthread_mutex_unlock(&ct->mu);
    }
    pthread_mutex_unlock(&ct->send_mu);
    return rc;
}

static int send_frame(CTAPE *ct, BYTE type, const BYTE *body, U32 len)
{
    return send_frame_data(ct, type, body, len, NULL, 0);
}

/* ---- unsolicited status --------------------------------------------------------------- */
static void queue_attention(CTAPE *ct, BYTE status)
{
    ATTN *a = malloc(sizeof(*a));
    if (!a) return;
    a->status = status;
    a->next = NULL;
    pthread_mutex_lock(&g_mu);
    a->ct = ct;
    ct->refs++;
    if (g_attn_tail) g_attn_tail->next = a; else g_attn_head = a;
    g_attn_tail = a;
    pthread_cond_signal(&g_cv);
    pthread_mutex_unlock(&g_mu);
}

/* ---- read-ahead batch (docs/protocol.md §5.2) ------------------------------------------- */
static void ra_drop_locked(CTAPE *ct)   /* ct->mu held */
{
    free(ct->ra_frame);
    ct->ra_frame = NULL;
    ct->ra_len = ct->ra_off = ct->ra_left = 0;
    ct->ra_program_began = 0;
}

/* A ReadAhead frame: u16 n >= 1, then n x (u32 length L, min(L, 65535) bytes), nothing more.
   Takes body (kept as the batch) when it is well formed; returns -1 (body freed) if not. */
static int ra_accept(CTAPE *ct, BYTE *body, U32 blen)
{
    U32 n, i, off = 2;
    if (blen < 2 || (n = get16(body)) == 0) { free(body); return -1; }
    for (i = 0; i < n; i++) {
        U32 l;
        if (blen - off < 4) { free(body); return -1; }
        l = get32(body + off);
        if (l & RA_ENTRY_REFERENCE) {   /* u32 flag|L, u64 offset in the image (§5.3) */
            if ((l & ~RA_ENTRY_REFERENCE) == 0 || blen - off < 12 || !(ct->features & FEATURE_READ_BY_REF)) {
                free(body);
                return -1;
            }
            off += 12;
            continue;
        }
        l = l < CT_MAX_CCW_DATA ? l : CT_MAX_CCW_DATA;
        if (l == 0 || blen - off - 4 < l) { free(body); return -1; }
        off += 4 + l;
    }
    if (off != blen) { free(body); return -1; }
    pthread_mutex_lock(&ct->mu);
    free(ct->ra_frame);                 /* never two batches: §5.2 ends one before a Ccw */
    ct->ra_frame = body;
    ct->ra_len = blen;
    ct->ra_off = 2;
    ct->ra_left = n;
    pthread_mutex_unlock(&ct->mu);
    return 0;
}

/* pread of exactly n bytes; -1 on error or a short file */
static int pread_full(int fd, BYTE *p, size_t n, off_t at)
{
    while (n > 0) {
        ssize_t r = pread(fd, p, n, at);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) { if (r == 0) errno = EIO; return -1; }
        p += r; n -= (size_t)r; at += r;
    }
    return 0;
}

/* ReadAheadImage (§5.3): the image the next references point into; opened read-only here. */
static void ra_image(CTAPE *ct, const BYTE *body, U32 blen)
{
    char path[4096] = "";
    int fd = -1;
    errno = ENOENT;
    if (get_string(body, blen, path, sizeof(path)) >= 0 && path[0] == '/')
        fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        logmsg("CTAPE016W %4.4X: cannot open the volume image '%s' for read-ahead: %s\n",
               ct->devnum, path, strerror(errno));
    pthread_mutex_lock(&ct->mu);
    if (ct->ra_fd >= 0) close(ct->ra_fd);
    ct->ra_fd = fd;
    pthread_mutex_unlock(&ct->mu);
}

/* Answers a Read (02) from the batch, exactly as the drive would have: min(count, L) bytes,
   residual, more when the block is longer. Returns 1 when answered. No round trip: a copy from
   the frame, or one pread from the image for a block by reference (§5.3). */
static int ra_take(CTAPE *ct, int ccwseq, CT_COUNT count, BYTE *iobuf,
                   BYTE *more, BYTE *unitstat, CT_COUNT *residual)
{
    U32 l, stored, n;
    pthread_mutex_lock(&ct->mu);
    if (ct->ra_left == 0 || ct->ra_ref_failed) { pthread_mutex_unlock(&ct->mu); return 0; }
    l = get32(ct->ra_frame + ct->ra_off);
    if (l & RA_ENTRY_REFERENCE) {
        /* §5.3: the bytes lie in the image; read them straight into the channel's buffer */
        U64 at = ((U64)get32(ct->ra_frame + ct->ra_off + 4) << 32) | get32(ct->ra_frame + ct->ra_off + 8);
        l &= ~RA_ENTRY_REFERENCE;
        n = count < l ? count : l;
        if (ct->ra_fd < 0 || pread_full(ct->ra_fd, iobuf, n, (off_t)at) != 0) {
            /* not readable here: the block and the rest go back, the Read goes to the server */
            logmsg("CTAPE015W %4.4X: cannot read the volume image for read-ahead (%s); "
                   "asking the server to send blocks inline\n", ct->devnum,
                   ct->ra_fd < 0 ? "not open" : strerror(errno));
            ct->ra_ref_failed = 1;
            pthread_mutex_unlock(&ct->mu);
            return 0;
        }
        ct->ra_off += 12;
    } else {
        stored = l < CT_MAX_CCW_DATA ? l : CT_MAX_CCW_DATA;
        n = count < l ? count : l;      /* count <= 65535, so n <= stored */
        memcpy(iobuf, ct->ra_frame + ct->ra_off + 4, n);
        ct->ra_off += 4 + stored;
    }
    ct->ra_left--;
    if (ccwseq == 0) ct->ra_program_began = 1;
    ct->n_read_ahead++;
    pthread_mutex_unlock(&ct->mu);
    *more = l > count;
    *residual = (CT_COUNT)(count - n);
    *unitstat = CSW_CE | CSW_DE;
    return 1;
}

/* Before any frame that reaches the drive: give the unused blocks back (ReadAheadEnd), and say
   whether a channel program began among the Reads answered here. The batch is dropped only once
   that is sent: if the connection fails, the next exec reconnects and says it again there (the
   batch belongs to the drive, §5.2 Mounts and disconnects). */
static void ra_end(CTAPE *ct)
{
    BYTE body[5];
    int send, stop;
    pthread_mutex_lock(&ct->mu);
    stop = ct->ra_ref_failed && !ct->ra_ref_stopped;
    send = (ct->ra_left || ct->ra_program_began || stop) && (ct->features & FEATURE_READ_AHEAD);
    put32(body, ct->ra_left);
    body[4] = (BYTE)((ct->ra_program_began ? RA_END_PROGRAM_BEGAN : 0) | (stop ? RA_END_STOP_REFERENCES : 0));
    pthread_mutex_unlock(&ct->mu);
    if (send && send_frame(ct, MSG_READ_AHEAD_END, body, 5) != 0)
        return;                         /* kept for the reconnect; the Ccw's send fails too */
    pthread_mutex_lock(&ct->mu);
    if (stop) ct->ra_ref_stopped = 1;
    ct->ra_ref_failed = 0;
    if (ct->ra_frame || ct->ra_program_began) ra_drop_locked(ct);
    pthread_mutex_unlock(&ct->mu);
}

static void handle_unsolicited(CTAPE *ct, BYTE status)
{
    int raise = 1;
    pthread_mutex_lock(&ct->mu);
    ct->last_query.tv_sec = 0;          /* the drive changed: devlist asks again */
    if (status & CSW_DE) {              /* mount or unload: the batch is gone, and the */
        ra_drop_locked(ct);             /* credit was for the volume that was there    */
        ct->wb_credit = 0;
    }
    if (status == CSW_DE) {
        if (ct->mount_window && !ct->mount_de_seen) {
            ct->mount_de_seen = 1;       /* decided when the MountReply is in (init) */
            raise = 0;
        } else if (ct->swallow_de_until.tv_sec && !ts_passed(&ct->swallow_de_until)) {
            ct->swallow_de_until.tv_sec = 0;
            raise = 0;                   /* 3.13 devinit raised this DE itself */
        }
    }
    pthread_mutex_unlock(&ct->mu);
    if (raise) queue_attention(ct, status);
}

/* ---- receiving ----------------------------------------------------------------------- */
/* Waits until fd is readable, at most until deadline (NULL: no limit).
   Returns 1 readable, 0 deadline passed, -1 error. */
static int wait_readable(int fd, const struct timespec *deadline)
{
    struct pollfd p;
    int rc, ms;
    for (;;) {
        ms = -1;
        if (deadline) {
            struct timespec n;
            long long left;
            now_ts(&n);
            left = (long long)(deadline->tv_sec - n.tv_sec) * 1000
                 + (deadline->tv_nsec - n.tv_nsec) / 1000000;
            if (left <= 0) return 0;
            ms = left > 0x7FFFFFFF ? 0x7FFFFFFF : (int)left;
        }
        p.fd = fd; p.events = POLLIN; p.revents = 0;
        rc = poll(&p, 1, ms);
        if (rc < 0 && errno == EINTR) continue;
        if (rc < 0) return -1;
        if (rc == 0) { if (deadline) continue; return 0; }
        return 1;                       /* POLLIN, POLLHUP, POLLERR: recv tells */
    }
}

/* Reads n bytes, waiting (poll) only when none are there yet: a reply that has already
   arrived costs one recv, not a poll and a recv. Returns 0 done, -2 the deadline passed before
   the first byte (the stream is still in step), -1 connection unusable (closed, error, or cut
   off by the deadline part-way). */
static int recv_deadline(int fd, BYTE *p, size_t n, const struct timespec *deadline)
{
    size_t want = n;
    while (n > 0) {
        ssize_t r = recv(fd, p, n, MSG_DONTWAIT);
        if (r == 0) return -1;
        if (r < 0) {
            int w;
            if (errno == EINTR) continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK) return -1;
            w = wait_readable(fd, deadline);
            if (w == 0 && n == want) return -2;
            if (w != 1) return -1;
            continue;
        }
        p += r; n -= (size_t)r;
    }
    return 0;
}

/* One frame. Returns 0 with *type, *body (malloc'd) and *blen; -2 when nothing arrived before the
   deadline (the stream is still in step); -1 when the connection is unusable (closed, error,
   bad length, or a frame cut off by the deadline). */
static int read_frame(CTAPE *ct, int fd, const struct timespec *deadline,
                      BYTE *type, BYTE **body, U32 *blen)
{
    BYTE hdr[5];
    U32 len;
    int rc = recv_deadline(fd, hdr, 5, deadline);
    if (rc != 0) return rc;
    len = get32(hdr);
    if (len == 0 || len > ct->max_frame) {
        logmsg("CTAPE010E %4.4X: frame length %u from server out of range\n",
               ct->devnum, (unsigned)len);
        return -1;
    }
    *type = hdr[4];
    *blen = len - 1;
    *body = malloc(*blen ? *blen : 1);
    if (!*body) return -1;
    if (*blen && recv_deadline(fd, *body, *blen, deadline) != 0) {
        free(*body);
        return -1;
    }
    return 0;
}

enum { FRAME_HANDLED, FRAME_REPLY, FRAME_END };

/* What to do with a received frame. want: the reply type the caller waits for (0: none).
   FRAME_REPLY leaves body to the caller; otherwise body is freed here. */
static int dispatch_frame(CTAPE *ct, BYTE type, BYTE *body, U32 blen, BYTE want)
{
    if (type == MSG_UNSOLICITED) {
        if (blen >= 1) handle_unsolicited(ct, body[0]);
        free(body);
        return FRAME_HANDLED;
    }
    if (type == MSG_PING) {
        if (blen == 8) send_frame(ct, MSG_PONG, body, 8);
        free(body);
        return FRAME_HANDLED;
    }
    if (type == MSG_CLOSE) {
        char text[200] = "";
        if (blen >= 1) get_string(body + 1, blen - 1, text, sizeof(text));
        logmsg("CTAPE011I %4.4X: server closed the connection (reason %u) %s\n",
               ct->devnum, blen ? body[0] : 0, text);
        free(body);
        return FRAME_END;
    }
    if (type == MSG_ERROR) {
        char text[200] = "";
        if (blen >= 2) get_string(body + 2, blen - 2, text, sizeof(text));
        logmsg("CTAPE012E %4.4X: server reported protocol error %u: %s\n",
               ct->devnum, blen >= 2 ? get16(body) : 0, text);
        free(body);
        return FRAME_END;
    }
    pthread_mutex_lock(&ct->mu);
    if (ct->abandoned_type && type == ct->abandoned_type) {
        ct->abandoned_type = 0;         /* late reply to a request that timed out */
        pthread_mutex_unlock(&ct->mu);
        free(body);
        return FRAME_HANDLED;
    }
    pthread_mutex_unlock(&ct->mu);
    if (want && type == want) return FRAME_REPLY;
    if (type == MSG_READ_AHEAD_IMAGE && (ct->features & FEATURE_READ_BY_REF)) {
        ra_image(ct, body, blen);
        free(body);
        return FRAME_HANDLED;
    }
    if (type == MSG_READ_AHEAD && want == MSG_CCW_REPLY && (ct->features & FEATURE_READ_AHEAD)) {
        if (ra_accept(ct, body, blen) == 0) return FRAME_HANDLED;
        logmsg("CTAPE014E %4.4X: malformed ReadAhead (%u bytes) from server\n", ct->devnum, (unsigned)blen);
        return FRAME_END;
    }
    logmsg("CTAPE013E %4.4X: unexpected message type %2.2X from server\n", ct->devnum, type);
    free(body);
    return FRAME_END;
}

/* Reads what an idle connection has received, without waiting for more (housekeeping, and
   exec before a CCW, so that a server's Close or EOF is seen before a CCW is sent into it).
   A frame that has begun must complete within 2 s. */
static void read_idle_connection(CTAPE *ct)
{
    int fd;
    for (;;) {
        struct pollfd p;
        struct timespec deadline;
        BYTE type, *body;
        U32 blen;
        int rc, d;

        pthread_mutex_lock(&ct->mu);
        fd = ct->sock;
        if (fd < 0 || ct->lost || ct->req_busy || ct->idle_reading) {
            pthread_mutex_unlock(&ct->mu);
            return;
        }
        p.fd = fd; p.events = POLLIN; p.revents = 0;
        if (poll(&p, 1, 0) <= 0) { pthread_mutex_unlock(&ct->mu); return; }
        ct->idle_reading = 1;
        pthread_mutex_unlock(&ct->mu);

        now_ts(&deadline);
        ts_add_ms(&deadline, 2000);
        rc = read_frame(ct, fd, &deadline, &type, &body, &blen);
        d = rc == 0 ? dispatch_frame(ct, type, body, blen, 0) : FRAME_END;

        pthread_mutex_lock(&ct->mu);
        ct->idle_reading = 0;
        if (d == FRAME_END && ct->sock == fd) ct->lost = 1;
        pthread_cond_broadcast(&ct->cv);
        pthread_mutex_unlock(&ct->mu);
        if (d == FRAME_END) return;
    }
}

/* ---- connection management ------------------------------------------------------------ */
/* Ends the current connection (if any): no new request or send picks the socket up, a
   thread reading it is woken by the shutdown and left to finish, then the descriptor is
   closed (so its number cannot be reused under a reader). */
static void disconnect(CTAPE *ct)
{
    int fd;
    struct timespec deadline;

    pthread_mutex_lock(&ct->mu);
    fd = ct->sock;
    ct->sock = -1;
    ct->lost = 0;
    ct->abandoned_type = 0;
    if (fd >= 0) shutdown(fd, SHUT_RDWR);
    pthread_cond_broadcast(&ct->cv);
    now_ts(&deadline);
    ts_add_ms(&deadline, CT_SHORT_TIMEOUT_MS);
    while (fd >= 0 && (ct->req_busy || ct->idle_reading))
        if (pthread_cond_timedwait(&ct->cv, &ct->mu, &deadline) == ETIMEDOUT) break;
    pthread_mutex_unlock(&ct->mu);

    if (fd >= 0) {
        pthread_mutex_lock(&ct->send_mu);
        close(fd);
        pthread_mutex_unlock(&ct->send_mu);
    }
}

static int connect_with_timeout(const char *host, const char *port, int timeout_ms, char *why, size_t whylen)
{
    struct addrinfo hints, *res = NULL, *ai;
    int fd = -1, rc;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) {
        snprintf(why, whylen, "cannot resolve %s: %s", host, gai_strerror(rc));
        return -1;
    }
    snprintf(why, whylen, "no address for %s", host);
    for (ai = res; ai; ai = ai->ai_next) {
        int flags, err = 0;
        socklen_t elen = sizeof(err);
        struct pollfd pfd;

        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) { snprintf(why, whylen, "socket: %s", strerror(errno)); continue; }
        flags = fcntl(fd, F_GETFL, 0);
        fcntl(fd, F_SETFL, flags | O_NONBLOCK);
        rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
        if (rc < 0 && errno == EINPROGRESS) {
            pfd.fd = fd; pfd.events = POLLOUT; pfd.revents = 0;
            do rc = poll(&pfd, 1, timeout_ms); while (rc < 0 && errno == EINTR);
            if (rc == 0) { err = ETIMEDOUT; }
            else if (rc < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0) err = errno;
            rc = err ? -1 : 0;
            errno = err;
        }
        if (rc == 0) {
            fcntl(fd, F_SETFL, flags);
            break;
        }
        snprintf(why, whylen, "connect to %s:%s: %s", host, port, strerror(errno));
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd >= 0) {
        int one = 1;
        struct timeval tv;
        tv.tv_sec = env_seconds("HDTCTAPE_TIMEOUT", CT_REPLY_TIMEOUT_S_DEFAULT);
        tv.tv_usec = 0;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
        /* a server that stops reading cannot block a send (and the CPU) for ever */
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    }
    return fd;
}

/* Sends one request and reads frames until its reply of type want has come (docs/protocol.md
   §2: one request at a time; Unsolicited and Ping may come first). try_only: give up at once
   if another request is outstanding. Returns 0 with *reply (malloc'd, the caller frees it),
   -1 connection gone (marked lost), -2 timeout, -3 busy. */
static int request_data(CTAPE *ct, BYTE type, const BYTE *body, U32 len, const BYTE *data, U32 dlen,
                        BYTE want, long timeout_ms, int try_only, BYTE **reply, U32 *reply_len)
{
    struct timespec deadline;
    int rc = 0, fd;

    now_ts(&deadline);
    ts_add_ms(&deadline, timeout_ms);
    pthread_mutex_lock(&ct->mu);
    while ((ct->req_busy || ct->idle_reading) && ct->sock >= 0 && !ct->lost) {
        if (try_only) { pthread_mutex_unlock(&ct->mu); return -3; }
        if (pthread_cond_timedwait(&ct->cv, &ct->mu, &deadline) == ETIMEDOUT) {
            pthread_mutex_unlock(&ct->mu);
            return -2;
        }
    }
    if (ct->sock < 0 || ct->lost) { pthread_mutex_unlock(&ct->mu); return -1; }
    fd = ct->sock;
    ct->req_busy = 1;
    ct->ccw_outstanding = (type == MSG_CCW);
    pthread_mutex_unlock(&ct->mu);

    if (send_frame_data(ct, type, body, len, data, dlen) != 0) rc = -1;
    while (rc == 0) {
        BYTE rtype, *rbody;
        U32 rlen;
        int d;
        rc = read_frame(ct, fd, &deadline, &rtype, &rbody, &rlen);
        if (rc != 0) break;
        d = dispatch_frame(ct, rtype, rbody, rlen, want);
        if (d == FRAME_REPLY) { *reply = rbody; *reply_len = rlen; break; }
        if (d == FRAME_END) rc = -1;
    }

    pthread_mutex_lock(&ct->mu);
    if (rc == -1 && ct->sock == fd) ct->lost = 1;
    if (rc == -2) ct->abandoned_type = want;   /* the reply may still come */
    ct->req_busy = 0;
    ct->ccw_outstanding = 0;
    pthread_cond_broadcast(&ct->cv);
    pthread_mutex_unlock(&ct->mu);
    return rc;
}

static int request(CTAPE *ct, BYTE type, const BYTE *body, U32 len, BYTE want,
                   long timeout_ms, int try_only, BYTE **reply, U32 *reply_len)
{
    return request_data(ct, type, body, len, NULL, 0, want, timeout_ms, try_only, reply, reply_len);
}

/* Applies an AttachReply's identity to the device (docs/protocol.md, AttachReply). */
static int apply_attach_reply(CTAPE *ct, DEVBLK *dev, const BYTE *r, U32 len, char *why, size_t whylen)
{
    U32 n, off, i;
    int sl;
    char msg[256] = "";

    if (len < 4) { snprintf(why, whylen, "AttachReply too short"); return -1; }
    n = r[3];
    if (len < 4 + n + 1 + 32 + 1 + 2) { snprintf(why, whylen, "AttachReply too short"); return -1; }
    off = 38 + n;
    sl = get_string(r + off, len - off, msg, sizeof(msg));
    if (sl < 0) { snprintf(why, whylen, "AttachReply message does not fit"); return -1; }
    if (r[0] != 0) {
        static const char *const reasons[] = { "attached", "no such drive", "model mismatch",
            "drive attached by another connection", "volume or options refused" };
        snprintf(why, whylen, "attach refused (%u %s): %s", r[0],
                 r[0] < 5 ? reasons[r[0]] : "unknown result", msg);
        return -1;
    }
    if (n == 0 || n > sizeof(dev->devid) || r[4 + n] == 0) {
        snprintf(why, whylen, "AttachReply without identity");
        return -1;
    }
    ct->model = (U16)get16(r + 1);
    dev->devtype = ct->model;
    dev->numdevid = n;
    memcpy(dev->devid, r + 4, n);
    dev->numsense = r[4 + n];
    for (i = 0; i < 256; i++)
        ct->immed[i] = ((r[5 + n + i / 8] >> (7 - (i % 8))) & 1) ? &ct_immed_marker : NULL;
    strlcpy(ct->status_text, msg, sizeof(ct->status_text));
    now_ts(&ct->last_query);
    return 0;
}

/* Connects, says Hello and attaches the drive. words: mount words for the Attach ("" = leave
   the drive's volume as it is). Called from init (dev->lock held) and exec; both are fine:
   nothing here needs a Hercules lock. Returns 0 when attached. */
static int connect_and_attach(CTAPE *ct, DEVBLK *dev, int takeover, const char *words, char *why, size_t whylen)
{
    BYTE hello[2 + 4 + 4 + 2 + 64 + 4], *attach, *r = NULL;
    U32 rlen = 0, hlen;
    size_t alen;
    int fd, rc;
    char name[64];

    disconnect(ct);
    fd = connect_with_timeout(ct->host, ct->port,
            (int)env_seconds("HDTCTAPE_CONNECT_TIMEOUT", CT_CONNECT_TIMEOUT_S_DEFAULT) * 1000,
            why, whylen);
    if (fd < 0) return -1;

    pthread_mutex_lock(&ct->mu);
    ct->sock = fd;
    ct->lost = 0;
    ct->abandoned_type = 0;
    ct->max_frame = CT_MAX_FRAME_DEFAULT;
    pthread_mutex_unlock(&ct->mu);

    /* Hello: magic, version, largest frame we accept (0 = default), host name */
    memcpy(hello, "CTAP", 4);
    put16(hello + 4, CT_PROTOCOL_VERSION);
    put32(hello + 6, 0);
    snprintf(name, sizeof(name), "hdtctape %s", CT_FLAVOR);
    hlen = 10 + (U32)put_string(hello + 10, name);
    put32(hello + hlen, wanted_features());
    hlen += 4;
    rc = request(ct, MSG_HELLO, hello, hlen, MSG_HELLO_REPLY, CT_SHORT_TIMEOUT_MS, 0, &r, &rlen);
    if (rc != 0) {
        snprintf(why, whylen, "no HelloReply from %s:%s (%s)", ct->host, ct->port,
                 rc == -2 ? "timeout" : "connection closed");
        disconnect(ct);
        return -1;
    }
    if (rlen < 8 || get16(r) != CT_PROTOCOL_VERSION) {
        snprintf(why, whylen, "server speaks protocol version %u, not %u",
                 rlen >= 2 ? get16(r) : 0, CT_PROTOCOL_VERSION);
        free(r);
        disconnect(ct);
        return -1;
    }
    {
        U32 mf = get32(r + 2), granted = 0;
        char sname[128] = "";
        int sl = get_string(r + 6, rlen - 6, sname, sizeof(sname));
        /* the features in effect follow the server name; an older server sends none */
        if (sl > 0 && rlen >= 6 + (U32)sl + 4) granted = get32(r + 6 + sl) & wanted_features();
        pthread_mutex_lock(&ct->mu);
        if (mf >= CT_MIN_FRAME && mf <= CT_MAX_FRAME_DEFAULT) ct->max_frame = mf;
        ct->features = granted;
        ct->ra_ref_failed = ct->ra_ref_stopped = 0;   /* a new connection starts with references */
        ct->wb_credit = 0;              /* and grants its own credit */
        pthread_mutex_unlock(&ct->mu);
        if (mf < CT_MIN_FRAME || mf > CT_MAX_FRAME_DEFAULT) {
            snprintf(why, whylen, "server's maximum frame length %u is out of range", (unsigned)mf);
            free(r);
            disconnect(ct);
            return -1;
        }
    }
    free(r);
    r = NULL;

    /* Attach: device number, model 0000 (the server's configured one), flags, words */
    alen = 5 + 2 + strlen(words);
    attach = malloc(alen);
    if (!attach) { disconnect(ct); snprintf(why, whylen, "out of memory"); return -1; }
    put16(attach, ct->devnum);
    put16(attach + 2, 0x0000);
    attach[4] = takeover ? ATTACH_FLAG_TAKEOVER : 0;
    alen = 5 + put_string(attach + 5, words);
    rc = request(ct, MSG_ATTACH, attach, (U32)alen, MSG_ATTACH_REPLY, CT_SHORT_TIMEOUT_MS, 0, &r, &rlen);
    free(attach);
    if (rc != 0) {
        snprintf(why, whylen, "no AttachReply (%s)", rc == -2 ? "timeout" : "connection closed");
        disconnect(ct);
        return -1;
    }
    if (apply_attach_reply(ct, dev, r, rlen, why, whylen) != 0) {
        free(r);
        disconnect(ct);
        return -1;
    }
    free(r);
    ct->attached_once = 1;
    dev->immed = ct->immed;
    return 0;
}

static int is_connected(CTAPE *ct)
{
    int c;
    pthread_mutex_lock(&ct->mu);
    c = ct->sock >= 0 && !ct->lost;
    pthread_mutex_unlock(&ct->mu);
    return c;
}

/* ---- housekeeping thread -------------------------------------------------------------- */
static void send_close(CTAPE *ct, BYTE reason, const char *text)
{
    BYTE body[1 + 2 + 128];
    size_t n;
    if (!is_connected(ct)) return;
    body[0] = reason;
    n = 1 + put_string(body + 1, text);
    send_frame(ct, MSG_CLOSE, body, (U32)n);
}

static void *housekeeper_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&g_mu);
    for (;;) {
        struct timespec tick;
        CTAPE *ct, **work;
        int nwork = 0, ndev = 0, i;

        /* unsolicited status: device_attention takes dev->lock, so no module lock here */
        while (g_attn_head) {
            ATTN *a = g_attn_head;
            int ok;
            g_attn_head = a->next;
            if (!g_attn_head) g_attn_tail = NULL;
            ok = a->ct->registered && !a->ct->parked;
            pthread_mutex_unlock(&g_mu);
            if (ok) {
                int rc = device_attention(a->ct->dev, a->status);
                if (rc == 1)            /* rc 3: subchannel not enabled, nobody to tell */
                    logmsg("CTAPE020I %4.4X: unsolicited status %2.2X not presented: "
                           "device busy or status pending\n", a->ct->devnum, a->status);
            }
            pthread_mutex_lock(&g_mu);
            ct_unref_locked(a->ct);
            free(a);
        }

        /* parked closes whose devinit never came, and idle connections due a keepalive */
        for (ct = g_devices; ct; ct = ct->next) ndev++;
        work = ndev ? malloc(ndev * sizeof(*work)) : NULL;
        for (ct = g_devices; ct && work; ct = ct->next) {
            ct->refs++;
            work[nwork++] = ct;
        }
        pthread_mutex_unlock(&g_mu);
        for (i = 0; i < nwork; i++) {
            int parked, due;
            ct = work[i];
            pthread_mutex_lock(&g_mu);
            parked = ct->parked;
            due = parked && ts_passed(&ct->park_deadline);
            pthread_mutex_unlock(&g_mu);
            if (parked) {
                if (due) {
                    pthread_mutex_lock(&g_mu);
                    if (ct->parked && ct->registered) {
                        ct_unregister_locked(ct);
                        ct->refs--;          /* the registry's reference */
                        pthread_mutex_unlock(&g_mu);
                        send_close(ct, CLOSE_REASON_NORMAL, "device detached");
                        disconnect(ct);
                    } else {
                        pthread_mutex_unlock(&g_mu);
                    }
                }
            } else if (is_connected(ct)) {
                long long idle;
                read_idle_connection(ct);
                pthread_mutex_lock(&ct->mu);
                idle = ms_since(&ct->last_send);
                pthread_mutex_unlock(&ct->mu);
                if (idle >= CT_KEEPALIVE_S * 1000) {
                    BYTE token[8], *r = NULL;
                    U32 rlen = 0;
                    int rc;
                    put32(token, (U32)time(NULL));
                    put32(token + 4, ct->devnum);
                    rc = request(ct, MSG_PING, token, 8, MSG_PONG, CT_SHORT_TIMEOUT_MS, 1, &r, &rlen);
                    free(r);
                    if (rc == -2) {
                        logmsg("CTAPE021W %4.4X: no Pong from the server; dropping the connection\n",
                               ct->devnum);
                        disconnect(ct);
                    }
                }
            }
        }
        pthread_mutex_lock(&g_mu);
        for (i = 0; i < nwork; i++) ct_unref_locked(work[i]);
        free(work);

        if (!g_devices && !g_attn_head) break;   /* nothing left to look after */
        if (g_attn_head) continue;
        now_ts(&tick);
        ts_add_ms(&tick, 100);
        pthread_cond_timedwait(&g_cv, &g_mu, &tick);
    }
    g_housekeeper_running = 0;
    pthread_mutex_unlock(&g_mu);
    return NULL;
}

static void ensure_housekeeper_locked(void)   /* g_mu held */
{
    pthread_t tid;
    pthread_attr_t a;
    if (g_housekeeper_running) return;
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&tid, &a, housekeeper_main, NULL) == 0)
        g_housekeeper_running = 1;
    else
        logmsg("CTAPE022E hdtctape: cannot start its housekeeping thread; "
               "unsolicited status will not be presented\n");
    pthread_attr_destroy(&a);
}

/* ---- arguments ------------------------------------------------------------------------ */
/* host:port, [v6]:port. Returns 1 when arg is an address. */
static int parse_hostport(const char *arg, char *host, size_t hostlen, char *port, size_t portlen)
{
    const char *colon, *p;
    size_t hl;
    long v;
    if (strchr(arg, '/')) return 0;
    colon = strrchr(arg, ':');
    if (!colon || !colon[1]) return 0;
    for (p = colon + 1; *p; p++) if (*p < '0' || *p > '9') return 0;
    v = strtol(colon + 1, NULL, 10);
    if (v < 1 || v > 65535) return 0;
    hl = (size_t)(colon - arg);
    if (hl == 0) return 0;
    if (arg[0] == '[' && arg[hl - 1] == ']') { arg++; hl -= 2; }
    if (hl >= hostlen || strlen(colon + 1) >= portlen) return 0;
    memcpy(host, arg, hl);
    host[hl] = '\0';
    strlcpy(port, colon + 1, portlen);
    return 1;
}

static void join_words(int argc, char *argv[], int from, char *out, size_t outlen)
{
    int i;
    out[0] = '\0';
    for (i = from; i < argc; i++) {
        if (!argv[i]) continue;
        if (out[0]) strlcat(out, " ", outlen);
        strlcat(out, argv[i], outlen);
    }
}

static void use_fallback_identity(CTAPE *ct, DEVBLK *dev)
{
    int i;
    ct->model = 0x3490;
    dev->devtype = 0x3490;
    dev->numdevid = sizeof(ct_fallback_devid);
    memcpy(dev->devid, ct_fallback_devid, sizeof(ct_fallback_devid));
    dev->numsense = 32;
    for (i = 0; i < 256; i++)
        ct->immed[i] = ct_tape_immed[i] ? &ct_immed_marker : NULL;
    dev->immed = ct->immed;
    ct->status_text[0] = '\0';
}

/* ---- devinit on a device that is already attached: Mount ------------------------------ */
static int mount_words(CTAPE *ct, DEVBLK *dev, const char *words)
{
    BYTE *body, *r = NULL;
    U32 rlen = 0;
    size_t blen;
    int rc, de_seen;
    char msg[256] = "";

    if (!is_connected(ct)) {
        char why[256];
        /* the Attach carries the words: mounts on a drive that was never attached, and
           remounts on one that was (server re-applies the statement) */
        if (connect_and_attach(ct, dev, 1, words, why, sizeof(why)) != 0) {
            logmsg("CTAPE030E %4.4X: devinit failed: %s\n", ct->devnum, why);
            return -1;
        }
        strlcpy(ct->words, words, sizeof(ct->words));
        return 0;
    }
    if (!words[0]) return 0;            /* nothing to mount: devinit re-reads the state */

    body = malloc(2 + strlen(words));
    if (!body) return -1;
    blen = put_string(body, words);
    /* unused read-ahead blocks go back first (§5.2): a refused mount leaves the volume where it
       was, and the server would otherwise count them as read */
    ra_end(ct);
    pthread_mutex_lock(&ct->mu);
    ra_drop_locked(ct);                 /* a mount ends the read-ahead batch (§5.2) */
    ct->wb_credit = 0;                  /* and the credit (§5.1): the next Write asks */
    ct->mount_window = 1;
    ct->mount_de_seen = 0;
    pthread_mutex_unlock(&ct->mu);
    rc = request(ct, MSG_MOUNT, body, (U32)blen, MSG_MOUNT_REPLY, CT_SHORT_TIMEOUT_MS * 10, 0, &r, &rlen);
    free(body);
    pthread_mutex_lock(&ct->mu);
    ct->last_query.tv_sec = 0;          /* devlist asks the server again */
    ct->mount_window = 0;
    de_seen = ct->mount_de_seen;
    ct->mount_de_seen = 0;
    if (rc == 0 && rlen >= 1 && r[0] == 0 && !CT_HERC4 && !de_seen) {
        /* 3.13's devinit presents DE itself after init: the server's DE would be a second */
        now_ts(&ct->swallow_de_until);
        ts_add_ms(&ct->swallow_de_until, CT_MOUNT_DE_WINDOW_MS);
    }
    pthread_mutex_unlock(&ct->mu);
    if (rc != 0) {
        logmsg("CTAPE031E %4.4X: no MountReply from the server (%s)\n", ct->devnum,
               rc == -2 ? "timeout" : "connection closed");
        disconnect(ct);
        return -1;
    }
    if (rlen >= 1) get_string(r + 1, rlen - 1, msg, sizeof(msg));
    if (rlen < 1 || r[0] != 0) {
        logmsg("CTAPE032E %4.4X: mount of '%s' refused: %s\n", ct->devnum, words, msg);
        free(r);
        if (de_seen) queue_attention(ct, CSW_DE);
        return -1;
    }
    free(r);
    if (de_seen && CT_HERC4) queue_attention(ct, CSW_DE);
    logmsg("CTAPE033I %4.4X: %s '%s': %s\n", ct->devnum, strcmp(words, "*") ? "mounted" : "unloaded", words, msg);
    return 0;
}

/* ---- DEVHND: init --------------------------------------------------------------------- */
static int ctape_init(DEVBLK *dev, int argc, char *argv[])
{
    CTAPE *ct, *old = NULL;
    char host[256], port[16], words[1024], why[256];
    int have_addr, reinit;

    module_init_once();                 /* before any use of g_cv (housekeeper, attention) */
    have_addr = argc >= 1 && argv[0] && parse_hostport(argv[0], host, sizeof(host), port, sizeof(port));
    join_words(argc, argv, have_addr ? 1 : 0, words, sizeof(words));

    /* an existing state for this device: 4.x devinit (dev->reinit), or 3.13 devinit, whose
       close() parked the connection just before this init */
    pthread_mutex_lock(&g_mu);
    for (ct = g_devices; ct; ct = ct->next)
        if (ct->dev == dev) { old = ct; break; }
    if (old) {
        old->refs++;                    /* ours until the end of this block */
#if CT_HERC4
        reinit = dev->reinit && old->devnum == dev->devnum;
#else
        reinit = old->parked && old->devnum == dev->devnum;
#endif
        old->parked = 0;
    } else {
        reinit = 0;
    }
    pthread_mutex_unlock(&g_mu);

    if (old && reinit && (!have_addr || (!strcmp(host, old->host) && !strcmp(port, old->port)))) {
        int rc;
        ct = old;
        dev->dev_data = ct;
        dev->fd = ct->placeholder_fd;
        dev->immed = ct->immed;
        rc = mount_words(ct, dev, words);
        pthread_mutex_lock(&g_mu);
        ct_unref_locked(ct);
        pthread_mutex_unlock(&g_mu);
        return rc;
    }
    if (old) {
        /* a different server for this device (or a stale state): end the old connection */
        pthread_mutex_lock(&g_mu);
        if (old->registered) { ct_unregister_locked(old); old->refs--; }
        pthread_mutex_unlock(&g_mu);
        send_close(old, CLOSE_REASON_NORMAL, "device re-initialised");
        disconnect(old);
        pthread_mutex_lock(&g_mu);
        ct_unref_locked(old);
        pthread_mutex_unlock(&g_mu);
    }
    if (!have_addr) {
        logmsg("CTAPE001E %4.4X: CTAPE needs host:port as its first argument "
               "(CUU CTAPE host:port [image|volser|*] [options...])\n", dev->devnum);
        return -1;
    }

    ct = calloc(1, sizeof(*ct));
    if (!ct) return -1;
    ct->dev = dev;
    ct->devnum = dev->devnum;
    ct->sock = -1;
    ct->refs = 1;
    ct->max_frame = CT_MAX_FRAME_DEFAULT;
    strlcpy(ct->host, host, sizeof(ct->host));
    strlcpy(ct->port, port, sizeof(ct->port));
    strlcpy(ct->words, words, sizeof(ct->words));
    pthread_mutex_init(&ct->mu, NULL);
    pthread_mutex_init(&ct->send_mu, NULL);
    cond_init_monotonic(&ct->cv);
    now_ts(&ct->last_send);
    ct->placeholder_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    ct->ra_fd = -1;
    ct->reply_timeout_ms = env_seconds("HDTCTAPE_TIMEOUT", CT_REPLY_TIMEOUT_S_DEFAULT) * 1000;
    if (ct->placeholder_fd < 0) { ct_free(ct); return -1; }

    use_fallback_identity(ct, dev);
    /* the protocol's Ccw carries a write or control data chain as one merged buffer */
    dev->cdwmerge = 1;
    dev->dev_data = ct;
    /* Hercules calls close() only for a device with an open descriptor */
    dev->fd = ct->placeholder_fd;

    pthread_mutex_lock(&g_mu);
    ct->registered = 1;
    ct->next = g_devices;
    g_devices = ct;
    ensure_housekeeper_locked();
    pthread_mutex_unlock(&g_mu);

    if (connect_and_attach(ct, dev, 0, words, why, sizeof(why)) == 0) {
        logmsg("CTAPE002I %4.4X: attached to %s:%s as %4.4X: %s\n", dev->devnum,
               host, port, ct->model, ct->status_text);
    } else {
        /* still define the device: the guest sees a not-ready 3490 until the server is there */
        logmsg("CTAPE003W %4.4X: %s; the drive is not ready until the server answers\n",
               dev->devnum, why);
    }
    return 0;
}

/* ---- DEVHND: exec --------------------------------------------------------------------- */
static void local_not_ready(CTAPE *ct, DEVBLK *dev, BYTE code, CT_COUNT count, BYTE *iobuf,
                            BYTE *more, BYTE *unitstat, CT_COUNT *residual)
{
    U32 n;
    if (code == 0x04) {                 /* Sense: the not-ready sense, as a drive gives it */
        ct->local_sense = 0;
        set_not_ready_sense(ct, dev);
        if (ct->local_deferred) dev->sense[0] |= SENSE_DEFERRED_UC;
        ct->local_deferred = 0;
        n = count < dev->numsense ? count : dev->numsense;
        memcpy(iobuf, dev->sense, n);
        *residual = (CT_COUNT)(count - n);
        *more = count < dev->numsense;
        *unitstat = CSW_CE | CSW_DE;
        return;
    }
    if (code == 0xE4 && dev->numdevid > 0) {   /* Sense ID: the last known identity */
        n = count < dev->numdevid ? count : dev->numdevid;
        memcpy(iobuf, dev->devid, n);
        *residual = (CT_COUNT)(count - n);
        *more = count < dev->numdevid;
        *unitstat = CSW_CE | CSW_DE;
        return;
    }
    set_not_ready_sense(ct, dev);
    *residual = count;
    *more = 0;
    *unitstat = CSW_UC;
    ct->local_sense = 1;
}

/* The connection ended while buffered Writes were unconfirmed (§5.1): the server may never have
   received them. The guest learns it as from a 3490 whose buffer could not be written: this
   CCW is not run and ends with a deferred unit check (intervention required, deferred UC);
   a Sense right after returns that sense. Returns 1 when it answered the CCW. */
static int deferred_loss(CTAPE *ct, DEVBLK *dev, BYTE code, CT_COUNT count,
                         BYTE *more, BYTE *unitstat, CT_COUNT *residual)
{
    if (!ct->wb_unconfirmed) return 0;
    logmsg("CTAPE008E %4.4X: connection lost with %u written blocks the server had not confirmed; "
           "CCW %2.2X ends with a deferred unit check\n", dev->devnum, (unsigned)ct->wb_unconfirmed, code);
    ct->wb_unconfirmed = 0;
    pthread_mutex_lock(&ct->mu);
    ct->wb_credit = 0;
    pthread_mutex_unlock(&ct->mu);
    set_not_ready_sense(ct, dev);
    dev->sense[0] |= SENSE_DEFERRED_UC;
    *residual = count;
    *more = 0;
    *unitstat = CSW_CE | CSW_DE | CSW_UC;
    ct->local_sense = 1;
    ct->local_deferred = 1;
    return 1;
}

/* The fixed part of a Ccw / BufferedCcw body (docs/protocol.md §3 Ccw). */
static void put_ccw(BYTE *b, BYTE code, BYTE flags, BYTE chained, BYTE prevcode, int ccwseq, CT_COUNT count)
{
    b[0] = code;
    b[1] = flags;
    b[2] = chained & (CCW_FLAGS_CD | CCW_FLAGS_CC);
    b[3] = prevcode;
    put32(b + 4, (U32)ccwseq);
    put32(b + 8, count);
}

/* Write-behind (§5.1): a Write within the credit goes out as a BufferedCcw and ends at once
   with channel end and device end, as on a 3490 with tape-write-immediate off. Returns 1 when
   it answered the CCW. Only while no read-ahead batch is open (ReadAheadEnd must go first). */
static int write_behind(CTAPE *ct, DEVBLK *dev, BYTE code, BYTE flags, BYTE chained, CT_COUNT count,
                        BYTE prevcode, int ccwseq, BYTE *iobuf, BYTE *more, BYTE *unitstat, CT_COUNT *residual)
{
    BYTE fixed[12];
    int ok;
    if (code != 0x01 || ct->local_sense) return 0;
    pthread_mutex_lock(&ct->mu);
    ok = ct->sock >= 0 && !ct->lost && ct->ra_left == 0 && !ct->ra_program_began
      && (ct->features & FEATURE_WRITE_BEHIND) && (U32)count + CT_WRITE_COST <= ct->wb_credit;
    if (ok) ct->wb_credit -= (U32)count + CT_WRITE_COST;   /* spent even if the send fails */
    pthread_mutex_unlock(&ct->mu);
    if (!ok) return 0;
    put_ccw(fixed, code, flags, chained, prevcode, ccwseq, count);
    if (send_frame_data(ct, MSG_BUFFERED_CCW, fixed, 12, iobuf, count) != 0) {
        logmsg("CTAPE006E %4.4X: CCW %2.2X: connection lost; unit check, intervention required\n",
               dev->devnum, code);
        disconnect(ct);
        if (!deferred_loss(ct, dev, code, count, more, unitstat, residual))
            local_not_ready(ct, dev, code, count, iobuf, more, unitstat, residual);
        return 1;
    }
    ct->wb_unconfirmed++;
    ct->n_buffered++;
    *unitstat = CSW_CE | CSW_DE;
    *residual = 0;
    *more = 0;
    return 1;
}

static void ctape_exec(DEVBLK *dev, BYTE code, BYTE flags, BYTE chained, CT_COUNT count,
                       BYTE prevcode, int ccwseq, BYTE *iobuf, BYTE *more,
                       BYTE *unitstat, CT_COUNT *residual)
{
    CTAPE *ct = (CTAPE *)dev->dev_data;
    BYTE fixed[12], *r = NULL;
    U32 outlen, rlen = 0, resid, s, datalen, head, credit;
    int rc, output;

    if (!ct) {
        memset(dev->sense, 0, sizeof(dev->sense));
        dev->sense[0] = SENSE_IR;
        *unitstat = CSW_UC;
        return;
    }

    /* read-ahead (§5.2): a Read without data chaining that the batch can answer */
    if (code == 0x02 && !(flags & CCW_FLAGS_CD) && !(chained & CCW_FLAGS_CD) && !ct->local_sense
     && ra_take(ct, ccwseq, count, iobuf, more, unitstat, residual))
        return;
    if (write_behind(ct, dev, code, flags, chained, count, prevcode, ccwseq, iobuf, more, unitstat, residual))
        return;

    if (ct->local_sense) {
        /* the unit check before this CCW came from here, not from the server: its sense is
           ours to give (a drive's contingent sense), whether or not the server is back */
        ct->local_sense = 0;
        if (code == 0x04) {
            local_not_ready(ct, dev, code, count, iobuf, more, unitstat, residual);
            return;
        }
    }

    read_idle_connection(ct);           /* a Close or EOF waiting: reconnect before sending */
    if (!is_connected(ct)) {
        long long since;
        pthread_mutex_lock(&ct->mu);
        since = ct->last_connect_fail.tv_sec ? ms_since(&ct->last_connect_fail) : CT_RECONNECT_THROTTLE_MS;
        pthread_mutex_unlock(&ct->mu);
        if (since >= CT_RECONNECT_THROTTLE_MS) {
            char why[256];
            /* take over: our old connection may still look alive to the server */
            if (connect_and_attach(ct, dev, 1, ct->attached_once ? "" : ct->words, why, sizeof(why)) == 0) {
                logmsg("CTAPE004I %4.4X: reconnected to %s:%s\n", dev->devnum, ct->host, ct->port);
                ct->last_connect_fail.tv_sec = 0;
            } else {
                logmsg("CTAPE005W %4.4X: %s\n", dev->devnum, why);
                pthread_mutex_lock(&ct->mu);
                now_ts(&ct->last_connect_fail);
                pthread_mutex_unlock(&ct->mu);
            }
        }
        /* buffered Writes the old connection never confirmed: this CCW reports them */
        if (deferred_loss(ct, dev, code, count, more, unitstat, residual)) return;
        if (!is_connected(ct)) {
            local_not_ready(ct, dev, code, count, iobuf, more, unitstat, residual);
            return;
        }
    }
    ra_end(ct);                         /* unused read-ahead blocks go back first (§5.2) */

    /* The channel prefetched output data for write-type CCWs and for control CCWs that are
       not immediate (channel.c); those carry exactly count bytes, everything else none. */
    output = IS_CCW_WRITE(code) || (IS_CCW_CONTROL(code) && !dev->is_immed);
    outlen = output ? count : 0;
    put_ccw(fixed, code, flags, chained, prevcode, ccwseq, count);

    rc = request_data(ct, MSG_CCW, fixed, 12, iobuf, outlen, MSG_CCW_REPLY,
                      ct->reply_timeout_ms, 0, &r, &rlen);
    if (rc != 0) {
        logmsg("CTAPE006E %4.4X: CCW %2.2X: %s; unit check, intervention required\n",
               dev->devnum, code, rc == -2 ? "no reply from the server in time" : "connection lost");
        disconnect(ct);
        if (!deferred_loss(ct, dev, code, count, more, unitstat, residual))
            local_not_ready(ct, dev, code, count, iobuf, more, unitstat, residual);
        return;
    }

    /* CcwReply: status, flags, residual, s, sense[s], [write credit], data */
    if (rlen < 7 || (s = r[6], head = 7 + s + ((r[1] & CCW_REPLY_FLAG_CREDIT) ? 4 : 0), head > rlen)
     || (resid = get32(r + 2)) > count
     || (datalen = rlen - head) > count - resid) {
        logmsg("CTAPE007E %4.4X: malformed CcwReply (%u bytes) for CCW %2.2X; dropping the connection\n",
               dev->devnum, (unsigned)rlen, code);
        free(r);
        disconnect(ct);
        if (!deferred_loss(ct, dev, code, count, more, unitstat, residual))
            local_not_ready(ct, dev, code, count, iobuf, more, unitstat, residual);
        return;
    }
    /* the server has run every buffered Write before this CCW; the reply sets the new credit */
    credit = (r[1] & CCW_REPLY_FLAG_CREDIT) && (ct->features & FEATURE_WRITE_BEHIND) ? get32(r + 7 + s) : 0;
    pthread_mutex_lock(&ct->mu);
    ct->wb_credit = credit;
    pthread_mutex_unlock(&ct->mu);
    ct->wb_unconfirmed = 0;
    if (datalen) {
        if (IS_CCW_RDBACK(code)) {
            /* the channel stores the buffer from offset dev->curblkrem, ending at the CCW's
               data address (channel.c copy_iobuf) */
            memcpy(iobuf + resid, r + head, datalen);
        } else {
            memcpy(iobuf, r + head, datalen);
        }
    }
    if (IS_CCW_RDBACK(code)) dev->curblkrem = resid;
    if (r[0] & CSW_UC) {
        memset(dev->sense, 0, sizeof(dev->sense));
        memcpy(dev->sense, r + 7, s < sizeof(dev->sense) ? s : sizeof(dev->sense));
    }
    *unitstat = r[0];
    *more = (r[1] & CCW_REPLY_FLAG_MORE) ? 1 : 0;
    *residual = (CT_COUNT)resid;
    free(r);
}

/* ---- DEVHND: query -------------------------------------------------------------------- */
static void ctape_query(DEVBLK *dev, char **devclass, int buflen, char *buffer)
{
    CTAPE *ct;
    char text[256];

    /* what BEGIN_DEVICE_CLASS_QUERY does (its 4.x form also needs a local 'filename') */
    if (devclass) *devclass = "TAPE";
    if (!dev || !devclass || buflen <= 0 || !buffer) return;

    ct = (CTAPE *)dev->dev_data;
    if (!ct) { snprintf(buffer, buflen, "(no state)"); return; }
    if (is_connected(ct)) {
        BYTE *r = NULL;
        U32 rlen = 0;
        long long age;
        pthread_mutex_lock(&ct->mu);
        age = ct->last_query.tv_sec ? ms_since(&ct->last_query) : CT_QUERY_CACHE_MS;
        pthread_mutex_unlock(&ct->mu);
        /* only when the drive is idle, briefly (devlist must not wait behind a CCW), and not
           more often than every 2 s (Hercules' panel asks on every refresh) */
        if (age >= CT_QUERY_CACHE_MS
         && request(ct, MSG_QUERY, NULL, 0, MSG_QUERY_REPLY, CT_QUERY_TIMEOUT_MS, 1, &r, &rlen) == 0) {
            if (get_string(r, rlen, text, sizeof(text)) >= 0) {
                pthread_mutex_lock(&ct->mu);
                strlcpy(ct->status_text, text, sizeof(ct->status_text));
                now_ts(&ct->last_query);
                pthread_mutex_unlock(&ct->mu);
            }
            free(r);
        }
    }
    pthread_mutex_lock(&ct->mu);
    snprintf(buffer, buflen, "%s:%s %s%s", ct->host, ct->port, ct->status_text,
             ct->sock >= 0 && !ct->lost ? "" : ct->status_text[0] ? " (not connected)" : "(not connected)");
    pthread_mutex_unlock(&ct->mu);
}

/* ---- DEVHND: close -------------------------------------------------------------------- */
static int ctape_close(DEVBLK *dev)
{
    CTAPE *ct = (CTAPE *)dev->dev_data;
    int now;

    if (!ct) return 0;
#if CT_HERC4
    now = 1;
#else
    now = sysblk.shutdown;
#endif
    if (!now) {
        /* 3.13: devinit = close + init; keep the connection for the init that follows */
        pthread_mutex_lock(&g_mu);
        ct->parked = 1;
        now_ts(&ct->park_deadline);
        ts_add_ms(&ct->park_deadline, CT_PARK_GRACE_MS);
        pthread_cond_signal(&g_cv);
        pthread_mutex_unlock(&g_mu);
        dev->fd = -1;
        return 0;
    }

    if (ct->n_buffered || ct->n_read_ahead)
        logmsg("CTAPE041I %4.4X: %llu Writes were written behind, %llu Reads answered from read-ahead\n",
               dev->devnum, ct->n_buffered, ct->n_read_ahead);
    pthread_mutex_lock(&g_mu);
    ct->refs++;                          /* ours until the end of this function */
    if (ct->registered) { ct_unregister_locked(ct); ct->refs--; }
    pthread_mutex_unlock(&g_mu);
    send_close(ct, CT_HERC4 && !sysblk.shutdown ? CLOSE_REASON_NORMAL : CLOSE_REASON_SHUTDOWN,
               "device closed");
    disconnect(ct);
    dev->dev_data = NULL;
    dev->fd = -1;
    dev->immed = NULL;
    pthread_mutex_lock(&g_mu);
    ct_unref_locked(ct);
    pthread_mutex_unlock(&g_mu);
    return 0;
}

#if CT_HERC4
/* ---- DEVHND: halt (4.x, dev->lock held) ----------------------------------------------- */
static void ctape_halt(DEVBLK *dev)
{
    CTAPE *ct = (CTAPE *)dev->dev_data;
    struct timespec deadline;
    int outstanding;

    if (!ct) return;
    pthread_mutex_lock(&ct->mu);
    outstanding = ct->ccw_outstanding;
    pthread_mutex_unlock(&ct->mu);
    if (!outstanding) return;

    /* the server stops the CCW and still sends its CcwReply (docs/protocol.md, Halt) */
    send_frame(ct, MSG_HALT, NULL, 0);
    now_ts(&deadline);
    ts_add_ms(&deadline, CT_HALT_GRACE_MS);
    pthread_mutex_lock(&ct->mu);
    while (ct->ccw_outstanding && ct->sock >= 0 && !ct->lost)
        if (pthread_cond_timedwait(&ct->cv, &ct->mu, &deadline) == ETIMEDOUT) break;
    if (ct->ccw_outstanding && ct->sock >= 0) {
        /* no answer: cut the connection so exec returns (unit check) and reconnects later */
        logmsg("CTAPE040W %4.4X: halt: the server did not end the CCW; shutting the connection down\n",
               dev->devnum);
        shutdown(ct->sock, SHUT_RDWR);
    }
    pthread_mutex_unlock(&ct->mu);
}
#endif

/* ---- registration --------------------------------------------------------------------- */
static DEVHND ctape_device_hndinfo =
{
    .init  = &ctape_init,
    .exec  = &ctape_exec,
    .close = &ctape_close,
    .query = &ctape_query,
#if CT_HERC4
    .halt  = &ctape_halt,
#endif
    .immed = NULL,                      /* per device: dev->immed from the AttachReply */
};

/* Entry points keep their plain names (hdl_depc/hdl_ddev on 3.13, *_ep on 4.x): the loader
   finds those with dlsym; no libtool _LTX_ prefix. */
HDL_DEPENDENCY_SECTION;
{
    HDL_DEPENDENCY(HERCULES);
    HDL_DEPENDENCY(DEVBLK);
    HDL_DEPENDENCY(SYSBLK);
}
END_DEPENDENCY_SECTION

HDL_DEVICE_SECTION;
{
    HDL_DEVICE(CTAPE, ctape_device_hndinfo);
}
END_DEVICE_SECTION
