/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* duende-mlock exec: run PROGRAM with its memory locked by the preload
 * shim. This command checks PROGRAM and its options, hands the settings
 * to the shim and execs PROGRAM; every step runs inside PROGRAM. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <signal.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <limits.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "cli.h"
#include "cli-config.h"
#include "duende-mlock.h"
#include "exec-settings.h"
#include "program.h"

static const char usage[] = "exec [OPTIONS] -- PROGRAM [ARGS...]";

static void help(void)
{
	printf("usage: %s %s\n"
	       "Run PROGRAM with its memory locked before its main() runs.\n\n"
	       "  --best-effort          run PROGRAM unlocked (with a warning) if locking fails;\n"
	       "                         default: PROGRAM does not run (exit %d)\n"
	       "  --onfault              lock pages as they are touched (MCL_ONFAULT)\n"
	       "  --lean                 populate what is mapped now, lock later mappings on\n"
	       "                         touch, small thread stacks, one malloc arena\n"
	       "  --precise              lock what can go to swap (anonymous and shared memory,\n"
	       "                         written private file pages), the program's code and\n"
	       "                         files it serves; leave mapped file data unpinned\n"
	       "  --current-only         lock only what is mapped at start\n"
	       "  --future-only          lock only what is mapped later\n"
	       "  --min-headroom SIZE    refuse unless SIZE more could still be locked\n"
	       "  --no-swap              cgroup v2: memory.swap.max 0 in PROGRAM's cgroup, where it\n"
	       "                         is PROGRAM's own and writable (with --precise: nothing of\n"
	       "                         it goes to swap, file data is still dropped and reread)\n"
	       "  --oom-score-adj N      set oom_score_adj (%d..%d), inherited\n"
	       "  --io-flusher           PR_SET_IO_FLUSHER (needs CAP_SYS_RESOURCE), inherited\n"
	       "  --malloc-keep          glibc keeps freed memory (no trim, no mmap)\n"
	       "  --prefault-stack SIZE  touch SIZE (at most %zuM) of the main thread's stack\n"
	       "                         after locking\n"
	       "  --no-raise-memlock     keep the soft RLIMIT_MEMLOCK (default: raise to hard)\n"
	       "  --memlock SIZE         set soft and hard RLIMIT_MEMLOCK to SIZE (or unlimited)\n"
	       "                         before PROGRAM starts; needs CAP_SYS_RESOURCE to raise.\n"
	       "                         Default: unlimited when this process may raise it, so a\n"
	       "                         PROGRAM that drops root stays locked\n"
	       "  --no-follow-forks      leave forked children unlocked: for a PROGRAM that serves\n"
	       "                         itself and forks+execs helpers often (a fork from a\n"
	       "                         locked process then costs no lock and unlock of its pages)\n"
	       "  --no-keep-ipc-lock     when PROGRAM drops root and the hard RLIMIT_MEMLOCK cannot\n"
	       "                         cover what it locks, do not keep CAP_IPC_LOCK for it: stop\n"
	       "                         it at the drop (exit %d), or with --best-effort let it run\n"
	       "                         on under the limit. Default: keep CAP_IPC_LOCK, and only\n"
	       "                         it, through the drop, as AmbientCapabilities= does\n"
	       "  --inherit              lock every program PROGRAM's children exec, too (by\n"
	       "                         default only PROGRAM, the programs it execs in its own\n"
	       "                         process, and its forked children are locked)\n"
	       "  -v, --verbose          report each step on stderr\n"
	       "  -h, --help             this help\n\n"
	       "A PROGRAM the loader cannot preload into (static, set-ID or file capabilities,\n"
	       "run by env -i) is started traced instead: locked at its first instruction,\n"
	       "before any of its code runs, by a tracer that stays (locked itself, no child\n"
	       "PROGRAM can see) and locks its forked children before they run.\n\n"
	       "Exit status: PROGRAM's own; %d lock or requested step failed (PROGRAM did not\n"
	       "run); %d PROGRAM cannot be locked (an option only the preload does, a\n"
	       "secure-mode PROGRAM without CAP_SYS_PTRACE to trace it, a preload library\n"
	       "the loader would not load); %d duende-mlock could not go on; %d not\n"
	       "executable; %d not found; %d usage error.\n"
	       "SIZE takes K, M, G suffixes (binary). The preload library is looked up at\n"
	       "$DUENDE_MLOCK_PRELOAD, else %s.\n",
	       cli_name, usage, DM_EXIT_LOCK_FAILED, DUENDE_MLOCK_OOM_SCORE_ADJ_MIN,
	       DUENDE_MLOCK_OOM_SCORE_ADJ_MAX, DM_EXEC_PREFAULT_MAX >> 20, DM_EXIT_LOCK_FAILED,
	       DM_EXIT_LOCK_FAILED,
	       EXIT_REFUSED, EXIT_INTERNAL,
	       EXIT_NOT_EXECUTABLE, EXIT_NOT_FOUND, EXIT_USAGE, DUENDE_MLOCK_PRELOAD_PATH);
}

