/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* Finds a running `duende-mlock guard` by scanning /proc. The command
 * line, which the kernel reads from the process's memory (a process stuck
 * on its own swap blocks its reader there: DT-007), is read only of a
 * process already known to run this program: by its executable's inode or
 * its comm. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guard-find.h"

#define PROGRAM "duende-mlock"

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* Reads up to cap-1 bytes of /proc/PID/NAME, NUL-terminated; its length or -1. */
static ssize_t read_proc(pid_t pid, const char *name, char *buf, size_t cap)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	do
		n = read(fd, buf, cap - 1);
	while (n < 0 && errno == EINTR);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return n;
}

static bool named_program(pid_t pid)
{
	char comm[32];

	return read_proc(pid, "comm", comm, sizeof(comm)) > 0 && strcmp(comm, PROGRAM "\n") == 0;
}

/* argv[1] is "guard"; for a process known by its comm only, argv[0] is
 * the program too (a daemon may set its comm to anything). */
static bool runs_guard(pid_t pid, bool check_argv0)
{
	char cmd[512];
	ssize_t n = read_proc(pid, "cmdline", cmd, sizeof(cmd));
	size_t arg0;
	const char *base;

	if (n <= 0)
		return false;
	arg0 = strlen(cmd);
	if ((ssize_t)arg0 + 1 >= n)
		return false;
	base = strrchr(cmd, '/');
	base = base ? base + 1 : cmd;
	if (check_argv0 && strcmp(base, PROGRAM) != 0)
		return false;
	return strcmp(cmd + arg0 + 1, "guard") == 0;
}

pid_t guard_find(void)
{
	struct stat self, exe;
	bool have_self = stat("/proc/self/exe", &self) == 0;
	pid_t me = getpid(), found = 0;
	struct dirent *d;
	DIR *proc = opendir("/proc");

	if (!proc)
		return -errno;
	while (!found && (d = readdir(proc))) {
		char *end, path[64];
		long v = strtol(d->d_name, &end, 10);
		pid_t pid = (pid_t)v;
		bool by_exe;

		if (*end || v <= 0 || v > INT32_MAX || pid == me)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
		by_exe = have_self && stat(path, &exe) == 0 && same_file(&self, &exe);
		if ((by_exe || named_program(pid)) && runs_guard(pid, !by_exe))
			found = pid;
	}
	closedir(proc);
	return found;
}
