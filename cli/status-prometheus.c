/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* duende-mlock status --prometheus: the text format node_exporter's
 * textfile collector reads, one family a figure, labels escaped. The
 * metric names are what the alert rules in monitoring/ match: they only
 * ever gain company. */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "status.h"

struct metric {
	const char *name, *type, *help;
	uint32_t needs; /* DUENDE_MLOCK_R_* the value comes from */
	double (*value)(const struct duende_mlock_report *r);
};

static double limit_value(uint64_t v)
{
	return v == DUENDE_MLOCK_UNLIMITED ? INFINITY : (double)v;
}

static double verdict(const struct duende_mlock_report *r, uint32_t v)
{
	return (r->verdicts & v) ? 1 : 0;
}

static double v_locked(const struct duende_mlock_report *r) { return verdict(r, DUENDE_MLOCK_V_LOCKED); }
static double v_lck(const struct duende_mlock_report *r) { return (double)r->vm_lck; }
static double v_size(const struct duende_mlock_report *r) { return (double)r->vm_size; }
static double v_rss(const struct duende_mlock_report *r) { return (double)r->vm_rss; }
static double v_swap(const struct duende_mlock_report *r) { return (double)r->vm_swap; }
static double v_pinned(const struct duende_mlock_report *r) { return (double)r->locked_resident; }
static double v_locked_swapped(const struct duende_mlock_report *r) { return (double)r->locked_swapped; }
static double v_unlocked(const struct duende_mlock_report *r) { return (double)r->unlocked_resident; }
static double v_memlock(const struct duende_mlock_report *r) { return limit_value(r->memlock_soft); }
static double v_headroom(const struct duende_mlock_report *r) { return limit_value(r->headroom); }
static double v_majflt(const struct duende_mlock_report *r) { return (double)r->major_faults; }
static double v_threads(const struct duende_mlock_report *r) { return r->threads; }
static double v_iofl(const struct duende_mlock_report *r) { return verdict(r, DUENDE_MLOCK_V_IO_FLUSHER); }
static double v_iofl_threads(const struct duende_mlock_report *r) { return r->threads_io_flusher; }
static double v_blocked(const struct duende_mlock_report *r) { return r->threads_blocked; }
static double v_oom(const struct duende_mlock_report *r) { return r->oom_score_adj; }
static double v_sb_resident(const struct duende_mlock_report *r) { return (double)r->swap_backed_resident; }
static double v_sb_locked(const struct duende_mlock_report *r) { return (double)r->swap_backed_locked; }
static double v_file_resident(const struct duende_mlock_report *r) { return (double)r->file_resident; }
static double v_file_pinned(const struct duende_mlock_report *r) { return (double)r->file_pinned; }
static double v_file_mapped(const struct duende_mlock_report *r) { return (double)r->file_mapped; }
static double v_file_unlocked(const struct duende_mlock_report *r) { return (double)r->file_unlocked_size; }
static double v_must_unlocked(const struct duende_mlock_report *r) { return r->must_lock_unlocked; }
static double v_responding(const struct duende_mlock_report *r)
{
	return 1 - verdict(r, DUENDE_MLOCK_V_NOT_RESPONDING);
}

