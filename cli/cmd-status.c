/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* duende-mlock status: the lock state of processes, as a table, JSON, or
 * Prometheus text for node_exporter's textfile collector. Every figure and
 * verdict comes from the library; this file picks processes and prints. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "duende-mlock.h"

static const char usage[] =
	"status [--json | --prometheus] [--output FILE] [--expect SPEC]... [PID...]";

enum format { TABLE, JSON, PROMETHEUS };

static void help(void)
{
	printf("usage: %s %s\n"
	       "Lock state of each PID, or of every process that has locked memory, and of\n"
	       "the daemons expected to be locked.\n\n"
	       "  --json                    one JSON document\n"
	       "  --prometheus              Prometheus text format (node_exporter textfile collector)\n"
	       "  --output FILE             write FILE atomically (temporary file, fsync, rename)\n"
	       "  --expect SPEC             a daemon that must be locked; reported even when it is\n"
	       "                            not locked or not running. SPEC: name:COMM,\n"
	       "                            pidfile:PATH, unit:UNIT or cgroup:PATH\n"
	       "  --expect-io-flusher SPEC  the same, and every thread must have PR_SET_IO_FLUSHER\n"
	       "  -h, --help                this help\n\n"
	       "Columns: LOCKED is VmLck (whole locked mappings); PINNED is the resident memory\n"
	       "inside locked mappings; PIN%% is PINNED of RSS; MAPS counts locked, lock-on-fault\n"
	       "and all mappings; HEADROOM is what RLIMIT_MEMLOCK still allows; IOFL the threads\n"
	       "with PR_SET_IO_FLUSHER; D the threads in uninterruptible sleep; OOM is\n"
	       "oom_score_adj; SERVES the swap devices it serves. Names are shown with C escapes.\n"
	       "Exit status: 0 every process was read in full and every expected daemon is\n"
	       "locked; 1 not; %d the output could not be written; %d usage error.\n",
	       cli_name, usage, EXIT_IO, EXIT_USAGE);
}

struct spec {
	const char *text;
	bool io_flusher;   /* --expect-io-flusher */
	int running;       /* processes that match it */
	int error;         /* why it could not be read (a negative errno), or 0 */
	bool all_locked;   /* each of them locked (and with IO_FLUSHER if asked) */
};

#define MAX_SPECS 64

struct entry {
	pid_t pid;
	bool asked;     /* named on the command line */
	int rc;
	int spec;       /* the spec it is shown under, or -1 */
	uint64_t specs; /* every spec that names it, a bit each */
	struct duende_mlock_report r;
};

struct scan {
	struct entry *e;
	size_t n, cap;
	struct spec *specs;
	size_t nspecs;
	struct duende_mlock_swaps swaps;
};

/* ---- which processes ---- */

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

/* A process that only the scan of locked processes found and that has
 * exited since is no error: it is simply not there any more. */
static bool vanished_unasked(const struct entry *e)
{
	return e->rc == -ESRCH && !e->asked && e->specs == 0;
}

static void read_reports(struct scan *s)
{
	size_t kept = 0;

	for (size_t i = 0; i < s->n; i++) {
		s->e[i].rc = duende_mlock_report_pid(s->e[i].pid, &s->e[i].r);
		if (!vanished_unasked(&s->e[i]))
			s->e[kept++] = s->e[i];
	}
	s->n = kept;
	if (duende_mlock_read_swaps(&s->swaps) < 0)
		s->swaps.count = 0;
}

/* Is the process what spec asks for? */
static bool entry_ok(const struct entry *e, const struct spec *spec)
{
	uint32_t want = DUENDE_MLOCK_V_LOCKED | (spec->io_flusher ? DUENDE_MLOCK_V_IO_FLUSHER : 0);

	return !e->rc && (e->r.verdicts & want) == want;
}

/* Each expected daemon: does it run, and is every process of it locked? */
static void judge_specs(struct scan *s)
{
	for (size_t k = 0; k < s->nspecs; k++) {
		s->specs[k].all_locked = s->specs[k].running > 0;
		for (size_t i = 0; i < s->n; i++)
			if ((s->e[i].specs >> k & 1) && !entry_ok(&s->e[i], &s->specs[k]))
				s->specs[k].all_locked = false;
	}
}

