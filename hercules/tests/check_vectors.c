/* check_vectors.c - the module's codec (ctproto.c) against the committed wire vectors
 * (tests/protocol/vectors, format in its README.md). The module is a host: it decodes what a
 * server sends (server -> host and either direction) and encodes what a host sends (host ->
 * server and either), so those are what it is checked for; every message type must have a
 * valid vector. */

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "ctproto.h"

#define MAX_FIELDS 16
#define MAX_ENTRIES 8

typedef struct FIELD { char name[40]; char *value; int used; } FIELD;

typedef struct VECTOR
{
    char     title[256];
    int      valid;                     /* 1 valid, 0 malformed                      */
    int      decode_only;
    int      differs_c;                 /* "differs c": ctproto accepts it            */
    char     error[40];
    uint8_t *frame;
    size_t   frame_len;
    FIELD    fields[MAX_FIELDS];
    int      nfields;
    char    *entries[MAX_ENTRIES];      /* "entry ..." / "entry-ref ..." lines       */
    int      nentries;
} VECTOR;

/* ---- reading vector files --------------------------------------------------------------- */
static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

/* Appends the bytes of a hex text (pairs of digits, blanks between tokens, HHxN = N times HH)
   to *buf; returns -1 when the text is not that. */
static int append_hex(const char *text, uint8_t **buf, size_t *len)
{
    const char *p = text;
    while (*p) {
        const char *end;
        if (*p == ' ' || *p == '\t') { p++; continue; }
        for (end = p; *end && *end != ' ' && *end != '\t'; end++) {}
        if (end - p > 3 && p[2] == 'x') {          /* HHxN */
            int hi = hexval(p[0]), lo = hexval(p[1]);
            long n = strtol(p + 3, NULL, 10);
            if (hi < 0 || lo < 0 || n <= 0) return -1;
            *buf = realloc(*buf, *len + (size_t)n);
            memset(*buf + *len, hi * 16 + lo, (size_t)n);
            *len += (size_t)n;
        } else {
            if ((end - p) % 2) return -1;
            *buf = realloc(*buf, *len + (size_t)(end - p) / 2 + 1);
            for (; p < end; p += 2) {
                int hi = hexval(p[0]), lo = hexval(p[1]);
                if (hi < 0 || lo < 0) return -1;
                (*buf)[(*len)++] = (uint8_t)(hi * 16 + lo);
            }
        }
        p = end;
    }
    return 0;
}

static void free_vector(VECTOR *v)
{
    int i;
    free(v->frame);
    for (i = 0; i < v->nfields; i++) free(v->fields[i].value);
    for (i = 0; i < v->nentries; i++) free(v->entries[i]);
    memset(v, 0, sizeof(*v));
}

static char *dup_text(const char *s)
{
    char *d = malloc(strlen(s) + 1);
    strcpy(d, s);
    return d;
}

/* ---- field access ----------------------------------------------------------------------- */
static FIELD *field(VECTOR *v, const char *name)
{
    int i;
    for (i = 0; i < v->nfields; i++)
        if (!strcmp(v->fields[i].name, name)) { v->fields[i].used = 1; return &v->fields[i]; }
    return NULL;
}

static int has_field(VECTOR *v, const char *name)
{
    int i;
    for (i = 0; i < v->nfields; i++)
        if (!strcmp(v->fields[i].name, name)) return 1;
    return 0;
}

static uint64_t num(VECTOR *v, const char *name)
{
    FIELD *f = field(v, name);
    uint8_t *b = NULL;
    size_t n = 0, i;
    uint64_t x = 0;
    if (!f) { check_fail(__FILE__, __LINE__, "the vector has no field %s", name); return 0; }
    if (append_hex(f->value, &b, &n) != 0 || n == 0 || n > 8)
        check_fail(__FILE__, __LINE__, "field %s is not a number: %s", name, f->value);
    for (i = 0; i < n; i++) x = (x << 8) | b[i];
    free(b);
    return x;
}

