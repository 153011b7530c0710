/* LD_PRELOAD counter of malloc calls (operator new goes through malloc too): SIGUSR2 writes
 * "mallocs N" to stderr. bench/malloc_per_request.sh uses it to show what the hot path allocates. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

extern void* __libc_malloc(size_t);
static atomic_long count;

void* malloc(size_t n) {
  atomic_fetch_add_explicit(&count, 1, memory_order_relaxed);
  return __libc_malloc(n);
}

static void report(int signum) {
  (void)signum;
  char line[64];
  int len = snprintf(line, sizeof line, "mallocs %ld\n", atomic_load(&count));
  if (write(2, line, (size_t)len) < 0) { /* nothing to do in a signal handler */ }
}

__attribute__((constructor)) static void install(void) { signal(SIGUSR2, report); }
