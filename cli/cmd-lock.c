/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* duende-mlock lock: lock processes that already run, from outside
 * (duende_mlock_lock_pid()); each is checked locked in its /proc
 * afterwards. */
#define _GNU_SOURCE
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "duende-mlock.h"
#include "exec-settings.h"

static const char usage[] = "lock [OPTIONS] PID...";

/* Processes one invocation locks at most (each PID's tree included). */
#define LOCK_MAX 4096

static void help(void)
{
	printf("usage: %s %s\n"
	       "Lock processes that already run. Each makes the system calls itself, stopped\n"
	       "under ptrace only while they run; its memory limit is raised from outside\n"
	       "where it lacks CAP_IPC_LOCK. A process that serves swap has its resident\n"
	       "pages locked first, so nothing is read from its own device.\n\n"
	       "  --tree                 also lock the processes forked from PID that run the\n"
	       "                         same program (pre-fork workers, a daemon's child)\n"
	       "  --follow               --tree, then stay attached (locked itself) and lock\n"
	       "                         every child PID forks from now on before it runs; a\n"
	       "                         child that execs another program is a helper, left\n"
	       "                         alone. Ends when they have all ended; SIGTERM or\n"
	       "                         SIGINT detaches, leaving them running\n"
	       "  --onfault              lock pages as they are touched (MCL_ONFAULT)\n"
	       "  --precise              lock what can go to swap (anonymous and shared memory,\n"
	       "                         written private file pages) and the program's code;\n"
	       "                         leave mapped file data unpinned (mappings it makes\n"
	       "                         later are locked as they are touched)\n"
	       "  --io-flusher           PR_SET_IO_FLUSHER on every thread (needs the\n"
	       "                         process's CAP_SYS_RESOURCE)\n"
	       "  --oom-score-adj N      set its oom_score_adj (-1000..1000; lowering it needs\n"
	       "                         CAP_SYS_RESOURCE here)\n"
	       "  --no-raise-memlock     leave its RLIMIT_MEMLOCK as it is\n"
	       "  --best-effort          a failed --io-flusher or --oom-score-adj is a warning\n"
	       "  -v, --verbose          say what was done to each process\n"
	       "  -h, --help             this help\n\n"
	       "Exit status: 0 every process asked for is locked (checked in its\n"
	       "/proc/PID/status and smaps) and every requested step done; %d a process was\n"
	       "not locked, was refused (no such process, kernel thread, zombie, blocked in\n"
	       "the kernel, traced, no permission), or a requested step failed; %d\n"
	       "duende-mlock could not go on; %d usage error. PIDs are those of this PID\n"
	       "namespace.\n",
	       cli_name, usage, DM_EXIT_LOCK_FAILED, EXIT_INTERNAL, EXIT_USAGE);
}

struct lock_opts {
	struct duende_mlock_pid_config config;
	bool tree, follow, verbose, best_effort;
};

enum { OPT_TREE = 256, OPT_FOLLOW, OPT_ONFAULT, OPT_PRECISE, OPT_IO_FLUSHER, OPT_OOM, OPT_BEST_EFFORT, OPT_NO_RAISE };

static int parse_options(int argc, char **argv, struct lock_opts *o)
{
	static const struct option opts[] = {
		{ "tree", no_argument, NULL, OPT_TREE },
		{ "follow", no_argument, NULL, OPT_FOLLOW },
		{ "onfault", no_argument, NULL, OPT_ONFAULT },
		{ "precise", no_argument, NULL, OPT_PRECISE },
		{ "io-flusher", no_argument, NULL, OPT_IO_FLUSHER },
		{ "oom-score-adj", required_argument, NULL, OPT_OOM },
		{ "best-effort", no_argument, NULL, OPT_BEST_EFFORT },
		{ "no-raise-memlock", no_argument, NULL, OPT_NO_RAISE },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0, 0, 0, 0 },
	};
	static const struct duende_mlock_pid_config defaults = DUENDE_MLOCK_PID_CONFIG_INIT;
	int c;

	o->config = defaults;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+vh", opts, NULL)) != -1) {
		switch (c) {
		case OPT_TREE: o->tree = true; break;
		case OPT_FOLLOW: o->follow = o->tree = true; break;
		case OPT_ONFAULT: o->config.lock.onfault = true; break;
		case OPT_PRECISE: o->config.lock.precise = true; break;
		case OPT_IO_FLUSHER: o->config.io_flusher = true; break;
		case OPT_BEST_EFFORT: o->best_effort = true; break;
		case OPT_NO_RAISE: o->config.raise_memlock = false; break;
		case 'v': o->verbose = true; break;
		case 'h': help(); exit_printed("--help");
		case OPT_OOM: {
			int rc = parse_oom_score_adj("lock", usage, optarg, &o->config.oom_score_adj);

			if (rc)
				return rc;
			o->config.set_oom_score_adj = true;
			break;
		}
		case '?':
		default:
			return usage_error("lock", usage, "unknown option '%s', or a missing or "
					   "unexpected value", argv[optind - 1]);
		}
	}
	if (o->config.lock.precise && o->follow)
		return usage_error("lock", usage, "--precise and --follow exclude each other: a child "
				   "forked under --follow is locked as it is (lock-on-fault), its pages "
				   "its parent's");
	if (o->config.lock.precise && o->config.lock.onfault)
		return usage_error("lock", usage, "--precise and --onfault exclude each other: --precise "
				   "populates what it locks");
	if (optind >= argc)
		return usage_error("lock", usage, "no PID given");
	return 0;
}