/* a byte field: malloc'd (free it), length in *n */
static uint8_t *bytes(VECTOR *v, const char *name, size_t *n)
{
    FIELD *f = field(v, name);
    uint8_t *b = malloc(1);
    *n = 0;
    if (!f) { check_fail(__FILE__, __LINE__, "the vector has no field %s", name); return b; }
    if (append_hex(f->value, &b, n) != 0)
        check_fail(__FILE__, __LINE__, "field %s is not hex: %s", name, f->value);
    return b;
}

/* a string field's text, between its quotes */
static const char *text(VECTOR *v, const char *name, size_t *n)
{
    FIELD *f = field(v, name);
    char *open, *close;
    *n = 0;
    if (!f) { check_fail(__FILE__, __LINE__, "the vector has no field %s", name); return ""; }
    open = strchr(f->value, '"');
    close = strrchr(f->value, '"');
    if (!open || close == open) { check_fail(__FILE__, __LINE__, "field %s is not a \"string\"", name); return ""; }
    *n = (size_t)(close - open - 1);
    return open + 1;
}

static void expect_num(VECTOR *v, const char *name, uint64_t actual)
{
    uint64_t expected = num(v, name);
    if (expected != actual) check_fail(__FILE__, __LINE__, "%s is %llX, the vector says %llX", name,
                                       (unsigned long long)actual, (unsigned long long)expected);
}

static void expect_bytes(VECTOR *v, const char *name, const uint8_t *actual, size_t len)
{
    size_t n;
    uint8_t *expected = bytes(v, name, &n);
    if (n != len || (n && memcmp(expected, actual, n) != 0))
        check_fail(__FILE__, __LINE__, "%s: %u bytes that differ from the vector's %u", name, (unsigned)len, (unsigned)n);
    free(expected);
}

static void expect_string(VECTOR *v, const char *name, CT_STRING s)
{
    size_t n;
    const char *expected = text(v, name, &n);
    if (n != s.len || (n && memcmp(expected, s.bytes, n) != 0))
        check_fail(__FILE__, __LINE__, "%s is \"%.*s\", the vector says \"%.*s\"", name,
                   (int)s.len, s.bytes ? (const char *)s.bytes : "", (int)n, expected);
}

/* a string field as a C string (for an encoder), malloc'd */
static char *cstring(VECTOR *v, const char *name)
{
    size_t n;
    const char *t = text(v, name, &n);
    char *s = malloc(n + 1);
    memcpy(s, t, n);
    s[n] = '\0';
    return s;
}

