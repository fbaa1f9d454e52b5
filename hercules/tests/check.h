/* check.h - the smallest test framework for `make check` (hercules/Makefile): the module's codec
 * (ctproto.c) against the wire vectors, and its host rules (cthost.c) against scripted server
 * frames. Plain C99 + POSIX, no Hercules headers. */
#ifndef CHECK_H
#define CHECK_H

#include <stddef.h>
#include <stdint.h>

/* One named test: check_begin, CHECKs, check_end (which counts it passed or failed). */
void check_begin(const char *name);
void check_end(void);
void check_fail(const char *file, int line, const char *fmt, ...);
/* 1 while the current test has not failed */
int  check_ok(void);

#define CHECK(cond) \
    do { if (!(cond)) check_fail(__FILE__, __LINE__, "not true: %s", #cond); } while (0)
#define CHECK_EQ(expected, actual) \
    do { unsigned long long e_ = (unsigned long long)(expected), a_ = (unsigned long long)(actual); \
         if (e_ != a_) check_fail(__FILE__, __LINE__, "%s is %llX, expected %llX (%s)", #actual, a_, e_, #expected); \
    } while (0)
#define CHECK_MEM(expected, actual, n) \
    do { if (memcmp((expected), (actual), (n)) != 0) \
             check_fail(__FILE__, __LINE__, "%s differs from %s in its %u bytes", #actual, #expected, (unsigned)(n)); \
    } while (0)

/* the two suites */
void check_vectors(const char *dir);    /* check_vectors.c: tests/protocol/vectors */
void check_host_rules(void);            /* check_host.c */

#endif /* CHECK_H */