struct targets {
	pid_t pid[LOCK_MAX];
	uint64_t start_time[LOCK_MAX];
	size_t n;
};

static void add_target(struct targets *t, pid_t pid, uint64_t start_time)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->pid[i] == pid)
			return;
	if (t->n < LOCK_MAX) {
		t->pid[t->n] = pid;
		t->start_time[t->n++] = start_time;
	}
}

/* PID and, with --tree, what it forked that runs the same program. */
static int gather(const struct lock_opts *o, pid_t pid, struct targets *t)
{
	static pid_t pids[LOCK_MAX];
	static uint64_t starts[LOCK_MAX];
	int n;

	if (!o->tree) {
		add_target(t, pid, 0);
		return 0;
	}
	n = duende_mlock_image_tree(pid, pids, starts, LOCK_MAX);
	if (n < 0) {
		/* lock_pid names why (no such process, kernel thread...) */
		add_target(t, pid, 0);
		return 0;
	}
	if ((size_t)n > LOCK_MAX) {
		say("lock", "process %d has %d processes of its program below it, more than the %d "
		    "this command locks at once", (int)pid, n, LOCK_MAX);
		return EXIT_INTERNAL;
	}
	for (int i = 0; i < n; i++)
		add_target(t, pids[i], starts[i]);
	if (o->verbose && n > 1)
		say("lock", "process %d: %d process(es) of its program below it", (int)pid, n - 1);
	return 0;
}

static int lock_one(const struct lock_opts *o, pid_t pid, uint64_t start_time)
{
	struct duende_mlock_pid_config c = o->config;
	struct duende_mlock_pid_result r;
	char text[4096], size[32];

	c.start_time = start_time;
	int rc = duende_mlock_lock_pid(pid, &c, &r, sizeof(r));
	duende_mlock_pid_explain(&r, text, sizeof(text));
	bool mappings_left;
	bool ok = lock_pid_verified(&r, rc, o->best_effort, &mappings_left);
	if (!ok) {
		/* Library text, escaped already, a step a line. */
		char prefix[64];

		snprintf(prefix, sizeof(prefix), "%s: lock: ", cli_name);
		put_lines(stderr, prefix, text);
		if (mappings_left)
			say("lock", "process %d: its /proc/%d/status or smaps shows memory left unlocked",
			    (int)pid, (int)pid);
		return DM_EXIT_LOCK_FAILED;
	}
	if (o->verbose) {
		put_lines(stdout, "", text);
		printf("process %d: %u thread(s), %u stopped, each for at most %.1f ms\n", (int)pid,
		       r.threads, r.threads_stopped, (double)r.longest_stop_ns / 1e6);
	} else {
		printf("process %d (", (int)pid);
		put_text(stdout, r.name, 0);
		printf("): locked %s\n", fmt_bytes(r.lock_status.bytes_locked, size, sizeof(size)));
		if (rc) {
			char prefix[64];

			snprintf(prefix, sizeof(prefix), "%s: lock: warning: ", cli_name);
			put_lines(stderr, prefix, text);
		}
	}
	return 0;
}

/* One line per process the follow locked or left (-v), and a warning
 * for each it could not lock, always. */
/* Said while a process may be held stopped: never waits on the reader. */
static void follow_event(const struct duende_mlock_follow_event *ev, void *ctx)
{
	const struct lock_opts *o = ctx;
	char size[32], line[1024];

	fmt_bytes(ev->bytes_locked, size, sizeof(size));
	switch (ev->kind) {
	case DUENDE_MLOCK_FOLLOW_LOCKED_CHILD:
		if (o->verbose)
			say_unblocked(1, NULL, "process %d: forked from %d, locked %s before it ran", (int)ev->pid,
				      (int)ev->parent, size);
		break;
	case DUENDE_MLOCK_FOLLOW_LOCKED_EXEC:
		if (o->verbose)
			say_unblocked(1, NULL, "process %d: exec'd the program again, locked %s at its first "
				      "instruction", (int)ev->pid, size);
		break;
	case DUENDE_MLOCK_FOLLOW_LOCKED_RUNNING:
		if (o->verbose)
			say_unblocked(1, NULL, "process %d: found unlocked, locked %s", (int)ev->pid, size);
		break;
	case DUENDE_MLOCK_FOLLOW_HELPER:
		if (o->verbose)
			say_unblocked(1, NULL, "process %d: exec'd another program (a helper), left unlocked",
				      (int)ev->pid);
		break;
	case DUENDE_MLOCK_FOLLOW_LOCK_FAILED:
	case DUENDE_MLOCK_FOLLOW_ENDING_UNLOCKED:
		duende_mlock_explain(&ev->status, line, sizeof(line));
		say_unblocked(2, "lock", "warning: process %d (forked from %d) could not be locked and runs "
			      "unlocked: %s", (int)ev->pid, (int)ev->parent, line);
		break;
	case DUENDE_MLOCK_FOLLOW_UNTRACKED:
		say_unblocked(2, "lock", "warning: task %d (of process %d's) is past the %d tasks one "
			      "follow keeps track of: it runs unlocked and unfollowed", (int)ev->pid,
			      (int)ev->parent, DUENDE_MLOCK_FOLLOW_MAX);
		break;
	case DUENDE_MLOCK_FOLLOW_ATTACHED:
		if (o->verbose)
			say_unblocked(1, NULL, "following; SIGTERM or SIGINT detaches");
		break;
	}
}