/* ---- text ---- */

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

static const char *note_of(const struct scan *s, const struct entry *e)
{
	const struct duende_mlock_report *r = &e->r;

	if (r->verdicts & DUENDE_MLOCK_V_NOT_RESPONDING)
		return "not responding";
	if (r->verdicts & DUENDE_MLOCK_V_NO_USER_MEMORY)
		return "no user memory";
	if (e->spec >= 0 && !(r->verdicts & DUENDE_MLOCK_V_LOCKED))
		return "expected, NOT LOCKED";
	if (e->spec >= 0 && s->specs[e->spec].io_flusher && !(r->verdicts & DUENDE_MLOCK_V_IO_FLUSHER))
		return "expected, IO_FLUSHER MISSING";
	if (!(r->verdicts & DUENDE_MLOCK_V_LOCKED))
		return r->vm_lck ? "partly locked" : "not locked";
	return "";
}

static void print_row(FILE *f, const struct scan *s, const struct entry *e, int name_width)
{
	const struct duende_mlock_report *r = &e->r;
	bool smaps = r->known & DUENDE_MLOCK_R_SMAPS, lim = r->known & DUENDE_MLOCK_R_LIMITS;
	char a[32], b[32], c[32], d[32], g[32], h[32], pct[16], maps[40], iofl[24], dev[96], oom[16];
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
	if (r->known & DUENDE_MLOCK_R_OOM)
		snprintf(oom, sizeof(oom), "%d", (int)r->oom_score_adj);
	else
		snprintf(oom, sizeof(oom), "-");
	served(s, e->pid, dev, sizeof(dev));
	fprintf(f, "%-8d ", (int)r->pid);
	put_text(f, r->name, name_width);
	fprintf(f, " %10s %10s %10s %10s %6s %-14s %10s %10s %5s %3u %5s %-8s %s\n",
		fmt_bytes(r->vm_lck, a, sizeof(a)), smaps ? fmt_bytes(r->locked_resident, b, sizeof(b)) : "-",
		fmt_bytes(r->vm_rss, c, sizeof(c)), fmt_bytes(r->vm_swap, d, sizeof(d)), pct, maps,
		lim ? fmt_bytes(r->memlock_soft, g, sizeof(g)) : "-",
		lim ? fmt_bytes(r->headroom, h, sizeof(h)) : "-", iofl, r->threads_blocked, oom,
		dev[0] ? dev : "-", note_of(s, e));
}

