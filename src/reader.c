/* SPDX-License-Identifier: MIT OR Apache-2.0 */
#define _GNU_SOURCE /* memmem */
#include "reader.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "text.h"

/* O_NONBLOCK: a path that names a FIFO or a terminal (a pidfile given by
 * a user) must not block the reader; /proc and regular files ignore it. */
static int open_retry(int dirfd, const char *path)
{
	int fd;

	do
		fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	while (fd < 0 && errno == EINTR);
	return fd < 0 ? -errno : fd;
}

static ssize_t read_retry(int fd, char *buf, size_t len)
{
	ssize_t n;

	do
		n = read(fd, buf, len);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

/* Passes the complete lines in buf[0..*fill) to fn and moves the partial
 * tail to the front. */
static int feed_lines(char *buf, size_t *fill, bool *skipping, dm_line_fn fn, void *ctx)
{
	size_t start = 0;

	for (;;) {
		char *nl = memchr(buf + start, '\n', *fill - start);
		if (!nl)
			break;
		size_t end = (size_t)(nl - buf);
		if (!*skipping) {
			int rc = fn(ctx, buf + start, end - start);
			if (rc)
				return rc;
		}
		*skipping = false;
		start = end + 1;
	}
	memmove(buf, buf + start, *fill - start);
	*fill -= start;
	return 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* How often a reader in a child says it moves on: a byte a read would
 * wake the watcher for each of thousands of page-sized reads. */
#define DM_PROGRESS_MS 200

/* Writes a byte to progress_fd (when >= 0) every DM_PROGRESS_MS while
 * reads bring data, so that a watcher can tell a slow reader from a stuck
 * one. */
static int read_lines_fd(int fd, char *buf, size_t cap, dm_line_fn fn, void *ctx, int progress_fd)
{
	size_t fill = 0;
	bool skipping = false;
	int64_t said = progress_fd >= 0 ? now_ms() : 0;
	int rc = 0;

	for (;;) {
		ssize_t n = read_retry(fd, buf + fill, cap - fill);
		if (n < 0) {
			rc = (int)n;
			break;
		}
		if (n == 0) {
			if (fill && !skipping)
				(void)fn(ctx, buf, fill);
			break;
		}
		if (progress_fd >= 0 && now_ms() - said >= DM_PROGRESS_MS) {
			if (write(progress_fd, ".", 1) < 0 && errno == EPIPE)
				return -EPIPE;
			said = now_ms();
		}
		fill += (size_t)n;
		rc = feed_lines(buf, &fill, &skipping, fn, ctx);
		if (rc) {
			rc = 0; /* the parser has what it wanted */
			break;
		}
		if (fill == cap) { /* one line longer than the buffer */
			fill = 0;
			skipping = true;
		}
	}
	return rc;
}

int dm_read_lines(int dirfd, const char *path, char *buf, size_t cap,
		  dm_line_fn fn, void *ctx)
{
	int fd, rc;

	if (cap < 2)
		return -EINVAL;
	fd = open_retry(dirfd, path);
	if (fd < 0)
		return fd;
	rc = read_lines_fd(fd, buf, cap, fn, ctx, -1);
	close(fd);
	return rc;
}

struct status_want {
	struct dm_proc_status *st;
	uint32_t want;
};

static int status_line(void *ctx, const char *line, size_t len)
{
	struct status_want *w = ctx;

	dm_status_parse_line(w->st, line, len);
	return w->want && ((w->st->present | w->st->malformed) & w->want) == w->want;
}

int dm_read_proc_status(int dirfd, const char *path, uint32_t want, struct dm_proc_status *st)
{
	struct status_want w;
	char buf[1024];

	dm_status_init(st);
	w.st = st;
	w.want = want;
	return dm_read_lines(dirfd, path, buf, sizeof(buf), status_line, &w);
}

/* The complete line at buf[at..fill), if its newline has been read. */
static bool line_complete(const char *buf, size_t at, size_t fill, size_t *len)
{
	const char *nl = memchr(buf + at, '\n', fill - at);

	if (!nl)
		return false;
	*len = (size_t)(nl - (buf + at));
	return true;
}

static int find_field(int fd, const char *key, char *buf, size_t cap, const char **line, size_t *len)
{
	char pattern[40];
	size_t klen = strlen(key), plen = klen + 2, fill = 0, at = SIZE_MAX;
	bool at_start = true;

	if (klen + 3 > sizeof(pattern) || cap < plen + 1)
		return -EINVAL;
	pattern[0] = '\n';
	memcpy(pattern + 1, key, klen);
	pattern[klen + 1] = ':';
	pattern[plen] = '\0';
	for (;;) {
		/* One byte is kept for a terminating NUL: strstr is vectorised
		 * in every libc, memmem often is not. */
		ssize_t n = read_retry(fd, buf + fill, cap - 1 - fill);
		if (n < 0)
			return (int)n;
		if (n == 0) /* end of file: a last line without a newline counts */
			break;
		fill += (size_t)n;
		buf[fill] = '\0';
		if (at == SIZE_MAX) {
			const char *p;
			if (at_start && fill >= plen - 1 && memcmp(buf, pattern + 1, plen - 1) == 0)
				at = 0;
			else if ((p = strstr(buf, pattern)) ||
				 (strlen(buf) < fill && (p = memmem(buf, fill, pattern, plen))))
				at = (size_t)(p - buf) + 1;
		}
		if (at != SIZE_MAX) {
			if (line_complete(buf, at, fill, len)) {
				*line = buf + at;
				return 0;
			}
			memmove(buf, buf + at, fill - at); /* keep the partial line */
			fill -= at;
			at = 0;
			if (fill == cap - 1)
				return -EPROTO;
		} else if (fill > plen) { /* keep what could start the pattern */
			memmove(buf, buf + fill - (plen - 1), plen - 1);
			fill = plen - 1;
		}
		at_start = false;
	}
	if (at == SIZE_MAX)
		return -ENOENT;
	*line = buf + at;
	*len = fill - at;
	return 0;
}

int dm_read_field(int dirfd, const char *path, const char *key, char *buf, size_t cap,
		  const char **line, size_t *len)
{
	int fd = open_retry(dirfd, path);
	int rc;

	if (fd < 0)
		return fd;
	rc = find_field(fd, key, buf, cap, line, len);
	close(fd);
	return rc;
}

int dm_read_small(int dirfd, const char *path, char *buf, size_t cap, size_t *len)
{
	size_t fill = 0;
	int rc = 0;
	int fd;

	if (cap < 1)
		return -EINVAL;
	fd = open_retry(dirfd, path);
	if (fd < 0)
		return fd;
	for (;;) {
		if (fill == cap - 1) {
			char probe;
			ssize_t n = read_retry(fd, &probe, 1);
			rc = n < 0 ? (int)n : n > 0 ? -EFBIG : 0;
			break;
		}
		ssize_t n = read_retry(fd, buf + fill, cap - 1 - fill);
		if (n <= 0) {
			rc = (int)n;
			break;
		}
		fill += (size_t)n;
	}
	close(fd);
	buf[fill] = '\0';
	*len = fill;
	return rc;
}

void dm_proc_path(char *out, size_t cap, int pid, const char *file)
{
	struct dm_text t;

	dm_text_init(&t, out, cap);
	if (pid > 0) {
		dm_text_put(&t, "/proc/");
		dm_text_put_u64(&t, (uint64_t)pid);
		dm_text_put(&t, "/");
	} else {
		dm_text_put(&t, "/proc/self/");
	}
	dm_text_put(&t, file);
}

/* getdents64's record: d_ino (8), d_off (8), d_reclen (2), d_type (1),
 * then the NUL-terminated name. Read through memcpy: no alignment or
 * aliasing is assumed of the buffer. */
#define DM_DIRENT_RECLEN 16
#define DM_DIRENT_NAME 19

/* A positive decimal with no sign, no leading zero and no trailing bytes. */
static bool parse_number(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (*s < '1' || *s > '9')
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return true;
}

static int feed_entries(int fd, const char *buf, size_t n, dm_number_fn fn, void *ctx)
{
	for (size_t off = 0; off + DM_DIRENT_NAME < n;) {
		unsigned short reclen;
		uint64_t number;

		memcpy(&reclen, buf + off + DM_DIRENT_RECLEN, sizeof(reclen));
		if (reclen <= DM_DIRENT_NAME || off + reclen > n)
			return -EPROTO;
		const char *name = buf + off + DM_DIRENT_NAME;
		if (memchr(name, '\0', reclen - DM_DIRENT_NAME) && parse_number(name, &number)) {
			int rc = fn(ctx, fd, name, number);
			if (rc)
				return rc;
		}
		off += reclen;
	}
	return 0;
}

int dm_for_each_number(int dirfd, const char *path, dm_number_fn fn, void *ctx)
{
	char buf[4096];
	int fd, rc = 0;

	do
		fd = openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		return -errno;
	for (;;) {
		long n = syscall(SYS_getdents64, fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? -errno : 0;
			break;
		}
		rc = feed_entries(fd, buf, (size_t)n, fn, ctx);
		if (rc)
			break;
	}
	close(fd);
	return rc > 0 ? 0 : rc;
}

/* ---- reading in a child that may be abandoned ---- */

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
	fd = open_retry(dirfd, path);
	rc = fd < 0 ? fd : read_lines_fd(fd, buf, cap, fn, ctx, out);
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
	int64_t deadline = now_ms() + stall_ms;
	char buf[512];

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int64_t left = deadline - now_ms();
		int n = left > 0 ? poll(&pfd, 1, (int)left) : 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ETIMEDOUT;
		ssize_t got = read_retry(fd, buf, sizeof(buf));
		if (got <= 0)
			return got < 0 ? (int)got : -EIO; /* the child died without a reply */
		deadline = now_ms() + stall_ms;
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
	pid = fork();
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
