/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* duende-mlock exec: run PROGRAM with its memory locked by the preload
 * shim. This command checks PROGRAM and its options, hands the settings
 * to the shim and execs PROGRAM; every step runs inside PROGRAM. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
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
	       "  --current-only         lock only what is mapped at start\n"
	       "  --future-only          lock only what is mapped later\n"
	       "  --min-headroom SIZE    refuse unless SIZE more could still be locked\n"
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
	       "  --inherit              lock every program PROGRAM's children exec, too (by\n"
	       "                         default only PROGRAM, the programs it execs in its own\n"
	       "                         process, and its forked children are locked)\n"
	       "  -v, --verbose          report each step on stderr\n"
	       "  -h, --help             this help\n\n"
	       "Exit status: PROGRAM's own; %d lock or requested step failed (PROGRAM did not\n"
	       "run); %d PROGRAM cannot be locked by preloading (static, set-ID, file\n"
	       "capabilities); %d duende-mlock could not go on; %d not executable; %d not\n"
	       "found; %d usage error.\n"
	       "SIZE takes K, M, G suffixes (binary). The preload library is looked up at\n"
	       "$DUENDE_MLOCK_PRELOAD, else %s.\n",
	       cli_name, usage, DM_EXIT_LOCK_FAILED, DUENDE_MLOCK_OOM_SCORE_ADJ_MIN,
	       DUENDE_MLOCK_OOM_SCORE_ADJ_MAX, DM_EXEC_PREFAULT_MAX >> 20, DM_EXIT_LOCK_FAILED,
	       EXIT_REFUSED, EXIT_INTERNAL,
	       EXIT_NOT_EXECUTABLE, EXIT_NOT_FOUND, EXIT_USAGE, DUENDE_MLOCK_PRELOAD_PATH);
}

struct exec_opts {
	struct dm_exec_settings shim;
	bool current_only, future_only;
	bool memlock_set;
	uint64_t memlock;
};

enum {
	OPT_ONFAULT = 256, OPT_LEAN, OPT_BEST_EFFORT, OPT_CURRENT_ONLY, OPT_FUTURE_ONLY,
	OPT_MIN_HEADROOM, OPT_OOM, OPT_IO_FLUSHER, OPT_MALLOC_KEEP, OPT_PREFAULT,
	OPT_NO_RAISE, OPT_INHERIT, OPT_MEMLOCK, OPT_NO_FOLLOW_FORKS,
};

static int parse_options(int argc, char **argv, struct exec_opts *o)
{
	static const struct option opts[] = {
		{ "onfault", no_argument, NULL, OPT_ONFAULT },
		{ "lean", no_argument, NULL, OPT_LEAN },
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
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0, 0, 0, 0 },
	};
	long n;
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
		case OPT_BEST_EFFORT: h->lock_config.required = false; break;
		case OPT_CURRENT_ONLY: o->current_only = true; break;
		case OPT_FUTURE_ONLY: o->future_only = true; break;
		case OPT_IO_FLUSHER: h->io_flusher = true; break;
		case OPT_MALLOC_KEEP: h->malloc_keep = true; break;
		case OPT_NO_RAISE: h->raise_memlock = false; break;
		case OPT_INHERIT: o->shim.inherit = true; break;
		case OPT_NO_FOLLOW_FORKS: o->shim.follow_forks = false; break;
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
		case OPT_OOM:
			if (!parse_int(optarg, DUENDE_MLOCK_OOM_SCORE_ADJ_MIN, DUENDE_MLOCK_OOM_SCORE_ADJ_MAX, &n))
				return usage_error("exec", usage, "--oom-score-adj: '%s' is not a number from %d to %d",
						   optarg, DUENDE_MLOCK_OOM_SCORE_ADJ_MIN,
						   DUENDE_MLOCK_OOM_SCORE_ADJ_MAX);
			h->set_oom_score_adj = true;
			h->oom_score_adj = (int)n;
			break;
		case '?':
		default:
			return usage_error("exec", usage, "unknown option '%s', or a missing or "
					   "unexpected value", argv[optind - 1]);
		}
	}
	if (o->shim.inherit && !o->shim.follow_forks)
		return usage_error("exec", usage, "--inherit and --no-follow-forks exclude each other");
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

/* RLIMIT_MEMLOCK is what PROGRAM keeps across execve: raised as far as
 * this process may, so that a PROGRAM that drops root (and CAP_IPC_LOCK
 * with it) stays locked; where it may not, say so now, not when the
 * dropped daemon's next thread fails to start. */
static int set_memlock(const struct exec_opts *o)
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
	/* Only a process that holds CAP_IPC_LOCK now has something to lose. */
	if (known && self.cap_ipc_lock && self.memlock_hard != DUENDE_MLOCK_UNLIMITED) {
		char line[1024];

		duende_mlock_explain_step(DUENDE_MLOCK_STEP_RAISE_MEMLOCK, rc, shown, line, sizeof(line));
		say("exec", "note: %s", line);
	}
	return 0;
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
	if (rc) {
		say("exec", "%s", prog.reason);
		return rc;
	}
	rc = check_preload(shim, &prog, prog.reason, sizeof(prog.reason));
	if (rc) {
		say("exec", "%s", prog.reason);
		return rc;
	}
	rc = set_memlock(&o);
	if (rc)
		return rc;
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
