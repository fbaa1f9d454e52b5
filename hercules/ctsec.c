/* ctsec.c - the module's OpenSSL: secrets, proofs and TLS (ctsec.h, docs/protocol.md §1.1, §2.1). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "ctsec.h"

int ctsec_load_secret(const char *path, CTSEC_KEY *key, char *why, size_t whylen)
{
    struct stat st;
    int fd;
    ssize_t n;
    uint8_t buf[CT_SECRET_MAXIMUM_LENGTH + 1];

    key->len = 0;
    /* O_NONBLOCK: a FIFO must not hang devinit; fstat then refuses anything but a regular file */
    fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) { snprintf(why, whylen, "secret file %s: %s", path, strerror(errno)); return -1; }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        snprintf(why, whylen, "secret file %s: not a regular file", path);
        return -1;
    }
    n = read(fd, buf, sizeof(buf));
    close(fd);
    if (n < 0 || n > CT_SECRET_MAXIMUM_LENGTH) {
        snprintf(why, whylen, "secret file %s: %s", path, n < 0 ? strerror(errno) : "too long");
        return -1;
    }
    while (n > 0 && (buf[n - 1] == ' ' || buf[n - 1] == '\t' || buf[n - 1] == '\r' || buf[n - 1] == '\n')) n--;
    if (n < CT_SECRET_MINIMUM_LENGTH) {
        snprintf(why, whylen, "secret file %s: a secret has %d to %d bytes, this one %ld", path,
                 CT_SECRET_MINIMUM_LENGTH, CT_SECRET_MAXIMUM_LENGTH, (long)n);
        OPENSSL_cleanse(buf, sizeof(buf));
        return -1;
    }
    memcpy(key->bytes, buf, (size_t)n);
    key->len = (size_t)n;
    OPENSSL_cleanse(buf, sizeof(buf));
    return 0;
}

int ctsec_nonce(uint8_t *out)
{
    return RAND_bytes(out, CT_AUTHENTICATION_NONCE_SIZE) == 1 ? 0 : -1;
}

void ctsec_proof(const CTSEC_KEY *key, int server, const uint8_t *server_nonce, const uint8_t *host_nonce,
                 const char *identity, uint8_t *out)
{
    static const char host_label[] = "ChannelTape host proof";       /* + its NUL: 23 bytes */
    static const char server_label[] = "ChannelTape server proof";   /* + its NUL: 25 bytes */
    uint8_t msg[32 + 2 * CT_AUTHENTICATION_NONCE_SIZE + 256];
    size_t n = 0, idlen = strlen(identity);
    unsigned int outlen = CT_AUTHENTICATION_PROOF_SIZE;
    const char *label = server ? server_label : host_label;
    size_t llen = strlen(label) + 1;
    if (idlen > 255) idlen = 255;
    memcpy(msg + n, label, llen); n += llen;
    memcpy(msg + n, server_nonce, CT_AUTHENTICATION_NONCE_SIZE); n += CT_AUTHENTICATION_NONCE_SIZE;
    memcpy(msg + n, host_nonce, CT_AUTHENTICATION_NONCE_SIZE); n += CT_AUTHENTICATION_NONCE_SIZE;
    memcpy(msg + n, identity, idlen); n += idlen;
    HMAC(EVP_sha256(), key->bytes, (int)key->len, msg, n, out, &outlen);
}

int ctsec_equal(const uint8_t *a, const uint8_t *b, size_t n)
{
    return CRYPTO_memcmp(a, b, n) == 0;
}

void *ctsec_tls_connect(int fd, const char *host, const char *cafile, char *why, size_t whylen)
{
    SSL_CTX *ctx;
    SSL *ssl;
    long verify;

    ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) { snprintf(why, whylen, "TLS: cannot make a context"); return NULL; }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    if ((cafile && *cafile) ? SSL_CTX_load_verify_locations(ctx, cafile, NULL) != 1
                            : SSL_CTX_set_default_verify_paths(ctx) != 1) {
        snprintf(why, whylen, "TLS: cannot load the trusted certificates%s%s", cafile ? " from " : "", cafile ? cafile : "");
        SSL_CTX_free(ctx);
        return NULL;
    }
    ssl = SSL_new(ctx);
    SSL_CTX_free(ctx);                  /* the SSL keeps its own reference */
    if (!ssl) { snprintf(why, whylen, "TLS: cannot make a connection"); return NULL; }
    SSL_set_mode(ssl, SSL_MODE_AUTO_RETRY);
    SSL_set_tlsext_host_name(ssl, host);
    SSL_set1_host(ssl, host);           /* the certificate must name the host connected to */
    SSL_set_fd(ssl, fd);
    if (SSL_connect(ssl) != 1) {
        verify = SSL_get_verify_result(ssl);
        snprintf(why, whylen, "TLS handshake with %s failed: %s", host,
                 verify != X509_V_OK ? X509_verify_cert_error_string(verify) : ERR_reason_error_string(ERR_peek_last_error()) ?
                 ERR_reason_error_string(ERR_peek_last_error()) : "connection closed");
        ERR_clear_error();
        SSL_free(ssl);
        return NULL;
    }
    return ssl;
}

int ctsec_tls_write(void *tls, const void *buf, size_t n)
{
    const uint8_t *p = buf;
    while (n > 0) {
        int w = SSL_write((SSL *)tls, p, n > 0x40000000 ? 0x40000000 : (int)n);
        if (w <= 0) { ERR_clear_error(); return -1; }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

long ctsec_tls_read(void *tls, void *buf, size_t n)
{
    int r = SSL_read((SSL *)tls, buf, n > 0x40000000 ? 0x40000000 : (int)n);
    if (r > 0) return r;
    if (SSL_get_error((SSL *)tls, r) == SSL_ERROR_ZERO_RETURN) { ERR_clear_error(); return 0; }
    ERR_clear_error();
    return -1;
}

int ctsec_tls_pending(void *tls) { return SSL_pending((SSL *)tls); }

void ctsec_tls_free(void *tls) { if (tls) SSL_free((SSL *)tls); }
