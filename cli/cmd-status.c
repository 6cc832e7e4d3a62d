/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* duende-mlock status: the lock state of processes, as a table, JSON, or
 * Prometheus text for node_exporter's textfile collector. This file reads
 * the command line and runs the jobs of status.h in turn; what went wrong
 * per process is said here, on stderr, whatever the format. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"

static const char usage[] =
	"status [--json | --prometheus] [--output FILE] [--expect SPEC]... [PID...]";

enum format { TABLE, JSON, PROMETHEUS };

static void help(void)
{
	printf("usage: %s %s\n"
	       "Lock state of each PID, or of every process that has locked memory or serves\n"
	       "a swap area from user space (locked or not), and of the daemons expected to\n"
	       "be locked.\n\n"
	       "  --json                    one JSON document\n"
	       "  --prometheus              Prometheus text format (node_exporter textfile collector)\n"
	       "  --output FILE             write FILE atomically (temporary file, fsync, rename)\n"
	       "  --expect SPEC             a daemon that must be locked; reported even when it is\n"
	       "                            not locked or not running. SPEC: name:COMM,\n"
	       "                            pidfile:PATH, unit:UNIT or cgroup:PATH\n"
	       "  --expect-io-flusher SPEC  the same, and every thread must have PR_SET_IO_FLUSHER\n"
	       "  -h, --help                this help\n\n"
	       "Columns: PINNED is the resident memory inside locked mappings, what the lock\n"
	       "keeps out of swap; PIN%% is PINNED of RSS; LOCKED-SPACE is VmLck, the locked\n"
	       "address space (whole locked mappings, reservations never touched included),\n"
	       "which RLIMIT_MEMLOCK counts; MAPS counts locked, lock-on-fault and all\n"
	       "mappings; HEADROOM is what RLIMIT_MEMLOCK still allows; IOFL the threads\n"
	       "with PR_SET_IO_FLUSHER; D the threads in uninterruptible sleep; OOM is\n"
	       "oom_score_adj; SERVES the swap devices it serves. Names are shown with C escapes.\n"
	       "Exit status: 0 every process was read in full, every expected daemon is\n"
	       "locked and, without PID, every user-space swap area is protected; 1 not;\n"
	       "%d the output could not be written; %d usage error.\n",
	       cli_name, usage, EXIT_IO, EXIT_USAGE);
}

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
	if (rc == 0 && (rc = status_select(s, argv + optind, argc - optind, &bad)) == -EINVAL) {
		rc = usage_error("status", usage, "--expect: '%s' is not name:COMM, pidfile:/PATH, "
				 "unit:UNIT.service or cgroup:/PATH", bad);
	} else if (rc < 0) {
		fprintf(stderr, "%s: status: cannot list processes: %s\n", cli_name, duende_mlock_strerror(rc));
		rc = EXIT_INTERNAL;
	}
	if (rc == 0) {
		status_read(s);
		status_judge(s);
		rc = output_open(&out, "status", o.output);
	}
	if (rc == 0) {
		if (o.fmt == TABLE)
			status_table(out.f, s);
		else if (o.fmt == JSON)
			status_json(out.f, s);
		else
			status_prometheus(out.f, s);
		report_errors(s);
		rc = output_close(&out, "status");
		if (rc == 0 && !status_all_fine(s))
			rc = 1;
	}
	free(s->e);
	free(s->specs);
	free(s);
	return rc;
}
