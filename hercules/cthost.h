/* cthost.h - the host rules of docs/protocol.md §4 and §5, for one drive: what a host answers
 * itself (a not-ready drive's sense, Sense ID from the last identity, a deferred unit check for
 * written blocks a lost connection may not have delivered), write-behind within the server's
 * credit, and read-ahead (taking blocks from a batch, accepting a batch, giving the unused
 * blocks back), by reference into the announced image too.
 *
 * No Hercules types or headers and no socket: everything it needs from the module comes through
 * CTHOST_OPS (hdtctape.c: the device's mutex, the connection, logmsg), so the check binary
 * (make check, tests/ctcheck.c) runs the same rules against scripted server frames. The image of
 * §5.3 is read with open/pread, as Hercules' own drive reads its file.
 *
 * Threads: cthost_exec runs on the device thread (Hercules' exec), one CCW at a time. The state
 * marked "lock" below is shared with the thread that reads the connection (Unsolicited device
 * end, ReadAhead, ReadAheadImage) and changes only under ops->lock; the rest is the device
 * thread's. Functions named _locked expect the lock held; the others take it themselves.
 */
#ifndef CTHOST_H
#define CTHOST_H

#include <stddef.h>
#include <stdint.h>

#include "ctproto.h"

/* Inside the Hercules module these names stay the module's own: Hercules loads modules into one
   process, and only the HDL entry points are meant to be seen from outside. */
#if defined(__GNUC__)
#pragma GCC visibility push(hidden)
#endif

/* What ops->prepare found before a CCW is sent. */
enum { CTHOST_UP, CTHOST_RECONNECTED, CTHOST_DOWN };

/* What cthost_frame did with a frame that arrived before a reply. */
enum { CTHOST_FRAME_NOT_MINE, CTHOST_FRAME_HANDLED, CTHOST_FRAME_END };

typedef struct CTHOST_OPS
{
    /* the device's state lock (hdtctape.c: ct->mu) */
    void (*lock)(void *ctx);
    void (*unlock)(void *ctx);
    /* 1 while the connection is usable; lock held */
    int  (*connected_locked)(void *ctx);
    /* Before a CCW goes to the server: read what the idle connection received and, when it is
       gone, reconnect (Hello, Attach with the take-over flag; §4). CTHOST_UP: it was up;
       CTHOST_RECONNECTED: it is up again; CTHOST_DOWN: not connected. */
    int  (*prepare)(void *ctx);
    /* One frame (type, body, then data): 0 sent, -1 not (the connection is gone). */
    int  (*send)(void *ctx, uint8_t type, const uint8_t *body, uint32_t len,
                 const uint8_t *data, uint32_t dlen);
    /* One request and its reply of type want (malloc'd; cthost frees it): 0, -1 connection
       gone, -2 no reply in time. Frames that come first go through cthost_frame. */
    int  (*request)(void *ctx, uint8_t type, const uint8_t *body, uint32_t len,
                    const uint8_t *data, uint32_t dlen, uint8_t want,
                    uint8_t **reply, uint32_t *reply_len);
    /* End the connection (the next CCW reconnects). */
    void (*disconnect)(void *ctx);
    /* One console message, newline included (hdtctape.c: logmsg). */
    void (*log)(void *ctx, const char *text);
} CTHOST_OPS;

