/* ctproto.c - frames and messages of the ChannelTape wire protocol for a host (ctproto.h).
 * Every layout is docs/protocol.md §3 (§5 for BufferedCcw, ReadAhead, ReadAheadEnd,
 * ReadAheadImage); the offsets are ctproto_defs.h's, generated from protocol/wire.json. The
 * wire vectors in tests/protocol/vectors pin what each function accepts (make check). */

#include <string.h>

#include "ctproto.h"

#define MALFORMED CT_PROTOCOL_ERROR_MALFORMED_FRAME

/* ---- strings (§1) --------------------------------------------------------------------- */
size_t ct_put_string(uint8_t *p, const char *s)
{
    size_t n = strlen(s);
    if (n > CT_STRING_MAX_BYTES) n = CT_STRING_MAX_BYTES;
    ct_put16(p, (uint32_t)n);
    memcpy(p + CT_STRING_LENGTH_SIZE, s, n);
    return CT_STRING_LENGTH_SIZE + n;
}

/* Well-formed UTF-8 (The Unicode Standard, table 3-7 "Well-Formed UTF-8 Byte Sequences"): no
   overlong forms, no surrogates, nothing above U+10FFFF; what the C# and Python peers' strict
   decoders accept. */
static int utf8_valid(const uint8_t *p, uint32_t n)
{
    uint32_t i = 0, k, need;
    while (i < n) {
        uint8_t c = p[i], lo = 0x80, hi = 0xBF;
        if (c < 0x80) { i++; continue; }
        if (c >= 0xC2 && c <= 0xDF) {
            need = 1;
        } else if (c >= 0xE0 && c <= 0xEF) {
            need = 2;
            if (c == 0xE0) lo = 0xA0; else if (c == 0xED) hi = 0x9F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 3;
            if (c == 0xF0) lo = 0x90; else if (c == 0xF4) hi = 0x8F;
        } else {
            return 0;
        }
        if (n - i - 1 < need || p[i + 1] < lo || p[i + 1] > hi) return 0;
        for (k = 2; k <= need; k++)
            if (p[i + k] < 0x80 || p[i + k] > 0xBF) return 0;
        i += need + 1;
    }
    return 1;
}

int ct_get_string(const uint8_t *p, uint32_t len, CT_STRING *s)
{
    uint32_t n;
    if (len < CT_STRING_LENGTH_SIZE) return -1;
    n = ct_get16(p);
    if (n > len - CT_STRING_LENGTH_SIZE || !utf8_valid(p + CT_STRING_LENGTH_SIZE, n)) return -1;
    s->bytes = p + CT_STRING_LENGTH_SIZE;
    s->len = n;
    return (int)(CT_STRING_LENGTH_SIZE + n);
}

void ct_string_copy(CT_STRING s, char *out, size_t outsize)
{
    size_t c;
    if (!outsize) return;
    c = s.len < outsize - 1 ? s.len : outsize - 1;
    if (c) memcpy(out, s.bytes, c);
    out[c] = '\0';
}

/* ---- frames (§1) ---------------------------------------------------------------------- */
void ct_frame_header(uint8_t *hdr, uint8_t type, uint32_t body_len)
{
    ct_put32(hdr + CT_FRAME_LENGTH_OFFSET, body_len + 1);
    hdr[CT_FRAME_TYPE_OFFSET] = type;
}

int ct_frame_check_length(uint32_t length, uint32_t max_frame)
{
    if (length == 0) return MALFORMED;
    if (length > max_frame) return CT_PROTOCOL_ERROR_FRAME_TOO_LONG;
    return 0;
}

#define CT_MESSAGE_CASE_NAME(code, name, direction) case code: return name;
#define CT_MESSAGE_CASE_DIRECTION(code, name, direction) case code: return direction;

const char *ct_message_name(uint8_t type)
{
    switch (type) { CT_FOR_EACH_MESSAGE(CT_MESSAGE_CASE_NAME) default: return NULL; }
}

