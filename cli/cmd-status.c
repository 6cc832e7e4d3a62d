/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* duende-mlock status: the lock state of processes, as a table, JSON, or
 * Prometheus text for node_exporter's textfile collector. */
#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "duende-mlock.h"

static const char usage[] = "status [--json | --prometheus] [PID...]";

enum format { TABLE, JSON, PROMETHEUS };

static void help(void)
{
	printf("usage: %s %s\n"
	       "Lock state of each PID, or of every process that has locked memory.\n\n"
	       "  --json         one JSON document\n"
	       "  --prometheus   Prometheus text format (node_exporter textfile collector)\n"
	       "  -h, --help     this help\n\n"
	       "Columns: LOCKED is VmLck (whole locked mappings); PINNED is the resident memory\n"
	       "inside locked mappings; PIN%% is PINNED of RSS; MAPS counts locked, lock-on-fault\n"
	       "and all mappings; HEADROOM is what RLIMIT_MEMLOCK still allows.\n"
	       "Exit status: 0 every PID was read in full, 1 some could not be, 64 usage error.\n",
	       cli_name, usage);
}

struct entry {
	pid_t pid;
	int rc;
	struct duende_mlock_report r;
};

static double pin_percent(const struct duende_mlock_report *r)
{
	if (!(r->known & DUENDE_MLOCK_R_SMAPS) || r->vm_rss == 0)
		return -1;
	double p = 100.0 * (double)r->locked_resident / (double)r->vm_rss;
	return p > 100 ? 100 : p;
}

static void print_table(const struct entry *e, size_t n)
{
	char a[32], b[32], c[32], d[32], f[32], g[32], pct[16], maps[32];

	printf("%-8s %-16s %10s %10s %10s %10s %6s %-14s %10s %10s\n", "PID", "NAME", "LOCKED",
	       "PINNED", "RSS", "SWAP", "PIN%", "MAPS lo/lf/all", "MEMLOCK", "HEADROOM");
	for (size_t i = 0; i < n; i++) {
		const struct duende_mlock_report *r = &e[i].r;
		bool smaps = r->known & DUENDE_MLOCK_R_SMAPS, lim = r->known & DUENDE_MLOCK_R_LIMITS;
		if (e[i].rc)
			continue;
		double p = pin_percent(r);
		if (p < 0)
			snprintf(pct, sizeof(pct), "-");
		else
			snprintf(pct, sizeof(pct), "%.1f", p);
		if (smaps)
			snprintf(maps, sizeof(maps), "%u/%u/%u", r->locked_mappings,
				 r->lockonfault_mappings, r->mappings);
		else
			snprintf(maps, sizeof(maps), "-");
		printf("%-8d %-16.16s %10s %10s %10s %10s %6s %-14s %10s %10s\n", (int)r->pid, r->name,
		       fmt_bytes(r->vm_lck, a, sizeof(a)),
		       smaps ? fmt_bytes(r->locked_resident, b, sizeof(b)) : "-",
		       fmt_bytes(r->vm_rss, c, sizeof(c)), fmt_bytes(r->vm_swap, d, sizeof(d)), pct,
		       maps, lim ? fmt_bytes(r->memlock_soft, f, sizeof(f)) : "-",
		       lim ? fmt_bytes(r->headroom, g, sizeof(g)) : "-");
	}
}

static void json_u64(const char *key, uint64_t v, bool unlimited_is_null)
{
	if (unlimited_is_null && v == DUENDE_MLOCK_UNLIMITED)
		printf(", \"%s\": null", key);
	else
		printf(", \"%s\": %llu", key, (unsigned long long)v);
}

static void print_json(const struct entry *e, size_t n)
{
	printf("{\"processes\": [");
	for (size_t i = 0, out = 0; i < n; i++) {
		const struct duende_mlock_report *r = &e[i].r;
		printf("%s\n  {\"pid\": %d", out++ ? "," : "", (int)e[i].pid);
		if (e[i].rc) {
			printf(", \"error\": ");
			put_json_string(stdout, duende_mlock_strerror(e[i].rc));
			printf(", \"errno\": %d}", -e[i].rc);
			continue;
		}
		printf(", \"name\": ");
		put_json_string(stdout, r->name);
		printf(", \"state\": \"%c\", \"uid\": %u", r->state ? r->state : '?', r->uid);
		json_u64("locked_bytes", r->vm_lck, false);
		json_u64("resident_bytes", r->vm_rss, false);
		json_u64("swapped_bytes", r->vm_swap, false);
		printf(", \"cap_ipc_lock\": %s", r->cap_ipc_lock ? "true" : "false");
		if (r->known & DUENDE_MLOCK_R_SMAPS) {
			json_u64("pinned_bytes", r->locked_resident, false);
			json_u64("locked_swapped_bytes", r->locked_swapped, false);
			json_u64("unlocked_resident_bytes", r->unlocked_resident, false);
			json_u64("inaccessible_bytes", r->inaccessible_size, false);
			printf(", \"mappings\": {\"total\": %u, \"locked\": %u, \"lock_on_fault\": %u, "
			       "\"unlocked_inaccessible\": %u, \"unlocked_special\": %u, "
			       "\"unlocked_other\": %u}",
			       r->mappings, r->locked_mappings, r->lockonfault_mappings,
			       r->unlocked_inaccessible, r->unlocked_special, r->unlocked_other);
		} else {
			printf(", \"smaps_error\": ");
			put_json_string(stdout, duende_mlock_strerror(r->smaps_error));
		}
		if (r->known & DUENDE_MLOCK_R_LIMITS) {
			json_u64("memlock_soft", r->memlock_soft, true);
			json_u64("memlock_hard", r->memlock_hard, true);
			json_u64("headroom_bytes", r->headroom, true);
		}
		printf("}");
	}
	printf("\n]}\n");
}

