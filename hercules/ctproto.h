/* ctproto.h - frames and messages of the ChannelTape wire protocol (docs/protocol.md, versions 1 and 2)
 * for a host: it encodes what a host sends and decodes what a server sends. The numbers come from
 * ctproto_defs.h, generated from protocol/wire.json. No Hercules types or headers: the module
 * (hdtctape.c) and the check binary (make check, tests/ctcheck.c) both build it.
 *
 * Encoders write a body at b and return its length; the caller's buffer must hold it (the fixed
 * size plus the strings; a string is cut at 65535 bytes). Decoders check one body against §3 and
 * return 0, or CT_PROTOCOL_ERROR_MALFORMED_FRAME with the output undefined unless said otherwise;
 * strings and byte fields they return point into the body.
 */
#ifndef CTPROTO_H
#define CTPROTO_H

#include <stddef.h>
#include <stdint.h>

#include "ctproto_defs.h"

/* Inside the Hercules module these names stay the module's own: Hercules loads modules into one
   process, and only the HDL entry points are meant to be seen from outside. */
#if defined(__GNUC__)
#pragma GCC visibility push(hidden)
#endif

/* ---- big-endian fields (§1) ----------------------------------------------------------- */
static inline void ct_put16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void ct_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}
static inline void ct_put64(uint8_t *p, uint64_t v) { ct_put32(p, (uint32_t)(v >> 32)); ct_put32(p + 4, (uint32_t)v); }
static inline uint32_t ct_get16(const uint8_t *p) { return ((uint32_t)p[0] << 8) | p[1]; }
static inline uint32_t ct_get32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static inline uint64_t ct_get64(const uint8_t *p) { return ((uint64_t)ct_get32(p) << 32) | ct_get32(p + 4); }

/* A string field (u16 length + UTF-8, no terminator) as it lies in a body. */
typedef struct CT_STRING { const uint8_t *bytes; uint32_t len; } CT_STRING;

/* Writes s as a string (cut at 65535 bytes); returns the bytes written. */
size_t ct_put_string(uint8_t *p, const char *s);
/* Reads the string at p within len bytes; returns the bytes it takes, or -1 if it does not fit
   or is not UTF-8 (§1). */
int ct_get_string(const uint8_t *p, uint32_t len, CT_STRING *s);
/* Copies a string NUL-terminated into out (cut to outsize - 1 bytes; nothing when outsize is 0). */
void ct_string_copy(CT_STRING s, char *out, size_t outsize);

/* ---- frames (§1) ---------------------------------------------------------------------- */
/* The 5-byte header of a frame whose body is body_len bytes. */
void ct_frame_header(uint8_t *hdr, uint8_t type, uint32_t body_len);
/* A header's length (type + body): 0, CT_PROTOCOL_ERROR_MALFORMED_FRAME (0) or
   CT_PROTOCOL_ERROR_FRAME_TOO_LONG (above max_frame). */
int ct_frame_check_length(uint32_t length, uint32_t max_frame);
/* 1 when type is a message type of versions 1 and 2 (§2.1, §3). */
int ct_message_known(uint8_t type);
/* The message's name (docs/protocol.md §3), or NULL for an unknown type. */
const char *ct_message_name(uint8_t type);
/* Who sends it: CT_DIRECTION_HOST_TO_SERVER, _SERVER_TO_HOST, _EITHER; 0 for an unknown type. */
int ct_message_direction(uint8_t type);

/* ---- host -> server (and either) ------------------------------------------------------ */
/* Hello: magic, version 1, largest frame the host accepts (0 = default), name, features. */
size_t ct_encode_hello(uint8_t *b, uint32_t max_frame, const char *host_name, uint32_t features);
/* The same with another version: CT_PROTOCOL_VERSION_AUTHENTICATED for a host with a secret (§2.1). */
size_t ct_encode_hello_version(uint8_t *b, uint16_t version, uint32_t max_frame, const char *host_name, uint32_t features);
/* Authenticate (§2.1): the host's nonce and proof (CT_AUTHENTICATION_*_SIZE bytes each), identity ("" = shared secret). */
size_t ct_encode_authenticate(uint8_t *b, const uint8_t *host_nonce, const uint8_t *proof, const char *identity);
size_t ct_encode_attach(uint8_t *b, uint16_t devnum, uint16_t model, uint8_t flags, const char *words);

