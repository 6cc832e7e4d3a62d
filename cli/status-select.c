/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* duende-mlock status: which processes to report, and their reports. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "guard-find.h"
#include "status.h"

/* Adds pid once; a PID named twice is reported once, under the spec that
 * asks the most of it. */
static int add_pid(struct scan *s, pid_t pid, int spec)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->e[i].pid == pid) {
			if (s->e[i].spec < 0 || (spec >= 0 && s->specs[spec].io_flusher))
				s->e[i].spec = spec;
			if (spec >= 0)
				s->e[i].specs |= UINT64_C(1) << spec;
			return 0;
		}
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		struct entry *grown = realloc(s->e, cap * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		s->e = grown;
		s->cap = cap;
	}
	memset(&s->e[s->n], 0, sizeof(s->e[s->n]));
	s->e[s->n].pid = pid;
	s->e[s->n].spec = spec;
	s->e[s->n].specs = spec >= 0 ? UINT64_C(1) << spec : 0;
	s->n++;
	return 0;
}

static void mark_asked(struct scan *s, pid_t pid)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->e[i].pid == pid)
			s->e[i].asked = true;
}

/* PIDs from a library scan: asks again while the list grows. */
static int add_found(struct scan *s, const char *spec, int spec_index, int *found)
{
	size_t cap = 256;

	for (;;) {
		pid_t *pids = malloc(cap * sizeof(*pids));
		int n, rc = 0;

		if (!pids)
			return -ENOMEM;
		n = spec ? duende_mlock_find_pids(spec, pids, cap) : duende_mlock_locked_pids(pids, cap);
		if (n >= 0 && (size_t)n > cap) {
			free(pids);
			cap = (size_t)n + 64;
			continue;
		}
		for (int i = 0; i < n && rc == 0; i++)
			rc = add_pid(s, pids[i], spec_index);
		free(pids);
		if (found)
			*found = n;
		return n < 0 ? n : rc;
	}
}

/* Every process that serves a swap area from user space, locked or not:
 * an unlocked one is exactly what a scan of locked processes misses. */
static int add_swap_servers(struct scan *s)
{
	int rc = 0;

	for (uint32_t i = 0; i < s->swaps.count && rc == 0; i++) {
		const struct duende_mlock_swap *sw = &s->swaps.area[i];
		for (uint32_t j = 0; j < sw->nservers && j < DUENDE_MLOCK_SWAP_SERVERS && rc == 0; j++)
			rc = add_pid(s, sw->servers[j], -1);
	}
	return rc;
}

int status_select(struct scan *s, char *const *pids, int npids, const char **bad)
{
	int rc = 0;

	if (duende_mlock_read_swaps(&s->swaps) < 0)
		s->swaps.count = 0;
	s->host = npids == 0;

	for (int i = 0; i < npids && rc == 0; i++) {
		pid_t pid;
		if (parse_pid(pids[i], &pid) && (rc = add_pid(s, pid, -1)) == 0)
			mark_asked(s, pid);
	}
	if (npids == 0 && rc == 0)
		rc = add_found(s, NULL, -1, NULL);
	if (npids == 0 && rc == 0)
		rc = add_swap_servers(s);
	for (size_t k = 0; k < s->nspecs && rc == 0; k++) {
		rc = add_found(s, s->specs[k].text, (int)k, &s->specs[k].running);
		*bad = s->specs[k].text;
		/* One spec that cannot be read (a pidfile that is no pidfile, an
		 * unreadable one) is that daemon's problem, reported with it; the
		 * others are still reported. */
		if (rc < 0 && rc != -EINVAL && rc != -ENOMEM) {
			s->specs[k].error = rc;
			s->specs[k].running = 0;
			rc = 0;
		}
	}
	return rc;
}

static bool vanished_unasked(const struct entry *e)
{
	return e->rc == -ESRCH && !e->asked && e->specs == 0;
}

void status_read(struct scan *s)
{
	size_t kept = 0;

	for (size_t i = 0; i < s->n; i++) {
		s->e[i].rc = duende_mlock_report_pid(s->e[i].pid, &s->e[i].r);
		if (!vanished_unasked(&s->e[i]))
			s->e[kept++] = s->e[i];
	}
	s->n = kept;
	for (uint32_t i = 0; i < s->swaps.count && i < DUENDE_MLOCK_SWAPS_MAX; i++)
		s->swap_protected[i] = duende_mlock_swap_protected(&s->swaps, i);
	s->guard = guard_find();
}