/* ---- decoding (server -> host, either) -------------------------------------------------- */
static int decode(uint8_t type, const uint8_t *b, uint32_t len, VECTOR *v)
{
    int rc;
    switch (type) {
    case CT_MSG_HELLO_REPLY: {
        CT_HELLO_REPLY m;
        if ((rc = ct_decode_hello_reply(b, len, &m)) != 0 || !v) return rc;
        expect_num(v, "Version", m.version);
        expect_num(v, "MaxFrameLength", m.max_frame);
        expect_string(v, "ServerName", m.server_name);
        expect_num(v, "Features", m.features);
        if (has_field(v, "ManagementAddress")) expect_string(v, "ManagementAddress", m.management_address);
        else if (m.management_address.len) check_fail(__FILE__, __LINE__, "ManagementAddress decoded, the vector has none");
        return 0;
    }
    case CT_MSG_ATTACH_REPLY: {
        CT_ATTACH_REPLY m;
        if ((rc = ct_decode_attach_reply(b, len, &m)) != 0 || !v) return rc;
        expect_num(v, "Result", m.result);
        expect_num(v, "Model", m.model);
        expect_num(v, "SenseIdCount", m.senseid_len);
        expect_bytes(v, "SenseId", m.senseid, m.senseid_len);
        expect_num(v, "SenseCount", m.numsense);
        expect_bytes(v, "ImmediateCommands", m.immediate, CT_IMMEDIATE_MAP_SIZE);
        expect_num(v, "VolumeLoaded", m.loaded);
        expect_string(v, "Message", m.message);
        return 0;
    }
    case CT_MSG_CCW_REPLY: {
        CT_CCW_REPLY m;
        if ((rc = ct_decode_ccw_reply(b, len, &m)) != 0 || !v) return rc;
        expect_num(v, "Status", m.status);
        expect_num(v, "Flags", m.flags);
        expect_num(v, "Residual", m.residual);
        expect_num(v, "SenseCount", m.sense_len);
        expect_bytes(v, "Sense", m.sense, m.sense_len);
        if (has_field(v, "WriteCredit") != m.has_credit)
            check_fail(__FILE__, __LINE__, "a write credit %s, the vector %s one", m.has_credit ? "decoded" : "not decoded",
                       m.has_credit ? "has no" : "has");
        if (m.has_credit) expect_num(v, "WriteCredit", m.credit);
        expect_bytes(v, "Data", b + m.data_off, m.data_len);
        return 0;
    }
    case CT_MSG_READ_AHEAD: {
        uint32_t n, off = CT_READ_AHEAD_ENTRIES_OFFSET, i;
        if ((rc = ct_decode_read_ahead(b, len, 1, &n)) != 0 || !v) return rc;
        expect_num(v, "Count", n);
        if ((int)n != v->nentries) check_fail(__FILE__, __LINE__, "%u entries, the vector has %d", n, v->nentries);
        for (i = 0; i < n && (int)i < v->nentries; i++) {
            CT_RA_ENTRY e;
            uint8_t *want = NULL;
            size_t wlen = 0;
            int ref = !strncmp(v->entries[i], "entry-ref ", 10);
            off = ct_read_ahead_entry(b, off, &e);
            append_hex(strchr(v->entries[i], ' ') + 1, &want, &wlen);
            if (e.reference != ref || wlen < 4 || ct_get32(want) != e.length)
                check_fail(__FILE__, __LINE__, "entry %u: %s of %u bytes, the vector says %s", i + 1,
                           e.reference ? "a reference" : "inline", e.length, v->entries[i]);
            else if (ref && (wlen != 12 || ct_get64(want + 4) != e.image_offset))
                check_fail(__FILE__, __LINE__, "entry %u: image offset %llX, the vector says %s", i + 1,
                           (unsigned long long)e.image_offset, v->entries[i]);
            else if (!ref && (wlen - 4 != e.data_len || memcmp(want + 4, b + e.data_off, e.data_len) != 0))
                check_fail(__FILE__, __LINE__, "entry %u: %u bytes carried that differ from the vector's %u", i + 1,
                           e.data_len, (unsigned)(wlen - 4));
            free(want);
        }
        return 0;
    }
    case CT_MSG_READ_AHEAD_IMAGE: {
        CT_STRING p;
        if ((rc = ct_decode_read_ahead_image(b, len, &p)) != 0 || !v) return rc;
        expect_string(v, "Path", p);
        return 0;
    }
    case CT_MSG_CHALLENGE: {
        uint8_t method;
        const uint8_t *nonce;
        if ((rc = ct_decode_challenge(b, len, &method, &nonce)) != 0 || !v) return rc;
        expect_num(v, "Method", method);
        expect_bytes(v, "Nonce", nonce, CT_AUTHENTICATION_NONCE_SIZE);
        return 0;
    }
    case CT_MSG_AUTHENTICATE_REPLY: {
        const uint8_t *proof;
        if ((rc = ct_decode_authenticate_reply(b, len, &proof)) != 0 || !v) return rc;
        expect_bytes(v, "Proof", proof, CT_AUTHENTICATION_PROOF_SIZE);
        return 0;
    }
    case CT_MSG_UNSOLICITED: {
        uint8_t status;
        if ((rc = ct_decode_unsolicited(b, len, &status)) != 0 || !v) return rc;
        expect_num(v, "Status", status);
        return 0;
    }
    case CT_MSG_MOUNT_REPLY: {
        uint8_t result;
        CT_STRING m;
        if ((rc = ct_decode_mount_reply(b, len, &result, &m)) != 0 || !v) return rc;
        expect_num(v, "Result", result);
        expect_string(v, "Message", m);
        return 0;
    }
    case CT_MSG_QUERY_REPLY: {
        CT_STRING t;
        if ((rc = ct_decode_query_reply(b, len, &t)) != 0 || !v) return rc;
        expect_string(v, "Text", t);
        return 0;
    }
    case CT_MSG_PING:
    case CT_MSG_PONG: {
        uint64_t token;
        if ((rc = ct_decode_ping(b, len, &token)) != 0 || !v) return rc;
        expect_num(v, "Token", token);
        return 0;
    }
    case CT_MSG_CLOSE: {
        uint8_t reason;
        CT_STRING t;
        if ((rc = ct_decode_close(b, len, &reason, &t)) != 0 || !v) return rc;
        expect_num(v, "Reason", reason);
        expect_string(v, "Text", t);
        return 0;
    }
    case CT_MSG_ERROR: {
        uint16_t code;
        CT_STRING t;
        if ((rc = ct_decode_error(b, len, &code, &t)) != 0 || !v) return rc;
        expect_num(v, "Code", code);
        expect_string(v, "Text", t);
        return 0;
    }
    }
    check_fail(__FILE__, __LINE__, "the module decodes no message of type %02X", type);
    return -1;
}