struct exec_opts {
	struct dm_exec_settings shim;
	bool current_only, future_only;
	bool memlock_set;
	uint64_t memlock;
	bool no_swap;
};

enum {
	OPT_ONFAULT = 256, OPT_LEAN, OPT_BEST_EFFORT, OPT_CURRENT_ONLY, OPT_FUTURE_ONLY,
	OPT_MIN_HEADROOM, OPT_OOM, OPT_IO_FLUSHER, OPT_MALLOC_KEEP, OPT_PREFAULT,
	OPT_NO_RAISE, OPT_INHERIT, OPT_MEMLOCK, OPT_NO_FOLLOW_FORKS, OPT_NO_KEEP_IPC_LOCK,
	OPT_PRECISE, OPT_NO_SWAP,
};

static int parse_options(int argc, char **argv, struct exec_opts *o)
{
	static const struct option opts[] = {
		{ "onfault", no_argument, NULL, OPT_ONFAULT },
		{ "lean", no_argument, NULL, OPT_LEAN },
		{ "precise", no_argument, NULL, OPT_PRECISE },
		{ "no-swap", no_argument, NULL, OPT_NO_SWAP },
		{ "best-effort", no_argument, NULL, OPT_BEST_EFFORT },
		{ "current-only", no_argument, NULL, OPT_CURRENT_ONLY },
		{ "future-only", no_argument, NULL, OPT_FUTURE_ONLY },
		{ "min-headroom", required_argument, NULL, OPT_MIN_HEADROOM },
		{ "oom-score-adj", required_argument, NULL, OPT_OOM },
		{ "io-flusher", no_argument, NULL, OPT_IO_FLUSHER },
		{ "malloc-keep", no_argument, NULL, OPT_MALLOC_KEEP },
		{ "prefault-stack", required_argument, NULL, OPT_PREFAULT },
		{ "no-raise-memlock", no_argument, NULL, OPT_NO_RAISE },
		{ "inherit", no_argument, NULL, OPT_INHERIT },
		{ "memlock", required_argument, NULL, OPT_MEMLOCK },
		{ "no-follow-forks", no_argument, NULL, OPT_NO_FOLLOW_FORKS },
		{ "no-keep-ipc-lock", no_argument, NULL, OPT_NO_KEEP_IPC_LOCK },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0, 0, 0, 0 },
	};
	uint64_t size;
	int c;

	struct duende_mlock_harden_config *h = &o->shim.harden;

	dm_exec_settings_init(&o->shim);
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+vh", opts, NULL)) != -1) {
		switch (c) {
		case OPT_ONFAULT: h->lock_config.onfault = true; break;
		case OPT_LEAN: h->lock_config.lean = true; break;
		case OPT_PRECISE: h->lock_config.precise = true; break;
		case OPT_NO_SWAP: o->no_swap = true; break;
		case OPT_BEST_EFFORT: h->lock_config.required = false; break;
		case OPT_CURRENT_ONLY: o->current_only = true; break;
		case OPT_FUTURE_ONLY: o->future_only = true; break;
		case OPT_IO_FLUSHER: h->io_flusher = true; break;
		case OPT_MALLOC_KEEP: h->malloc_keep = true; break;
		case OPT_NO_RAISE: h->raise_memlock = false; break;
		case OPT_INHERIT: o->shim.inherit = true; break;
		case OPT_NO_FOLLOW_FORKS: o->shim.follow_forks = false; break;
		case OPT_NO_KEEP_IPC_LOCK: o->shim.keep_ipc_lock = false; break;
		case 'v': o->shim.verbose = true; break;
		case 'h': signal(SIGPIPE, SIG_IGN); help(); exit_printed("--help");
		case OPT_MIN_HEADROOM:
			if (!parse_size(optarg, false, &size) || size > (UINT64_MAX >> 1))
				return usage_error("exec", usage, "--min-headroom: '%s' is not a size (e.g. 64M)", optarg);
			h->lock_config.min_headroom = size;
			break;
		case OPT_PREFAULT:
			if (!parse_size(optarg, false, &size) || size > DM_EXEC_PREFAULT_MAX)
				return usage_error("exec", usage, "--prefault-stack: '%s' is not a size up to %zuM",
						   optarg, DM_EXEC_PREFAULT_MAX >> 20);
			h->prefault_stack = (size_t)size;
			break;
		case OPT_MEMLOCK:
			if (!parse_size(optarg, true, &o->memlock))
				return usage_error("exec", usage, "--memlock: '%s' is not a size (e.g. 64M) or 'unlimited'", optarg);
			o->memlock_set = true;
			break;
		case OPT_OOM: {
			int rc = parse_oom_score_adj("exec", usage, optarg, &h->oom_score_adj);

			if (rc)
				return rc;
			h->set_oom_score_adj = true;
			break;
		}
		case '?':
		default:
			return usage_error("exec", usage, "unknown option '%s', or a missing or "
					   "unexpected value", argv[optind - 1]);
		}
	}
	if (o->shim.inherit && !o->shim.follow_forks)
		return usage_error("exec", usage, "--inherit and --no-follow-forks exclude each other");
	if (h->lock_config.precise && h->lock_config.onfault)
		return usage_error("exec", usage, "--precise and --onfault exclude each other: --precise "
				   "populates what it locks");
	if (o->current_only && o->future_only)
		return usage_error("exec", usage, "--current-only and --future-only exclude each other");
	if (o->current_only)
		h->lock_config.future = false;
	if (o->future_only)
		h->lock_config.current = false;
	if (optind >= argc)
		return usage_error("exec", usage, "no PROGRAM given");
	return 0;
}

