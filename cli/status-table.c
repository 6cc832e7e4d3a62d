/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* duende-mlock status as a table for a terminal: one row a process, what
 * is pinned first, names escaped. */
#include <string.h>

#include "status.h"

static double pin_percent(const struct duende_mlock_report *r)
{
	if (!(r->known & DUENDE_MLOCK_R_SMAPS) || r->vm_rss == 0)
		return -1;
	double p = 100.0 * (double)r->locked_resident / (double)r->vm_rss;
	return p > 100 ? 100 : p;
}

/* The swap devices pid serves, as "loop0,nbd1". */
static void served(const struct scan *s, pid_t pid, char *out, size_t cap)
{
	size_t used = 0;
	int i = -1;

	out[0] = '\0';
	while ((i = duende_mlock_swap_served_by(&s->swaps, pid, (uint32_t)(i + 1))) >= 0) {
		const char *dev = strrchr(s->swaps.area[i].path, '/');
		int n = snprintf(out + used, cap - used, "%s%s", used ? "," : "",
				 dev ? dev + 1 : s->swaps.area[i].path);
		if (n < 0 || (size_t)n >= cap - used)
			break;
		used += (size_t)n;
	}
}

#define ROW_FORMAT "%10s %10s %6s %10s %12s %-14s %10s %10s %5s %3s %5s %-8s %s\n"

static void print_row(FILE *f, const struct scan *s, const struct entry *e, int name_width)
{
	const struct duende_mlock_report *r = &e->r;
	bool smaps = r->known & DUENDE_MLOCK_R_SMAPS, lim = r->known & DUENDE_MLOCK_R_LIMITS;
	char pinned[32], rss[32], swap[32], space[32], soft[32], room[32], pct[16], maps[40],
		iofl[24], blocked[16], dev[96], oom[16];
	double p = pin_percent(r);

	if (p < 0)
		snprintf(pct, sizeof(pct), "-");
	else
		snprintf(pct, sizeof(pct), "%.1f", p);
	if (smaps)
		snprintf(maps, sizeof(maps), "%u/%u/%u", r->locked_mappings, r->lockonfault_mappings,
			 r->mappings);
	else
		snprintf(maps, sizeof(maps), "-");
	if (!(r->known & DUENDE_MLOCK_R_TASKS))
		snprintf(iofl, sizeof(iofl), "-");
	else if (r->verdicts & DUENDE_MLOCK_V_IO_FLUSHER)
		snprintf(iofl, sizeof(iofl), "all");
	else
		snprintf(iofl, sizeof(iofl), "%u/%u", r->threads_io_flusher, r->threads);
	snprintf(blocked, sizeof(blocked), "%u", r->threads_blocked);
	if (r->known & DUENDE_MLOCK_R_OOM)
		snprintf(oom, sizeof(oom), "%d", (int)r->oom_score_adj);
	else
		snprintf(oom, sizeof(oom), "-");
	served(s, e->pid, dev, sizeof(dev));
	fprintf(f, "%-8d ", (int)r->pid);
	put_text(f, r->name, name_width);
	fprintf(f, " " ROW_FORMAT, smaps ? fmt_bytes(r->locked_resident, pinned, sizeof(pinned)) : "-",
		fmt_bytes(r->vm_rss, rss, sizeof(rss)), pct, fmt_bytes(r->vm_swap, swap, sizeof(swap)),
		fmt_bytes(r->vm_lck, space, sizeof(space)), maps,
		lim ? fmt_bytes(r->memlock_soft, soft, sizeof(soft)) : "-",
		lim ? fmt_bytes(r->headroom, room, sizeof(room)) : "-", iofl, blocked, oom,
		dev[0] ? dev : "-", status_note(s, e));
}

void status_table(FILE *f, const struct scan *s)
{
	int width = 4;

	for (size_t i = 0; i < s->n; i++)
		if (!s->e[i].rc && text_width(s->e[i].r.name) > width)
			width = text_width(s->e[i].r.name);
	fprintf(f, "%-8s %-*s " ROW_FORMAT, "PID", width, "NAME", "PINNED", "RSS", "PIN%", "SWAP",
		"LOCKED-SPACE", "MAPS lo/lf/all", "MEMLOCK", "HEADROOM", "IOFL", "D", "OOM", "SERVES",
		"NOTE");
	for (size_t i = 0; i < s->n; i++)
		if (!s->e[i].rc)
			print_row(f, s, &s->e[i], width);
	for (size_t k = 0; k < s->nspecs; k++)
		if (!s->specs[k].running) {
			fprintf(f, "%-8s %-*s %s", "-", width, "-", "expected ");
			put_text(f, s->specs[k].text, 0);
			fprintf(f, ": NOT RUNNING\n");
		}
}