int ct_message_direction(uint8_t type)
{
    switch (type) { CT_FOR_EACH_MESSAGE(CT_MESSAGE_CASE_DIRECTION) default: return 0; }
}

int ct_message_known(uint8_t type) { return ct_message_name(type) != NULL; }

/* ---- host -> server ------------------------------------------------------------------- */
size_t ct_encode_hello(uint8_t *b, uint32_t max_frame, const char *host_name, uint32_t features)
{
    return ct_encode_hello_version(b, CT_PROTOCOL_VERSION, max_frame, host_name, features);
}

size_t ct_encode_hello_version(uint8_t *b, uint16_t version, uint32_t max_frame, const char *host_name, uint32_t features)
{
    size_t n;
    ct_put32(b + CT_HELLO_MAGIC_OFFSET, CT_MAGIC);
    ct_put16(b + CT_HELLO_VERSION_OFFSET, version);
    ct_put32(b + CT_HELLO_MAX_FRAME_LENGTH_OFFSET, max_frame);
    n = CT_HELLO_HOST_NAME_OFFSET + ct_put_string(b + CT_HELLO_HOST_NAME_OFFSET, host_name);
    ct_put32(b + n, features);          /* the optional features field (§5), always sent */
    return n + CT_FEATURE_FIELD_SIZE;
}

size_t ct_encode_authenticate(uint8_t *b, const uint8_t *host_nonce, const uint8_t *proof, const char *identity)
{
    memcpy(b + CT_AUTHENTICATE_HOST_NONCE_OFFSET, host_nonce, CT_AUTHENTICATION_NONCE_SIZE);
    memcpy(b + CT_AUTHENTICATE_PROOF_OFFSET, proof, CT_AUTHENTICATION_PROOF_SIZE);
    return CT_AUTHENTICATE_IDENTITY_OFFSET + ct_put_string(b + CT_AUTHENTICATE_IDENTITY_OFFSET, identity);
}

size_t ct_encode_attach(uint8_t *b, uint16_t devnum, uint16_t model, uint8_t flags, const char *words)
{
    ct_put16(b + CT_ATTACH_DEVICE_NUMBER_OFFSET, devnum);
    ct_put16(b + CT_ATTACH_MODEL_OFFSET, model);
    b[CT_ATTACH_FLAGS_OFFSET] = flags;
    return CT_ATTACH_DEVICE_ARGUMENTS_OFFSET + ct_put_string(b + CT_ATTACH_DEVICE_ARGUMENTS_OFFSET, words);
}

size_t ct_encode_ccw(uint8_t *b, const CT_CCW *c)
{
    b[CT_CCW_COMMAND_OFFSET] = c->code;
    b[CT_CCW_FLAGS_OFFSET] = c->flags;
    b[CT_CCW_PREVIOUS_FLAGS_OFFSET] = c->chained & (CT_CCW_FLAG_CHAIN_DATA | CT_CCW_FLAG_CHAIN_COMMAND);
    b[CT_CCW_PREVIOUS_COMMAND_OFFSET] = c->prevcode;
    ct_put32(b + CT_CCW_SEQUENCE_OFFSET, c->seq);
    ct_put32(b + CT_CCW_COUNT_OFFSET, c->count);
    return CT_CCW_FIXED_SIZE;
}

size_t ct_encode_read_ahead_end(uint8_t *b, uint32_t unused, uint8_t flags)
{
    ct_put32(b + CT_READ_AHEAD_END_UNUSED_BLOCKS_OFFSET, unused);
    b[CT_READ_AHEAD_END_FLAGS_OFFSET] = flags;
    return CT_READ_AHEAD_END_FIXED_SIZE;
}

size_t ct_encode_mount(uint8_t *b, const char *words)
{
    return CT_MOUNT_ARGUMENTS_OFFSET + ct_put_string(b + CT_MOUNT_ARGUMENTS_OFFSET, words);
}