static const struct metric metrics[] = {
	{ "duende_mlock_locked", "gauge", "1 if every accessible mapping a lock must cover is locked (file data left unlocked by a precise lock does not count); 0 if not, or if an expected daemon is not running.", DUENDE_MLOCK_R_STATUS, v_locked },
	{ "duende_mlock_pinned_bytes", "gauge", "Pinned: resident bytes inside locked mappings, what the lock keeps out of swap.", DUENDE_MLOCK_R_SMAPS, v_pinned },
	{ "duende_mlock_resident_bytes", "gauge", "VmRSS.", DUENDE_MLOCK_R_STATUS, v_rss },
	{ "duende_mlock_swapped_bytes", "gauge", "VmSwap: bytes of the process in swap.", DUENDE_MLOCK_R_STATUS, v_swap },
	{ "duende_mlock_locked_address_space_bytes", "gauge", "VmLck: the locked address space, whole locked mappings with what was reserved and never touched (PROT_NONE malloc arenas); what RLIMIT_MEMLOCK counts, not what is pinned.", DUENDE_MLOCK_R_STATUS, v_lck },
	{ "duende_mlock_locked_bytes", "gauge", "VmLck, the locked address space: the same as duende_mlock_locked_address_space_bytes (kept for existing rules); what is pinned is duende_mlock_pinned_bytes.", DUENDE_MLOCK_R_STATUS, v_lck },
	{ "duende_mlock_mapped_bytes", "gauge", "VmSize: the address space mapped, which locking current pages (MCL_CURRENT) counts against RLIMIT_MEMLOCK.", DUENDE_MLOCK_R_STATUS, v_size },
	{ "duende_mlock_locked_swapped_bytes", "gauge", "Bytes of locked mappings that are in swap (swapped out before the lock).", DUENDE_MLOCK_R_SMAPS, v_locked_swapped },
	{ "duende_mlock_unlocked_resident_bytes", "gauge", "Resident bytes in accessible mappings that are not locked.", DUENDE_MLOCK_R_SMAPS, v_unlocked },
	{ "duende_mlock_swap_backed_resident_bytes", "gauge", "Resident bytes that can go to swap: anonymous and shared memory, and the written (copy-on-write) pages of private file mappings.", DUENDE_MLOCK_R_SMAPS, v_sb_resident },
	{ "duende_mlock_swap_backed_locked_bytes", "gauge", "Swap-backed resident bytes inside locked mappings: what a lock against DT-007 must hold.", DUENDE_MLOCK_R_SMAPS, v_sb_locked },
	{ "duende_mlock_file_resident_bytes", "gauge", "Resident bytes of file data: page cache mapped from files, which can only return to their own file.", DUENDE_MLOCK_R_SMAPS, v_file_resident },
	{ "duende_mlock_file_pinned_bytes", "gauge", "Resident file data inside locked mappings (a precise lock pins only the program's code and files the process serves).", DUENDE_MLOCK_R_SMAPS, v_file_pinned },
	{ "duende_mlock_file_mapped_bytes", "gauge", "Size of the mappings of file data.", DUENDE_MLOCK_R_SMAPS, v_file_mapped },
	{ "duende_mlock_file_unlocked_mapped_bytes", "gauge", "Size of the file data mappings left unlocked (a precise lock).", DUENDE_MLOCK_R_SMAPS, v_file_unlocked },
	{ "duende_mlock_must_lock_unlocked_mappings", "gauge", "Accessible mappings a lock must cover (swap-backed, writable private file mappings, files of a FUSE mount the process serves) that are not locked.", DUENDE_MLOCK_R_SMAPS, v_must_unlocked },
	{ "duende_mlock_memlock_limit_bytes", "gauge", "Soft RLIMIT_MEMLOCK (+Inf for unlimited).", DUENDE_MLOCK_R_LIMITS, v_memlock },
	{ "duende_mlock_headroom_bytes", "gauge", "Bytes that may still be locked: soft RLIMIT_MEMLOCK less VmLck (+Inf with CAP_IPC_LOCK).", DUENDE_MLOCK_R_LIMITS, v_headroom },
	{ "duende_mlock_major_faults_total", "counter", "Major page faults of the process.", DUENDE_MLOCK_R_STAT, v_majflt },
	{ "duende_mlock_threads", "gauge", "Threads of the process.", DUENDE_MLOCK_R_TASKS, v_threads },
	{ "duende_mlock_io_flusher", "gauge", "1 if every thread has PR_SET_IO_FLUSHER.", DUENDE_MLOCK_R_TASKS, v_iofl },
	{ "duende_mlock_io_flusher_threads", "gauge", "Threads with PR_SET_IO_FLUSHER.", DUENDE_MLOCK_R_TASKS, v_iofl_threads },
	{ "duende_mlock_threads_blocked", "gauge", "Threads in uninterruptible sleep (state D).", DUENDE_MLOCK_R_TASKS, v_blocked },
	{ "duende_mlock_oom_score_adj", "gauge", "oom_score_adj of the process.", DUENDE_MLOCK_R_OOM, v_oom },
	{ "duende_mlock_responding", "gauge", "0 if reading its smaps stalled: its memory map lock is held (stuck on I/O, possibly its own swap).", DUENDE_MLOCK_R_STATUS, v_responding },
};

static void prom_labels(FILE *f, const struct scan *s, const struct entry *e)
{
	fprintf(f, "{pid=\"%d\",name=", (int)e->pid);
	put_prom_label(f, e->r.name);
	if (e->spec >= 0) {
		fprintf(f, ",expect=");
		put_prom_label(f, s->specs[e->spec].text);
	}
}

static void prom_value(FILE *f, double v)
{
	if (isinf(v))
		fprintf(f, " +Inf\n");
	else
		fprintf(f, " %.17g\n", v);
}

