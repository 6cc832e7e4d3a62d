/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* duende-mlock guard: keep every user-space swap area's servers locked.
 * It locks itself (lean), then on every change of /proc/swaps and every
 * --interval finds the processes that serve each swap area with the
 * library's swap mapping, and locks from outside, as `lock --tree` does,
 * each that is not locked yet. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "duende-mlock.h"
#include "exec-settings.h"

static const char usage[] =
	"guard [--once] [--interval SECONDS] [--io-flusher] [--oom-score-adj N] [--best-effort] [-v]";

/* Processes the guard keeps track of at once (servers and their trees). */
#define GUARD_MAX 1024
/* One server's tree at most. */
#define TREE_MAX 256
#define DEFAULT_INTERVAL_MS 1000

static void help(void)
{
	printf("usage: %s %s\n"
	       "Keep every swap area served from user space (a loop device over a FUSE\n"
	       "file, NBD, ublk) served by locked processes. The guard locks itself first\n"
	       "(lean), then finds the processes that serve each such area and locks each\n"
	       "that is not locked from outside, with the processes forked from it that run\n"
	       "the same program (as 'lock --tree'). It looks again whenever /proc/swaps\n"
	       "changes and every --interval: an NBD client that reconnects gets a new\n"
	       "serving process for the same device. One line per action and per failure\n"
	       "on stderr; a failure is said again only when its reason changes. One that\n"
	       "cannot be locked is tried again after a wait that doubles from --interval\n"
	       "up to 5 s (each try stops its threads), and at once when /proc/swaps changes.\n\n"
	       "  --once                 one pass, then exit\n"
	       "  --interval SECONDS     look again this often (decimal; default 1; 0.01 to 3600)\n"
	       "  --io-flusher           PR_SET_IO_FLUSHER on every thread of each (needs the\n"
	       "                         process's CAP_SYS_RESOURCE; default: off, as lock)\n"
	       "  --oom-score-adj N      set each one's oom_score_adj (-1000..1000; default:\n"
	       "                         left as it is, as lock)\n"
	       "  --best-effort          a failed --io-flusher or --oom-score-adj is a warning\n"
	       "  -v, --verbose          also say each change of /proc/swaps, each pass whose\n"
	       "                         counts changed, and each server found locked already\n"
	       "  -h, --help             this help\n\n"
	       "With NOTIFY_SOCKET set (systemd's Type=notify) it says READY=1 after the\n"
	       "first pass and STATUS= with the count of processes locked and failing.\n"
	       "SIGTERM and SIGINT end it with status 0.\n\n"
	       "Exit status (--once): 0 every process serving a user-space swap area is\n"
	       "locked (none: 0 too); %d one is not, an area's server cannot be found\n"
	       "(without CAP_SYS_PTRACE it cannot be), an area has more than the %d\n"
	       "servers the library lists, or the guard could not lock itself;\n"
	       "%d duende-mlock could not go on; %d usage error.\n",
	       cli_name, usage, DM_EXIT_LOCK_FAILED, DUENDE_MLOCK_SWAP_SERVERS, EXIT_INTERNAL,
	       EXIT_USAGE);
}

struct guard_opts {
	struct duende_mlock_pid_config config;
	bool once, verbose, best_effort;
	int interval_ms;
};

enum { OPT_ONCE = 256, OPT_INTERVAL, OPT_IO_FLUSHER, OPT_OOM, OPT_BEST_EFFORT };

/* "1", "0.5", "0.01": seconds into milliseconds. Decimal digits and one
 * point only: strtod alone would take "0x10", "1e1", " 5" and "inf". */
static bool parse_interval(const char *s, int *ms)
{
	char *end;
	const char *point = strchr(s, '.');

	if (!*s || s[strspn(s, "0123456789.")] || (point && strchr(point + 1, '.')))
		return false;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= 0.01 && v <= 3600))
		return false;
	*ms = (int)(v * 1000 + 0.5);
	return true;
}