size_t ct_encode_ping(uint8_t *b, uint64_t token)
{
    ct_put64(b + CT_PING_TOKEN_OFFSET, token);
    return CT_PING_FIXED_SIZE;
}

size_t ct_encode_close(uint8_t *b, uint8_t reason, const char *text)
{
    b[CT_CLOSE_REASON_OFFSET] = reason;
    return CT_CLOSE_TEXT_OFFSET + ct_put_string(b + CT_CLOSE_TEXT_OFFSET, text);
}

/* ---- server -> host ------------------------------------------------------------------- */
/* Hello's and HelloReply's features (§3, §5): absent = none; 1 to 3 bytes of it is malformed. */
static int get_features(const uint8_t *b, uint32_t len, uint32_t off, uint32_t *features)
{
    *features = 0;
    if (len == off) return 0;
    if (len - off < CT_FEATURE_FIELD_SIZE) return MALFORMED;
    *features = ct_get32(b + off);
    return 0;
}

int ct_decode_hello_reply(const uint8_t *b, uint32_t len, CT_HELLO_REPLY *m)
{
    int n;
    uint32_t after;
    if (len < CT_HELLO_REPLY_FIXED_SIZE) return MALFORMED;
    m->version = (uint16_t)ct_get16(b + CT_HELLO_REPLY_VERSION_OFFSET);
    m->max_frame = ct_get32(b + CT_HELLO_REPLY_MAX_FRAME_LENGTH_OFFSET);
    m->management_address.bytes = NULL;
    m->management_address.len = 0;
    n = ct_get_string(b + CT_HELLO_REPLY_SERVER_NAME_OFFSET, len - CT_HELLO_REPLY_SERVER_NAME_OFFSET, &m->server_name);
    if (n < 0) return MALFORMED;
    after = CT_HELLO_REPLY_SERVER_NAME_OFFSET + (uint32_t)n;
    if (get_features(b, len, after, &m->features) != 0) return MALFORMED;
    /* the management API's address may follow the features (docs/operations.md); the module
       does not use it, but a frame that carries a broken one is malformed all the same */
    after += CT_FEATURE_FIELD_SIZE;
    if (len > after && ct_get_string(b + after, len - after, &m->management_address) < 0) return MALFORMED;
    return 0;
}

int ct_decode_attach_reply(const uint8_t *b, uint32_t len, CT_ATTACH_REPLY *m)
{
    const uint8_t *rest;
    uint32_t n, restlen;
    if (len < CT_ATTACH_REPLY_FIXED_SIZE) return MALFORMED;
    n = b[CT_ATTACH_REPLY_SENSE_ID_COUNT_OFFSET];
    if (len < CT_ATTACH_REPLY_FIXED_SIZE + n) return MALFORMED;
    m->result = b[CT_ATTACH_REPLY_RESULT_OFFSET];
    m->model = (uint16_t)ct_get16(b + CT_ATTACH_REPLY_MODEL_OFFSET);
    m->senseid_len = (uint8_t)n;
    m->senseid = b + CT_ATTACH_REPLY_SENSE_ID_OFFSET;
    rest = m->senseid + n;              /* the fields after the Sense ID bytes */
    restlen = len - CT_ATTACH_REPLY_SENSE_ID_OFFSET - n;
    m->numsense = rest[CT_ATTACH_REPLY_SENSE_COUNT_OFFSET_AFTER_SENSE_ID];
    m->immediate = rest + CT_ATTACH_REPLY_IMMEDIATE_COMMANDS_OFFSET_AFTER_SENSE_ID;
    m->loaded = rest[CT_ATTACH_REPLY_VOLUME_LOADED_OFFSET_AFTER_SENSE_ID];
    if (ct_get_string(rest + CT_ATTACH_REPLY_MESSAGE_OFFSET_AFTER_SENSE_ID,
                      restlen - CT_ATTACH_REPLY_MESSAGE_OFFSET_AFTER_SENSE_ID, &m->message) < 0)
        return MALFORMED;
    return 0;
}