/* ---- encoding (host -> server, either): the frame the module would send ----------------- */
static size_t encode(uint8_t type, VECTOR *v, uint8_t *b)
{
    size_t n = 0;
    char *s;
    switch (type) {
    case CT_MSG_HELLO:
        CHECK_EQ(CT_MAGIC, num(v, "Magic"));
        s = cstring(v, "HostName");
        n = ct_encode_hello_version(b, (uint16_t)num(v, "Version"), (uint32_t)num(v, "MaxFrameLength"), s, (uint32_t)num(v, "Features"));
        free(s);
        return n;
    case CT_MSG_AUTHENTICATE: {
        size_t nl, pl;
        uint8_t *nonce = bytes(v, "HostNonce", &nl), *proof = bytes(v, "Proof", &pl);
        CHECK_EQ(CT_AUTHENTICATION_NONCE_SIZE, nl);
        CHECK_EQ(CT_AUTHENTICATION_PROOF_SIZE, pl);
        s = cstring(v, "Identity");
        n = ct_encode_authenticate(b, nonce, proof, s);
        free(s);
        free(nonce);
        free(proof);
        return n;
    }
    case CT_MSG_ATTACH:
        s = cstring(v, "DeviceArguments");
        n = ct_encode_attach(b, (uint16_t)num(v, "DeviceNumber"), (uint16_t)num(v, "Model"), (uint8_t)num(v, "Flags"), s);
        free(s);
        return n;
    case CT_MSG_CCW:
    case CT_MSG_BUFFERED_CCW: {
        CT_CCW c;
        uint8_t *data;
        size_t dlen;
        c.code = (uint8_t)num(v, "Command");
        c.flags = (uint8_t)num(v, "Flags");
        c.chained = (uint8_t)num(v, "PreviousFlags");
        c.prevcode = (uint8_t)num(v, "PreviousCommand");
        c.seq = (uint32_t)num(v, "Sequence");
        c.count = (uint32_t)num(v, "Count");
        n = ct_encode_ccw(b, &c);
        data = bytes(v, "Data", &dlen);         /* the channel's buffer, sent after the fixed part */
        memcpy(b + n, data, dlen);
        free(data);
        return n + dlen;
    }
    case CT_MSG_HALT:
    case CT_MSG_QUERY:
        return 0;                               /* sent with an empty body */
    case CT_MSG_READ_AHEAD_END:
        return ct_encode_read_ahead_end(b, (uint32_t)num(v, "UnusedBlocks"), (uint8_t)num(v, "Flags"));
    case CT_MSG_MOUNT:
        s = cstring(v, "Arguments");
        n = ct_encode_mount(b, s);
        free(s);
        return n;
    case CT_MSG_PING:
    case CT_MSG_PONG:
        return ct_encode_ping(b, num(v, "Token"));
    case CT_MSG_CLOSE:
        s = cstring(v, "Text");
        n = ct_encode_close(b, (uint8_t)num(v, "Reason"), s);
        free(s);
        return n;
    }
    check_fail(__FILE__, __LINE__, "the module encodes no message of type %02X", type);
    return 0;
}