static int parse_options(int argc, char **argv, struct guard_opts *o)
{
	static const struct option opts[] = {
		{ "once", no_argument, NULL, OPT_ONCE },
		{ "interval", required_argument, NULL, OPT_INTERVAL },
		{ "io-flusher", no_argument, NULL, OPT_IO_FLUSHER },
		{ "oom-score-adj", required_argument, NULL, OPT_OOM },
		{ "best-effort", no_argument, NULL, OPT_BEST_EFFORT },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0, 0, 0, 0 },
	};
	static const struct duende_mlock_pid_config defaults = DUENDE_MLOCK_PID_CONFIG_INIT;
	int c;

	o->config = defaults;
	o->interval_ms = DEFAULT_INTERVAL_MS;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+vh", opts, NULL)) != -1) {
		switch (c) {
		case OPT_ONCE: o->once = true; break;
		case OPT_IO_FLUSHER: o->config.io_flusher = true; break;
		case OPT_BEST_EFFORT: o->best_effort = true; break;
		case 'v': o->verbose = true; break;
		case 'h': help(); exit_printed("--help");
		case OPT_INTERVAL:
			if (!parse_interval(optarg, &o->interval_ms))
				return usage_error("guard", usage, "--interval: '%s' is not a number of "
						   "seconds from 0.01 to 3600", optarg);
			break;
		case OPT_OOM: {
			int rc = parse_oom_score_adj("guard", usage, optarg, &o->config.oom_score_adj);

			if (rc)
				return rc;
			o->config.set_oom_score_adj = true;
			break;
		}
		case '?':
		default:
			return usage_error("guard", usage, "unknown option '%s', or a missing or "
					   "unexpected value", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("guard", usage, "unexpected argument '%s': the guard finds the "
				   "processes itself", argv[optind]);
	return 0;
}

/* ---- what the guard remembers of each process ---- */

enum seen_state { SEEN_LOCKED = 1, SEEN_FAILING };

struct seen {
	uint64_t start_time;
	/* What the last failure was, so that it is said once, and again when
	 * it changes. */
	long reason;
	/* A failing one is tried again after a wait that doubles with each
	 * failure (the lock stops its threads), up to RETRY_MAX_MS, and at
	 * once when /proc/swaps changes. */
	int64_t retry_at_ms;
	pid_t pid;
	enum seen_state state;
	unsigned failures;
	bool this_pass;
	/* Its tree had more processes than TREE_MAX: said once while it has. */
	bool tree_over_said;
};

#define RETRY_MAX_MS 5000

static struct seen seen[GUARD_MAX];
static size_t nseen;
/* That GUARD_MAX was too few was said, and has not stopped being so. */
static bool full_said;

static struct seen *find_seen(pid_t pid)
{
	for (size_t i = 0; i < nseen; i++)
		if (seen[i].pid == pid)
			return &seen[i];
	return NULL;
}

static struct seen *remember(pid_t pid, uint64_t start_time)
{
	struct seen *s = find_seen(pid);

	if (s && start_time && s->start_time && s->start_time != start_time) {
		/* Another process with the same PID: nothing of the old one holds. */
		memset(s, 0, sizeof(*s));
		s->pid = pid;
	}
	if (!s && nseen < GUARD_MAX) {
		s = &seen[nseen++];
		memset(s, 0, sizeof(*s));
		s->pid = pid;
	}
	if (s && start_time)
		s->start_time = start_time;
	return s;
}

/* Forgets the processes that no longer serve (or no longer run). */
static void forget_unseen(void)
{
	size_t j = 0;

	for (size_t i = 0; i < nseen; i++)
		if (seen[i].this_pass) {
			seen[i].this_pass = false;
			seen[j++] = seen[i];
		}
	nseen = j;
}

/* ---- one pass ---- */

struct pass {
	unsigned locked, failing, areas;
	bool swaps_changed; /* retry the failing ones now */
	bool full; /* remember() had no room this pass */
	int64_t now_ms;
};

static int64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* A name from the system, escaped for the log. */
static const char *esc(const char *name, char *buf, size_t len)
{
	duende_mlock_escape(name, strnlen(name, 256), buf, len);
	return buf;
}

/* The library's explanation (escaped already) on one line. */
static void one_line(char *text)
{
	size_t n = strlen(text);

	while (n && text[n - 1] == '\n')
		text[--n] = '\0';
	for (char *p = text; (p = strchr(p, '\n'));)
		*p = ';';
}

static void log_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void log_line(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: guard: ", cli_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
}

/* Every mapping locked, as its smaps shows. */
static bool already_locked(pid_t pid)
{
	static struct duende_mlock_report rep;

	return duende_mlock_report_pid(pid, &rep) == 0 && (rep.verdicts & DUENDE_MLOCK_V_LOCKED);
}

/* Locks one process of a server's tree, unless it is known locked. */
static void guard_one(const struct guard_opts *o, const char *area, pid_t pid,
		      uint64_t start_time, struct pass *p)
{
	static char text[4096];
	char name[256], where[1024], size[32];
	struct seen *s = remember(pid, start_time);
	uint64_t vmlck = 0;

	if (!s) {
		/* Said once while the guard keeps GUARD_MAX processes. */
		if (!full_said)
			log_line("swap %s: process %d not locked: this guard keeps track of %d "
				 "processes at most, and as many serve swap areas or run in their trees",
				 esc(area, where, sizeof(where)), (int)pid, GUARD_MAX);
		full_said = true;
		p->full = true;
		p->failing++;
		return;
	}
	s->this_pass = true;
	if (s->state == SEEN_FAILING && !p->swaps_changed && p->now_ms < s->retry_at_ms) {
		p->failing++;
		return;
	}
	/* The cheap skip: locked by this guard before and still holding locked
	 * memory. */
	if (s->state == SEEN_LOCKED && duende_mlock_read_pid_locked_bytes(pid, &vmlck) == 0 && vmlck) {
		p->locked++;
		return;
	}

	/* Locked by someone else (exec, lock, its own mlockall): left alone
	 * when the lock is all that is asked and every mapping is locked. */
	if (!s->state && !o->config.io_flusher && !o->config.set_oom_score_adj &&
	    duende_mlock_read_pid_locked_bytes(pid, &vmlck) == 0 && vmlck && already_locked(pid)) {
		if (o->verbose)
			log_line("swap %s: process %d was locked already (%s)", esc(area, where, sizeof(where)),
				 (int)pid, fmt_bytes(vmlck, size, sizeof(size)));
		s->state = SEEN_LOCKED;
		p->locked++;
		return;
	}

	struct duende_mlock_pid_config c = o->config;
	struct duende_mlock_pid_result r;
	bool mappings_left;

	c.start_time = start_time;
	int rc = duende_mlock_lock_pid(pid, &c, &r, sizeof(r));
	if (lock_pid_verified(&r, rc, o->best_effort, &mappings_left)) {
		char extra[160] = "";

		if (o->config.io_flusher)
			snprintf(extra, sizeof(extra), ", IO_FLUSHER on %u of %u thread(s)",
				 r.threads_io_flusher, r.threads);
		if (o->config.set_oom_score_adj && r.steps[DUENDE_MLOCK_STEP_OOM_SCORE_ADJ].rc == 0)
			snprintf(extra + strlen(extra), sizeof(extra) - strlen(extra),
				 ", oom_score_adj %d", o->config.oom_score_adj);
		log_line("swap %s: process %d (%s) locked %s%s", esc(area, where, sizeof(where)),
			 (int)pid, esc(r.name, name, sizeof(name)),
			 fmt_bytes(r.lock_status.bytes_locked, size, sizeof(size)), extra);
		if (rc) {
			duende_mlock_pid_explain(&r, text, sizeof(text));
			one_line(text);
			log_line("process %d: warning: %s", (int)pid, text);
		}
		s->state = SEEN_LOCKED;
		s->start_time = r.start_time ? r.start_time : s->start_time;
		s->reason = 0;
		s->failures = 0;
		p->locked++;
		return;
	}
	/* Said once per reason: the refusal, the call's errno, and whether
	 * it was the check in smaps that failed. */
	long reason = ((long)r.refusal << 20) ^ ((long)-rc << 1) ^ (mappings_left ? 1 : 0);
	if (s->state != SEEN_FAILING || s->reason != reason) {
		duende_mlock_pid_explain(&r, text, sizeof(text));
		one_line(text);
		log_line("swap %s: process %d not locked: %s%s", esc(area, where, sizeof(where)),
			 (int)pid, text,
			 mappings_left ? "; its /proc status or smaps shows memory left unlocked" : "");
	}
	s->state = SEEN_FAILING;
	s->reason = reason;
	int64_t wait = (int64_t)o->interval_ms << (s->failures < 16 ? s->failures : 16);
	s->retry_at_ms = p->now_ms + (wait < RETRY_MAX_MS ? wait : RETRY_MAX_MS);
	s->failures++;
	p->failing++;
}

/* The start time of a process, as its /proc/PID/stat says now: 0 or the
 * negative errno. (The root of its image tree comes first, with it.) */
static int start_time_of(pid_t pid, uint64_t *start_time)
{
	pid_t self;
	int n = duende_mlock_image_tree(pid, &self, start_time, 1);

	return n < 0 ? n : 0;
}

/* A server that the guard cannot lock at all (it exited since /proc/swaps
 * was read, another process has its PID, its /proc cannot be read):
 * failing, said once per reason. */
static void server_lost(const char *area, pid_t pid, uint64_t start_time, int rc,
			struct pass *p)
{
	char where[1024];
	struct seen *s = remember(pid, start_time);

	p->failing++;
	if (!s)
		return;
	s->this_pass = true;
	if (s->state != SEEN_FAILING || s->reason != rc)
		log_line("swap %s: process %d not locked: %s", esc(area, where, sizeof(where)),
			 (int)pid, rc == -ESRCH ? "it exited since it was found serving the area"
						   : strerror(-rc));
	s->state = SEEN_FAILING;
	s->reason = rc;
	s->retry_at_ms = 0;
}

/* A server and, as with lock --tree, what it forked that runs the same
 * program: walked every pass, since a worker forked since the last one
 * need not hold the device itself. start_time: the server's, taken when
 * it was found; a tree whose root has another is another process's. */
static void guard_server(const struct guard_opts *o, const char *area, pid_t server,
			 uint64_t start_time, struct pass *p)
{
	static pid_t pids[TREE_MAX];
	static uint64_t starts[TREE_MAX];
	char where[1024];

	int n = duende_mlock_image_tree(server, pids, starts, TREE_MAX);
	if (n > 0 && starts[0] != start_time)
		n = -ESRCH;
	if (n <= 0) {
		server_lost(area, server, start_time, n ? n : -ESRCH, p);
		return;
	}
	for (int i = 0; i < n && i < TREE_MAX; i++) {
		/* Never locked without its start time (the lock's check of
		 * the PID's owner). */
		if (starts[i])
			guard_one(o, area, pids[i], starts[i], p);
		else
			server_lost(area, pids[i], 0, -EIO, p);
	}
	struct seen *s = find_seen(server);
	if (n <= TREE_MAX) {
		if (s)
			s->tree_over_said = false; /* said again if it grows again */
		return;
	}
	/* The rest are neither locked nor known: each counts as failing. */
	p->failing += (unsigned)(n - TREE_MAX);
	if (s && !s->tree_over_said)
		log_line("swap %s: process %d has %d processes of its program below it; this guard "
			 "locks the first %d, the other %d are not locked",
			 esc(area, where, sizeof(where)), (int)server, n - 1, TREE_MAX, n - TREE_MAX);
	if (s)
		s->tree_over_said = true;
}

/* What an area lacks, said once while it lasts: no server found, or more
 * servers than the library lists. */
enum area_fault { AREA_NO_SERVER = 1, AREA_TOO_MANY };

struct area_said {
	char path[256];
	enum area_fault fault;
	bool this_pass;
};

static struct area_said area_said[DUENDE_MLOCK_SWAPS_MAX * 2];
static size_t nareas_said;

/* true when fault of area is new (to be said). */
static bool area_fault_new(const char *area, enum area_fault fault)
{
	for (size_t k = 0; k < nareas_said; k++)
		if (area_said[k].fault == fault && strcmp(area_said[k].path, area) == 0) {
			area_said[k].this_pass = true;
			return false;
		}
	if (nareas_said < sizeof(area_said) / sizeof(area_said[0])) {
		struct area_said *a = &area_said[nareas_said++];

		snprintf(a->path, sizeof(a->path), "%s", area);
		a->fault = fault;
		a->this_pass = true;
	}
	return true;
}

/* An area that loses its fault is said again if it comes back. */
static void forget_area_faults(void)
{
	size_t j = 0;

	for (size_t k = 0; k < nareas_said; k++)
		if (area_said[k].this_pass) {
			area_said[k].this_pass = false;
			area_said[j++] = area_said[k];
		}
	nareas_said = j;
}

/* A user-space area whose serving process the library cannot find (it
 * exited, serves from a namespace this guard cannot see, or this guard
 * may not read other processes' descriptors): a failure. */
static void serverless(const char *area, struct pass *p)
{
	char where[1024];

	p->failing++;
	if (!area_fault_new(area, AREA_NO_SERVER))
		return;
	if (!holds_cap_sys_ptrace())
		log_line("swap %s is served from user space, but its server cannot be found: "
			 "this guard lacks CAP_SYS_PTRACE, without which the /proc/PID/fd of "
			 "other users' and more privileged processes cannot be read. Run it as "
			 "root holding CAP_SYS_PTRACE, as duende-mlock-guard.service does",
			 esc(area, where, sizeof(where)));
	else
		log_line("swap %s is served from user space, but no process serving it was found",
			 esc(area, where, sizeof(where)));
}

/* An area with more servers than the library lists: the ones listed are
 * locked, the others are not known, so the area is failing (the library's
 * duende_mlock_swap_protected() says such an area is not protected). */
static void too_many_servers(const char *area, uint32_t nservers, struct pass *p)
{
	char where[1024];

	p->failing++;
	if (area_fault_new(area, AREA_TOO_MANY))
		log_line("swap %s: not every process serving it is locked: %u processes hold it, "
			 "and the library lists %d; the others are not known",
			 esc(area, where, sizeof(where)), nservers, DUENDE_MLOCK_SWAP_SERVERS);
}

/* How many of an area's servers the library lists. */
static uint32_t listed(const struct duende_mlock_swap *a)
{
	if (!a->user_space)
		return 0;
	return a->nservers < DUENDE_MLOCK_SWAP_SERVERS ? a->nservers : DUENDE_MLOCK_SWAP_SERVERS;
}

static void guard_pass(const struct guard_opts *o, struct pass *p, bool swaps_changed)
{
	static struct duende_mlock_swaps swaps;
	static uint64_t starts[DUENDE_MLOCK_SWAPS_MAX][DUENDE_MLOCK_SWAP_SERVERS];
	static int start_rc[DUENDE_MLOCK_SWAPS_MAX][DUENDE_MLOCK_SWAP_SERVERS];
	static char said_unreadable;

	memset(p, 0, sizeof(*p));
	p->swaps_changed = swaps_changed;
	p->now_ms = now_ms();
	int rc = duende_mlock_read_swaps(&swaps);
	if (rc) {
		if (!said_unreadable)
			log_line("cannot read /proc/swaps: %s", strerror(-rc));
		said_unreadable = 1;
		p->failing++;
		return;
	}
	said_unreadable = 0;
	/* Each server's start time, taken at once: a PID that another process
	 * takes later is then not locked in its stead. */
	for (uint32_t i = 0; i < swaps.count; i++)
		for (uint32_t j = 0; j < listed(&swaps.area[i]); j++)
			start_rc[i][j] = start_time_of(swaps.area[i].servers[j], &starts[i][j]);
	for (uint32_t i = 0; i < swaps.count; i++) {
		const struct duende_mlock_swap *a = &swaps.area[i];

		if (!a->user_space)
			continue;
		p->areas++;
		if (a->nservers == 0) {
			serverless(a->path, p);
			continue;
		}
		if (a->nservers > listed(a))
			too_many_servers(a->path, a->nservers, p);
		for (uint32_t j = 0; j < listed(a); j++) {
			int lost = start_rc[i][j] ? start_rc[i][j] : starts[i][j] ? 0 : -EIO;

			if (lost)
				server_lost(a->path, a->servers[j], 0, lost, p);
			else
				guard_server(o, a->path, a->servers[j], starts[i][j], p);
		}
	}
	forget_area_faults();
	forget_unseen();
	if (!p->full)
		full_said = false;
}

/* ---- sd_notify, without libsystemd ---- */

/* Sends text to $NOTIFY_SOCKET ('@' first: an abstract name); nothing
 * when it is unset. A failure is said once: the guard goes on. */
static void notify(const char *text)
{
	static bool said;
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t n;

	if (!path || !*path)
		return;
	n = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || n >= sizeof(sa.sun_path)) {
		if (!said)
			log_line("NOTIFY_SOCKET is neither a path nor an abstract '@' name: not notified");
		said = true;
		return;
	}
	memcpy(sa.sun_path, path, n);
	if (path[0] == '@')
		sa.sun_path[0] = '\0';
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || sendto(fd, text, strlen(text), MSG_NOSIGNAL, (struct sockaddr *)&sa,
			     (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n)) < 0) {
		if (!said)
			log_line("cannot notify NOTIFY_SOCKET: %s", strerror(errno));
		said = true;
	}
	if (fd >= 0)
		close(fd);
}