/* Ccw and BufferedCcw: the fixed part; the output data (count bytes, or none) follows it. */
typedef struct CT_CCW
{
    uint8_t  code;
    uint8_t  flags;                     /* this CCW's flags                        */
    uint8_t  chained;                   /* chaining flags (CD, CC) of the previous  */
    uint8_t  prevcode;
    uint32_t seq;                       /* 0 starts a channel program              */
    uint32_t count;
} CT_CCW;
size_t ct_encode_ccw(uint8_t *b, const CT_CCW *c);

size_t ct_encode_read_ahead_end(uint8_t *b, uint32_t unused, uint8_t flags);
size_t ct_encode_mount(uint8_t *b, const char *words);
size_t ct_encode_ping(uint8_t *b, uint64_t token);          /* also Pong's body */
size_t ct_encode_close(uint8_t *b, uint8_t reason, const char *text);

/* ---- server -> host (and either) ------------------------------------------------------ */
typedef struct CT_HELLO_REPLY
{
    uint16_t  version;
    uint32_t  max_frame;
    CT_STRING server_name;
    uint32_t  features;                 /* 0 when the optional field is absent     */
    CT_STRING management_address;       /* the management API; length 0 when absent */
} CT_HELLO_REPLY;
int ct_decode_hello_reply(const uint8_t *b, uint32_t len, CT_HELLO_REPLY *m);

typedef struct CT_ATTACH_REPLY
{
    uint8_t        result;
    uint16_t       model;
    uint8_t        senseid_len;
    const uint8_t *senseid;
    uint8_t        numsense;
    const uint8_t *immediate;           /* CT_IMMEDIATE_MAP_SIZE bytes             */
    uint8_t        loaded;
    CT_STRING      message;
} CT_ATTACH_REPLY;
int ct_decode_attach_reply(const uint8_t *b, uint32_t len, CT_ATTACH_REPLY *m);

typedef struct CT_CCW_REPLY
{
    uint8_t        status;
    uint8_t        flags;
    uint32_t       residual;
    uint8_t        sense_len;
    const uint8_t *sense;
    int            has_credit;          /* flag CT_CCW_REPLY_FLAG_WRITE_CREDIT      */
    uint32_t       credit;              /* 0 without it                            */
    uint32_t       data_off;            /* input data: body offset and length      */
    uint32_t       data_len;
} CT_CCW_REPLY;
/* The reply's layout only: whether residual and data fit the CCW is the host's to judge. */
int ct_decode_ccw_reply(const uint8_t *b, uint32_t len, CT_CCW_REPLY *m);

/* ReadAhead (§5.2, §5.3): n >= 1 entries, every one complete, nothing after the last. A
   reference entry is malformed unless allow_references (read-ahead by reference in effect). */
int ct_decode_read_ahead(const uint8_t *b, uint32_t len, int allow_references, uint32_t *count);
typedef struct CT_RA_ENTRY
{
    uint32_t length;                    /* the block's true length                 */
    int      reference;                 /* its bytes lie in the announced image    */
    uint64_t image_offset;              /* ... from here                           */
    uint32_t data_off;                  /* an inline entry's bytes: body offset,   */
    uint32_t data_len;                  /* min(length, 65535)                      */
} CT_RA_ENTRY;
/* The entry at body offset off of a body ct_decode_read_ahead accepted; returns the next
   entry's offset. */
uint32_t ct_read_ahead_entry(const uint8_t *b, uint32_t off, CT_RA_ENTRY *e);

/* ReadAheadImage (§5.3): an absolute path. A path that is not absolute is malformed, with
   *path set (the host can still name it in a log). */
int ct_decode_read_ahead_image(const uint8_t *b, uint32_t len, CT_STRING *path);
/* Challenge and AuthenticateReply (§2.1): *nonce and *proof point at CT_AUTHENTICATION_*_SIZE bytes in the body. */
int ct_decode_challenge(const uint8_t *b, uint32_t len, uint8_t *method, const uint8_t **nonce);
int ct_decode_authenticate_reply(const uint8_t *b, uint32_t len, const uint8_t **proof);
int ct_decode_unsolicited(const uint8_t *b, uint32_t len, uint8_t *status);
int ct_decode_mount_reply(const uint8_t *b, uint32_t len, uint8_t *result, CT_STRING *message);
int ct_decode_query_reply(const uint8_t *b, uint32_t len, CT_STRING *text);
int ct_decode_ping(const uint8_t *b, uint32_t len, uint64_t *token);   /* also Pong */
int ct_decode_close(const uint8_t *b, uint32_t len, uint8_t *reason, CT_STRING *text);
int ct_decode_error(const uint8_t *b, uint32_t len, uint16_t *code, CT_STRING *text);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#endif /* CTPROTO_H */
