/* hdtctape.c - Hercules device module "CTAPE": a tape drive whose CCWs run on a ChannelTape
 * server. Every CCW the channel hands this handler goes over TCP to the server as one `Ccw`
 * frame; the `CcwReply` supplies unit status, residual, "more", sense and input data.
 * Wire protocol: docs/protocol.md (version 1). Builds for Hercules 3.13 and SDL Hyperion 4.x
 * from the same sources (hercules/Makefile, HERC_FLAVOR=313|4x).
 *
 * Layout: this file is the Hercules side (DEVHND entries, threads, the connection and its
 * socket). ctproto.[ch] encode and decode frames and messages (numbers in ctproto_defs.h,
 * generated from protocol/wire.json); cthost.[ch] hold the host rules of docs/protocol.md §4
 * and §5 (local sense, deferred loss, write-behind credit, read-ahead, by reference) behind a
 * callback table that this file fills (ct_host_ops). Neither includes a Hercules header, so
 * `make check` tests them with plain gcc.
 *
 * Config statement:   CUU CTAPE host:port [image|volser|*] [options...]
 *   with the module's own options anywhere after host:port (not sent to the server):
 *     secret=FILE     prove the shared secret in FILE (protocol version 2, docs/protocol.md §2.1);
 *                     the module then goes on only with a server that proves it back
 *     identity=NAME   the server's host entry the secret belongs to (default: the shared secret)
 *     tls             talk TLS on the same port (§1.1), trusting the system's authorities
 *     tlsca=FILE      ... trusting the PEM certificate(s) in FILE instead (implies tls)
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
 *   Both run on the device thread inside exec (cthost_exec), without a system call for a Read
 *   answered from the batch. cthost's state that the reading threads change too (credit, batch,
 *   image) is guarded by ct->mu, which cthost takes through ct_host_ops.
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

#include "ctproto.h"
#include "cthost.h"
#include "ctsec.h"

#if defined(HDL_NAME_HERCULES)          /* SDL Hyperion 4.x: version.h */
  #define CT_HERC4 1
  typedef U32 CT_COUNT;
  #define CT_FLAVOR "4.x"
#else                                   /* Hercules 3.x */
  #define CT_HERC4 0
  typedef U16 CT_COUNT;
  #define CT_FLAVOR "3.13"
#endif

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
#define CT_MOUNT_REDRIVE_MS          2000 /* no CCW this long after a mount: device end again */
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
    char            identity[64];       /* identity=: the host entry of the secret   */
    char            tlsca[512];         /* tlsca=: trusted certificates (PEM)        */
    int             use_tls;            /* tls / tlsca=                              */
    CTSEC_KEY       key;                /* secret=: the shared secret (len 0: none)  */
    void           *tls;                /* the connection's TLS (ctsec.h), or NULL   */
    pthread_mutex_t tls_mu;             /* one SSL_read or SSL_write at a time       */
    BYTE            reply_type;         /* type of the reply request_data returned   */
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
    struct timespec redrive_de_at;      /* a mount's DE is presented again then, unless a */
                                        /* CCW came first (0: not armed)                  */

    /* identity and state from the server (the model is rules.model) */
    DEVIM           immed[256];         /* dev->immed is a DEVIM* (both versions):   */
                                        /* entry non-NULL = command is immediate     */
    char            status_text[256];
    struct timespec last_query;         /* devlist text fetched then (0: fetch now)    */

    /* the host rules of docs/protocol.md §4, §5 (local sense, write-behind, read-ahead):
       cthost.h, through ct_host_ops; its shared state under mu */
    CTHOST          rules;
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
    if (!v) return CT_FEATURE_WRITE_BEHIND | CT_FEATURE_READ_AHEAD | CT_FEATURE_READ_AHEAD_BY_REFERENCE;
    if (strstr(v, "write-behind")) f |= CT_FEATURE_WRITE_BEHIND;
    if (strstr(v, "read-ahead")) f |= CT_FEATURE_READ_AHEAD;
    if (strstr(v, "read-by-reference") && (f & CT_FEATURE_READ_AHEAD)) f |= CT_FEATURE_READ_AHEAD_BY_REFERENCE;
    return f;
}