static int error_code(const char *name)
{
    static const struct { const char *name; int code; } errors[] = {
        { "MalformedFrame", CT_PROTOCOL_ERROR_MALFORMED_FRAME },
        { "WrongMagicOrVersion", CT_PROTOCOL_ERROR_WRONG_MAGIC_OR_VERSION },
        { "NotAllowedNow", CT_PROTOCOL_ERROR_NOT_ALLOWED_NOW },
        { "FrameTooLong", CT_PROTOCOL_ERROR_FRAME_TOO_LONG },
        { "UnknownType", CT_PROTOCOL_ERROR_UNKNOWN_TYPE },
        { "AuthenticationRequired", CT_PROTOCOL_ERROR_AUTHENTICATION_REQUIRED },
        { "AuthenticationFailed", CT_PROTOCOL_ERROR_AUTHENTICATION_FAILED },
    };
    size_t i;
    for (i = 0; i < sizeof(errors) / sizeof(errors[0]); i++)
        if (!strcmp(errors[i].name, name)) return errors[i].code;
    check_fail(__FILE__, __LINE__, "unknown error name %s", name);
    return -1;
}

static int type_of(const char *message)
{
    int t;
    for (t = 0; t < 256; t++)
        if (ct_message_name((uint8_t)t) && !strcmp(ct_message_name((uint8_t)t), message)) return t;
    return -1;
}

/* ---- one vector ------------------------------------------------------------------------- */
static void check_vector(const char *message, VECTOR *v)
{
    const uint8_t *f = v->frame, *body;
    uint32_t len, blen;
    int type, dir, i;

    if (v->frame_len < CT_FRAME_HEADER_SIZE - (v->valid ? 0 : 1)) {
        check_fail(__FILE__, __LINE__, "a frame of %u bytes has no header", (unsigned)v->frame_len);
        return;
    }
    len = ct_get32(f + CT_FRAME_LENGTH_OFFSET);
    if (!strcmp(message, "*")) {                /* frames.vec: the header alone is refused */
        int rc = ct_frame_check_length(len, CT_DEFAULT_MAX_FRAME_LENGTH);
        if (rc == 0 && v->frame_len >= CT_FRAME_HEADER_SIZE && !ct_message_known(f[CT_FRAME_TYPE_OFFSET]))
            rc = CT_PROTOCOL_ERROR_UNKNOWN_TYPE;
        CHECK_EQ(error_code(v->error), rc);
        return;
    }
    type = type_of(message);
    if (type < 0) { check_fail(__FILE__, __LINE__, "no message type %s", message); return; }
    /* the vectors' own frames must be whole and of their file's type */
    CHECK_EQ(v->frame_len - CT_FRAME_LENGTH_SIZE, len);
    CHECK_EQ(type, f[CT_FRAME_TYPE_OFFSET]);
    if (!check_ok()) return;
    body = f + CT_FRAME_HEADER_SIZE;
    blen = len - 1;
    dir = ct_message_direction((uint8_t)type);

    if (!v->valid) {
        if (dir == CT_DIRECTION_HOST_TO_SERVER) return;     /* the module never decodes it */
        if (v->differs_c) CHECK_EQ(0, decode((uint8_t)type, body, blen, NULL));
        else CHECK_EQ(error_code(v->error), decode((uint8_t)type, body, blen, NULL));
        return;
    }
    if (dir != CT_DIRECTION_HOST_TO_SERVER)
        CHECK_EQ(0, decode((uint8_t)type, body, blen, v));
    if (dir != CT_DIRECTION_SERVER_TO_HOST && !v->decode_only) {
        uint8_t *out = malloc(CT_FRAME_HEADER_SIZE + v->frame_len + 16);
        size_t n = encode((uint8_t)type, v, out + CT_FRAME_HEADER_SIZE);
        ct_frame_header(out, (uint8_t)type, (uint32_t)n);
        if (n + CT_FRAME_HEADER_SIZE != v->frame_len || memcmp(out, v->frame, v->frame_len) != 0)
            check_fail(__FILE__, __LINE__, "encoded to %u bytes that differ from the vector's frame of %u",
                       (unsigned)(n + CT_FRAME_HEADER_SIZE), (unsigned)v->frame_len);
        free(out);
    }
    for (i = 0; i < v->nfields; i++)
        if (!v->fields[i].used && (dir != CT_DIRECTION_HOST_TO_SERVER || !v->decode_only))
            check_fail(__FILE__, __LINE__, "field %s of the vector is not compared", v->fields[i].name);
}

