/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* duende-mlock doctor: prints the library's survey of this process, of
 * PID, or of a program about to be run under exec (and the host): every
 * finding, the verdict and the fix. With --systemd-unit, the drop-in for
 * a unit. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "doctor.h"
#include "json.h"
#include "duende-mlock.h"

static const char usage[] =
	"doctor [--pid PID | --systemd-unit UNIT | -- PROGRAM [ARGS...]] [--json]";

static void help(void)
{
	printf("usage: %s %s\n"
	       "Check whether this process, PID, or PROGRAM as `duende-mlock exec` would run it\n"
	       "can lock its memory and what on this host endangers a daemon that serves swap,\n"
	       "then print the fix for this environment, each step checked against what was\n"
	       "found here.\n\n"
	       "  --pid PID            examine PID instead of the doctor itself\n"
	       "  --systemd-unit UNIT  print the drop-in that makes UNIT safe, checked with\n"
	       "                       systemd-analyze verify\n"
	       "  -- PROGRAM [ARGS]    start PROGRAM under the preload library, which examines\n"
	       "                       it where exec would lock it and stops it before main()\n"
	       "  --json               one JSON document\n"
	       "  -h, --help           this help\n\n"
	       "Exit status: %d ready, %d warnings, %d cannot lock, %d not applicable (kernel\n"
	       "thread, zombie); with --systemd-unit %d drop-in accepted, %d not checked,\n"
	       "%d rejected; %d output not written, %d usage error; for PROGRAM also exec's\n"
	       "%d, %d, %d.\n",
	       cli_name, usage, EXIT_DOCTOR_READY, EXIT_DOCTOR_WARNINGS, EXIT_DOCTOR_CANNOT_LOCK,
	       EXIT_DOCTOR_NOT_APPLICABLE, EXIT_UNIT_ACCEPTED, EXIT_UNIT_NOT_CHECKED,
	       EXIT_UNIT_REJECTED, EXIT_IO, EXIT_USAGE, EXIT_INTERNAL, EXIT_NOT_EXECUTABLE,
	       EXIT_NOT_FOUND);
}

/* The survey's verdict as doctor's exit status. */
static int exit_status(enum duende_mlock_severity verdict)
{
	switch (verdict) {
	case DUENDE_MLOCK_SEVERITY_OK: return EXIT_DOCTOR_READY;
	case DUENDE_MLOCK_SEVERITY_WARNING: return EXIT_DOCTOR_WARNINGS;
	case DUENDE_MLOCK_SEVERITY_NOT_APPLICABLE: return EXIT_DOCTOR_NOT_APPLICABLE;
	default: return EXIT_DOCTOR_CANNOT_LOCK;
	}
}

/* The library's name of a severity, for the text; a value it does not
 * name (none of its own) stays visible as such. The JSON writes null. */
static const char *severity_name(enum duende_mlock_severity v)
{
	const char *name = duende_mlock_severity_name(v);

	return name ? name : "unknown";
}

/* The verdict line: a survey with nothing against it is "ready" (what
 * exit status 0 is called); any other verdict is its severity. */
static const char *verdict_text(enum duende_mlock_severity v)
{
	return v == DUENDE_MLOCK_SEVERITY_OK ? "ready" : severity_name(v);
}

static bool wants_fix(const struct duende_mlock_survey *s)
{
	return s->verdict == DUENDE_MLOCK_SEVERITY_WARNING || s->verdict == DUENDE_MLOCK_SEVERITY_CANNOT_LOCK;
}

