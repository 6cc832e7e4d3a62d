/* SPDX-License-Identifier: MIT OR Apache-2.0 */
#define _GNU_SOURCE /* memmem */
#include "reader.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "text.h"

static int open_retry(int dirfd, const char *path)
{
	int fd;

	do
		fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
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

int dm_read_lines(int dirfd, const char *path, char *buf, size_t cap,
		  dm_line_fn fn, void *ctx)
{
	size_t fill = 0;
	bool skipping = false;
	int rc = 0;
	int fd;

	if (cap < 2)
		return -EINVAL;
	fd = open_retry(dirfd, path);
	if (fd < 0)
		return fd;
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