int ct_decode_ccw_reply(const uint8_t *b, uint32_t len, CT_CCW_REPLY *m)
{
    uint32_t head;
    if (len < CT_CCW_REPLY_FIXED_SIZE) return MALFORMED;
    m->status = b[CT_CCW_REPLY_STATUS_OFFSET];
    m->flags = b[CT_CCW_REPLY_FLAGS_OFFSET];
    m->residual = ct_get32(b + CT_CCW_REPLY_RESIDUAL_OFFSET);
    m->sense_len = b[CT_CCW_REPLY_SENSE_COUNT_OFFSET];
    m->sense = b + CT_CCW_REPLY_SENSE_OFFSET;
    m->has_credit = (m->flags & CT_CCW_REPLY_FLAG_WRITE_CREDIT) != 0;
    head = CT_CCW_REPLY_SENSE_OFFSET + m->sense_len + (m->has_credit ? CT_CCW_REPLY_WRITE_CREDIT_SIZE : 0);
    if (head > len) return MALFORMED;
    m->credit = m->has_credit ? ct_get32(b + CT_CCW_REPLY_SENSE_OFFSET + m->sense_len) : 0;
    m->data_off = head;
    m->data_len = len - head;
    return 0;
}

int ct_decode_read_ahead(const uint8_t *b, uint32_t len, int allow_references, uint32_t *count)
{
    uint32_t n, i, off = CT_READ_AHEAD_ENTRIES_OFFSET;
    if (len < CT_READ_AHEAD_FIXED_SIZE || (n = ct_get16(b + CT_READ_AHEAD_COUNT_OFFSET)) == 0) return MALFORMED;
    for (i = 0; i < n; i++) {
        uint32_t l;
        if (len - off < CT_READ_AHEAD_ENTRY_LENGTH_SIZE) return MALFORMED;
        l = ct_get32(b + off);
        if (l & CT_READ_AHEAD_REFERENCE_FLAG) {
            /* §5.3: L at least 1, then an offset below 2^63 */
            if (!allow_references || (l & ~CT_READ_AHEAD_REFERENCE_FLAG) == 0
             || len - off < CT_READ_AHEAD_REFERENCE_ENTRY_SIZE
             || (ct_get64(b + off + CT_READ_AHEAD_REFERENCE_ENTRY_IMAGE_OFFSET_OFFSET) >> 63) != 0)
                return MALFORMED;
            off += CT_READ_AHEAD_REFERENCE_ENTRY_SIZE;
            continue;
        }
        /* §5.2: the server never sends a zero-length block; a block carries min(L, 65535) bytes */
        l = l < CT_READ_AHEAD_MAX_BLOCK_BYTES ? l : CT_READ_AHEAD_MAX_BLOCK_BYTES;
        if (l == 0 || len - off - CT_READ_AHEAD_ENTRY_LENGTH_SIZE < l) return MALFORMED;
        off += CT_READ_AHEAD_INLINE_ENTRY_DATA_OFFSET + l;
    }
    if (off != len) return MALFORMED;
    *count = n;
    return 0;
}

uint32_t ct_read_ahead_entry(const uint8_t *b, uint32_t off, CT_RA_ENTRY *e)
{
    uint32_t l = ct_get32(b + off + CT_READ_AHEAD_INLINE_ENTRY_LENGTH_OFFSET);
    if (l & CT_READ_AHEAD_REFERENCE_FLAG) {
        e->length = l & ~CT_READ_AHEAD_REFERENCE_FLAG;
        e->reference = 1;
        e->image_offset = ct_get64(b + off + CT_READ_AHEAD_REFERENCE_ENTRY_IMAGE_OFFSET_OFFSET);
        e->data_off = e->data_len = 0;
        return off + CT_READ_AHEAD_REFERENCE_ENTRY_SIZE;
    }
    e->length = l;
    e->reference = 0;
    e->image_offset = 0;
    e->data_off = off + CT_READ_AHEAD_INLINE_ENTRY_DATA_OFFSET;
    e->data_len = l < CT_READ_AHEAD_MAX_BLOCK_BYTES ? l : CT_READ_AHEAD_MAX_BLOCK_BYTES;
    return e->data_off + e->data_len;
}

