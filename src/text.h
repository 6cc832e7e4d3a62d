/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* Bounded text building with snprintf semantics, without stdio or locale,
 * so it is usable on any path of the library. */
#ifndef DM_TEXT_H
#define DM_TEXT_H

#include <stddef.h>
#include <stdint.h>

struct dm_text {
	char *buf;
	size_t cap;
	size_t len; /* length of the whole text, even past cap */
};

void dm_text_init(struct dm_text *t, char *buf, size_t cap);
void dm_text_put(struct dm_text *t, const char *s);
void dm_text_put_u64(struct dm_text *t, uint64_t v);
void dm_text_put_i64(struct dm_text *t, int64_t v);
/* 8388608 -> "8 MiB", 65536 -> "64 KiB", 1000 -> "1000 bytes";
 * non-round values keep one decimal: "1.5 MiB". */
void dm_text_put_bytes(struct dm_text *t, uint64_t bytes);
/* A limit: DUENDE_MLOCK_UNLIMITED prints "unlimited". */
void dm_text_put_limit(struct dm_text *t, uint64_t bytes);
/* The snprintf-style result, clamped to INT_MAX. */
int dm_text_result(const struct dm_text *t);
/* n bytes, escaped as duende_mlock_escape() does. */
void dm_text_put_escaped(struct dm_text *t, const char *s, size_t n);
/* A string, escaped. */
void dm_text_put_name(struct dm_text *t, const char *s);

/* Copies src into dst of cap bytes (cap > 0), cut and always terminated. */
void dm_copy_str(char *dst, size_t cap, const char *src);

#endif
