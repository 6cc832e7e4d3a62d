/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* duende-mlock exec: run PROGRAM with its memory locked by the preload
 * shim. What is inherited across execve (rlimit, IO_FLUSHER,
 * oom_score_adj) is set here; the lock is taken inside PROGRAM. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "duende-mlock.h"
#include "program.h"
#include "src/exec-settings.h"

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
	       "  --oom-score-adj N      set oom_score_adj (-1000..1000), inherited\n"
	       "  --io-flusher           PR_SET_IO_FLUSHER (needs CAP_SYS_RESOURCE), inherited\n"
	       "  --malloc-keep          glibc keeps freed memory (no trim, no mmap)\n"
	       "  --prefault-stack SIZE  touch SIZE of the main thread's stack after locking\n"
	       "  --no-raise-memlock     keep the soft RLIMIT_MEMLOCK (default: raise to hard)\n"
	       "  --inherit              lock PROGRAM's children too (keep the preload)\n"
	       "  -v, --verbose          report each step on stderr\n"
	       "  -h, --help             this help\n\n"
	       "Exit status: PROGRAM's own; %d lock or requested step failed (PROGRAM did not\n"
	       "run); %d PROGRAM cannot be locked by preloading (static, set-ID, file\n"
	       "capabilities); %d duende-mlock could not go on; %d not executable; %d not\n"
	       "found; %d usage error.\n"
	       "SIZE takes K, M, G suffixes (binary). The preload library is looked up at\n"
	       "$DUENDE_MLOCK_PRELOAD, else %s.\n",
	       cli_name, usage, EXIT_LOCK_FAILED, EXIT_LOCK_FAILED, EXIT_REFUSED, EXIT_INTERNAL,
	       EXIT_NOT_EXECUTABLE, EXIT_NOT_FOUND, EXIT_USAGE, DUENDE_MLOCK_PRELOAD_PATH);
}

struct exec_opts {
	struct dm_exec_settings shim;
	bool raise_memlock;
	bool io_flusher;
	bool set_oom;
	int oom_score_adj;
	bool current_only, future_only;
};

enum {
	OPT_ONFAULT = 256, OPT_LEAN, OPT_BEST_EFFORT, OPT_CURRENT_ONLY, OPT_FUTURE_ONLY,
	OPT_MIN_HEADROOM, OPT_OOM, OPT_IO_FLUSHER, OPT_MALLOC_KEEP, OPT_PREFAULT,
	OPT_NO_RAISE, OPT_INHERIT,
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
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0, 0, 0, 0 },
	};
	long n;
	uint64_t size;
	int c;

	dm_exec_settings_init(&o->shim);
	o->shim.lock.current = o->shim.lock.future = true;
	o->raise_memlock = true;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+vh", opts, NULL)) != -1) {
		switch (c) {
		case OPT_ONFAULT: o->shim.lock.onfault = true; break;
		case OPT_LEAN: o->shim.lock.lean = true; break;
		case OPT_BEST_EFFORT: o->shim.lock.required = false; break;
		case OPT_CURRENT_ONLY: o->current_only = true; break;
		case OPT_FUTURE_ONLY: o->future_only = true; break;
		case OPT_IO_FLUSHER: o->io_flusher = true; break;
		case OPT_MALLOC_KEEP: o->shim.malloc_keep = true; break;
		case OPT_NO_RAISE: o->raise_memlock = false; break;
		case OPT_INHERIT: o->shim.inherit = true; break;
		case 'v': o->shim.verbose = true; break;
		case 'h': help(); exit(0);
		case OPT_MIN_HEADROOM:
			if (!parse_size(optarg, false, &size))
				return usage_error("exec", usage, "--min-headroom: '%s' is not a size (e.g. 64M)", optarg);
			o->shim.lock.min_headroom = size;
			break;
		case OPT_PREFAULT:
			if (!parse_size(optarg, false, &size) || size > (64u << 20))
				return usage_error("exec", usage, "--prefault-stack: '%s' is not a size up to 64M", optarg);
			o->shim.prefault_stack = (size_t)size;
			break;
		case OPT_OOM:
			if (!parse_int(optarg, -1000, 1000, &n))
				return usage_error("exec", usage, "--oom-score-adj: '%s' is not a number from -1000 to 1000", optarg);
			o->set_oom = true;
			o->oom_score_adj = (int)n;
			break;
		case '?':
		default:
			if (optopt && optopt < 256)
				return usage_error("exec", usage, "unknown option '-%c'", optopt);
			return usage_error("exec", usage, "unknown option '%s', or missing value",
					   argv[optind - 1]);
		}
	}
	if (o->current_only && o->future_only)
		return usage_error("exec", usage, "--current-only and --future-only exclude each other");
	if (o->current_only)
		o->shim.lock.future = false;
	if (o->future_only)
		o->shim.lock.current = false;
	if (optind >= argc)
		return usage_error("exec", usage, "no PROGRAM given");
	return 0;
}