static void print_text(FILE *f, const struct duende_mlock_survey *s, const char *program)
{
	char line[1024], fix[4096];

	fprintf(f, "duende-mlock doctor: ");
	if (program) {
		fprintf(f, "program ");
		put_text(f, program, 0);
		fprintf(f, " as duende-mlock exec would lock it (stopped before main()), ");
	}
	fprintf(f, "PID %d (", (int)s->process.pid);
	put_text(f, s->process.name, 0);
	fprintf(f, ")");
	if (s->container[0]) {
		fprintf(f, ", container: ");
		put_text(f, s->container, 0);
	}
	fprintf(f, "\n");
	if (s->systemd_unit[0]) {
		fprintf(f, "  systemd unit: ");
		put_text(f, s->systemd_unit, 0);
		fprintf(f, "\n");
	}
	for (uint32_t i = 0; i < s->nfindings; i++) {
		duende_mlock_finding_explain(s, i, line, sizeof(line));
		fprintf(f, "  [%s] %s\n", severity_name(s->findings[i].severity), line);
	}
	fprintf(f, "Verdict: %s\n", verdict_text(s->verdict));
	if (!wants_fix(s))
		return;
	duende_mlock_survey_fix(s, fix, sizeof(fix));
	fprintf(f, "\nFix for this environment:\n");
	put_lines(f, "  ", fix);
}

static void json_cgroup(FILE *f, const struct duende_mlock_survey *s)
{
	const struct duende_mlock_cgroup *cg = &s->cgroup;

	fprintf(f, ", \"cgroup\": {\"version\": %d, \"path\": ", s->cgroup_error ? 0 : cg->version);
	put_json_string(f, s->cgroup_error ? "" : cg->path);
	fprintf(f, ", \"limit\": ");
	if (s->cgroup_error || cg->limit == UINT64_MAX)
		fprintf(f, "null");
	else
		fprintf(f, "%llu", (unsigned long long)cg->limit);
	fprintf(f, ", \"processes\": %u", s->cgroup_error ? 0 : cg->processes);
	if (!s->cgroup_error && cg->protection_known) {
		fprintf(f, ", \"memory_min\": %llu, \"memory_low\": %llu", (unsigned long long)cg->min,
			(unsigned long long)cg->low);
		json_limit(f, "memory_swap_max", cg->swap_max);
	}
	if (!s->cgroup_error && (s->flags & DUENDE_MLOCK_SURVEY_F_EFFECTIVE)) {
		/* What is in force up the ancestry. */
		json_limit(f, "effective_memory_min", cg->effective_min);
		json_limit(f, "effective_memory_low", cg->effective_low);
		json_limit(f, "effective_memory_swap_max", cg->effective_swap_max);
	}
	fprintf(f, "}");
}

static void json_swaps(FILE *f, const struct duende_mlock_survey *s)
{
	fprintf(f, ", \"swaps\": [");
	for (uint32_t i = 0; i < s->swaps.count; i++) {
		const struct duende_mlock_swap *sw = &s->swaps.area[i];
		fprintf(f, "%s{\"path\": ", i ? ", " : "");
		put_json_string(f, sw->path);
		fprintf(f, ", \"kind\": ");
		put_json_string(f, sw->kind);
		fprintf(f, ", \"size\": %llu, \"used\": %llu, \"user_space\": %s, \"backing\": ",
			(unsigned long long)sw->size, (unsigned long long)sw->used,
			sw->user_space ? "true" : "false");
		put_json_string(f, sw->backing);
		fprintf(f, ", \"servers\": [");
		for (uint32_t j = 0; j < sw->nservers && j < DUENDE_MLOCK_SWAP_SERVERS; j++)
			fprintf(f, "%s%d", j ? ", " : "", (int)sw->servers[j]);
		fprintf(f, "]}");
	}
	fprintf(f, "]");
}

static void json_findings(FILE *f, const struct duende_mlock_survey *s)
{
	char line[1024];

	fprintf(f, ", \"findings\": [");
	for (uint32_t i = 0; i < s->nfindings; i++) {
		duende_mlock_finding_explain(s, i, line, sizeof(line));
		fprintf(f, "%s{\"level\": ", i ? ", " : "");
		json_text(f, duende_mlock_severity_name(s->findings[i].severity));
		json_string(f, "code", duende_mlock_finding_name(s->findings[i].code));
		json_string(f, "text", line);
		fprintf(f, "}");
	}
	fprintf(f, "]");
}

/* The process's report as status prints it, then the survey's own
 * members. */