typedef struct CTHOST
{
    const CTHOST_OPS *ops;
    void           *ctx;
    uint16_t        devnum;
    uint16_t        model;              /* the drive's model (3490, 3480, 3420): its sense    */

    /* §4: our last answer was a unit check made here (server unreachable): a Sense right
       after gets that sense from us, not from the server */
    int             local_sense;
    int             local_deferred;     /* ... and it was a deferred unit check              */
    int             local_reject;       /* ... and a command the drive rejects (a 3420's Sense ID) */

    /* §5 */
    uint32_t        features;           /* granted in the HelloReply (lock)                  */
    uint32_t        wb_credit;          /* bytes of Writes we may still acknowledge (lock)    */
    uint32_t        wb_unconfirmed;     /* BufferedCcw sent since the last CcwReply           */
    uint8_t        *ra_frame;           /* the ReadAhead batch being used (lock)             */
    uint32_t        ra_len, ra_off;     /* its length, and the next block's offset           */
    uint32_t        ra_left;            /* blocks of it not yet used                         */
    int             ra_program_began;   /* we answered a Read with sequence number 0          */
    int             ra_fd;              /* the announced volume image, read-only (§5.3)       */
    int             ra_ref_failed;      /* it could not be read: ReadAheadEnd says stop       */
    int             ra_ref_stopped;     /* ... and that was sent on this connection           */
    unsigned long long n_buffered;      /* Writes written behind (logged at close)            */
    unsigned long long n_read_ahead;    /* Reads answered from read-ahead batches             */
} CTHOST;

/* A CCW as Hercules' channel hands it to exec, with the device fields the rules use. */
typedef struct CTHOST_CCW
{
    uint8_t        code, flags, chained, prevcode;
    int            seq;                 /* CCW sequence number, 0 for the first of a program */
    uint32_t       count;
    int            immediate;           /* the channel treats it as immediate (no data)      */
    uint8_t       *iobuf;               /* count bytes: output data, or room for input       */
    uint8_t       *sense;               /* the device's sense area (dev->sense)             */
    size_t         sense_size;
    const uint8_t *devid;               /* the last known identity, for a local Sense ID     */
    uint32_t       numdevid;
    uint32_t       numsense;            /* sense bytes the drive reports                     */
} CTHOST_CCW;

/* The guest's outcome: exec's out-arguments. */
typedef struct CTHOST_RESULT
{
    uint8_t  unitstat;
    uint8_t  more;
    uint32_t residual;
    int      rdback;                    /* a Read Backward the server answered: the data lies */
                                        /* at offset residual (Hercules: dev->curblkrem)     */
} CTHOST_RESULT;

void cthost_init(CTHOST *h, const CTHOST_OPS *ops, void *ctx, uint16_t devnum, uint16_t model);
/* Whether an AttachReply's identity (model, numdevid Sense ID bytes, numsense) describes a drive
   the host can present, with devid_room bytes for Sense ID (DEVBLK devid). A 3420 has no Sense
   ID: it may come without one. Returns 0, or -1 with why. */
int  cthost_check_identity(uint16_t model, uint32_t numdevid, uint32_t devid_room, uint32_t numsense,
                           char *why, size_t whylen);
/* Frees the batch and closes the image. */
void cthost_release(CTHOST *h);

/* A new connection (HelloReply): the features in effect; references allowed again and no
   credit until a CcwReply grants one. Lock held. */
void cthost_connected_locked(CTHOST *h, uint32_t granted);
/* A mount or unload (Mount sent, §5.1, §5.2): the batch and the credit were for the old volume. */
void cthost_volume_changed_locked(CTHOST *h);
/* Unsolicited status from the server: a device end is a mount or unload. Lock held. */
void cthost_unsolicited_locked(CTHOST *h, uint8_t status);

/* A frame that came while waiting for a reply of type want (0: none) that is not that reply:
   ReadAheadImage and ReadAhead are the rules' (body taken: HANDLED or END); anything else is
   NOT_MINE (body left to the caller). END: a malformed batch, the connection is unusable. */
int  cthost_frame(CTHOST *h, uint8_t type, uint8_t *body, uint32_t len, uint8_t want);

/* Before any frame that reaches the drive other than through cthost_exec (Mount): give the
   unused read-ahead blocks back (§5.2). */
void cthost_end_read_ahead(CTHOST *h);

/* One CCW: answered here (read-ahead, write-behind, a not-ready drive) or through the server. */
void cthost_exec(CTHOST *h, const CTHOST_CCW *c, CTHOST_RESULT *r);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#endif /* CTHOST_H */