struct metric {
	const char *name, *help;
	size_t offset;
	uint32_t needs;
};

#define FIELD(f) offsetof(struct duende_mlock_report, f)
static const struct metric metrics[] = {
	{ "duende_mlock_locked_bytes", "VmLck: bytes in locked mappings.", FIELD(vm_lck), DUENDE_MLOCK_R_STATUS },
	{ "duende_mlock_resident_bytes", "VmRSS.", FIELD(vm_rss), DUENDE_MLOCK_R_STATUS },
	{ "duende_mlock_swapped_bytes", "VmSwap: bytes of the process in swap.", FIELD(vm_swap), DUENDE_MLOCK_R_STATUS },
	{ "duende_mlock_pinned_bytes", "Resident bytes inside locked mappings.", FIELD(locked_resident), DUENDE_MLOCK_R_SMAPS },
	{ "duende_mlock_unlocked_resident_bytes", "Resident bytes in accessible mappings that are not locked.", FIELD(unlocked_resident), DUENDE_MLOCK_R_SMAPS },
	{ "duende_mlock_memlock_limit_bytes", "Soft RLIMIT_MEMLOCK (+Inf for unlimited).", FIELD(memlock_soft), DUENDE_MLOCK_R_LIMITS },
	{ "duende_mlock_headroom_bytes", "Bytes that may still be locked (+Inf with CAP_IPC_LOCK).", FIELD(headroom), DUENDE_MLOCK_R_LIMITS },
};

static void print_prometheus(const struct entry *e, size_t n)
{
	for (size_t m = 0; m < sizeof(metrics) / sizeof(metrics[0]); m++) {
		printf("# HELP %s %s\n# TYPE %s gauge\n", metrics[m].name, metrics[m].help, metrics[m].name);
		for (size_t i = 0; i < n; i++) {
			const struct duende_mlock_report *r = &e[i].r;
			uint64_t v;
			if (e[i].rc || !(r->known & metrics[m].needs))
				continue;
			memcpy(&v, (const char *)r + metrics[m].offset, sizeof(v));
			printf("%s{pid=\"%d\",name=", metrics[m].name, (int)r->pid);
			put_prom_label(stdout, r->name);
			if (v == DUENDE_MLOCK_UNLIMITED)
				printf("} +Inf\n");
			else
				printf("} %llu\n", (unsigned long long)v);
		}
	}
	printf("# HELP duende_mlock_report_ok 1 if the process could be read.\n"
	       "# TYPE duende_mlock_report_ok gauge\n");
	for (size_t i = 0; i < n; i++)
		printf("duende_mlock_report_ok{pid=\"%d\"} %d\n", (int)e[i].pid, e[i].rc == 0);
}

static void report_errors(const struct entry *e, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (e[i].rc)
			fprintf(stderr, "%s: status: PID %d: %s\n", cli_name, (int)e[i].pid,
				e[i].rc == -ESRCH ? "no such process (or it exited during the read)"
						  : duende_mlock_strerror(e[i].rc));
		else if (!(e[i].r.known & DUENDE_MLOCK_R_SMAPS))
			fprintf(stderr, "%s: status: PID %d: smaps unreadable (%s): mapping figures "
				"omitted; run as root or as the process's user\n",
				cli_name, (int)e[i].pid, duende_mlock_strerror(e[i].r.smaps_error));
	}
}

/* Every process with locked memory. Processes that vanish are skipped. */
static struct entry *scan_locked(size_t *n)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	struct entry *list = NULL;
	size_t cap = 0;

	*n = 0;
	if (!d)
		return NULL;
	while ((de = readdir(d))) {
		pid_t pid;
		struct entry e = { 0 };
		if (!parse_pid(de->d_name, &pid))
			continue;
		e.pid = pid;
		e.rc = duende_mlock_report_pid(pid, &e.r);
		if (e.rc || e.r.vm_lck == 0)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			struct entry *grown = realloc(list, cap * sizeof(*list));
			if (!grown)
				break;
			list = grown;
		}
		list[(*n)++] = e;
	}
	closedir(d);
	return list;
}

int cmd_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "prometheus", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ 0, 0, 0, 0 },
	};
	enum format fmt = TABLE;
	bool fmt_set = false;
	struct entry *list;
	size_t n = 0;
	int c, failed = 0;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
		case 'p':
			if (fmt_set)
				return usage_error("status", usage, "--json and --prometheus exclude each other");
			fmt = c == 'j' ? JSON : PROMETHEUS;
			fmt_set = true;
			break;
		case 'h': help(); return 0;
		default:
			return usage_error("status", usage, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc) {
		n = (size_t)(argc - optind);
		list = calloc(n, sizeof(*list));
		if (!list)
			return 1;
		for (size_t i = 0; i < n; i++)
			if (!parse_pid(argv[optind + (int)i], &list[i].pid)) {
				free(list);
				return usage_error("status", usage, "'%s' is not a process ID",
						   argv[optind + (int)i]);
			}
		for (size_t i = 0; i < n; i++) {
			list[i].rc = duende_mlock_report_pid(list[i].pid, &list[i].r);
			failed |= list[i].rc != 0 || !(list[i].r.known & DUENDE_MLOCK_R_SMAPS);
		}
	} else {
		list = scan_locked(&n);
	}
	if (fmt == TABLE)
		print_table(list, n);
	else if (fmt == JSON)
		print_json(list, n);
	else
		print_prometheus(list, n);
	report_errors(list, n);
	free(list);
	return failed ? 1 : 0;
}
