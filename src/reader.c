/* SPDX-License-Identifier: MIT OR Apache-2.0 */
#define _GNU_SOURCE /* memmem */
#include "reader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "text.h"

/* O_NONBLOCK: a path that names a FIFO or a terminal (a pidfile given by
 * a user) must not block the reader; /proc and regular files ignore it. */
int dm_open_retry(int dirfd, const char *path)
{
	int fd;

	do
		fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	while (fd < 0 && errno == EINTR);
	return fd < 0 ? -errno : fd;
}

ssize_t dm_read_retry(int fd, char *buf, size_t len)
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

int64_t dm_now_ms(void)
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
int dm_read_lines_fd(int fd, char *buf, size_t cap, dm_line_fn fn, void *ctx, int progress_fd)
{
	size_t fill = 0;
	bool skipping = false;
	int64_t said = progress_fd >= 0 ? dm_now_ms() : 0;
	int rc = 0;

	for (;;) {
		ssize_t n = dm_read_retry(fd, buf + fill, cap - fill);
		if (n < 0) {
			rc = (int)n;
			break;
		}
		if (n == 0) {
			if (fill && !skipping)
				(void)fn(ctx, buf, fill);
			break;
		}
		if (progress_fd >= 0 && dm_now_ms() - said >= DM_PROGRESS_MS) {
			if (write(progress_fd, ".", 1) < 0 && errno == EPIPE)
				return -EPIPE;
			said = dm_now_ms();
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
	fd = dm_open_retry(dirfd, path);
	if (fd < 0)
		return fd;
	rc = dm_read_lines_fd(fd, buf, cap, fn, ctx, -1);
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
		ssize_t n = dm_read_retry(fd, buf + fill, cap - 1 - fill);
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
	int fd = dm_open_retry(dirfd, path);
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
	fd = dm_open_retry(dirfd, path);
	if (fd < 0)
		return fd;
	for (;;) {
		if (fill == cap - 1) {
			char probe;
			ssize_t n = dm_read_retry(fd, &probe, 1);
			rc = n < 0 ? (int)n : n > 0 ? -EFBIG : 0;
			break;
		}
		ssize_t n = dm_read_retry(fd, buf + fill, cap - 1 - fill);
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
	char buf[2048]; /* nested (a PID's fds within /proc): small frames */
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
