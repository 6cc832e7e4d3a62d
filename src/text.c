/* SPDX-License-Identifier: MIT OR Apache-2.0 */
#include "text.h"

#include <limits.h>

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