/* A message that is one string at offset 0 (ReadAheadImage, QueryReply). */
static int one_string(const uint8_t *b, uint32_t len, CT_STRING *s)
{
    s->bytes = NULL;
    s->len = 0;
    return ct_get_string(b, len, s) < 0 ? MALFORMED : 0;
}

int ct_decode_read_ahead_image(const uint8_t *b, uint32_t len, CT_STRING *path)
{
    if (one_string(b + CT_READ_AHEAD_IMAGE_PATH_OFFSET, len - CT_READ_AHEAD_IMAGE_PATH_OFFSET, path)) return MALFORMED;
    return path->len > 0 && path->bytes[0] == '/' ? 0 : MALFORMED;
}

int ct_decode_query_reply(const uint8_t *b, uint32_t len, CT_STRING *text)
{
    return one_string(b + CT_QUERY_REPLY_TEXT_OFFSET, len - CT_QUERY_REPLY_TEXT_OFFSET, text);
}

int ct_decode_unsolicited(const uint8_t *b, uint32_t len, uint8_t *status)
{
    if (len < CT_UNSOLICITED_FIXED_SIZE) return MALFORMED;
    *status = b[CT_UNSOLICITED_STATUS_OFFSET];
    return 0;
}

int ct_decode_challenge(const uint8_t *b, uint32_t len, uint8_t *method, const uint8_t **nonce)
{
    if (len < CT_CHALLENGE_FIXED_SIZE) return MALFORMED;
    *method = b[CT_CHALLENGE_METHOD_OFFSET];
    *nonce = b + CT_CHALLENGE_NONCE_OFFSET;
    return 0;
}

int ct_decode_authenticate_reply(const uint8_t *b, uint32_t len, const uint8_t **proof)
{
    if (len < CT_AUTHENTICATE_REPLY_FIXED_SIZE) return MALFORMED;
    *proof = b + CT_AUTHENTICATE_REPLY_PROOF_OFFSET;
    return 0;
}

int ct_decode_mount_reply(const uint8_t *b, uint32_t len, uint8_t *result, CT_STRING *message)
{
    if (len < CT_MOUNT_REPLY_FIXED_SIZE) return MALFORMED;
    *result = b[CT_MOUNT_REPLY_RESULT_OFFSET];
    return ct_get_string(b + CT_MOUNT_REPLY_MESSAGE_OFFSET, len - CT_MOUNT_REPLY_MESSAGE_OFFSET, message) < 0 ? MALFORMED : 0;
}

int ct_decode_ping(const uint8_t *b, uint32_t len, uint64_t *token)
{
    if (len < CT_PING_FIXED_SIZE) return MALFORMED;
    *token = ct_get64(b + CT_PING_TOKEN_OFFSET);
    return 0;
}

int ct_decode_close(const uint8_t *b, uint32_t len, uint8_t *reason, CT_STRING *text)
{
    if (len < CT_CLOSE_FIXED_SIZE) return MALFORMED;
    *reason = b[CT_CLOSE_REASON_OFFSET];
    return ct_get_string(b + CT_CLOSE_TEXT_OFFSET, len - CT_CLOSE_TEXT_OFFSET, text) < 0 ? MALFORMED : 0;
}

int ct_decode_error(const uint8_t *b, uint32_t len, uint16_t *code, CT_STRING *text)
{
    if (len < CT_ERROR_FIXED_SIZE) return MALFORMED;
    *code = (uint16_t)ct_get16(b + CT_ERROR_CODE_OFFSET);
    return ct_get_string(b + CT_ERROR_TEXT_OFFSET, len - CT_ERROR_TEXT_OFFSET, text) < 0 ? MALFORMED : 0;
}
