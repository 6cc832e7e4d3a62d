/* SPDX-License-Identifier: MIT OR Apache-2.0 */
#include "exec-settings.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

void dm_exec_settings_init(struct dm_exec_settings *s)
{
	static const struct duende_mlock_config lock = DUENDE_MLOCK_CONFIG_INIT;

	memset(s, 0, sizeof(*s));
	s->harden.raise_memlock = true;
	s->harden.lock = true;
	s->harden.lock_config = lock;
	/* Every step the user asks exec for is required, unless best effort. */
	s->harden.required_steps = DUENDE_MLOCK_STEPS_ALL;
	s->follow_forks = true;
}

/* A word that sets a flag to value, the opposite of its default. */
struct flag_word {
	const char *word;
	size_t offset;
	bool value;
};

#define HARDEN(f) offsetof(struct dm_exec_settings, harden.f)
#define LOCK(f) offsetof(struct dm_exec_settings, harden.lock_config.f)
static const struct flag_word flag_words[] = {
	{ "no-current", LOCK(current), false },
	{ "no-future", LOCK(future), false },
	{ "onfault", LOCK(onfault), true },
	{ "lean", LOCK(lean), true },
	{ "best-effort", LOCK(required), false },
	{ "no-raise-memlock", HARDEN(raise_memlock), false },
	{ "io-flusher", HARDEN(io_flusher), true },
	{ "malloc-keep", HARDEN(malloc_keep), true },
	{ "inherit", offsetof(struct dm_exec_settings, inherit), true },
	{ "no-follow-forks", offsetof(struct dm_exec_settings, follow_forks), false },
	{ "verbose", offsetof(struct dm_exec_settings, verbose), true },
};

static bool *flag_at(struct dm_exec_settings *s, const struct flag_word *w)
{
	return (bool *)((char *)s + w->offset);
}

static bool word_is(const char *w, size_t n, const char *name)
{
	return strlen(name) == n && memcmp(w, name, n) == 0;
}

/* "name=DIGITS" with an optional '-' when negative is allowed. */
static bool word_value(const char *w, size_t n, const char *name, bool negative_ok,
		       long long min, long long max, long long *v)
{
	size_t klen = strlen(name), i = klen + 1;
	bool neg = false;
	unsigned long long acc = 0;

	if (n <= i || memcmp(w, name, klen) != 0 || w[klen] != '=')
		return false;
	if (negative_ok && w[i] == '-') {
		neg = true;
		i++;
	}
	if (i == n)
		return false;
	for (; i < n; i++) {
		if (w[i] < '0' || w[i] > '9' || acc > (ULLONG_MAX - 9) / 10)
			return false;
		acc = acc * 10 + (unsigned)(w[i] - '0');
	}
	if (acc > (unsigned long long)LLONG_MAX)
		return false;
	*v = neg ? -(long long)acc : (long long)acc;
	return *v >= min && *v <= max;
}

static bool apply_word(struct dm_exec_settings *s, const char *w, size_t n)
{
	struct duende_mlock_harden_config *h = &s->harden;
	long long v;

	for (size_t i = 0; i < DM_ARRAY_SIZE(flag_words); i++) {
		if (word_is(w, n, flag_words[i].word)) {
			*flag_at(s, &flag_words[i]) = flag_words[i].value;
			return true;
		}
	}
	if (word_value(w, n, "oom-score-adj", true, DUENDE_MLOCK_OOM_SCORE_ADJ_MIN,
		       DUENDE_MLOCK_OOM_SCORE_ADJ_MAX, &v)) {
		h->set_oom_score_adj = true;
		h->oom_score_adj = (int)v;
	} else if (word_value(w, n, "min-headroom", false, 1, LLONG_MAX, &v)) {
		h->lock_config.min_headroom = (uint64_t)v;
	} else if (word_value(w, n, "prefault", false, 1, (long long)DUENDE_MLOCK_PREFAULT_STACK_MAX, &v)) {
		h->prefault_stack = (size_t)v;
	} else if (word_value(w, n, "leader", false, 1, INT32_MAX, &v)) {
		s->leader = (pid_t)v;
	} else if (word_value(w, n, "probe", false, 3, INT_MAX, &v)) {
		s->probe_fd = (int)v;
	} else {
		return false;
	}
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

/* ",word" or ",word=VALUE", VALUE with at least width digits. */
static void put_word(char *buf, size_t len, size_t *used, const char *word, long long value,
		     bool with_value, int width)
{
	char piece[64];
	int n = with_value ? snprintf(piece, sizeof(piece), "%s%s=%0*lld", *used ? "," : "", word,
				      width, value)
			   : snprintf(piece, sizeof(piece), "%s%s", *used ? "," : "", word);

	if (n > 0 && *used + (size_t)n < len)
		memcpy(buf + *used, piece, (size_t)n + 1);
	*used += n > 0 ? (size_t)n : 0;
}

int dm_exec_settings_format(const struct dm_exec_settings *s, char *buf, size_t len)
{
	const struct duende_mlock_harden_config *h = &s->harden;
	struct dm_exec_settings copy = *s;
	size_t used = 0;

	if (len)
		buf[0] = '\0';
	for (size_t i = 0; i < DM_ARRAY_SIZE(flag_words); i++)
		if (*flag_at(&copy, &flag_words[i]) == flag_words[i].value)
			put_word(buf, len, &used, flag_words[i].word, 0, false, 0);
	if (h->set_oom_score_adj)
		put_word(buf, len, &used, "oom-score-adj", h->oom_score_adj, true, 0);
	if (h->lock_config.min_headroom)
		put_word(buf, len, &used, "min-headroom", (long long)h->lock_config.min_headroom, true, 0);
	if (h->prefault_stack)
		put_word(buf, len, &used, "prefault", (long long)h->prefault_stack, true, 0);
	if (s->leader > 0) /* fixed width: see DM_LEADER_DIGITS */
		put_word(buf, len, &used, "leader", s->leader, true, DM_LEADER_DIGITS);
	if (s->probe_fd)
		put_word(buf, len, &used, "probe", s->probe_fd, true, 0);
	return used > INT32_MAX ? INT32_MAX : (int)used;
}