static void print_table(FILE *f, const struct scan *s)
{
	int width = 4;

	for (size_t i = 0; i < s->n; i++)
		if (!s->e[i].rc && text_width(s->e[i].r.name) > width)
			width = text_width(s->e[i].r.name);
	fprintf(f, "%-8s %-*s %10s %10s %10s %10s %6s %-14s %10s %10s %5s %3s %5s %-8s %s\n", "PID",
		width, "NAME", "LOCKED", "PINNED", "RSS", "SWAP", "PIN%", "MAPS lo/lf/all", "MEMLOCK",
		"HEADROOM", "IOFL", "D", "OOM", "SERVES", "NOTE");
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

/* ---- JSON ---- */

static void json_u64(FILE *f, const char *key, uint64_t v, bool unlimited_is_null)
{
	if (unlimited_is_null && v == DUENDE_MLOCK_UNLIMITED)
		fprintf(f, ", \"%s\": null", key);
	else
		fprintf(f, ", \"%s\": %llu", key, (unsigned long long)v);
}

static void json_bool(FILE *f, const char *key, bool v)
{
	fprintf(f, ", \"%s\": %s", key, v ? "true" : "false");
}

static void json_tasks(FILE *f, const struct duende_mlock_report *r)
{
	if (r->known & DUENDE_MLOCK_R_STAT)
		json_u64(f, "major_faults", r->major_faults, false);
	if (r->known & DUENDE_MLOCK_R_TASKS) {
		fprintf(f, ", \"threads\": %u, \"io_flusher_threads\": %u, \"blocked_threads\": %u",
			r->threads, r->threads_io_flusher, r->threads_blocked);
		json_bool(f, "io_flusher", r->verdicts & DUENDE_MLOCK_V_IO_FLUSHER);
	}
	if (r->known & DUENDE_MLOCK_R_OOM)
		fprintf(f, ", \"oom_score_adj\": %d", (int)r->oom_score_adj);
}

static void json_smaps(FILE *f, const struct duende_mlock_report *r)
{
	if (r->known & DUENDE_MLOCK_R_SMAPS) {
		json_u64(f, "pinned_bytes", r->locked_resident, false);
		json_u64(f, "locked_swapped_bytes", r->locked_swapped, false);
		json_u64(f, "unlocked_resident_bytes", r->unlocked_resident, false);
		json_u64(f, "inaccessible_bytes", r->inaccessible_size, false);
		fprintf(f, ", \"mappings\": {\"total\": %u, \"locked\": %u, \"lock_on_fault\": %u, "
			   "\"unlocked_inaccessible\": %u, \"unlocked_special\": %u, "
			   "\"unlocked_other\": %u}",
			r->mappings, r->locked_mappings, r->lockonfault_mappings,
			r->unlocked_inaccessible, r->unlocked_special, r->unlocked_other);
	} else if (r->smaps_error) {
		fprintf(f, ", \"smaps_error\": ");
		put_json_string(f, duende_mlock_strerror(r->smaps_error));
	}
}

static void json_serves(FILE *f, const struct scan *s, pid_t pid)
{
	int i = -1, n = 0;

	fprintf(f, ", \"serves\": [");
	while ((i = duende_mlock_swap_served_by(&s->swaps, pid, (uint32_t)(i + 1))) >= 0) {
		fprintf(f, "%s", n++ ? ", " : "");
		put_json_string(f, s->swaps.area[i].path);
	}
	fprintf(f, "]");
}

static void json_entry(FILE *f, const struct scan *s, const struct entry *e)
{
	const struct duende_mlock_report *r = &e->r;

	fprintf(f, "\n  {\"pid\": %d", (int)e->pid);
	if (e->spec >= 0) {
		fprintf(f, ", \"expect\": ");
		put_json_string(f, s->specs[e->spec].text);
	}
	if (e->rc) {
		fprintf(f, ", \"error\": ");
		put_json_string(f, duende_mlock_strerror(e->rc));
		fprintf(f, ", \"errno\": %d}", -e->rc);
		return;
	}
	fprintf(f, ", \"name\": ");
	put_json_string(f, r->name);
	fprintf(f, ", \"state\": \"%c\", \"uid\": %u", r->state ? r->state : '?', r->uid);
	json_bool(f, "locked", r->verdicts & DUENDE_MLOCK_V_LOCKED);
	json_bool(f, "responding", !(r->verdicts & DUENDE_MLOCK_V_NOT_RESPONDING));
	json_bool(f, "user_memory", !(r->verdicts & DUENDE_MLOCK_V_NO_USER_MEMORY));
	json_u64(f, "locked_bytes", r->vm_lck, false);
	json_u64(f, "resident_bytes", r->vm_rss, false);
	json_u64(f, "swapped_bytes", r->vm_swap, false);
	json_bool(f, "cap_ipc_lock", r->cap_ipc_lock);
	json_smaps(f, r);
	if (r->known & DUENDE_MLOCK_R_LIMITS) {
		json_u64(f, "memlock_soft", r->memlock_soft, true);
		json_u64(f, "memlock_hard", r->memlock_hard, true);
		json_u64(f, "headroom_bytes", r->headroom, true);
	}
	json_tasks(f, r);
	json_serves(f, s, e->pid);
	fprintf(f, "}");
}

static void print_json(FILE *f, const struct scan *s)
{
	fprintf(f, "{\"processes\": [");
	for (size_t i = 0; i < s->n; i++) {
		fprintf(f, "%s", i ? "," : "");
		json_entry(f, s, &s->e[i]);
	}
	fprintf(f, "\n], \"expected\": [");
	for (size_t k = 0; k < s->nspecs; k++) {
		fprintf(f, "%s\n  {\"spec\": ", k ? "," : "");
		put_json_string(f, s->specs[k].text);
		json_bool(f, "io_flusher", s->specs[k].io_flusher);
		fprintf(f, ", \"processes\": %d", s->specs[k].running);
		json_bool(f, "locked", s->specs[k].all_locked);
		fprintf(f, "}");
	}
	fprintf(f, "\n]}\n");
}

/* ---- Prometheus ---- */

#define PER_PROCESS 0u
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
static double v_rss(const struct duende_mlock_report *r) { return (double)r->vm_rss; }
static double v_swap(const struct duende_mlock_report *r) { return (double)r->vm_swap; }
static double v_pinned(const struct duende_mlock_report *r) { return (double)r->locked_resident; }
static double v_unlocked(const struct duende_mlock_report *r) { return (double)r->unlocked_resident; }
static double v_memlock(const struct duende_mlock_report *r) { return limit_value(r->memlock_soft); }
static double v_headroom(const struct duende_mlock_report *r) { return limit_value(r->headroom); }
static double v_majflt(const struct duende_mlock_report *r) { return (double)r->major_faults; }
static double v_threads(const struct duende_mlock_report *r) { return r->threads; }
static double v_iofl(const struct duende_mlock_report *r) { return verdict(r, DUENDE_MLOCK_V_IO_FLUSHER); }
static double v_iofl_threads(const struct duende_mlock_report *r) { return r->threads_io_flusher; }
static double v_blocked(const struct duende_mlock_report *r) { return r->threads_blocked; }
static double v_oom(const struct duende_mlock_report *r) { return r->oom_score_adj; }
static double v_responding(const struct duende_mlock_report *r)
{
	return 1 - verdict(r, DUENDE_MLOCK_V_NOT_RESPONDING);
}

static const struct metric metrics[] = {
	{ "duende_mlock_locked", "gauge", "1 if every accessible mapping is locked (mlockall); 0 if not, or if an expected daemon is not running.", DUENDE_MLOCK_R_STATUS, v_locked },
	{ "duende_mlock_locked_bytes", "gauge", "VmLck: bytes in locked mappings.", DUENDE_MLOCK_R_STATUS, v_lck },
	{ "duende_mlock_resident_bytes", "gauge", "VmRSS.", DUENDE_MLOCK_R_STATUS, v_rss },
	{ "duende_mlock_swapped_bytes", "gauge", "VmSwap: bytes of the process in swap.", DUENDE_MLOCK_R_STATUS, v_swap },
	{ "duende_mlock_pinned_bytes", "gauge", "Resident bytes inside locked mappings.", DUENDE_MLOCK_R_SMAPS, v_pinned },
	{ "duende_mlock_unlocked_resident_bytes", "gauge", "Resident bytes in accessible mappings that are not locked.", DUENDE_MLOCK_R_SMAPS, v_unlocked },
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

static void print_prometheus(FILE *f, const struct scan *s)
{
	for (size_t m = 0; m < sizeof(metrics) / sizeof(metrics[0]); m++)
		prom_metric(f, s, &metrics[m]);
	prom_serves(f, s);
	prom_expected(f, s);
	prom_header(f, "duende_mlock_headroom_low_bytes", "gauge",
		    "Headroom below which later allocations of a locked daemon are at risk.");
	fprintf(f, "duende_mlock_headroom_low_bytes %llu\n", (unsigned long long)DUENDE_MLOCK_LOW_HEADROOM);
	prom_header(f, "duende_mlock_report_ok", "gauge", "1 if the process could be read.");
	for (size_t i = 0; i < s->n; i++)
		fprintf(f, "duende_mlock_report_ok{pid=\"%d\"} %d\n", (int)s->e[i].pid, s->e[i].rc == 0);
}

/* ---- the command ---- */

static void report_errors(const struct scan *s)
{
	for (size_t i = 0; i < s->n; i++) {
		const struct entry *e = &s->e[i];
		if (e->rc)
			fprintf(stderr, "%s: status: PID %d: %s\n", cli_name, (int)e->pid,
				e->rc == -ESRCH ? "no such process (or it exited during the read)"
						: duende_mlock_strerror(e->rc));
		else if (e->r.smaps_error == -ETIMEDOUT)
			fprintf(stderr, "%s: status: PID %d: %s; mapping figures omitted\n", cli_name,
				(int)e->pid, duende_mlock_strerror(e->r.smaps_error));
		else if (e->r.smaps_error)
			fprintf(stderr, "%s: status: PID %d: smaps unreadable (%s): mapping figures "
				"omitted\n",
				cli_name, (int)e->pid, duende_mlock_strerror(e->r.smaps_error));
	}
	for (size_t k = 0; k < s->nspecs; k++)
		if (!s->specs[k].running) {
			fprintf(stderr, "%s: status: expected ", cli_name);
			put_text(stderr, s->specs[k].text, 0);
			if (s->specs[k].error)
				fprintf(stderr, ": cannot be read (%s), counted as not running\n",
					duende_mlock_strerror(s->specs[k].error));
			else
				fprintf(stderr, ": not running\n");
		}
}

static bool all_fine(const struct scan *s)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->e[i].rc || s->e[i].r.smaps_error)
			return false;
	for (size_t k = 0; k < s->nspecs; k++)
		if (!s->specs[k].all_locked)
			return false;
	return true;
}

