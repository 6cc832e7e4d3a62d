/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * A root daemon in miniature that drops privileges one of the ways real
 * daemons do, then does what a daemon does next: maps and touches memory,
 * and forks a child. It prints what it holds after the drop, so that the
 * tests can see what exec's shim kept and what it stopped.
 * Usage: dropper METHOD UID [MIB]
 * Before the drop it maps and touches 16 MiB, as a daemon sets itself up
 * as root (more than the usual 8 MiB hard RLIMIT_MEMLOCK); after it, MIB
 * (default 32).
 *   setuid       setgid + setgroups + setuid (nginx, haproxy, lighttpd)
 *   setresuid    setresgid + setresuid
 *   setreuid     setregid + setreuid
 *   seteuid      seteuid only: the saved uid stays 0 (a temporary drop)
 *   keepcaps     dnsmasq's way: capset to what it needs, PR_SET_KEEPCAPS,
 *                setuid, capset to nothing
 *   libcap       libcap's cap_set_proc after PR_SET_KEEPCAPS and setuid
 *   nopriv       libcap's cap_set_mode(CAP_MODE_NOPRIV)
 *   raw          syscall(SYS_setuid): no libc wrapper sees it
 *   threads      setuid with a second thread running
 * Output: "dropped uid=U prm=HEX eff=HEX", then "mapped MIB MiB" or
 * "mmap failed: ERR", then the forked child's "child VmLck=KB kB" (or its
 * exit status), then "VmLck=KB kB". libcap is loaded with dlopen and its
 * functions are found as a program linked with it finds them (the preload
 * first); exit 77 when libcap.so.2 is missing.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <grp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

struct cap_header {
	uint32_t version;
	int pid;
};
struct cap_data {
	uint32_t effective, permitted, inheritable;
};
#define CAP_V3 0x20080522u
#define CAP_SETUID_BIT (1u << 7)
/* glibc exports capset(2) but declares it nowhere (libcap's header does). */
int capset(void *header, const void *data);

static long vmlck_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "re");

	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "VmLck:", 6) == 0)
			kb = strtol(line + 6, NULL, 10);
	if (f)
		fclose(f);
	return kb;
}

static int set_caps(uint32_t permitted, uint32_t effective)
{
	struct cap_header h = { CAP_V3, 0 };
	struct cap_data d[2] = { { effective, permitted, 0 }, { 0, 0, 0 } };

	return capset((void *)&h, (void *)d);
}

/* glibc's set*id broadcast interrupts pause() in every thread. */
static void *idle(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

/* libcap's functions, as the dynamic linker would bind them. */
static void *libcap_fn(const char *name)
{
	static void *handle;

	if (!handle)
		handle = dlopen("libcap.so.2", RTLD_NOW | RTLD_GLOBAL);
	if (!handle) {
		fprintf(stderr, "SKIP: libcap.so.2 cannot be loaded (package libcap2)\n");
		exit(77);
	}
	return dlsym(RTLD_DEFAULT, name);
}

static int drop_libcap(uid_t uid, bool nopriv)
{
	void *(*cap_init)(void);
	int (*cap_set_proc)(void *);
	int (*cap_set_mode)(unsigned);
	void *p;

	if (nopriv) {
		p = libcap_fn("cap_set_mode");
		memcpy(&cap_set_mode, &p, sizeof(p));
		return cap_set_mode ? cap_set_mode(1 /* CAP_MODE_NOPRIV */) : -1;
	}
	p = libcap_fn("cap_init");
	memcpy(&cap_init, &p, sizeof(p));
	p = libcap_fn("cap_set_proc");
	memcpy(&cap_set_proc, &p, sizeof(p));
	if (!cap_init || !cap_set_proc || prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0 || setuid(uid) != 0)
		return -1;
	return cap_set_proc(cap_init()); /* an empty set: drop everything */
}

static int drop(const char *method, uid_t uid)
{
	pthread_t t;

	if (strcmp(method, "setuid") == 0 || strcmp(method, "threads") == 0) {
		if (strcmp(method, "threads") == 0 && pthread_create(&t, NULL, idle, NULL) != 0)
			return -1;
		return setgid(uid) || setgroups(0, NULL) || setuid(uid) ? -1 : 0;
	}
	if (strcmp(method, "setresuid") == 0)
		return setresgid(uid, uid, uid) || setresuid(uid, uid, uid) ? -1 : 0;
	if (strcmp(method, "setreuid") == 0)
		return setregid(uid, uid) || setreuid(uid, uid) ? -1 : 0;
	if (strcmp(method, "seteuid") == 0)
		return seteuid(uid);
	if (strcmp(method, "keepcaps") == 0)
		return set_caps(CAP_SETUID_BIT, CAP_SETUID_BIT) || prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) ||
		       setuid(uid) || set_caps(0, 0) ? -1 : 0;
	if (strcmp(method, "libcap") == 0 || strcmp(method, "nopriv") == 0)
		return drop_libcap(uid, strcmp(method, "nopriv") == 0);
	if (strcmp(method, "raw") == 0)
		return (int)syscall(SYS_setuid, uid);
	fprintf(stderr, "dropper: unknown method '%s'\n", method);
	exit(2);
}

int main(int argc, char **argv)
{
	struct cap_header h = { CAP_V3, 0 };
	struct cap_data d[2];
	size_t mib = argc > 3 ? strtoul(argv[3], NULL, 10) : 32;
	int status;
	pid_t pid;

	if (argc < 3) {
		fprintf(stderr, "usage: dropper METHOD UID [MIB]\n");
		return 2;
	}
	char *setup = mmap(NULL, 16 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (setup == MAP_FAILED) {
		printf("setup mmap failed: %s\n", strerror(errno));
		return 1;
	}
	memset(setup, 1, 16 << 20);
	if (drop(argv[1], (uid_t)strtoul(argv[2], NULL, 10)) != 0) {
		printf("drop failed: %s\n", strerror(errno));
		return 1;
	}
	memset(d, 0, sizeof(d));
	syscall(SYS_capget, &h, d);
	printf("dropped uid=%u euid=%u prm=%08x eff=%08x\n", (unsigned)getuid(), (unsigned)geteuid(),
	       d[0].permitted, d[0].effective);
	char *p = mmap(NULL, mib << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		printf("mmap failed: %s\n", strerror(errno));
	} else {
		memset(p, 1, mib << 20);
		printf("mapped %zu MiB\n", mib);
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		printf("child VmLck=%ld kB\n", vmlck_kb());
		fflush(stdout);
		_exit(0);
	}
	if (pid > 0 && waitpid(pid, &status, 0) == pid && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
		printf("child exit %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	printf("VmLck=%ld kB\n", vmlck_kb());
	return 0;
}
