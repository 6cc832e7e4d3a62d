/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* Independent readings of /proc for the tests, with stdio, so that the
 * library is checked against something it did not compute. */
#ifndef DM_TEST_PROC_UTIL_H
#define DM_TEST_PROC_UTIL_H

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

/* A "Key:   N kB" field of /proc/self/status in bytes, -1 if absent. */
static inline long long t_status_kb(const char *key)
{
	char line[256];
	long long v = -1;
	size_t klen = strlen(key);
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
			v = strtoll(line + klen + 1, NULL, 10) * 1024;
			break;
		}
	fclose(f);
	return v;
}

/* The VmFlags of the mapping that contains addr, or "" */
static inline void t_vmflags_of(const void *addr, char *out, size_t cap)
{
	char line[512];
	unsigned long lo, hi, a = (unsigned long)addr;
	int inside = 0;
	FILE *f = fopen("/proc/self/smaps", "re");

	out[0] = '\0';
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' '))
			inside = a >= lo && a < hi;
		else if (inside && strncmp(line, "VmFlags:", 8) == 0) {
			size_t n = strnlen(line + 8, cap - 1);
			memcpy(out, line + 8, n);
			out[n] = '\0';
			break;
		}
	}
	fclose(f);
}

/* smaps shows VM_LOCKONFAULT as "lf" since Linux 6.2; before, such a
 * mapping shows only "lo". */
#include <sys/utsname.h>
static inline int t_kernel_shows_lf(void)
{
	struct utsname u;
	int major = 0, minor = 0;

	if (uname(&u) != 0 || sscanf(u.release, "%d.%d", &major, &minor) != 2)
		return 1;
	return major > 6 || (major == 6 && minor >= 2);
}

static inline int t_has_flag(const char *flags, const char *flag)
{
	size_t n = strlen(flag);

	for (const char *p = flags; *p;) {
		while (*p == ' ' || *p == '\n')
			p++;
		const char *start = p;
		while (*p && *p != ' ' && *p != '\n')
			p++;
		if ((size_t)(p - start) == n && strncmp(start, flag, n) == 0)
			return 1;
	}
	return 0;
}

/* A child that names itself (name NULL: keeps the name), locks its memory
 * if asked (a process of its own: never the test's), and waits to be
 * killed. Its PID; 0 when it could not lock; -1 on error. */
static inline pid_t t_waiting_child(const char *name, bool lock)
{
	int p[2];
	char c = 0;
	pid_t pid;

	if (pipe(p) != 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		if (name)
			prctl(PR_SET_NAME, name);
		c = lock && mlockall(MCL_CURRENT | MCL_FUTURE) != 0 ? 'f' : 'r';
		(void)!write(p[1], &c, 1);
		for (;;)
			pause();
	}
	close(p[1]);
	if (pid > 0 && (read(p[0], &c, 1) != 1 || c != 'r')) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		pid = c == 'f' ? 0 : -1;
	}
	close(p[0]);
	return pid;
}

#endif
