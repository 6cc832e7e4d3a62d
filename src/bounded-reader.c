/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * Reading a file whose read can block for good, in a child process that
 * can be abandoned: smaps takes the memory map lock of a process that may
 * be stuck on I/O (on its own swap: DT-007). The child parses and hands
 * the parser's state back through a pipe, saying every 200 ms that it
 * moves on; a child that does not is killed and given up.
 */
#define _GNU_SOURCE /* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "child.h"
#include "reader.h"

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The child: parses the file, then sends 'R' and the parser's state, or
 * 'E' and the negative errno. Only system calls and the pure parser run
 * here, so it is safe in the child of a multi-threaded process. */
_Noreturn static void child_read(int dirfd, const char *path, dm_line_fn fn, void *ctx,
				     size_t ctx_size, int out)
{
	/* A large buffer makes few reads (each takes the lock anew); it is
	 * the child's own, so the caller's stack stays small. */
	size_t cap = (size_t)256 << 10;
	char small[4096];
	char *buf = mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int fd, rc;

	if (buf == MAP_FAILED) {
		buf = small;
		cap = sizeof(small);
	}
	fd = dm_open_retry(dirfd, path);
	rc = fd < 0 ? fd : dm_read_lines_fd(fd, buf, cap, fn, ctx, out);
	if (rc)
		(void)(write_all(out, "E", 1) == 0 && write_all(out, &rc, sizeof(rc)) == 0);
	else
		(void)(write_all(out, "R", 1) == 0 && write_all(out, ctx, ctx_size) == 0);
	_exit(0);
}

struct reply {
	char tag;     /* 0 until 'R' or 'E' arrives */
	size_t got;   /* payload bytes so far */
	int err;      /* the payload of 'E' */
};

/* Takes bytes of the child's stream; 1 once the reply is complete. */
static int take_reply(struct reply *r, const char *in, size_t n, void *ctx, size_t ctx_size)
{
	for (size_t i = 0; i < n; i++) {
		if (!r->tag) {
			if (in[i] == 'R' || in[i] == 'E')
				r->tag = in[i];
			continue; /* progress bytes */
		}
		char *dst = r->tag == 'R' ? ctx : (char *)&r->err;
		size_t want = r->tag == 'R' ? ctx_size : sizeof(r->err);
		size_t take = n - i < want - r->got ? n - i : want - r->got;
		memcpy(dst + r->got, in + i, take);
		r->got += take;
		return r->got == want;
	}
	return 0;
}

static int receive(int fd, void *ctx, size_t ctx_size, int stall_ms)
{
	struct reply r = { 0, 0, 0 };
	int64_t deadline = dm_now_ms() + stall_ms;
	char buf[512];

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int64_t left = deadline - dm_now_ms();
		int n = left > 0 ? poll(&pfd, 1, (int)left) : 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ETIMEDOUT;
		ssize_t got = dm_read_retry(fd, buf, sizeof(buf));
		if (got <= 0)
			return got < 0 ? (int)got : -EIO; /* the child died without a reply */
		deadline = dm_now_ms() + stall_ms;
		if (take_reply(&r, buf, (size_t)got, ctx, ctx_size))
			return r.tag == 'R' ? 0 : r.err < 0 ? r.err : -EIO;
	}
}

/* Reaps the child; one that was killed is waited for a second at most
 * (a task stuck beyond SIGKILL is left to the caller's exit). */
static void reap(pid_t pid, bool killed)
{
	const struct timespec tick = { 0, 10L * 1000 * 1000 };

	for (int i = 0; i < 100; i++) {
		pid_t r = waitpid(pid, NULL, killed ? WNOHANG : 0);
		if (r == pid || (r < 0 && errno != EINTR))
			return;
		if (r == 0)
			nanosleep(&tick, NULL);
	}
}

int dm_read_lines_bounded(int dirfd, const char *path, dm_line_fn fn, void *ctx,
			  size_t ctx_size, int stall_ms)
{
	int p[2], rc;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) != 0)
		return -errno;
	pid = dm_fork_quietly();
	if (pid < 0) {
		rc = -errno;
		close(p[0]);
		close(p[1]);
		return rc;
	}
	if (pid == 0) {
		close(p[0]);
		child_read(dirfd, path, fn, ctx, ctx_size, p[1]);
	}
	close(p[1]);
	rc = receive(p[0], ctx, ctx_size, stall_ms);
	close(p[0]);
	if (rc == -ETIMEDOUT)
		kill(pid, SIGKILL);
	reap(pid, rc == -ETIMEDOUT);
	return rc;
}
