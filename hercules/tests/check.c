/* check.c - runs the module's checks without Hercules (make check):
 *
 *     ctcheck VECTOR-DIR
 *
 * prints one FAIL line (with the reasons) per failed test and the summary line
 * "ctcheck: N passed, N failed"; exit status 1 when any failed. */

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "check.h"

static const char *current;
static int current_failed, passed, failed;

void check_begin(const char *name)
{
    current = name;
    current_failed = 0;
}

int check_ok(void) { return !current_failed; }

void check_fail(const char *file, int line, const char *fmt, ...)
{
    va_list a;
    if (!current_failed) printf("FAIL %s\n", current ? current : "(outside a test)");
    current_failed = 1;
    printf("    %s:%d: ", file, line);
    va_start(a, fmt);
    vprintf(fmt, a);
    va_end(a);
    printf("\n");
}

void check_end(void)
{
    if (current_failed) failed++; else passed++;
    current = NULL;
    current_failed = 0;
}

int main(int argc, char *argv[])
{
    if (argc != 2) {
        fprintf(stderr, "usage: ctcheck VECTOR-DIR (tests/protocol/vectors)\n");
        return 2;
    }
    check_vectors(argv[1]);
    check_host_rules();
    printf("ctcheck: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
