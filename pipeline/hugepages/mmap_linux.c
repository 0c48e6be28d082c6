// The mmap wrapper of package hugepages (doc.go). The linker sends every
// call to mmap from the binary's own objects here (-Wl,--wrap=mmap); this
// calls the real one and advises huge pages for the mappings that can hold
// them. It must not allocate, and it leaves errno as the real mmap left it.

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define HUGE_PAGE_SIZE (2UL << 20)
// The advised mappings are remembered so that ledgerlens_hugepages_withdraw
// can take the advice back; a job makes a few hundred. Past this many, no
// more are advised (every advised mapping is one that can be withdrawn).
#define MAX_RANGES 8192

void *__real_mmap(void *addr, size_t length, int prot, int flags, int fd, off_t offset);

static pthread_once_t setting_once = PTHREAD_ONCE_INIT;
// mu guards everything below: the setting, the ranges and the counts.
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int advise;   // 1 while mappings are advised
static struct range {
	void *addr;
	size_t length;
} ranges[MAX_RANGES];
static int nranges;
static long advised_bytes;  // bytes advised since the start
static long refused;        // madvise calls the kernel refused

// kernel_mode_is_madvise reports whether the kernel's transparent huge
// page mode is "madvise": under "always" it gives huge pages without being
// asked (and without compacting memory for them at a fault, which advised
// mappings do), and under "never" not at all.
static int kernel_mode_is_madvise(void) {
	char buf[128];
	int fd = open("/sys/kernel/mm/transparent_hugepage/enabled", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		return 0;
	}
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0) {
		return 0;
	}
	buf[n] = '\0';
	return strstr(buf, "[madvise]") != NULL;
}

static void read_setting(void) {
	const char *v = getenv("LEDGERLENS_HUGEPAGES");
	int on = v != NULL && strcmp(v, "on") == 0 && kernel_mode_is_madvise();
	pthread_mutex_lock(&mu);
	advise = on;
	pthread_mutex_unlock(&mu);
}

void *__wrap_mmap(void *addr, size_t length, int prot, int flags, int fd, off_t offset) {
	void *p = __real_mmap(addr, length, prot, flags, fd, offset);
	if (p == MAP_FAILED || length < HUGE_PAGE_SIZE || !(prot & PROT_WRITE) ||
	    (flags & (MAP_ANONYMOUS | MAP_PRIVATE)) != (MAP_ANONYMOUS | MAP_PRIVATE)) {
		return p;
	}
	int saved = errno;
	pthread_once(&setting_once, read_setting);
	pthread_mutex_lock(&mu);
	if (advise && nranges < MAX_RANGES) {
		if (madvise(p, length, MADV_HUGEPAGE) == 0) {
			ranges[nranges].addr = p;
			ranges[nranges].length = length;
			nranges++;
			advised_bytes += (long)length;
		} else {
			refused++;
		}
	}
	pthread_mutex_unlock(&mu);
	errno = saved;
	return p;
}

// ledgerlens_hugepages_withdraw stops advising and takes the advice back
// from every mapping advised so far. MADV_NOHUGEPAGE is what an unadvised
// mapping gets under the "madvise" mode, the only one advice is given in.
// A range since unmapped fails harmlessly; one since mapped again by
// someone else is left without huge pages, as it would be unadvised.
void ledgerlens_hugepages_withdraw(void) {
	pthread_once(&setting_once, read_setting);
	pthread_mutex_lock(&mu);
	advise = 0;
	for (int i = 0; i < nranges; i++) {
		madvise(ranges[i].addr, ranges[i].length, MADV_NOHUGEPAGE);
	}
	nranges = 0;
	pthread_mutex_unlock(&mu);
}

long ledgerlens_hugepages_advised(void) {
	pthread_mutex_lock(&mu);
	long n = advised_bytes;
	pthread_mutex_unlock(&mu);
	return n;
}

long ledgerlens_hugepages_refused(void) {
	pthread_mutex_lock(&mu);
	long n = refused;
	pthread_mutex_unlock(&mu);
	return n;
}

int ledgerlens_hugepages_on(void) {
	pthread_once(&setting_once, read_setting);
	pthread_mutex_lock(&mu);
	int on = advise;
	pthread_mutex_unlock(&mu);
	return on;
}
