/* ctsec.h - what the module needs of OpenSSL for docs/protocol.md §1.1 and §2.1: the shared
 * secret (read from a file), nonces and HMAC-SHA256 proofs, and TLS on the connection's socket.
 * No Hercules types. hdtctape.c holds one CTSEC_TLS per connection and serialises its reads and
 * writes (OpenSSL does not allow one SSL object to be read and written at once by two threads). */
#ifndef CTSEC_H
#define CTSEC_H

#include <stddef.h>
#include <stdint.h>

#include "ctproto_defs.h"

#if defined(__GNUC__)
#pragma GCC visibility push(hidden)
#endif

typedef struct CTSEC_KEY
{
    uint8_t bytes[CT_SECRET_MAXIMUM_LENGTH];
    size_t  len;                        /* 0: no secret */
} CTSEC_KEY;

/* Reads a secret file: a regular file of at most CT_SECRET_MAXIMUM_LENGTH bytes, trailing blanks
   and line ends dropped, at least CT_SECRET_MINIMUM_LENGTH bytes left. 0, or -1 with why. */
int ctsec_load_secret(const char *path, CTSEC_KEY *key, char *why, size_t whylen);

/* CT_AUTHENTICATION_NONCE_SIZE fresh random bytes; 0, or -1 when the system has no randomness. */
int ctsec_nonce(uint8_t *out);

/* HMAC-SHA256(secret, label | server nonce | host nonce | identity): label "ChannelTape host proof\0"
   (server = 0) or "ChannelTape server proof\0" (server = 1); out has CT_AUTHENTICATION_PROOF_SIZE bytes. */
void ctsec_proof(const CTSEC_KEY *key, int server, const uint8_t *server_nonce, const uint8_t *host_nonce,
                 const char *identity, uint8_t *out);

/* 1 when the n bytes are equal (in constant time). */
int ctsec_equal(const uint8_t *a, const uint8_t *b, size_t n);

/* TLS on a connected socket (blocking, with SO_RCVTIMEO/SO_SNDTIMEO set): the server's certificate
   must chain to cafile (a PEM file; NULL = the system's authorities) and name host. The handle,
   or NULL with why. */
void *ctsec_tls_connect(int fd, const char *host, const char *cafile, char *why, size_t whylen);
/* Writes all n bytes: 0, or -1. */
int ctsec_tls_write(void *tls, const void *buf, size_t n);
/* Reads up to n bytes: the count, 0 when the server closed, -1 on an error or a timeout. */
long ctsec_tls_read(void *tls, void *buf, size_t n);
/* Decrypted bytes waiting in the handle (a reader must not wait on the socket for them). */
int ctsec_tls_pending(void *tls);
void ctsec_tls_free(void *tls);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#endif /* CTSEC_H */
