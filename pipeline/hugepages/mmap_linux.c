// The mmap wrapper of package hugepages (doc.go). The linker sends every
// call to mmap from the binary's own objects here (-Wl,--wrap=mmap); this
// calls the real one and advises huge pages for the mappings that can hold
// them. It must not allocate, and it leaves errno as the real mmap left it.

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define HUGE_PAGE_SIZE (2UL << 20)

void *__real_mmap(void *addr, size_t length, int prot, int flags, int fd, off_t offset);

static pthread_once_t setting_once = PTHREAD_ONCE_INIT;
static int advise;                  // 1 unless LEDGERLENS_HUGEPAGES=off
static atomic_long advised_bytes;   // bytes of mappings advised so far
static atomic_long refused;         // madvise calls the kernel refused

static void read_setting(void) {
	const char *v = getenv("LEDGERLENS_HUGEPAGES");
	advise = v == NULL || strcmp(v, "off") != 0;
}

void *__wrap_mmap(void *addr, size_t length, int prot, int flags, int fd, off_t offset) {
	void *p = __real_mmap(addr, length, prot, flags, fd, offset);
	if (p == MAP_FAILED || length < HUGE_PAGE_SIZE || !(prot & PROT_WRITE) ||
	    (flags & (MAP_ANONYMOUS | MAP_PRIVATE)) != (MAP_ANONYMOUS | MAP_PRIVATE)) {
		return p;
	}
	pthread_once(&setting_once, read_setting);
	if (advise) {
		int saved = errno;
		if (madvise(p, length, MADV_HUGEPAGE) == 0) {
			atomic_fetch_add(&advised_bytes, (long)length);
		} else {
			atomic_fetch_add(&refused, 1);
		}
		errno = saved;
	}
	return p;
}

long ledgerlens_hugepages_advised(void) {
	return atomic_load(&advised_bytes);
}

long ledgerlens_hugepages_refused(void) {
	return atomic_load(&refused);
}

int ledgerlens_hugepages_on(void) {
	pthread_once(&setting_once, read_setting);
	return advise;
}