struct options {
	enum format fmt;
	const char *output;
};

static int parse_options(int argc, char **argv, struct options *o, struct scan *s)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "prometheus", no_argument, NULL, 'p' },
		{ "output", required_argument, NULL, 'o' },
		{ "expect", required_argument, NULL, 'e' },
		{ "expect-io-flusher", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ 0, 0, 0, 0 },
	};
	bool fmt_set = false;
	int c;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
		case 'p':
			if (fmt_set)
				return usage_error("status", usage, "--json and --prometheus exclude each other");
			o->fmt = c == 'j' ? JSON : PROMETHEUS;
			fmt_set = true;
			break;
		case 'o': o->output = optarg; break;
		case 'e':
		case 'i':
			if (s->nspecs == MAX_SPECS)
				return usage_error("status", usage, "more than %d --expect", MAX_SPECS);
			s->specs[s->nspecs++] = (struct spec){ .text = optarg, .io_flusher = c == 'i' };
			break;
		case 'h': help(); exit_printed("--help");
		default:
			return usage_error("status", usage, "unknown option '%s', or missing value",
					   argv[optind - 1]);
		}
	}
	for (int i = optind; i < argc; i++) {
		pid_t pid;
		if (!parse_pid(argv[i], &pid))
			return usage_error("status", usage, "'%s' is not a process ID", argv[i]);
	}
	return 0;
}

