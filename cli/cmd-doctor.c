/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* duende-mlock doctor: can this process (or PID) lock, how much, what on
 * this host endangers a swap-serving daemon, and the exact fix. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "duende-mlock.h"
#include "src/facts.h"
#include "src/host.h"

static const char usage[] = "doctor [--pid PID] [--json]";

#define MAX_SWAPS 32
#define MAX_FINDINGS 24
#define LOW_HEADROOM (64ull << 20)

enum level { OK = 0, WARN = 1, FATAL = 2 };

struct finding {
	enum level level;
	char text[640];
};

struct doctor {
	pid_t pid; /* 0: this process */
	bool self;
	struct duende_mlock_report report;
	uint64_t cap_eff, cap_bnd;
	bool caps_known;
	struct dm_proc_stat stat;
	bool stat_known;
	int onfault, io_flusher_kernel;
	struct dm_cgroup_info cg;
	int cg_rc;
	struct dm_swap_info swaps[MAX_SWAPS];
	size_t nswaps;
	int swaps_rc;
	struct dm_runtime_info rt;
	struct finding findings[MAX_FINDINGS];
	size_t nfindings;
	enum level verdict;
};

static void help(void)
{
	printf("usage: %s %s\n"
	       "Check whether this process (or PID) can lock its memory and what on this host\n"
	       "endangers a daemon that serves swap, then print the fix for this environment.\n\n"
	       "  --pid PID   examine PID instead of the doctor itself\n"
	       "  --json      one JSON document\n"
	       "  -h, --help  this help\n\n"
	       "Exit status: 0 ready, 1 warnings, 2 cannot lock, 64 usage error.\n",
	       cli_name, usage);
}