/* The follower must not wait on swap while a child it stops waits on
 * it: locked, lean (it maps little and touches less). */
static void lock_self(const struct lock_opts *o)
{
	struct duende_mlock_config c = DUENDE_MLOCK_CONFIG_INIT;
	struct duende_mlock_status st;
	char line[1024];

	c.lean = true;
	c.required = false;
	if (duende_mlock_lock_with_config(&c, &st) != 0 || !duende_mlock_status_is_locked(&st)) {
		duende_mlock_explain(&st, line, sizeof(line));
		say("lock", "warning: the follower itself is not locked: %s", line);
	} else if (o->verbose) {
		printf("the follower is locked itself (%s)\n",
		       fmt_bytes(st.bytes_locked, line, sizeof(line)));
	}
}

/* The parent of pid from its /proc/PID/stat (after the name's last ')'),
 * 0 when unknown. */
static pid_t parent_of(pid_t pid)
{
	char path[48], buf[1024];
	FILE *f;
	size_t len;
	int ppid = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	len = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[len] = '\0';
	const char *end = strrchr(buf, ')');
	if (!end || sscanf(end + 1, " %*c %d", &ppid) != 1)
		return 0;
	return (pid_t)ppid;
}

static bool is_ancestor(pid_t pid)
{
	for (pid_t p = getppid(), i = 0; p > 0 && i < 4096; p = parent_of(p), i++)
		if (p == pid)
			return true;
	return false;
}

static int follow(const struct lock_opts *o, const pid_t *pids, size_t n)
{
	struct duende_mlock_follow_config c = DUENDE_MLOCK_FOLLOW_CONFIG_INIT;
	const uint64_t stop = DUENDE_MLOCK_SIGNAL_BIT(SIGTERM) | DUENDE_MLOCK_SIGNAL_BIT(SIGINT);

	c.lock = o->config.lock;
	lock_self(o);
	fflush(stdout); /* what follows is written unbuffered */
	int rc = duende_mlock_follow(pids, n, &c, stop, follow_event, (void *)o);
	if (rc < 0) {
		say("lock", "--follow: cannot follow process %d: %s", (int)pids[0], strerror(-rc));
		return DM_EXIT_LOCK_FAILED;
	}
	if (o->verbose)
		printf(rc > 0 ? "detached on %s: every process left running\n"
			      : "every followed process has ended%.0s\n", strsignal(rc));
	return 0;
}

int cmd_lock(int argc, char **argv)
{
	static pid_t roots[LOCK_MAX];
	size_t nroots = 0;
	static struct targets t;
	struct lock_opts o;
	int rc, worst = 0;

	memset(&o, 0, sizeof(o));
	rc = parse_options(argc, argv, &o);
	if (rc)
		return rc;
	t.n = 0;
	for (int i = optind; i < argc; i++) {
		pid_t pid;

		if (!parse_pid(argv[i], &pid))
			return usage_error("lock", usage, "'%s' is not a PID", argv[i]);
		if (o.follow && is_ancestor(pid)) {
			say("lock", "--follow: process %d is this command's own parent or an ancestor: "
			    "following it would wait for its tree to end, which waits for this command; "
			    "run lock --follow from outside its tree (another shell, a unit)", (int)pid);
			return EXIT_USAGE;
		}
		if (nroots < LOCK_MAX)
			roots[nroots++] = pid;
		rc = gather(&o, pid, &t);
		if (rc)
			return rc;
	}
	for (size_t i = 0; i < t.n; i++) {
		rc = lock_one(&o, t.pid[i], t.start_time[i]);
		if (rc)
			worst = rc;
	}
	if (fflush(stdout) != 0 || ferror(stdout))
		return EXIT_IO;
	if (o.follow && !worst)
		worst = follow(&o, roots, nroots);
	return worst;
}