/* A step run here, before execve, under the shim's failure policy. */
static bool step_here(const struct exec_opts *o, enum duende_mlock_step step, int rc, uint64_t value)
{
	char line[1024];
	bool stop = rc && duende_mlock_step_is_required(&o->shim.harden, step);

	duende_mlock_explain_step(step, rc, value, line, sizeof(line));
	if (rc || o->shim.verbose)
		say("exec", "%s%s", rc && !stop ? "warning: " : "", line);
	if (stop)
		say("exec", "not starting the program (use --best-effort to run it anyway)");
	return !stop;
}

/* Where PROGRAM can drop privileges (it calls setuid or capset) and the
 * limit exec leaves it cannot be raised, the shim's rule for the drop
 * (dm_drop_plan) says what PROGRAM will meet there: nothing to say when
 * the shim keeps CAP_IPC_LOCK through it, a finding when it will stop or
 * run on short. Not said for a program that cannot drop: it is no news. */
static void note_drop(const struct exec_opts *o, const struct program_check *prog, int raise_rc,
		      uint64_t hard)
{
	struct duende_mlock_report self;
	enum dm_drop_plan plan;
	char line[1024];
	const char *slash = strrchr(prog->image.file, '/');

	if (duende_mlock_program_drops_privileges(prog->image.file) != 1 ||
	    duende_mlock_report_pid(0, &self) != 0)
		return;
	/* What PROGRAM inherits: this process's capability and, unraised,
	 * a hard limit below any lock with headroom. */
	plan = dm_drop_plan(&o->shim, true, false, self.cap_ipc_lock, true);
	if (plan != DM_DROP_STOP && plan != DM_DROP_UNSOUND)
		return;
	duende_mlock_explain_step(DUENDE_MLOCK_STEP_RAISE_MEMLOCK, raise_rc, hard, line, sizeof(line));
	slash = slash ? slash + 1 : prog->image.file;
	/* say() escapes it. */
	say("exec", "note: %s can drop privileges (it calls setuid or capset), and %s: if it "
	    "does, %s. %s", slash,
	    o->shim.keep_ipc_lock ? "CAP_IPC_LOCK cannot be kept for it"
				  : "CAP_IPC_LOCK is not kept for it (--no-keep-ipc-lock)",
	    plan == DM_DROP_STOP ? "it is stopped there with exit status 120 and the reason"
				 : "it runs on under the limit, and its allocations beyond it fail",
	    line);
}