/* ---- registry and references ---------------------------------------------------------- */
static void ct_free(CTAPE *ct)
{
    if (ct->placeholder_fd >= 0) close(ct->placeholder_fd);
    cthost_release(&ct->rules);
    pthread_mutex_destroy(&ct->mu);
    pthread_mutex_destroy(&ct->send_mu);
    pthread_mutex_destroy(&ct->tls_mu);
    memset(&ct->key, 0, sizeof(ct->key));
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
static int send_frame_iov(CTAPE *ct, int fd, BYTE *hdr, const BYTE *body, U32 len, const BYTE *data, U32 dlen)
{
    struct iovec iov[3];
    struct msghdr m;
    int niov = 1, i = 0;
    if (ct->tls) {                      /* §1.1: the same frames inside TLS */
        int rc;
        pthread_mutex_lock(&ct->tls_mu);
        rc = ctsec_tls_write(ct->tls, hdr, CT_FRAME_HEADER_SIZE);
        if (rc == 0 && len) rc = ctsec_tls_write(ct->tls, body, len);
        if (rc == 0 && dlen) rc = ctsec_tls_write(ct->tls, data, dlen);
        pthread_mutex_unlock(&ct->tls_mu);
        return rc;
    }
    iov[0].iov_base = hdr;
    iov[0].iov_len = CT_FRAME_HEADER_SIZE;
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
    BYTE hdr[CT_FRAME_HEADER_SIZE];
    int fd, rc = -1;
    ct_frame_header(hdr, type, len + dlen);
    pthread_mutex_lock(&ct->send_mu);
    pthread_mutex_lock(&ct->mu);
    fd = ct->lost ? -1 : ct->sock;
    pthread_mutex_unlock(&ct->mu);
    if (fd >= 0 && len + dlen + 1 <= ct->max_frame)
        rc = send_frame_iov(ct, fd, hdr, body, len, data, dlen);
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

static void handle_unsolicited(CTAPE *ct, BYTE status)
{
    int raise = 1;
    pthread_mutex_lock(&ct->mu);
    ct->last_query.tv_sec = 0;          /* the drive changed: devlist asks again */
    if (status == CSW_DE) {
        if (ct->mount_window && !ct->mount_de_seen) {
            ct->mount_de_seen = 1;       /* decided when the MountReply is in (init) */
            raise = 0;
        } else if (ct->swallow_de_until.tv_sec && !ts_passed(&ct->swallow_de_until)) {
            ct->swallow_de_until.tv_sec = 0;
            raise = 0;                   /* 3.13 devinit raised this DE itself */
        }
    }
    /* A DE is a mount or unload: it ends the batch and the credit. Not the DE of our own Mount:
       mount_words ended them when it sent the Mount, and when that DE comes late (after the
       MountReply) the guest may already read the new volume with a batch of its own, which
       the server still counts as read: dropping it would skip those blocks. OS/VS1 met that as
       ABEND 214-08 (tape positioning) when the next step's OPEN or CLOSE found itself past them. */
    if (raise) cthost_unsolicited_locked(&ct->rules, status);
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
static int recv_deadline(CTAPE *ct, int fd, BYTE *p, size_t n, const struct timespec *deadline)
{
    size_t want = n;
    while (n > 0) {
        ssize_t r;
        if (ct->tls) {
            /* decrypted bytes may wait in the handle; else wait on the socket, then read a
               record (SO_RCVTIMEO bounds a record cut off half-way) */
            int w;
            if (!ctsec_tls_pending(ct->tls)) {
                w = wait_readable(fd, deadline);
                if (w == 0 && n == want) return -2;
                if (w != 1) return -1;
            }
            pthread_mutex_lock(&ct->tls_mu);
            r = ctsec_tls_read(ct->tls, p, n);
            pthread_mutex_unlock(&ct->tls_mu);
            if (r <= 0) return -1;
            p += r; n -= (size_t)r;
            continue;
        }
        r = recv(fd, p, n, MSG_DONTWAIT);
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
    BYTE hdr[CT_FRAME_HEADER_SIZE];
    U32 len;
    int rc = recv_deadline(ct, fd, hdr, CT_FRAME_HEADER_SIZE, deadline);
    if (rc != 0) return rc;
    len = ct_get32(hdr + CT_FRAME_LENGTH_OFFSET);
    if (ct_frame_check_length(len, ct->max_frame) != 0) {
        logmsg("CTAPE010E %4.4X: frame length %u from server out of range\n",
               ct->devnum, (unsigned)len);
        return -1;
    }
    *type = hdr[CT_FRAME_TYPE_OFFSET];
    *blen = len - 1;
    *body = malloc(*blen ? *blen : 1);
    if (!*body) return -1;
    if (*blen && recv_deadline(ct, fd, *body, *blen, deadline) != 0) {
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
    int d;
    if (type == CT_MSG_UNSOLICITED) {
        BYTE status;
        if (ct_decode_unsolicited(body, blen, &status) == 0) handle_unsolicited(ct, status);
        free(body);
        return FRAME_HANDLED;
    }
    if (type == CT_MSG_PING) {
        BYTE pong[CT_PONG_FIXED_SIZE];
        uint64_t token;
        if (ct_decode_ping(body, blen, &token) == 0)
            send_frame(ct, CT_MSG_PONG, pong, (U32)ct_encode_ping(pong, token));
        free(body);
        return FRAME_HANDLED;
    }
    if (type == CT_MSG_CLOSE) {
        char text[200] = "";
        BYTE reason = 0;
        CT_STRING t;
        if (ct_decode_close(body, blen, &reason, &t) == 0) ct_string_copy(t, text, sizeof(text));
        logmsg("CTAPE011I %4.4X: server closed the connection (reason %u) %s\n",
               ct->devnum, reason, text);
        free(body);
        return FRAME_END;
    }
    if (type == CT_MSG_ERROR) {
        char text[200] = "";
        uint16_t code = 0;
        CT_STRING t;
        if (ct_decode_error(body, blen, &code, &t) == 0) ct_string_copy(t, text, sizeof(text));
        logmsg("CTAPE012E %4.4X: server reported protocol error %u: %s\n",
               ct->devnum, code, text);
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
    /* §2.1: a Hello is answered by HelloReply, or by Challenge when the server wants the secret */
    if (want && (type == want || (want == CT_MSG_HELLO_REPLY && type == CT_MSG_CHALLENGE))) return FRAME_REPLY;
    /* ReadAheadImage, and ReadAhead before a Read's CcwReply: the host rules' (§5.2, §5.3) */
    d = cthost_frame(&ct->rules, type, body, blen, want);
    if (d == CTHOST_FRAME_HANDLED) return FRAME_HANDLED;
    if (d == CTHOST_FRAME_END) return FRAME_END;
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
        if (!(ct->tls && ctsec_tls_pending(ct->tls)) && poll(&p, 1, 0) <= 0) { pthread_mutex_unlock(&ct->mu); return; }
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
        pthread_mutex_lock(&ct->tls_mu);
        ctsec_tls_free(ct->tls);        /* the socket is gone: no close alert, nothing to wait for */
        ct->tls = NULL;
        pthread_mutex_unlock(&ct->tls_mu);
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
    ct->ccw_outstanding = (type == CT_MSG_CCW);
    pthread_mutex_unlock(&ct->mu);

    if (type != 0 && send_frame_data(ct, type, body, len, data, dlen) != 0) rc = -1;   /* 0: only receive */
    while (rc == 0) {
        BYTE rtype, *rbody;
        U32 rlen;
        int d;
        rc = read_frame(ct, fd, &deadline, &rtype, &rbody, &rlen);
        if (rc != 0) break;
        d = dispatch_frame(ct, rtype, rbody, rlen, want);
        if (d == FRAME_REPLY) { *reply = rbody; *reply_len = rlen; ct->reply_type = rtype; break; }
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
    CT_ATTACH_REPLY a;
    U32 i, n;
    char msg[256] = "";

    if (ct_decode_attach_reply(r, len, &a) != 0) {
        snprintf(why, whylen, "malformed AttachReply (%u bytes)", (unsigned)len);
        return -1;
    }
    ct_string_copy(a.message, msg, sizeof(msg));
    if (a.result != CT_ATTACH_RESULT_ATTACHED) {
        static const char *const reasons[] = { "attached", "no such drive", "model mismatch",
            "drive attached by another connection", "volume or options refused", "not authorised" };
        snprintf(why, whylen, "attach refused (%u %s): %s", a.result,
                 a.result < 6 ? reasons[a.result] : "unknown result", msg);
        return -1;
    }
    /* a 3420 has no Sense ID (cthost_check_identity): numdevid 0 makes Hercules present it by
       devtype alone, and a Sense ID the guest sends goes to the server, which rejects it */
    n = a.senseid_len;
    if (cthost_check_identity(a.model, n, sizeof(dev->devid), a.numsense, why, whylen) != 0)
        return -1;
    ct->rules.model = a.model;
    dev->devtype = a.model;
    dev->numdevid = n;
    memcpy(dev->devid, a.senseid, n);
    dev->numsense = a.numsense;
    for (i = 0; i < 256; i++)
        ct->immed[i] = ((a.immediate[i / 8] >> (7 - (i % 8))) & 1) ? &ct_immed_marker : NULL;
    strlcpy(ct->status_text, msg, sizeof(ct->status_text));
    now_ts(&ct->last_query);
    return 0;
}

/* §2.1: *r is the server's answer to Hello. A Challenge gets the host's proof; the server's
   AuthenticateReply must carry its proof of the same secret; then the HelloReply comes, which
   replaces *r. A host with a secret that got a HelloReply straight away does not go on (that
   server cannot prove the secret). Returns 0, or -1 with why. */
static int authenticate(CTAPE *ct, BYTE **r, U32 *rlen, char *why, size_t whylen)
{
    uint8_t method, host_nonce[CT_AUTHENTICATION_NONCE_SIZE], server_nonce[CT_AUTHENTICATION_NONCE_SIZE];
    uint8_t proof[CT_AUTHENTICATION_PROOF_SIZE], expected[CT_AUTHENTICATION_PROOF_SIZE];
    BYTE body[CT_AUTHENTICATE_FIXED_SIZE + sizeof(ct->identity)], *reply = NULL;
    const uint8_t *nonce, *server_proof;
    U32 len = 0;
    size_t blen;
    int rc;

    if (ct->reply_type != CT_MSG_CHALLENGE) {
        snprintf(why, whylen, "%s:%s did not ask for the shared secret: it cannot prove it has it, "
                 "so this device does not go on", ct->host, ct->port);
        return -1;
    }
    if (!ct->key.len) {
        snprintf(why, whylen, "%s:%s wants hosts to prove a shared secret: give the device statement secret=FILE",
                 ct->host, ct->port);
        return -1;
    }
    if (ct_decode_challenge(*r, *rlen, &method, &nonce) != 0 || method != CT_AUTH_METHOD_HMAC_SHA256) {
        snprintf(why, whylen, "a Challenge this module cannot answer (method %u)", (unsigned)method);
        return -1;
    }
    memcpy(server_nonce, nonce, sizeof(server_nonce));
    free(*r);
    *r = NULL;
    if (ctsec_nonce(host_nonce) != 0) { snprintf(why, whylen, "no random bytes for a nonce"); return -1; }
    ctsec_proof(&ct->key, 0, server_nonce, host_nonce, ct->identity, proof);
    blen = ct_encode_authenticate(body, host_nonce, proof, ct->identity);
    rc = request(ct, CT_MSG_AUTHENTICATE, body, (U32)blen, CT_MSG_AUTHENTICATE_REPLY, CT_SHORT_TIMEOUT_MS, 0, &reply, &len);
    if (rc != 0) {
        snprintf(why, whylen, "%s:%s did not accept the proof (%s; its reason is in the log above)", ct->host, ct->port,
                 rc == -2 ? "timeout" : "connection closed");
        return -1;
    }
    ctsec_proof(&ct->key, 1, server_nonce, host_nonce, ct->identity, expected);
    if (ct_decode_authenticate_reply(reply, len, &server_proof) != 0
        || !ctsec_equal(server_proof, expected, sizeof(expected))) {
        free(reply);
        snprintf(why, whylen, "%s:%s did not prove the shared secret: it is not the server this secret belongs to",
                 ct->host, ct->port);
        return -1;
    }
    free(reply);
    /* the HelloReply follows the AuthenticateReply: receive it without sending anything */
    rc = request(ct, 0, NULL, 0, CT_MSG_HELLO_REPLY, CT_SHORT_TIMEOUT_MS, 0, r, rlen);
    if (rc != 0) {
        snprintf(why, whylen, "no HelloReply after authenticating (%s)", rc == -2 ? "timeout" : "connection closed");
        return -1;
    }
    return 0;
}

/* Connects, says Hello and attaches the drive. words: mount words for the Attach ("" = leave
   the drive's volume as it is). Called from init (dev->lock held) and exec; both are fine:
   nothing here needs a Hercules lock. Returns 0 when attached. */
static int connect_and_attach(CTAPE *ct, DEVBLK *dev, int takeover, const char *words, char *why, size_t whylen)
{
    BYTE hello[CT_HELLO_FIXED_SIZE + 64 + CT_FEATURE_FIELD_SIZE], *attach, *r = NULL;
    U32 rlen = 0, hlen;
    size_t alen;
    CT_HELLO_REPLY hr;
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
    ct->max_frame = CT_DEFAULT_MAX_FRAME_LENGTH;
    pthread_mutex_unlock(&ct->mu);

    if (ct->use_tls) {
        /* §1.1: TLS on the same port; a record cut off half-way must not hang a read */
        struct timeval tv;
        void *tls;
        tv.tv_sec = env_seconds("HDTCTAPE_TIMEOUT", CT_REPLY_TIMEOUT_S_DEFAULT);
        tv.tv_usec = 0;
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        tls = ctsec_tls_connect(fd, ct->host, ct->tlsca[0] ? ct->tlsca : NULL, why, whylen);
        if (!tls) { disconnect(ct); return -1; }
        pthread_mutex_lock(&ct->tls_mu);
        ct->tls = tls;
        pthread_mutex_unlock(&ct->tls_mu);
    }

    /* Hello: magic, version (2 with a secret, §2.1), largest frame we accept (0 = default),
       host name, features */
    snprintf(name, sizeof(name), "hdtctape %s", CT_FLAVOR);
    hlen = (U32)ct_encode_hello_version(hello, ct->key.len ? CT_PROTOCOL_VERSION_AUTHENTICATED : CT_PROTOCOL_VERSION,
                                        0, name, wanted_features());
    rc = request(ct, CT_MSG_HELLO, hello, hlen, CT_MSG_HELLO_REPLY, CT_SHORT_TIMEOUT_MS, 0, &r, &rlen);
    if (rc != 0) {
        snprintf(why, whylen, "no HelloReply from %s:%s (%s)", ct->host, ct->port,
                 rc == -2 ? "timeout" : "connection closed");
        disconnect(ct);
        return -1;
    }
    if (ct->reply_type == CT_MSG_CHALLENGE || ct->key.len) {
        rc = authenticate(ct, &r, &rlen, why, whylen);
        if (rc != 0) {
            free(r);
            disconnect(ct);
            return -1;
        }
    }
    if (ct_decode_hello_reply(r, rlen, &hr) != 0
        || hr.version != (ct->key.len ? CT_PROTOCOL_VERSION_AUTHENTICATED : CT_PROTOCOL_VERSION)) {
        if (ct_decode_hello_reply(r, rlen, &hr) != 0)
            snprintf(why, whylen, "malformed HelloReply (%u bytes)", (unsigned)rlen);
        else
            snprintf(why, whylen, "server speaks protocol version %u, not %u", hr.version,
                     ct->key.len ? CT_PROTOCOL_VERSION_AUTHENTICATED : CT_PROTOCOL_VERSION);
        free(r);
        disconnect(ct);
        return -1;
    }
    {
        /* the features in effect follow the server name; an older server sends none */
        U32 mf = hr.max_frame, granted = hr.features & wanted_features();
        pthread_mutex_lock(&ct->mu);
        if (mf >= CT_MINIMUM_MAX_FRAME_LENGTH && mf <= CT_DEFAULT_MAX_FRAME_LENGTH) ct->max_frame = mf;
        cthost_connected_locked(&ct->rules, granted);
        pthread_mutex_unlock(&ct->mu);
        if (mf < CT_MINIMUM_MAX_FRAME_LENGTH || mf > CT_DEFAULT_MAX_FRAME_LENGTH) {
            snprintf(why, whylen, "server's maximum frame length %u is out of range", (unsigned)mf);
            free(r);
            disconnect(ct);
            return -1;
        }
    }
    free(r);
    r = NULL;

    /* Attach: device number, model 0000 (the server's configured one), flags, words */
    alen = CT_ATTACH_FIXED_SIZE + strlen(words);
    attach = malloc(alen);
    if (!attach) { disconnect(ct); snprintf(why, whylen, "out of memory"); return -1; }
    alen = ct_encode_attach(attach, ct->devnum, 0x0000, takeover ? CT_ATTACH_FLAG_TAKE_OVER : 0, words);
    rc = request(ct, CT_MSG_ATTACH, attach, (U32)alen, CT_MSG_ATTACH_REPLY, CT_SHORT_TIMEOUT_MS, 0, &r, &rlen);
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

/* ---- the host rules' callbacks (cthost.h CTHOST_OPS) ------------------------------------ */
static void host_lock(void *x)   { pthread_mutex_lock(&((CTAPE *)x)->mu); }
static void host_unlock(void *x) { pthread_mutex_unlock(&((CTAPE *)x)->mu); }

static int host_connected_locked(void *x)
{
    CTAPE *ct = (CTAPE *)x;
    return ct->sock >= 0 && !ct->lost;
}

/* Before a CCW is sent: a Close or EOF waiting is read first, and a connection that is gone is
   made again (not more than once a second: a dead server must not slow every CCW down). */
static int host_prepare(void *x)
{
    CTAPE *ct = (CTAPE *)x;
    DEVBLK *dev = ct->dev;
    long long since;

    read_idle_connection(ct);
    if (is_connected(ct)) return CTHOST_UP;
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
    return is_connected(ct) ? CTHOST_RECONNECTED : CTHOST_DOWN;
}

static int host_send(void *x, uint8_t type, const uint8_t *body, uint32_t len, const uint8_t *data, uint32_t dlen)
{
    return send_frame_data((CTAPE *)x, type, body, len, data, dlen);
}

static int host_request(void *x, uint8_t type, const uint8_t *body, uint32_t len, const uint8_t *data,
                        uint32_t dlen, uint8_t want, uint8_t **reply, uint32_t *reply_len)
{
    CTAPE *ct = (CTAPE *)x;
    return request_data(ct, type, body, len, data, dlen, want, ct->reply_timeout_ms, 0, reply, reply_len);
}

static void host_disconnect(void *x) { disconnect((CTAPE *)x); }
static void host_log(void *x, const char *text) { (void)x; logmsg("%s", text); }

static const CTHOST_OPS ct_host_ops =
{
    .lock = host_lock, .unlock = host_unlock, .connected_locked = host_connected_locked,
    .prepare = host_prepare, .send = host_send, .request = host_request,
    .disconnect = host_disconnect, .log = host_log,
};

/* ---- housekeeping thread -------------------------------------------------------------- */
static void send_close(CTAPE *ct, BYTE reason, const char *text)
{
    BYTE body[CT_CLOSE_FIXED_SIZE + 128];
    if (!is_connected(ct)) return;
    send_frame(ct, CT_MSG_CLOSE, body, (U32)ct_encode_close(body, reason, text));
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
                        send_close(ct, CT_CLOSE_REASON_NORMAL, "device detached");
                        disconnect(ct);
                    } else {
                        pthread_mutex_unlock(&g_mu);
                    }
                }
            } else if (is_connected(ct)) {
                long long idle;
                int redrive;
                read_idle_connection(ct);
                pthread_mutex_lock(&ct->mu);
                redrive = ct->redrive_de_at.tv_sec && ts_passed(&ct->redrive_de_at);
                if (redrive) ct->redrive_de_at.tv_sec = 0;
                pthread_mutex_unlock(&ct->mu);
                if (redrive) {
                    logmsg("CTAPE034I %4.4X: no I/O since the mount; device end presented again\n", ct->devnum);
                    queue_attention(ct, CSW_DE);
                }
                pthread_mutex_lock(&ct->mu);
                idle = ms_since(&ct->last_send);
                pthread_mutex_unlock(&ct->mu);
                if (idle >= CT_KEEPALIVE_S * 1000) {
                    BYTE token[CT_PING_FIXED_SIZE], *r = NULL;
                    U32 rlen = 0;
                    int rc;
                    ct_encode_ping(token, ((uint64_t)(U32)time(NULL) << 32) | ct->devnum);
                    rc = request(ct, CT_MSG_PING, token, CT_PING_FIXED_SIZE, CT_MSG_PONG, CT_SHORT_TIMEOUT_MS, 1, &r, &rlen);
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

/* The module's own options (secret=, identity=, tls, tlsca=): 1 when arg is one (stored in opt). */
typedef struct CT_OPTIONS { char secret[512]; char identity[64]; char tlsca[512]; int tls; } CT_OPTIONS;

static int module_option(const char *arg, CT_OPTIONS *opt)
{
    if (!strncmp(arg, "secret=", 7)) { strlcpy(opt->secret, arg + 7, sizeof(opt->secret)); return 1; }
    if (!strncmp(arg, "identity=", 9)) { strlcpy(opt->identity, arg + 9, sizeof(opt->identity)); return 1; }
    if (!strcmp(arg, "tls")) { opt->tls = 1; return 1; }
    if (!strncmp(arg, "tlsca=", 6)) { strlcpy(opt->tlsca, arg + 6, sizeof(opt->tlsca)); opt->tls = 1; return 1; }
    return 0;
}

/* The mount words (everything after host:port but the module's own options, which it keeps). */
static void join_words(int argc, char *argv[], int from, char *out, size_t outlen, CT_OPTIONS *opt)
{
    int i;
    out[0] = '\0';
    for (i = from; i < argc; i++) {
        if (!argv[i] || module_option(argv[i], opt)) continue;
        if (out[0]) strlcat(out, " ", outlen);
        strlcat(out, argv[i], outlen);
    }
}

static void use_fallback_identity(CTAPE *ct, DEVBLK *dev)
{
    int i;
    ct->rules.model = 0x3490;
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
    BYTE *body, *r = NULL, result = CT_MOUNT_RESULT_REFUSED;
    U32 rlen = 0;
    size_t blen;
    int rc, de_seen;
    char msg[256] = "";
    CT_STRING m;

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

    body = malloc(CT_MOUNT_FIXED_SIZE + strlen(words));
    if (!body) return -1;
    blen = ct_encode_mount(body, words);
    /* unused read-ahead blocks go back first (§5.2): a refused mount leaves the volume where it
       was, and the server would otherwise count them as read */
    cthost_end_read_ahead(&ct->rules);
    pthread_mutex_lock(&ct->mu);
    cthost_volume_changed_locked(&ct->rules);    /* a mount ends the batch and the credit */
    ct->mount_window = 1;
    ct->mount_de_seen = 0;
    pthread_mutex_unlock(&ct->mu);
    rc = request(ct, CT_MSG_MOUNT, body, (U32)blen, CT_MSG_MOUNT_REPLY, CT_SHORT_TIMEOUT_MS * 10, 0, &r, &rlen);
    free(body);
    if (rc == 0 && ct_decode_mount_reply(r, rlen, &result, &m) == 0)
        ct_string_copy(m, msg, sizeof(msg));
    else
        result = CT_MOUNT_RESULT_REFUSED;   /* no reply, or one this host cannot read */
    pthread_mutex_lock(&ct->mu);
    ct->last_query.tv_sec = 0;          /* devlist asks the server again */
    ct->mount_window = 0;
    de_seen = ct->mount_de_seen;
    ct->mount_de_seen = 0;
    if (result == CT_MOUNT_RESULT_DONE && !CT_HERC4 && !de_seen) {
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
    if (result != CT_MOUNT_RESULT_DONE) {
        logmsg("CTAPE032E %4.4X: mount of '%s' refused: %s\n", ct->devnum, words, msg);
        free(r);
        if (de_seen) queue_attention(ct, CSW_DE);
        return -1;
    }
    free(r);
    if (de_seen && CT_HERC4) queue_attention(ct, CSW_DE);
    if (strcmp(words, "*")) {
        /* An OS that asked for the volume on its console (IEF233A) waits for the drive's device
           end; an automatic operator mounts within milliseconds of the message, and OS/VS1 was
           seen to miss a device end that came that early and wait for ever. A drive that no
           CCW has reached CT_MOUNT_REDRIVE_MS after the mount presents its device end once more,
           as an operator pressing START again would (housekeeper_main). */
        pthread_mutex_lock(&ct->mu);
        now_ts(&ct->redrive_de_at);
        ts_add_ms(&ct->redrive_de_at, CT_MOUNT_REDRIVE_MS);
        pthread_mutex_unlock(&ct->mu);
    }
    logmsg("CTAPE033I %4.4X: %s '%s': %s\n", ct->devnum, strcmp(words, "*") ? "mounted" : "unloaded", words, msg);
    return 0;
}

/* ---- DEVHND: init --------------------------------------------------------------------- */
static int ctape_init(DEVBLK *dev, int argc, char *argv[])
{
    CTAPE *ct, *old = NULL;
    char host[256], port[16], words[1024], why[256];
    int have_addr, reinit;
    CT_OPTIONS opt;

    module_init_once();                 /* before any use of g_cv (housekeeper, attention) */
    memset(&opt, 0, sizeof(opt));
    have_addr = argc >= 1 && argv[0] && parse_hostport(argv[0], host, sizeof(host), port, sizeof(port));
    join_words(argc, argv, have_addr ? 1 : 0, words, sizeof(words), &opt);

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
        send_close(old, CT_CLOSE_REASON_NORMAL, "device re-initialised");
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
    ct->max_frame = CT_DEFAULT_MAX_FRAME_LENGTH;
    strlcpy(ct->host, host, sizeof(ct->host));
    strlcpy(ct->port, port, sizeof(ct->port));
    strlcpy(ct->words, words, sizeof(ct->words));
    strlcpy(ct->identity, opt.identity, sizeof(ct->identity));
    strlcpy(ct->tlsca, opt.tlsca, sizeof(ct->tlsca));
    ct->use_tls = opt.tls;
    pthread_mutex_init(&ct->mu, NULL);
    pthread_mutex_init(&ct->send_mu, NULL);
    pthread_mutex_init(&ct->tls_mu, NULL);
    cond_init_monotonic(&ct->cv);
    now_ts(&ct->last_send);
    ct->placeholder_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    cthost_init(&ct->rules, &ct_host_ops, ct, ct->devnum, 0x3490);
    ct->reply_timeout_ms = env_seconds("HDTCTAPE_TIMEOUT", CT_REPLY_TIMEOUT_S_DEFAULT) * 1000;
    if (ct->placeholder_fd < 0) { ct_free(ct); return -1; }
    if (opt.secret[0] && ctsec_load_secret(opt.secret, &ct->key, why, sizeof(why)) != 0) {
        logmsg("CTAPE006E %4.4X: %s\n", dev->devnum, why);
        ct_free(ct);
        return -1;
    }

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
               host, port, ct->rules.model, ct->status_text);
    } else {
        /* still define the device: the guest sees a not-ready 3490 until the server is there */
        logmsg("CTAPE003W %4.4X: %s; the drive is not ready until the server answers\n",
               dev->devnum, why);
    }
    return 0;
}

/* ---- DEVHND: exec --------------------------------------------------------------------- */
/* Every CCW goes through the host rules (cthost_exec): answered from a read-ahead batch, written
   behind within the credit, answered here while the server is away (§4), or sent as a Ccw. */
static void ctape_exec(DEVBLK *dev, BYTE code, BYTE flags, BYTE chained, CT_COUNT count,
                       BYTE prevcode, int ccwseq, BYTE *iobuf, BYTE *more,
                       BYTE *unitstat, CT_COUNT *residual)
{
    CTAPE *ct = (CTAPE *)dev->dev_data;
    CTHOST_CCW c;
    CTHOST_RESULT r;

    if (!ct) {
        memset(dev->sense, 0, sizeof(dev->sense));
        dev->sense[0] = SENSE_IR;
        *unitstat = CSW_UC;
        return;
    }

    if (ct->redrive_de_at.tv_sec) {     /* the guest reached the drive after its mount */
        pthread_mutex_lock(&ct->mu);
        ct->redrive_de_at.tv_sec = 0;
        pthread_mutex_unlock(&ct->mu);
    }
    c.code = code;
    c.flags = flags;
    c.chained = chained;
    c.prevcode = prevcode;
    c.seq = ccwseq;
    c.count = count;
    c.immediate = dev->is_immed;        /* channel.c: no data for an immediate CCW */
    c.iobuf = iobuf;
    c.sense = dev->sense;
    c.sense_size = sizeof(dev->sense);
    c.devid = dev->devid;
    c.numdevid = dev->numdevid;
    c.numsense = dev->numsense;
    cthost_exec(&ct->rules, &c, &r);

    /* Read Backward: the channel stores the buffer from offset dev->curblkrem, ending at the
       CCW's data address (channel.c copy_iobuf) */
    if (r.rdback) dev->curblkrem = r.residual;
    *unitstat = r.unitstat;
    *more = r.more;
    *residual = (CT_COUNT)r.residual;
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
         && request(ct, CT_MSG_QUERY, NULL, 0, CT_MSG_QUERY_REPLY, CT_QUERY_TIMEOUT_MS, 1, &r, &rlen) == 0) {
            CT_STRING t;
            if (ct_decode_query_reply(r, rlen, &t) == 0) {
                ct_string_copy(t, text, sizeof(text));
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

    if (ct->rules.n_buffered || ct->rules.n_read_ahead)
        logmsg("CTAPE041I %4.4X: %llu Writes were written behind, %llu Reads answered from read-ahead\n",
               dev->devnum, ct->rules.n_buffered, ct->rules.n_read_ahead);
    pthread_mutex_lock(&g_mu);
    ct->refs++;                          /* ours until the end of this function */
    if (ct->registered) { ct_unregister_locked(ct); ct->refs--; }
    pthread_mutex_unlock(&g_mu);
    send_close(ct, CT_HERC4 && !sysblk.shutdown ? CT_CLOSE_REASON_NORMAL : CT_CLOSE_REASON_SHUTTING_DOWN,
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
    send_frame(ct, CT_MSG_HALT, NULL, 0);
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