static void add(struct doctor *d, enum level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void add(struct doctor *d, enum level level, const char *fmt, ...)
{
	va_list ap;

	if (d->nfindings == MAX_FINDINGS)
		return;
	struct finding *f = &d->findings[d->nfindings++];
	f->level = level;
	va_start(ap, fmt);
	vsnprintf(f->text, sizeof(f->text), fmt, ap);
	va_end(ap);
	if (level > d->verdict)
		d->verdict = level;
}

static bool has_cap(uint64_t set, int bit)
{
	return (set >> bit) & 1;
}

static int gather(struct doctor *d)
{
	int rc = duende_mlock_report_pid(d->pid, &d->report);

	if (rc)
		return rc;
	d->caps_known = dm_host_caps(d->pid, &d->cap_eff, &d->cap_bnd) == 0;
	d->stat_known = dm_host_stat(d->pid, &d->stat) == 0;
	d->onfault = dm_host_supports_onfault();
	d->io_flusher_kernel = dm_host_supports_io_flusher();
	d->cg_rc = dm_host_memory_cgroup(d->pid, &d->cg);
	d->swaps_rc = dm_host_swaps(d->swaps, MAX_SWAPS, &d->nswaps);
	dm_host_runtime(d->pid, &d->rt);
	return 0;
}

static void judge_limits(struct doctor *d)
{
	const struct duende_mlock_report *r = &d->report;
	char soft[32], hard[32], mapped[32], room[32];
	bool cap = d->caps_known ? has_cap(d->cap_eff, DM_CAP_IPC_LOCK) : r->cap_ipc_lock;

	fmt_limit(r->memlock_soft, soft, sizeof(soft));
	fmt_limit(r->memlock_hard, hard, sizeof(hard));
	fmt_bytes(r->vm_size, mapped, sizeof(mapped));
	if (cap) {
		add(d, OK, "CAP_IPC_LOCK is effective: RLIMIT_MEMLOCK (soft %s) does not bind; can lock all %s mapped",
		    soft, mapped);
		return;
	}
	if (!(r->known & DUENDE_MLOCK_R_LIMITS)) {
		add(d, WARN, "RLIMIT_MEMLOCK unreadable (/proc/%d/limits)", (int)r->pid);
		return;
	}
	if (r->memlock_soft == DUENDE_MLOCK_UNLIMITED) {
		add(d, OK, "RLIMIT_MEMLOCK is unlimited: can lock all %s mapped", mapped);
		return;
	}
	bool hard_fits = r->memlock_hard == DUENDE_MLOCK_UNLIMITED || r->memlock_hard > r->vm_size;
	if (r->memlock_soft == 0 || r->memlock_soft < r->vm_size) {
		if (hard_fits)
			add(d, WARN, "RLIMIT_MEMLOCK soft %s is below the %s mapped (mlockall would fail with %s) "
				     "but the hard limit %s allows it: raise the soft limit (duende-mlock exec does)",
			    soft, mapped, r->memlock_soft ? "ENOMEM" : "EPERM", hard);
		else
			add(d, FATAL, "cannot lock: RLIMIT_MEMLOCK soft %s / hard %s is below the %s mapped "
				      "(VmSize, PROT_NONE reservations included) and CAP_IPC_LOCK is missing",
			    soft, hard, mapped);
		return;
	}
	uint64_t left = r->memlock_soft - r->vm_size;
	fmt_bytes(left, room, sizeof(room));
	add(d, left < LOW_HEADROOM ? WARN : OK,
	    "RLIMIT_MEMLOCK soft %s covers the %s mapped; %s of headroom left for later allocations%s",
	    soft, mapped, room,
	    left < LOW_HEADROOM ? " (with MCL_FUTURE, mappings beyond it fail: malloc NULL, pthread_create EAGAIN)" : "");
}

static void judge_caps(struct doctor *d)
{
	if (!d->caps_known) {
		add(d, WARN, "capabilities unreadable (/proc/%d/status)", (int)d->report.pid);
		return;
	}
	if (!has_cap(d->cap_bnd, DM_CAP_IPC_LOCK))
		add(d, WARN, "CAP_IPC_LOCK is not in the bounding set: no child of this process can ever gain it");
	if (!has_cap(d->cap_eff, DM_CAP_SYS_RESOURCE))
		add(d, WARN, "CAP_SYS_RESOURCE is missing: PR_SET_IO_FLUSHER and a negative oom_score_adj are not "
			     "possible, and the hard RLIMIT_MEMLOCK cannot be raised");
}

static void judge_kernel(struct doctor *d)
{
	if (d->onfault == 0)
		add(d, WARN, "kernel lacks MCL_ONFAULT (Linux 4.4+): onfault and lean mode fall back to full locking");
	if (d->io_flusher_kernel == 0)
		add(d, WARN, "kernel lacks PR_SET_IO_FLUSHER (Linux 5.6+)");
	if (d->stat_known) {
		bool flusher = (d->stat.flags & DM_PF_MEMALLOC_NOIO) && (d->stat.flags & DM_PF_LOCAL_THROTTLE);
		add(d, OK, "PID %d: IO_FLUSHER %s, %llu major page faults so far", (int)d->report.pid,
		    flusher ? "set" : "not set", (unsigned long long)d->stat.majflt);
	}
}

static void judge_cgroup(struct doctor *d)
{
	char limit[32], usage_s[32];
	bool flusher = d->stat_known && (d->stat.flags & DM_PF_MEMALLOC_NOIO);

	if (d->cg_rc) {
		add(d, OK, "no memory cgroup found for PID %d", (int)d->report.pid);
		return;
	}
	fmt_limit(d->cg.limit, limit, sizeof(limit));
	fmt_bytes(d->cg.usage, usage_s, sizeof(usage_s));
	if (d->cg.limit == UINT64_MAX) {
		add(d, OK, "memory cgroup v%d %s: no limit, %s used, %u process(es)", d->cg.version,
		    d->cg.path, usage_s, d->cg.processes);
		return;
	}
	if (d->cg.version == 1 && d->cg.processes > 1 && !flusher)
		add(d, WARN, "memory cgroup v1 %s is limited to %s and shared by %u processes: a swap-serving "
			     "daemon here deadlocks even when locked (cgroup v1 reclaim waits on writeback of "
			     "swap pages bound for the daemon itself; DT-007). Move the daemon to its own "
			     "cgroup without a limit, or give it PR_SET_IO_FLUSHER (CAP_SYS_RESOURCE)",
		    d->cg.path, limit, d->cg.processes);
	else if (d->cg.processes > 1 && !flusher)
		/* Seen on Linux 6.12: a locked FUSE daemon sharing a 40 MiB v2
		 * cgroup with the pressure hung in some runs, and the others were
		 * OOM-killed; with IO_FLUSHER only OOM kills were seen. */
		add(d, WARN, "memory cgroup v2 %s is limited to %s and shared by %u processes: a swap-serving "
			     "daemon here deadlocks even when locked in some runs (reclaim in the shared cgroup "
			     "waits on I/O the daemon must serve; DT-007), and its locked memory counts against "
			     "the limit. Move the daemon to its own cgroup without a limit, or give it "
			     "PR_SET_IO_FLUSHER (CAP_SYS_RESOURCE)",
		    d->cg.path, limit, d->cg.processes);
	else
		add(d, OK, "memory cgroup v%d %s: limit %s, %s used, %u process(es)", d->cg.version, d->cg.path,
		    limit, usage_s, d->cg.processes);
}

static void judge_swaps(struct doctor *d)
{
	if (d->swaps_rc) {
		add(d, WARN, "/proc/swaps unreadable: %s", duende_mlock_strerror(d->swaps_rc));
		return;
	}
	if (!d->nswaps)
		add(d, OK, "no swap is active");
	for (size_t i = 0; i < d->nswaps; i++) {
		const struct dm_swap_info *s = &d->swaps[i];
		char size[32];
		fmt_bytes(s->entry.size, size, sizeof(size));
		/* Whether PID is the daemon serving it is not known here; what is
		 * known is whether PID holds a lock, which such a daemon needs. */
		bool locked = d->report.vm_lck > 0;
		if (s->user_space)
			add(d, locked ? OK : WARN, "swap %s (%s, %s, priority %lld) is served from user space%s%s%s%s: "
				     "its daemon must be locked; PID %d %s",
			    s->entry.path, s->kind, size, (long long)s->entry.priority,
			    s->backing[0] ? " via " : "", s->backing,
			    s->backing_fstype[0] ? " on " : "", s->backing_fstype, (int)d->report.pid,
			    locked ? "is locked" : "holds no memory lock (VmLck 0)");
		else
			add(d, OK, "swap %s (%s, %s, priority %lld)", s->entry.path, s->kind, size,
			    (long long)s->entry.priority);
	}
}

static void print_fix(const struct doctor *d)
{
	const char *unit = d->rt.unit[0] ? d->rt.unit : "YOUR.service";

	printf("\nFix for this environment:\n");
	if (!strcmp(d->rt.container, "kubernetes")) {
		printf("  Kubernetes cannot raise RLIMIT_MEMLOCK for a container, so CAP_IPC_LOCK is required:\n"
		       "    securityContext:\n      capabilities:\n        add: [\"IPC_LOCK\"]   # and \"SYS_RESOURCE\" for PR_SET_IO_FLUSHER\n");
	} else if (d->rt.container[0]) {
		printf("  %s run --cap-add=IPC_LOCK --ulimit memlock=-1:-1 [--cap-add=SYS_RESOURCE] IMAGE\n"
		       "  compose:\n    cap_add: [IPC_LOCK]\n    ulimits:\n      memlock: {soft: -1, hard: -1}\n",
		       d->rt.container);
	} else if (d->rt.systemd || d->rt.unit[0]) {
		printf("  systemctl edit %s   # adds a drop-in:\n"
		       "    [Service]\n    LimitMEMLOCK=infinity\n    AmbientCapabilities=CAP_IPC_LOCK CAP_SYS_RESOURCE\n"
		       "    OOMScoreAdjust=-900\n"
		       "  (Keep CAP_IPC_LOCK in CapabilityBoundingSet= if the unit sets one; setting it to\n"
		       "  CAP_IPC_LOCK alone drops every other capability the daemon has.)\n",
		       unit);
	}
	printf("  shell:  ulimit -l unlimited   (or prlimit --memlock=unlimited:unlimited --pid PID, as root)\n"
	       "  file:   setcap cap_ipc_lock=+ep /path/to/daemon   (for daemons linked with libduende-mlock;\n"
	       "          duende-mlock exec refuses programs with file capabilities)\n"
	       "  run:    duende-mlock exec --io-flusher --oom-score-adj -900 -- DAEMON ARGS...\n");
}

static const char *level_name(enum level l)
{
	return l == OK ? "ok" : l == WARN ? "warning" : "cannot lock";
}

static void print_text(const struct doctor *d)
{
	printf("duende-mlock doctor: PID %d (%s)%s%s%s\n", (int)d->report.pid, d->report.name,
	       d->rt.container[0] ? ", container: " : "", d->rt.container,
	       d->rt.unit[0] ? ", unit" : "");
	if (d->rt.unit[0])
		printf("  systemd unit: %s\n", d->rt.unit);
	for (size_t i = 0; i < d->nfindings; i++)
		printf("  [%s] %s\n", d->findings[i].level == OK ? " ok " : d->findings[i].level == WARN ? "warn" : "FAIL",
		       d->findings[i].text);
	printf("Verdict: %s\n", d->verdict == OK ? "ready" : level_name(d->verdict));
	if (d->verdict != OK)
		print_fix(d);
}

static void print_json(const struct doctor *d)
{
	const struct duende_mlock_report *r = &d->report;

	printf("{\"pid\": %d, \"name\": ", (int)r->pid);
	put_json_string(stdout, r->name);
	printf(", \"verdict\": \"%s\", \"exit\": %d", d->verdict == OK ? "ready" : d->verdict == WARN ? "warnings" : "cannot-lock",
	       (int)d->verdict);
	printf(", \"memlock_soft\": ");
	r->memlock_soft == DUENDE_MLOCK_UNLIMITED ? printf("null") : printf("%llu", (unsigned long long)r->memlock_soft);
	printf(", \"memlock_hard\": ");
	r->memlock_hard == DUENDE_MLOCK_UNLIMITED ? printf("null") : printf("%llu", (unsigned long long)r->memlock_hard);
	printf(", \"mapped_bytes\": %llu, \"locked_bytes\": %llu", (unsigned long long)r->vm_size,
	       (unsigned long long)r->vm_lck);
	printf(", \"cap_effective\": \"%016llx\", \"cap_bounding\": \"%016llx\"",
	       (unsigned long long)d->cap_eff, (unsigned long long)d->cap_bnd);
	printf(", \"kernel\": {\"mcl_onfault\": %d, \"io_flusher\": %d}", d->onfault, d->io_flusher_kernel);
	printf(", \"cgroup\": {\"version\": %d, \"path\": ", d->cg_rc ? 0 : d->cg.version);
	put_json_string(stdout, d->cg_rc ? "" : d->cg.path);
	printf(", \"limit\": ");
	(d->cg_rc || d->cg.limit == UINT64_MAX) ? printf("null") : printf("%llu", (unsigned long long)d->cg.limit);
	printf(", \"processes\": %u}", d->cg_rc ? 0 : d->cg.processes);
	printf(", \"swaps\": [");
	for (size_t i = 0; i < d->nswaps; i++) {
		printf("%s{\"path\": ", i ? ", " : "");
		put_json_string(stdout, d->swaps[i].entry.path);
		printf(", \"kind\": \"%s\", \"size\": %llu, \"used\": %llu, \"user_space\": %s, \"backing\": ",
		       d->swaps[i].kind, (unsigned long long)d->swaps[i].entry.size,
		       (unsigned long long)d->swaps[i].entry.used, d->swaps[i].user_space ? "true" : "false");
		put_json_string(stdout, d->swaps[i].backing);
		printf("}");
	}
	printf("], \"container\": ");
	put_json_string(stdout, d->rt.container);
	printf(", \"systemd_unit\": ");
	put_json_string(stdout, d->rt.unit);
	printf(", \"findings\": [");
	for (size_t i = 0; i < d->nfindings; i++) {
		printf("%s{\"level\": \"%s\", \"text\": ", i ? ", " : "", level_name(d->findings[i].level));
		put_json_string(stdout, d->findings[i].text);
		printf("}");
	}
	printf("]}\n");
}

int cmd_doctor(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0, 0, 0, 0 },
	};
	struct doctor *d = calloc(1, sizeof(*d));
	bool json = false;
	int c, rc;

	if (!d)
		return 2;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (!parse_pid(optarg, &d->pid)) {
				free(d);
				return usage_error("doctor", usage, "--pid: '%s' is not a process ID", optarg);
			}
			break;
		case 'j': json = true; break;
		case 'h': help(); free(d); return 0;
		default:
			free(d);
			return usage_error("doctor", usage, "unknown option '%s', or missing value", argv[optind - 1]);
		}
	}
	if (optind < argc) {
		free(d);
		return usage_error("doctor", usage, "unexpected argument '%s'", argv[optind]);
	}
	rc = gather(d);
	if (rc) {
		fprintf(stderr, "%s: doctor: PID %d: %s\n", cli_name, (int)d->pid,
			rc == -ESRCH ? "no such process" : duende_mlock_strerror(rc));
		free(d);
		return 2;
	}
	judge_limits(d);
	judge_caps(d);
	judge_kernel(d);
	judge_cgroup(d);
	judge_swaps(d);
	if (json)
		print_json(d);
	else
		print_text(d);
	rc = (int)d->verdict;
	free(d);
	return rc;
}