/* RLIMIT_MEMLOCK is what PROGRAM keeps across execve: raised as far as
 * this process may, so that a PROGRAM that drops root (and CAP_IPC_LOCK
 * with it) stays locked; where it may not, the shim keeps CAP_IPC_LOCK
 * through the drop, and only where it will not is there something to say
 * now (note_drop), not when the dropped daemon's next thread fails. */
static int set_memlock(const struct exec_opts *o, const struct program_check *prog)
{
	struct duende_mlock_report self;
	uint64_t target = o->memlock_set ? o->memlock : DM_EXEC_MEMLOCK_DEFAULT;
	bool known = duende_mlock_report_pid(0, &self) == 0 && (self.known & DUENDE_MLOCK_R_LIMITS);
	int rc = duende_mlock_set_memlock_limit(target);
	/* For a refused raise, the words name the hard limit that stays. */
	uint64_t shown = rc == 0 || !known ? target : self.memlock_hard;

	if (o->memlock_set)
		return step_here(o, DUENDE_MLOCK_STEP_RAISE_MEMLOCK, rc, shown) ? 0 : DM_EXIT_LOCK_FAILED;
	if (rc == 0) {
		if (o->shim.verbose)
			step_here(o, DUENDE_MLOCK_STEP_RAISE_MEMLOCK, 0, target);
		return 0;
	}
	if (known && self.memlock_hard != DUENDE_MLOCK_UNLIMITED)
		note_drop(o, prog, rc, shown);
	return 0;
}

/* memory.swap.max 0 for this process's cgroup, which PROGRAM runs in.
 * Like every step exec is asked for, it stops PROGRAM when it fails,
 * unless --best-effort. */
static int set_no_swap(const struct exec_opts *o)
{
	char line[1024];
	int rc = duende_mlock_cgroup_no_swap(0);
	bool stop = rc && o->shim.harden.lock_config.required;

	duende_mlock_cgroup_no_swap_explain(rc, line, sizeof(line));
	if (rc || o->shim.verbose)
		say("exec", "%s%s", rc && !stop ? "warning: " : "", line);
	if (stop) {
		say("exec", "not starting the program (use --best-effort to run it anyway)");
		return DM_EXIT_LOCK_FAILED;
	}
	return 0;
}

/* ---- the traced path: PROGRAM no loader preloads into ---- */

/* Where the tracer's lines go. It has no stderr of its own (its stdio is
 * /dev/null); it writes to PROGRAM's fd 2 only while that is still the
 * file exec was started with (a program that opened a data file as fd 2
 * gets none of them), else to the system log. Until PROGRAM's first lock
 * is settled it holds a dup of that stderr, which it can write where it
 * could not reopen /proc/PID/fd/2 (another user's pipe or terminal). No
 * write may block: a tracee may be stopped while the tracer writes, and a
 * reader of PROGRAM's stderr that does not read must not freeze it. */
struct tracer_out {
	bool known;       /* the identity below was read */
	dev_t dev;
	ino_t ino;
	int early;        /* dup of exec's stderr, -1 once the first lock is settled */
	unsigned dropped; /* lines not written: the output was not writable */
};

/* The process that traces this one (a debugger, strace), 0 for none;
 * its command name in name (raw, as the kernel holds it). */
static pid_t my_tracer(char *name, size_t size)
{
	char line[256], path[64];
	long pid = 0;
	FILE *f = fopen("/proc/self/status", "re");

	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "TracerPid:", 10) == 0)
			pid = strtol(line + 10, NULL, 10);
	if (f)
		fclose(f);
	snprintf(name, size, "?");
	snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
	f = pid > 0 ? fopen(path, "re") : NULL;
	if (f && fgets(name, (int)size, f))
		name[strcspn(name, "\n")] = '\0';
	if (f)
		fclose(f);
	return (pid_t)pid;
}

struct tracer_ctx {
	bool verbose;
	pid_t program;
	int ready_fd;
	const char *name;
	struct tracer_out out;
};

