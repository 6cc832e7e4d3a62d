/* SPDX-License-Identifier: MIT OR Apache-2.0 */
#include "exec-settings.h"

#include <errno.h>
#include <string.h>

#include "procfs.h"
#include "text.h"

void dm_exec_settings_init(struct dm_exec_settings *s)
{
	static const struct duende_mlock_config defaults = DUENDE_MLOCK_CONFIG_INIT;

	memset(s, 0, sizeof(*s));
	s->lock = defaults;
	s->lock.current = s->lock.future = false; /* the words turn them on */
}

static bool word_is(const char *w, size_t n, const char *name)
{
	return strlen(name) == n && memcmp(w, name, n) == 0;
}

static bool word_value(const char *w, size_t n, const char *name, uint64_t *v)
{
	size_t klen = strlen(name), pos = klen + 1;

	if (n <= pos || memcmp(w, name, klen) != 0 || w[klen] != '=')
		return false;
	return dm_parse_u64(w, n, &pos, v) && pos == n;
}

static bool apply_word(struct dm_exec_settings *s, const char *w, size_t n)
{
	uint64_t v;

	if (word_is(w, n, "current"))
		s->lock.current = true;
	else if (word_is(w, n, "future"))
		s->lock.future = true;
	else if (word_is(w, n, "onfault"))
		s->lock.onfault = true;
	else if (word_is(w, n, "lean"))
		s->lock.lean = true;
	else if (word_is(w, n, "best-effort"))
		s->lock.required = false;
	else if (word_is(w, n, "malloc-keep"))
		s->malloc_keep = true;
	else if (word_is(w, n, "inherit"))
		s->inherit = true;
	else if (word_is(w, n, "verbose"))
		s->verbose = true;
	else if (word_value(w, n, "min-headroom", &v))
		s->lock.min_headroom = v;
	else if (word_value(w, n, "prefault", &v) && v <= SIZE_MAX)
		s->prefault_stack = (size_t)v;
	else if (word_value(w, n, "lean-stack", &v) && v <= SIZE_MAX)
		s->lock.lean_stack_size = (size_t)v;
	else
		return false;
	return true;
}

int dm_exec_settings_parse(const char *text, struct dm_exec_settings *s, const char **bad_word)
{
	const char *p = text;

	dm_exec_settings_init(s);
	while (*p) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);

		if (n && !apply_word(s, p, n)) {
			if (bad_word)
				*bad_word = p;
			return -EINVAL;
		}
		p += n + (comma ? 1 : 0);
	}
	return 0;
}

static void put_word(struct dm_text *t, bool on, const char *word)
{
	if (!on)
		return;
	if (t->len)
		dm_text_put(t, ",");
	dm_text_put(t, word);
}

static void put_value(struct dm_text *t, uint64_t v, const char *word)
{
	if (!v)
		return;
	put_word(t, true, word);
	dm_text_put(t, "=");
	dm_text_put_u64(t, v);
}

int dm_exec_settings_format(const struct dm_exec_settings *s, char *buf, size_t len)
{
	struct dm_text t;

	dm_text_init(&t, buf, len);
	put_word(&t, s->lock.current, "current");
	put_word(&t, s->lock.future, "future");
	put_word(&t, s->lock.onfault, "onfault");
	put_word(&t, s->lock.lean, "lean");
	put_word(&t, !s->lock.required, "best-effort");
	put_word(&t, s->malloc_keep, "malloc-keep");
	put_word(&t, s->inherit, "inherit");
	put_word(&t, s->verbose, "verbose");
	put_value(&t, s->lock.min_headroom, "min-headroom");
	put_value(&t, s->prefault_stack, "prefault");
	put_value(&t, s->lock.lean_stack_size, "lean-stack");
	return dm_text_result(&t);
}
