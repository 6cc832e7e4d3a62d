/* SPDX-License-Identifier: MIT OR Apache-2.0 */
#include "text.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

#include "duende-mlock.h"
#include "platform.h"

void dm_text_init(struct dm_text *t, char *buf, size_t cap)
{
	t->buf = buf;
	t->cap = buf ? cap : 0;
	t->len = 0;
	if (t->cap > 0)
		t->buf[0] = '\0';
}

static void put_char(struct dm_text *t, char c)
{
	if (t->len + 1 < t->cap) {
		t->buf[t->len] = c;
		t->buf[t->len + 1] = '\0';
	}
	if (t->len < SIZE_MAX)
		t->len++;
}

void dm_text_put(struct dm_text *t, const char *s)
{
	while (*s)
		put_char(t, *s++);
}

void dm_text_put_u64(struct dm_text *t, uint64_t v)
{
	char digits[24];
	int n = 0;

	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		put_char(t, digits[--n]);
}

void dm_text_put_i64(struct dm_text *t, int64_t v)
{
	if (v < 0) {
		put_char(t, '-');
		dm_text_put_u64(t, (uint64_t)(-(v + 1)) + 1);
	} else {
		dm_text_put_u64(t, (uint64_t)v);
	}
}

void dm_text_put_bytes(struct dm_text *t, uint64_t bytes)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	uint64_t scale = 1024;
	int unit = 0;

	if (bytes < 1024) {
		dm_text_put_u64(t, bytes);
		dm_text_put(t, bytes == 1 ? " byte" : " bytes");
		return;
	}
	while (unit < 5 && bytes / scale >= 1024) {
		scale *= 1024;
		unit++;
	}
	dm_text_put_u64(t, bytes / scale);
	uint64_t tenth = (bytes % scale) * 10 / scale; /* < 2^64: scale <= 2^60 */
	if (tenth) {
		put_char(t, '.');
		put_char(t, (char)('0' + tenth));
	}
	put_char(t, ' ');
	dm_text_put(t, units[unit]);
}

void dm_text_put_limit(struct dm_text *t, uint64_t bytes)
{
	if (bytes == DUENDE_MLOCK_UNLIMITED)
		dm_text_put(t, "unlimited");
	else
		dm_text_put_bytes(t, bytes);
}

int dm_text_result(const struct dm_text *t)
{
	return t->len > INT_MAX ? INT_MAX : (int)t->len;
}

DM_EXPORT int duende_mlock_format_bytes(uint64_t bytes, char *buf, size_t len)
{
	struct dm_text t;

	dm_text_init(&t, buf, len);
	dm_text_put_limit(&t, bytes);
	return dm_text_result(&t);
}

static void put_hex_escape(struct dm_text *t, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";

	put_char(t, '\\');
	put_char(t, 'x');
	put_char(t, hex[c >> 4]);
	put_char(t, hex[c & 15]);
}

/* The short C escapes; 0 for bytes that have none. */
static char short_escape(unsigned char c)
{
	switch (c) {
	case '\\': return '\\';
	case '\a': return 'a';
	case '\b': return 'b';
	case '\t': return 't';
	case '\n': return 'n';
	case '\v': return 'v';
	case '\f': return 'f';
	case '\r': return 'r';
	case 0x1b: return 'e';
	default: return 0;
	}
}

void dm_text_put_escaped(struct dm_text *t, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char e = short_escape(c);

		if (e) {
			put_char(t, '\\');
			put_char(t, e);
		} else if (c < 0x20 || c >= 0x7f) {
			put_hex_escape(t, c);
		} else {
			put_char(t, (char)c);
		}
	}
}

void dm_text_put_name(struct dm_text *t, const char *s)
{
	dm_text_put_escaped(t, s, strlen(s));
}

void dm_copy_str(char *dst, size_t cap, const char *src)
{
	size_t n = strnlen(src, cap - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

DM_EXPORT int duende_mlock_escape(const char *bytes, size_t n, char *buf, size_t len)
{
	struct dm_text t;

	dm_text_init(&t, buf, len);
	if (!bytes && n)
		return -EINVAL;
	dm_text_put_escaped(&t, bytes, n);
	return dm_text_result(&t);
}
