/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* The readers on real files, with buffers small enough that keys and
 * lines straddle the chunks the kernel hands back. */
#include <fcntl.h>
#include <unistd.h>

#include "harness.h"
#include "src/reader.h"

static char path[] = "/tmp/duende-mlock-reader-XXXXXX";

static void put(const char *text, size_t len)
{
	int fd = open(path, O_WRONLY | O_TRUNC);

	if (fd < 0 || write(fd, text, len) != (ssize_t)len)
		abort();
	close(fd);
}

static const char *field(const char *key, size_t cap, int *rc)
{
	static char buf[256], out[256];
	const char *line;
	size_t len;

	*rc = dm_read_field(AT_FDCWD, path, key, buf, cap, &line, &len);
	if (*rc)
		return "";
	memcpy(out, line, len);
	out[len] = '\0';
	return out;
}

struct count {
	int lines;
	char last[64];
};

static int count_line(void *ctx, const char *line, size_t len)
{
	struct count *c = ctx;

	c->lines++;
	snprintf(c->last, sizeof(c->last), "%.*s", (int)len, line);
	return 0;
}

int main(void)
{
	static const char text[] = "Name:\tx\nVmPeak:\t1 kB\nVmLck:\t   12 kB\nVmPin:\t0 kB\nTail:\tend";
	int fd = mkstemp(path), rc;
	struct count c;
	char buf[64];

	CHECK(fd >= 0);
	close(fd);
	put(text, sizeof(text) - 1);
	/* from the smallest buffer that holds the longest line, its newline
	 * and a NUL */
	for (size_t cap = 17; cap <= 64; cap++) {
		CHECK_EQ_STR(field("VmLck", cap, &rc), "VmLck:\t   12 kB");
		CHECK_EQ_INT(rc, 0);
		CHECK_EQ_STR(field("Name", cap, &rc), "Name:\tx");
		CHECK_EQ_STR(field("Tail", cap, &rc), "Tail:\tend"); /* no final newline */
		field("Missing", cap, &rc);
		CHECK_EQ_INT(rc, -ENOENT);
		field("Pin", cap, &rc); /* a key is a whole line start, not a suffix */
		CHECK_EQ_INT(rc, -ENOENT);
	}
	field("VmLck", 16, &rc); /* "VmLck:\t   12 kB\n" does not fit */
	CHECK_EQ_INT(rc, -EPROTO);

	/* a NUL before the key does not hide it */
	put("A:\0b\nVmLck:\t4 kB\n", 17);
	CHECK_EQ_STR(field("VmLck", 64, &rc), "VmLck:\t4 kB");

	/* the line reader: every line once, long lines skipped whole */
	static const char lines[] = "one\ntwo-is-a-very-long-line-indeed\nthree";
	put(lines, sizeof(lines) - 1);
	memset(&c, 0, sizeof(c));
	CHECK_EQ_INT(dm_read_lines(AT_FDCWD, path, buf, 8, count_line, &c), 0);
	CHECK_EQ_INT(c.lines, 2);
	CHECK_EQ_STR(c.last, "three");
	memset(&c, 0, sizeof(c));
	CHECK_EQ_INT(dm_read_lines(AT_FDCWD, path, buf, sizeof(buf), count_line, &c), 0);
	CHECK_EQ_INT(c.lines, 3);

	size_t len;
	CHECK_EQ_INT(dm_read_small(AT_FDCWD, path, buf, 8, &len), -EFBIG);
	CHECK_EQ_INT(dm_read_small(AT_FDCWD, path, buf, sizeof(buf), &len), 0);
	CHECK_EQ_INT(len, sizeof(lines) - 1);
	CHECK_EQ_INT(dm_read_lines(AT_FDCWD, "/nonexistent", buf, sizeof(buf), count_line, &c), -ENOENT);
	unlink(path);
	return t_result();
}