/* ---- the loop ---- */

static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

/* Reads /proc/swaps to its end: poll() reports a change once per read of
 * the file after it. */
static void drain(int fd)
{
	char buf[4096];

	if (lseek(fd, 0, SEEK_SET) < 0)
		return;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

static int lock_self(void)
{
	struct duende_mlock_config c = DUENDE_MLOCK_CONFIG_INIT;
	struct duende_mlock_status st;
	char text[2048];

	/* Lean: what the guard touches, not what it reserves; it then runs
	 * among the processes it protects without reading anything from a
	 * swap area that one of them serves. */
	c.lean = true;
	int rc = duende_mlock_lock_with_config(&c, &st);
	if (rc == 0 && duende_mlock_status_is_locked(&st))
		return 0;
	duende_mlock_explain(&st, text, sizeof(text));
	one_line(text);
	log_line("cannot lock itself: %s", text);
	return DM_EXIT_LOCK_FAILED;
}

static void say_status(const struct pass *p, bool first, const struct pass *last)
{
	char text[128];

	if (!first && p->locked == last->locked && p->failing == last->failing)
		return;
	snprintf(text, sizeof(text), "STATUS=%u process(es) locked, %u failing", p->locked, p->failing);
	notify(text);
	if (first)
		notify("READY=1");
}

int cmd_guard(int argc, char **argv)
{
	struct guard_opts o;
	struct pass p, last;
	sigset_t block, none;
	int rc;

	memset(&o, 0, sizeof(o));
	rc = parse_options(argc, argv, &o);
	if (rc)
		return rc;
	rc = lock_self();
	if (rc)
		return rc;
	/* SIGTERM and SIGINT arrive only while the guard waits (ppoll), never
	 * in the middle of a lock. */
	struct sigaction sa = { .sa_handler = on_stop };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &none);
	sigdelset(&none, SIGTERM);
	sigdelset(&none, SIGINT);

	int fd = open("/proc/swaps", O_RDONLY | O_CLOEXEC);
	if (fd < 0 && !o.once) {
		say("guard", "cannot open /proc/swaps: %s; looking every interval only", strerror(errno));
	}
	if (fd >= 0)
		drain(fd);
	guard_pass(&o, &p, true);
	if (o.once) {
		if (p.areas == 0)
			log_line("no swap area is served from user space");
		if (fd >= 0)
			close(fd);
		return p.failing ? DM_EXIT_LOCK_FAILED : 0;
	}
	say_status(&p, true, &p);
	if (o.verbose)
		log_line("pass: %u swap area(s) served from user space, %u process(es) locked, %u failing",
			 p.areas, p.locked, p.failing);
	last = p;
	while (!stop) {
		struct pollfd pfd = { .fd = fd, .events = POLLPRI | POLLERR };
		struct timespec t = { .tv_sec = o.interval_ms / 1000,
				      .tv_nsec = (long)(o.interval_ms % 1000) * 1000000L };
		int n = ppoll(fd >= 0 ? &pfd : NULL, fd >= 0 ? 1 : 0, &t, &none);

		if (stop)
			break;
		if (n > 0) {
			drain(fd);
			if (o.verbose)
				log_line("/proc/swaps changed");
		}
		guard_pass(&o, &p, n > 0);
		if (o.verbose && (n > 0 || p.locked != last.locked || p.failing != last.failing))
			log_line("pass: %u swap area(s) served from user space, %u process(es) locked, %u failing",
				 p.areas, p.locked, p.failing);
		say_status(&p, false, &last);
		last = p;
	}
	notify("STOPPING=1");
	if (fd >= 0)
		close(fd);
	return 0;
}