/* A step that PROGRAM inherits. In required mode its failure stops here. */
static bool run_step(enum duende_mlock_step step, int rc, uint64_t value, const struct exec_opts *o)
{
	struct duende_mlock_step_result r = { .requested = true, .rc = rc, .value = value };
	char line[1024];

	duende_mlock_step_explain(step, &r, line, sizeof(line));
	if (rc && o->shim.lock.required) {
		fprintf(stderr, "%s: exec: %s\n%s: not starting the program (use --best-effort to run it anyway)\n",
			cli_name, line, cli_name);
		return false;
	}
	if (rc)
		fprintf(stderr, "%s: exec: warning: %s\n", cli_name, line);
	else if (o->shim.verbose)
		fprintf(stderr, "%s: exec: %s\n", cli_name, line);
	return true;
}

static int set_up_inherited(const struct exec_opts *o)
{
	if (o->raise_memlock) {
		uint64_t soft = 0;
		int rc = duende_mlock_raise_memlock(&soft);
		/* Raising soft to hard needs no privilege; a failure is odd but
		 * not fatal: the lock's own diagnosis will say what is missing. */
		struct exec_opts lenient = *o;
		lenient.shim.lock.required = false;
		run_step(DUENDE_MLOCK_STEP_RAISE_MEMLOCK, rc, soft, &lenient);
	}
	if (o->io_flusher &&
	    !run_step(DUENDE_MLOCK_STEP_IO_FLUSHER, duende_mlock_set_io_flusher(), 1, o))
		return EXIT_LOCK_FAILED;
	if (o->set_oom &&
	    !run_step(DUENDE_MLOCK_STEP_OOM_SCORE_ADJ, duende_mlock_set_oom_score_adj(o->oom_score_adj),
		      (uint64_t)(int64_t)o->oom_score_adj, o))
		return EXIT_LOCK_FAILED;
	return 0;
}

static int set_environment(const struct exec_opts *o, const char *shim)
{
	char settings[256];
	const char *old = getenv("LD_PRELOAD");
	char *preload;

	if (dm_exec_settings_format(&o->shim, settings, sizeof(settings)) >= (int)sizeof(settings))
		return -ENAMETOOLONG;
	if (setenv(DM_EXEC_SETTINGS_ENV, settings, 1) != 0)
		return -errno;
	if (asprintf(&preload, "%s%s%s", shim, old && *old ? ":" : "", old ? old : "") < 0)
		return -ENOMEM;
	int rc = setenv("LD_PRELOAD", preload, 1);
	free(preload);
	return rc ? -errno : 0;
}

int cmd_exec(int argc, char **argv)
{
	struct exec_opts o;
	struct program_check prog;
	const char *shim = getenv("DUENDE_MLOCK_PRELOAD");
	int rc;

	memset(&o, 0, sizeof(o));
	rc = parse_options(argc, argv, &o);
	if (rc)
		return rc;
	char **pargv = argv + optind;

	rc = check_program(pargv[0], &prog);
	if (rc) {
		fprintf(stderr, "%s: exec: %s\n", cli_name, prog.reason);
		return rc;
	}
	if (!shim || !*shim)
		shim = DUENDE_MLOCK_PRELOAD_PATH;
	if (shim[0] != '/' || access(shim, R_OK) != 0) {
		fprintf(stderr,
			"%s: exec: preload library %s: %s; install duende-mlock (meson install) or "
			"set DUENDE_MLOCK_PRELOAD to the absolute path of libduende-mlock-preload.so\n",
			cli_name, shim, shim[0] != '/' ? "not an absolute path" : strerror(errno));
		return EXIT_INTERNAL;
	}
	rc = set_up_inherited(&o);
	if (rc)
		return rc;
	rc = set_environment(&o, shim);
	if (rc) {
		fprintf(stderr, "%s: exec: cannot set the environment: %s\n", cli_name, strerror(-rc));
		return EXIT_INTERNAL;
	}
	execv(prog.path, pargv);
	rc = errno;
	fprintf(stderr, "%s: exec: %s: %s\n", cli_name, prog.path, strerror(rc));
	return rc == ENOENT ? EXIT_NOT_FOUND : EXIT_NOT_EXECUTABLE;
}