static void print_json(FILE *f, const struct duende_mlock_survey *s, const char *program)
{
	char fix[4096];

	fprintf(f, "{");
	json_report(f, &s->process, &s->swaps);
	json_string(f, "program", program);
	json_string(f, "verdict", duende_mlock_severity_name(s->verdict));
	fprintf(f, ", \"exit\": %d", exit_status(s->verdict));
	json_limit(f, "headroom_after_lock_bytes", s->headroom_after_lock);
	fprintf(f, ", \"kernel\": {\"mcl_onfault\": %d, \"io_flusher\": %d}", s->kernel_onfault,
		s->kernel_io_flusher);
	json_cgroup(f, s);
	json_swaps(f, s);
	if (s->min_free_bytes)
		fprintf(f, ", \"min_free_bytes\": %llu", (unsigned long long)s->min_free_bytes);
	json_string(f, "container", s->container);
	json_string(f, "systemd_unit", s->systemd_unit);
	json_findings(f, s);
	if (wants_fix(s))
		duende_mlock_survey_fix(s, fix, sizeof(fix));
	else
		fix[0] = '\0';
	json_string(f, "fix", fix);
	fprintf(f, "}\n");
}

struct options {
	pid_t pid;
	const char *unit;
	char **program; /* after "--" */
	bool json;
};

static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option opts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "systemd-unit", required_argument, NULL, 'u' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0, 0, 0, 0 },
	};
	int c;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (!parse_pid(optarg, &o->pid))
				return usage_error("doctor", usage, "--pid: '%s' is not a process ID", optarg);
			break;
		case 'u': o->unit = optarg; break;
		case 'j': o->json = true; break;
		case 'h': help(); exit_printed("--help");
		default:
			return usage_error("doctor", usage, "unknown option '%s', or missing value",
					   argv[optind - 1]);
		}
	}
	if (optind < argc && strcmp(argv[optind - 1], "--") == 0)
		o->program = argv + optind;
	else if (optind < argc)
		return usage_error("doctor", usage, "unexpected argument '%s' (a program to examine "
				   "follows --)", argv[optind]);
	else if (optind > 1 && strcmp(argv[optind - 1], "--") == 0)
		return usage_error("doctor", usage, "-- names no program to examine");
	if ((o->pid != 0) + (o->unit != NULL) + (o->program != NULL) > 1)
		return usage_error("doctor", usage, "--pid, --systemd-unit and -- PROGRAM exclude each other");
	return 0;
}

static int survey(const struct options *o, struct duende_mlock_survey *s)
{
	int rc;

	if (o->program)
		return doctor_probe_program(o->program, s);
	rc = duende_mlock_survey_pid(o->pid, s);
	if (rc) {
		fprintf(stderr, "%s: doctor: PID %d: %s\n", cli_name, (int)o->pid,
			rc == -ESRCH ? "no such process" : duende_mlock_strerror(rc));
		return EXIT_DOCTOR_CANNOT_LOCK;
	}
	return 0;
}

int cmd_doctor(int argc, char **argv)
{
	struct options o = { 0, NULL, NULL, false };
	struct duende_mlock_survey *s;
	struct output out;
	int rc = parse_options(argc, argv, &o), wrote;

	if (rc)
		return rc;
	if (o.unit) {
		rc = output_open(&out, "doctor", NULL);
		if (rc == 0)
			rc = doctor_systemd_unit(out.f, o.unit, o.json);
		wrote = output_close(&out, "doctor");
		if (rc == -EINVAL)
			return usage_error("doctor", usage, "--systemd-unit: '%s' is not a unit name "
					   "(NAME.service)", o.unit);
		return wrote ? wrote : rc;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		fprintf(stderr, "%s: doctor: out of memory\n", cli_name);
		return EXIT_INTERNAL;
	}
	rc = survey(&o, s);
	if (rc == 0 && (rc = output_open(&out, "doctor", NULL)) == 0) {
		if (o.json)
			print_json(out.f, s, o.program ? o.program[0] : NULL);
		else
			print_text(out.f, s, o.program ? o.program[0] : NULL);
		rc = output_close(&out, "doctor");
		if (rc == 0)
			rc = exit_status(s->verdict);
	}
	free(s);
	return rc;
}