/* Writes the whole line if fd takes it now, without waiting: a line
 * shorter than PIPE_BUF goes into a pipe whole or not at all. */
static bool write_now(int fd, const char *line, size_t len)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };

	if (poll(&p, 1, 0) != 1 || !(p.revents & POLLOUT))
		return false;
	return write(fd, line, len) == (ssize_t)len;
}

/* 1 written, 0 dropped (not writable now), -1 no way to PROGRAM's
 * stderr (the caller logs it instead). */
static int write_line(struct tracer_out *out, pid_t pid, const char *line, size_t len)
{
	char path[64], note[128];
	struct stat st;
	int fd = out->early, rc;

	if (fd < 0) {
		snprintf(path, sizeof(path), "/proc/%d/fd/2", (int)pid);
		if (!out->known || stat(path, &st) != 0 || st.st_dev != out->dev || st.st_ino != out->ino)
			return -1;
		/* A private open: O_NONBLOCK on it leaves PROGRAM's own
		 * description as it was. Checked before (no other file is
		 * opened at all) and after (PROGRAM may have changed it). */
		fd = open(path, O_WRONLY | O_APPEND | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
		if (fd < 0)
			return -1;
		if (fstat(fd, &st) != 0 || st.st_dev != out->dev || st.st_ino != out->ino) {
			close(fd);
			return -1;
		}
	}
	if (out->dropped) {
		int n = snprintf(note, sizeof(note), "%s: exec: %u line(s) not written: the "
				 "output was not read in time\n", cli_name, out->dropped);
		if (!write_now(fd, note, (size_t)n)) {
			rc = 0;
			goto done;
		}
		out->dropped = 0;
	}
	rc = write_now(fd, line, len) ? 1 : 0;
done:
	if (fd != out->early)
		close(fd);
	if (rc == 0)
		out->dropped++;
	return rc;
}

/* A line on PROGRAM's stderr while it is the one exec was started with,
 * else in the system log. */
static void tell(struct tracer_ctx *c, pid_t pid, int priority, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void tell(struct tracer_ctx *c, pid_t pid, int priority, const char *fmt, ...)
{
	char text[2048], line[PIPE_BUF];
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	n = snprintf(line, sizeof(line), "%s: exec: %s\n", cli_name, text);
	if (n < 0)
		return;
	if (n >= (int)sizeof(line)) {
		n = (int)sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	if (write_line(&c->out, pid, line, (size_t)n) < 0)
		syslog(priority, "exec: %s", text);
}

/* PROGRAM's first lock is settled: the dup of exec's stderr is let go,
 * so the tracer does not hold a reader of it waiting for PROGRAM's life. */
static void first_lock_settled(struct tracer_ctx *c, pid_t pid)
{
	if (pid == c->program && c->out.early >= 0) {
		close(c->out.early);
		c->out.early = -1;
	}
}

static void tracer_event(const struct duende_mlock_follow_event *ev, void *ctx)
{
	struct tracer_ctx *c = ctx;
	char size[32], line[1024];

	switch (ev->kind) {
	case DUENDE_MLOCK_FOLLOW_ATTACHED:
		(void)!write(c->ready_fd, "R", 1);
		close(c->ready_fd);
		c->ready_fd = -1;
		break;
	case DUENDE_MLOCK_FOLLOW_LOCKED_EXEC:
		if (c->verbose)
			tell(c, ev->pid, LOG_INFO, "process %d locked by tracing at its first instruction "
			     "(%s)", (int)ev->pid, fmt_bytes(ev->bytes_locked, size, sizeof(size)));
		first_lock_settled(c, ev->pid);
		break;
	case DUENDE_MLOCK_FOLLOW_LOCKED_CHILD:
		if (c->verbose)
			tell(c, ev->pid, LOG_INFO, "process %d: forked from %d, locked %s before it ran",
			     (int)ev->pid, (int)ev->parent, fmt_bytes(ev->bytes_locked, size, sizeof(size)));
		break;
	case DUENDE_MLOCK_FOLLOW_LOCKED_RUNNING:
		break;
	case DUENDE_MLOCK_FOLLOW_HELPER:
		if (c->verbose)
			tell(c, ev->pid, LOG_INFO, "process %d exec'd another program (a helper), left "
			     "unlocked", (int)ev->pid);
		break;
	case DUENDE_MLOCK_FOLLOW_LOCK_FAILED:
		duende_mlock_explain(&ev->status, line, sizeof(line));
		tell(c, ev->pid, LOG_WARNING, "warning: process %d runs without a memory lock: %s",
		     (int)ev->pid, line);
		first_lock_settled(c, ev->pid);
		break;
	case DUENDE_MLOCK_FOLLOW_UNTRACKED:
		tell(c, ev->pid, LOG_WARNING, "warning: task %d is past the %d tasks one follow keeps track "
		     "of: it runs unlocked and unfollowed", (int)ev->pid, DUENDE_MLOCK_FOLLOW_MAX);
		break;
	case DUENDE_MLOCK_FOLLOW_ENDING_UNLOCKED:
		duende_mlock_explain(&ev->status, line, sizeof(line));
		tell(c, ev->pid, LOG_ERR, "process %d (%s) cannot be locked: %s; it is ended before it "
		     "runs (exit status %d; use --best-effort to run it anyway)", (int)ev->pid,
		     c->name, line, DUENDE_MLOCK_FOLLOW_EXIT_UNLOCKED);
		first_lock_settled(c, ev->pid);
		break;
	}
}

/* Closes every descriptor above 2 but those in keep (ascending): the
 * tracer stays for PROGRAM's life and must hold nothing it inherited. */
static bool close_ranges(const int *keep, int n)
{
#ifdef SYS_close_range
	unsigned lo = 3;

	for (int i = 0; i < n; i++) {
		if ((unsigned)keep[i] < lo)
			continue;
		if ((unsigned)keep[i] > lo && syscall(SYS_close_range, lo, (unsigned)keep[i] - 1, 0) != 0)
			return false;
		lo = (unsigned)keep[i] + 1;
	}
	return syscall(SYS_close_range, lo, ~0U, 0) == 0;
#else
	(void)keep;
	(void)n;
	return false;
#endif
}

static void close_inherited(const int *keep, int n)
{
	struct rlimit nofile;
	DIR *d;

	if (close_ranges(keep, n))
		return;
	d = opendir("/proc/self/fd");
	if (d) {
		struct dirent *e;
		bool closed = true;

		/* Closing while reading the directory: read it again until
		 * a pass closes nothing. */
		while (closed) {
			closed = false;
			rewinddir(d);
			while ((e = readdir(d))) {
				int fd = atoi(e->d_name), k = 0;

				while (k < n && keep[k] != fd)
					k++;
				if (fd > 2 && fd != dirfd(d) && k == n && close(fd) == 0)
					closed = true;
			}
		}
		closedir(d);
		return;
	}
	if (getrlimit(RLIMIT_NOFILE, &nofile) != 0 || nofile.rlim_cur == RLIM_INFINITY ||
	    nofile.rlim_cur > INT_MAX)
		nofile.rlim_cur = 1u << 20;
	for (int fd = 3; fd < (int)nofile.rlim_cur; fd++) {
		int k = 0;

		while (k < n && keep[k] != fd)
			k++;
		if (k == n)
			close(fd);
	}
}

static void sort_fds(int *fds, int n)
{
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && fds[j - 1] > fds[j]; j--) {
			int t = fds[j];
			fds[j] = fds[j - 1];
			fds[j - 1] = t;
		}
}

/* The tracer: exec's grandchild, so that PROGRAM (exec's own process,
 * after execve) never meets it in its wait() loop. Its own session, its
 * stdio on /dev/null (a pipe it held would keep a reader of PROGRAM's
 * output waiting; it keeps a dup of exec's stderr only until PROGRAM's
 * first lock is settled); it locks itself and follows PROGRAM until its
 * tree ends. */
static void __attribute__((noreturn)) run_tracer(const struct exec_opts *o, pid_t program,
						  const char *name, int up, int down)
{
	struct duende_mlock_follow_config c = DUENDE_MLOCK_FOLLOW_CONFIG_INIT;
	struct duende_mlock_config self = DUENDE_MLOCK_CONFIG_INIT;
	struct tracer_ctx ctx = { o->shim.verbose, program, up, name, { false, 0, 0, -1, 0 } };
	pid_t me = getpid();
	struct stat st;
	char go;
	int keep[3], nkeep = 0;
	int nul = open("/dev/null", O_RDWR | O_CLOEXEC);

	setsid();
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	/* exec's stderr, which PROGRAM starts with: its identity (a pipe's
	 * and a socket's too), and a dup for the first lock's words. */
	if (fstat(2, &st) == 0) {
		ctx.out.known = true;
		ctx.out.dev = st.st_dev;
		ctx.out.ino = st.st_ino;
		ctx.out.early = fcntl(2, F_DUPFD_CLOEXEC, 3);
	}
	if (nul >= 0) {
		dup2(nul, 0);
		dup2(nul, 1);
		dup2(nul, 2);
		close(nul);
	}
	keep[nkeep++] = up;
	keep[nkeep++] = down;
	if (ctx.out.early >= 0)
		keep[nkeep++] = ctx.out.early;
	sort_fds(keep, nkeep);
	close_inherited(keep, nkeep);
	openlog(cli_name, LOG_PID, LOG_DAEMON);
	if (write(up, &me, sizeof(me)) != (ssize_t)sizeof(me) || read(down, &go, 1) != 1)
		_exit(1);
	close(down);
	self.lean = true;
	self.required = false;
	if (duende_mlock_lock_with_config(&self, NULL) != 0)
		syslog(LOG_WARNING, "exec: the tracer of process %d is not locked itself", (int)program);
	c.lock = o->shim.harden.lock_config;
	c.await_exec = true;
	c.end_unlocked = c.lock.required;
	c.once = !o->shim.follow_forks;
	int rc = duende_mlock_follow(&program, 1, &c,
				     DUENDE_MLOCK_SIGNAL_BIT(SIGTERM) | DUENDE_MLOCK_SIGNAL_BIT(SIGINT),
				     tracer_event, &ctx);
	if (ctx.out.early >= 0)
		close(ctx.out.early);
	if (rc < 0 && ctx.ready_fd >= 0) {
		(void)!write(up, "E", 1);
		(void)!write(up, &rc, sizeof(rc));
	}
	_exit(0);
}

/* What the traced path cannot do, said before anything runs. */
static const char *untraceable_option(const struct exec_opts *o)
{
	const struct duende_mlock_harden_config *h = &o->shim.harden;

	if (h->lock_config.lean)
		return "--lean";
	if (h->lock_config.precise)
		return "--precise";
	if (h->malloc_keep)
		return "--malloc-keep";
	if (o->shim.inherit)
		return "--inherit";
	return NULL;
}

static int exec_traced(const struct exec_opts *o, const struct program_check *prog, char **pargv)
{
	const char *opt = untraceable_option(o);
	const char *name = strrchr(prog->path, '/');
	int up[2], down[2], status;
	pid_t program = getpid(), tracer = 0, c;
	char shown[256], dname[64];

	name = name ? name + 1 : prog->path;
	duende_mlock_escape(name, strlen(name), shown, sizeof(shown));
	if (opt) {
		say("exec", "%s; and %s needs the preload library, so it cannot be done for it: run "
		    "it without %s", prog->reason, opt, opt);
		return EXIT_REFUSED;
	}
	if (prog->secure && !holds_cap_sys_ptrace()) {
		say("exec", "%s; tracing it instead needs CAP_SYS_PTRACE, without which the kernel "
		    "would run it without its privileges: run duende-mlock exec as root", prog->reason);
		return EXIT_REFUSED;
	}
	if (o->shim.verbose)
		say("exec", "%s: the preload cannot lock it (%s); locking it by tracing instead, at "
		    "its first instruction", name, prog->reason);
	/* Inherited through execve by PROGRAM and what it forks. */
	if (o->shim.harden.io_flusher &&
	    !step_here(o, DUENDE_MLOCK_STEP_IO_FLUSHER, duende_mlock_set_io_flusher(), 1))
		return DM_EXIT_LOCK_FAILED;
	if (o->shim.harden.set_oom_score_adj &&
	    !step_here(o, DUENDE_MLOCK_STEP_OOM_SCORE_ADJ,
		       duende_mlock_set_oom_score_adj(o->shim.harden.oom_score_adj),
		       (uint64_t)(int64_t)o->shim.harden.oom_score_adj))
		return DM_EXIT_LOCK_FAILED;
	if (pipe2(up, O_CLOEXEC) != 0 || pipe2(down, O_CLOEXEC) != 0) {
		say("exec", "cannot start the tracer: %s", strerror(errno));
		return EXIT_INTERNAL;
	}
	fflush(NULL);
	c = fork();
	if (c == 0) {
		pid_t g = fork();

		if (g != 0)
			_exit(g < 0 ? 1 : 0);
		close(up[0]);
		close(down[1]);
		run_tracer(o, program, shown, up[1], down[0]);
	}
	close(up[1]);
	close(down[0]);
	if (c < 0 || waitpid(c, &status, 0) != c || !WIFEXITED(status) || WEXITSTATUS(status) ||
	    read(up[0], &tracer, sizeof(tracer)) != (ssize_t)sizeof(tracer)) {
		say("exec", "cannot start the tracer: %s", c < 0 ? strerror(errno) : "it did not start");
		return EXIT_INTERNAL;
	}
	/* Yama (ptrace_scope 1) lets only a process's ancestors trace it,
	 * unless it names its tracer; EINVAL where Yama is not built. */
	(void)prctl(PR_SET_PTRACER, (unsigned long)tracer, 0, 0, 0);
	char r = 0;
	int rc = 0;
	if (write(down[1], "G", 1) != 1 || read(up[0], &r, 1) != 1 || r != 'R') {
		pid_t debugger = my_tracer(dname, sizeof(dname));

		if (r == 'E' && read(up[0], &rc, sizeof(rc)) == (ssize_t)sizeof(rc) && debugger > 0)
			say("exec", "cannot trace %s to lock it: it is traced by process %d (%s), and a "
			    "process has one tracer at a time, so a traced program cannot be locked by "
			    "tracing: start it without the debugger, or preload a dynamic build of it",
			    name, (int)debugger, dname);
		else if (r == 'E')
			say("exec", "cannot trace %s to lock it: %s", name, strerror(-rc));
		else
			say("exec", "cannot trace %s to lock it: the tracer ended", name);
		if (o->shim.harden.lock_config.required) {
			say("exec", "not starting the program (use --best-effort to run it anyway)");
			return DM_EXIT_LOCK_FAILED;
		}
		say("exec", "warning: running %s without a memory lock", name);
	}
	close(up[0]);
	close(down[1]);
	execv(prog->path, pargv);
	rc = errno;
	say("exec", "%s: %s", prog->path, strerror(rc));
	return rc == ENOENT ? EXIT_NOT_FOUND : EXIT_NOT_EXECUTABLE;
}

int cmd_exec(int argc, char **argv)
{
	struct exec_opts o;
	struct program_check prog;
	const char *shim = preload_library();
	int rc;

	memset(&o, 0, sizeof(o));
	rc = parse_options(argc, argv, &o);
	if (rc)
		return rc;
	char **pargv = argv + optind;

	rc = check_command(pargv, &prog);
	/* What no loader preloads into is locked by tracing instead. */
	bool traced = rc == EXIT_REFUSED;
	if (rc && !traced) {
		say("exec", "%s", prog.reason);
		return rc;
	}
	rc = traced ? 0 : check_preload(shim, &prog, prog.reason, sizeof(prog.reason));
	if (rc) {
		say("exec", "%s", prog.reason);
		return rc;
	}
	rc = set_memlock(&o, &prog);
	if (rc)
		return rc;
	rc = o.no_swap ? set_no_swap(&o) : 0;
	if (rc)
		return rc;
	if (traced)
		return exec_traced(&o, &prog, pargv);
	if (o.shim.verbose)
		say("exec", "locking %s through the preload library, before its main()",
		    prog.path);
	/* execve keeps this PID: PROGRAM is the leader of its exec chain. The
	 * shim cannot record it itself, since many programs (bash among them)
	 * pass on the environment they were started with, not the one a
	 * constructor changed. */
	o.shim.leader = getpid();
	rc = export_preload(shim, &o.shim);
	if (rc) {
		say("exec", "cannot set the environment: %s", strerror(-rc));
		return EXIT_INTERNAL;
	}
	execv(prog.path, pargv);
	rc = errno;
	say("exec", "%s: %s", prog.path, strerror(rc));
	return rc == ENOENT ? EXIT_NOT_FOUND : EXIT_NOT_EXECUTABLE;
}