static void prom_header(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void prom_metric(FILE *f, const struct scan *s, const struct metric *m)
{
	prom_header(f, m->name, m->type, m->help);
	for (size_t i = 0; i < s->n; i++) {
		const struct entry *e = &s->e[i];
		if (e->rc || !(e->r.known & m->needs))
			continue;
		fputs(m->name, f);
		prom_labels(f, s, e);
		fputc('}', f);
		prom_value(f, m->value(&e->r));
	}
	if (m->value != v_locked)
		return;
	for (size_t k = 0; k < s->nspecs; k++) /* expected, not running: not locked */
		if (!s->specs[k].running) {
			fprintf(f, "%s{expect=", m->name);
			put_prom_label(f, s->specs[k].text);
			fprintf(f, "} 0\n");
		}
}

static void prom_serves(FILE *f, const struct scan *s)
{
	prom_header(f, "duende_mlock_serves_swap", "gauge",
		    "1 for each swap device the process serves (loop over its FUSE mount, NBD, ublk).");
	for (size_t i = 0; i < s->n; i++) {
		int k = -1;
		if (s->e[i].rc)
			continue;
		while ((k = duende_mlock_swap_served_by(&s->swaps, s->e[i].pid, (uint32_t)(k + 1))) >= 0) {
			fputs("duende_mlock_serves_swap", f);
			prom_labels(f, s, &s->e[i]);
			fprintf(f, ",device=");
			put_prom_label(f, s->swaps.area[k].path);
			fprintf(f, "} 1\n");
		}
	}
}

/* One series per swap area served from user space: is it protected (the
 * library's rule)? An area with no server known is not. */
static void prom_swap_protected(FILE *f, const struct scan *s)
{
	prom_header(f, "duende_mlock_swap_device_protected", "gauge",
		    "1 when every process serving this user-space swap area is locked (and has "
		    "PR_SET_IO_FLUSHER on every thread where it shares a memory-limited cgroup); "
		    "0 otherwise, also when no server is known.");
	for (uint32_t i = 0; i < s->swaps.count && i < DUENDE_MLOCK_SWAPS_MAX; i++) {
		if (!s->swaps.area[i].user_space)
			continue;
		fprintf(f, "duende_mlock_swap_device_protected{device=");
		put_prom_label(f, s->swaps.area[i].path);
		fprintf(f, "} %d\n", s->swap_protected[i] == 1);
	}
}

static void prom_guard(FILE *f, const struct scan *s)
{
	if (s->guard < 0)
		return; /* /proc unlistable: unknown, not 0 */
	prom_header(f, "duende_mlock_guard_running", "gauge",
		    "1 when a duende-mlock guard process runs on the host.");
	fprintf(f, "duende_mlock_guard_running %d\n", s->guard > 0);
}

/* Each kind of memory, as the library names it. */
static void prom_memory(FILE *f, const struct scan *s)
{
	static const struct {
		const char *name, *help;
		size_t offset;
	} figures[] = {
		{ "duende_mlock_memory_resident_bytes", "Resident bytes of each kind of memory (Rss).",
		  offsetof(struct duende_mlock_memory, resident) },
		{ "duende_mlock_memory_locked_resident_bytes",
		  "Resident bytes of each kind of memory inside locked mappings.",
		  offsetof(struct duende_mlock_memory, locked_resident) },
		{ "duende_mlock_memory_mapped_bytes", "Mapped bytes of each kind of memory.",
		  offsetof(struct duende_mlock_memory, size) },
	};

	for (size_t k = 0; k < sizeof(figures) / sizeof(figures[0]); k++) {
		prom_header(f, figures[k].name, "gauge", figures[k].help);
		for (size_t i = 0; i < s->n; i++) {
			const struct entry *e = &s->e[i];
			if (e->rc || !(e->r.known & DUENDE_MLOCK_R_SMAPS))
				continue;
			for (int m = 0; m < DUENDE_MLOCK_MEMORY_KINDS; m++) {
				uint64_t v;
				memcpy(&v, (const char *)&e->r.memory[m] + figures[k].offset, sizeof(v));
				fputs(figures[k].name, f);
				prom_labels(f, s, e);
				fprintf(f, ",kind=");
				put_prom_label(f, duende_mlock_memory_kind_name((enum duende_mlock_memory_kind)m));
				fputc('}', f);
				prom_value(f, (double)v);
			}
		}
	}
}

static void prom_expected(FILE *f, const struct scan *s)
{
	prom_header(f, "duende_mlock_io_flusher_required", "gauge",
		    "1 for a process expected to have PR_SET_IO_FLUSHER on every thread.");
	for (size_t i = 0; i < s->n; i++)
		if (!s->e[i].rc && s->e[i].spec >= 0 && s->specs[s->e[i].spec].io_flusher) {
			fputs("duende_mlock_io_flusher_required", f);
			prom_labels(f, s, &s->e[i]);
			fprintf(f, "} 1\n");
		}
	prom_header(f, "duende_mlock_expected_processes", "gauge",
		    "Processes that an expected daemon's spec names (0: not running).");
	for (size_t k = 0; k < s->nspecs; k++) {
		fprintf(f, "duende_mlock_expected_processes{expect=");
		put_prom_label(f, s->specs[k].text);
		fprintf(f, "} %d\n", s->specs[k].running);
	}
}

void status_prometheus(FILE *f, const struct scan *s)
{
	for (size_t m = 0; m < sizeof(metrics) / sizeof(metrics[0]); m++)
		prom_metric(f, s, &metrics[m]);
	prom_serves(f, s);
	prom_swap_protected(f, s);
	prom_guard(f, s);
	prom_memory(f, s);
	prom_expected(f, s);
	prom_header(f, "duende_mlock_headroom_low_bytes", "gauge",
		    "Headroom below which later allocations of a locked daemon are at risk.");
	fprintf(f, "duende_mlock_headroom_low_bytes %llu\n", (unsigned long long)DUENDE_MLOCK_LOW_HEADROOM);
	prom_header(f, "duende_mlock_report_ok", "gauge", "1 if the process could be read.");
	for (size_t i = 0; i < s->n; i++)
		fprintf(f, "duende_mlock_report_ok{pid=\"%d\"} %d\n", (int)s->e[i].pid, s->e[i].rc == 0);
}