/* The processes to report: the PIDs given (else every locked process),
 * and those of each spec. A spec the library cannot read is returned in
 * *bad with -EINVAL. */
static int gather(struct scan *s, int argc, char **argv, const char **bad)
{
	int rc = 0;

	for (int i = optind; i < argc && rc == 0; i++) {
		pid_t pid;
		if (parse_pid(argv[i], &pid) && (rc = add_pid(s, pid, -1)) == 0)
			mark_asked(s, pid);
	}
	if (optind == argc && rc == 0)
		rc = add_found(s, NULL, -1, NULL);
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

int cmd_status(int argc, char **argv)
{
	struct options o = { TABLE, NULL };
	struct scan *s = calloc(1, sizeof(*s));
	struct output out;
	const char *bad = NULL;
	int rc;

	if (!s || !(s->specs = calloc(MAX_SPECS, sizeof(*s->specs)))) {
		free(s);
		fprintf(stderr, "%s: status: out of memory\n", cli_name);
		return EXIT_INTERNAL;
	}
	rc = parse_options(argc, argv, &o, s);
	if (rc == 0 && (rc = gather(s, argc, argv, &bad)) == -EINVAL) {
		rc = usage_error("status", usage, "--expect: '%s' is not name:COMM, pidfile:/PATH, "
				 "unit:UNIT.service or cgroup:/PATH", bad);
	} else if (rc < 0) {
		fprintf(stderr, "%s: status: cannot list processes: %s\n", cli_name, duende_mlock_strerror(rc));
		rc = EXIT_INTERNAL;
	}
	if (rc == 0) {
		read_reports(s);
		judge_specs(s);
		rc = output_open(&out, "status", o.output);
	}
	if (rc == 0) {
		if (o.fmt == TABLE)
			print_table(out.f, s);
		else if (o.fmt == JSON)
			print_json(out.f, s);
		else
			print_prometheus(out.f, s);
		report_errors(s);
		rc = output_close(&out, "status");
		if (rc == 0 && !all_fine(s))
			rc = 1;
	}
	free(s->e);
	free(s->specs);
	free(s);
	return rc;
}