/* Reads one .vec file and checks each vector in it; returns the message type it is about (-1
   for frames.vec) and sets *valid when it has a valid vector. */
static int check_file(const char *dir, const char *name, int *valid)
{
    char path[1024], message[64] = "", *line = NULL;
    size_t cap = 0;
    ssize_t got;
    VECTOR v;
    int have = 0, lineno = 0;
    FILE *fp;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    fp = fopen(path, "r");
    memset(&v, 0, sizeof(v));
    if (!fp) {
        check_begin(name);
        check_fail(__FILE__, __LINE__, "cannot open %s", path);
        check_end();
        return -1;
    }
    for (;;) {
        char *p;
        got = getline(&line, &cap, fp);
        if (got >= 0) {
            lineno++;
            while (got > 0 && (line[got - 1] == '\n' || line[got - 1] == '\r')) line[--got] = '\0';
        }
        /* a vector ends at the next one or at the end of the file */
        if (got < 0 || !strncmp(line, "valid ", 6) || !strncmp(line, "malformed ", 10)) {
            if (have) {
                char test[600];
                snprintf(test, sizeof(test), "vector %s: %s %s", name, v.valid ? "valid" : "malformed", v.title);
                check_begin(test);
                check_vector(message, &v);
                check_end();
                if (v.valid) *valid = 1;
            }
            free_vector(&v);
            have = 0;
            if (got < 0) break;
            v.valid = line[0] == 'v';
            snprintf(v.title, sizeof(v.title), "%s", strchr(line, ' ') + 1);
            have = 1;
            continue;
        }
        if (line[0] == '#' || line[0] == '\0') continue;
        p = strchr(line, ' ');
        if (!strncmp(line, "message ", 8)) {
            snprintf(message, sizeof(message), "%s", line + 8);
        } else if (have && !strncmp(line, "frame ", 6)) {
            if (append_hex(line + 6, &v.frame, &v.frame_len) != 0) {
                check_begin(name);
                check_fail(__FILE__, __LINE__, "%s:%d: not hex", name, lineno);
                check_end();
            }
        } else if (have && !strncmp(line, "field ", 6) && v.nfields < MAX_FIELDS) {
            char *value = strchr(line + 6, ' ');
            FIELD *fl = &v.fields[v.nfields++];
            snprintf(fl->name, sizeof(fl->name), "%.*s", (int)(value ? value - (line + 6) : (long)strlen(line + 6)), line + 6);
            fl->value = dup_text(value ? value + 1 : "");
        } else if (have && !strncmp(line, "entry", 5) && v.nentries < MAX_ENTRIES) {
            v.entries[v.nentries++] = dup_text(line);
        } else if (have && !strncmp(line, "decode-only", 11)) {
            v.decode_only = 1;
        } else if (have && !strncmp(line, "error ", 6)) {
            snprintf(v.error, sizeof(v.error), "%s", line + 6);
        } else if (have && !strncmp(line, "differs ", 8)) {
            if (!strncmp(line + 8, "c ", 2)) v.differs_c = 1;
        } else if (p) {
            check_begin(name);
            check_fail(__FILE__, __LINE__, "%s:%d: a line this reader does not know: %s", name, lineno, line);
            check_end();
        }
    }
    free(line);
    fclose(fp);
    return strcmp(message, "*") ? type_of(message) : -1;
}

void check_vectors(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int covered[256] = { 0 }, files = 0, t;

    while (d && (e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        int valid = 0, type;
        if (n < 5 || strcmp(e->d_name + n - 4, ".vec")) continue;
        files++;
        type = check_file(dir, e->d_name, &valid);
        if (type >= 0 && valid) covered[type] = 1;
    }
    if (d) closedir(d);
    check_begin("vectors: every message type has a valid vector");
    if (!d) check_fail(__FILE__, __LINE__, "cannot open %s", dir);
    else if (!files) check_fail(__FILE__, __LINE__, "no .vec files in %s", dir);
    for (t = 0; t < 256; t++)
        if (ct_message_known((uint8_t)t) && !covered[t])
            check_fail(__FILE__, __LINE__, "no valid vector for %s (%02X)", ct_message_name((uint8_t)t), t);
    check_end();
}
