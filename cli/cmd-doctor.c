/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* duende-mlock doctor: prints the library's survey of this process (or
 * PID) and the host: every finding, the verdict and the fix. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "duende-mlock.h"

static const char usage[] = "doctor [--pid PID] [--json]";

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

static const char *verdict_text(enum duende_mlock_severity v)
{
	return v == DUENDE_MLOCK_SEVERITY_OK ? "ready" : v == DUENDE_MLOCK_SEVERITY_WARNING ? "warnings" : "cannot lock";
}

static const char *severity_tag(enum duende_mlock_severity v)
{
	return v == DUENDE_MLOCK_SEVERITY_OK ? " ok " : v == DUENDE_MLOCK_SEVERITY_WARNING ? "warn" : "FAIL";
}

static const char *severity_json(enum duende_mlock_severity v)
{
	return v == DUENDE_MLOCK_SEVERITY_OK ? "ok" : v == DUENDE_MLOCK_SEVERITY_WARNING ? "warning" : "cannot lock";
}

static void print_text(const struct duende_mlock_survey *s)
{
	char line[1024], fix[4096];

	printf("duende-mlock doctor: PID %d (%s)%s%s\n", (int)s->process.pid, s->process.name,
	       s->container[0] ? ", container: " : "", s->container);
	if (s->systemd_unit[0])
		printf("  systemd unit: %s\n", s->systemd_unit);
	for (uint32_t i = 0; i < s->nfindings; i++) {
		duende_mlock_finding_explain(s, i, line, sizeof(line));
		printf("  [%s] %s\n", severity_tag(s->findings[i].severity), line);
	}
	printf("Verdict: %s\n", s->verdict == DUENDE_MLOCK_SEVERITY_WARNING ? "warning" : verdict_text(s->verdict));
	if (s->verdict == DUENDE_MLOCK_SEVERITY_OK)
		return;
	duende_mlock_survey_fix(s, fix, sizeof(fix));
	printf("\nFix for this environment:\n");
	for (const char *p = fix; *p;) {
		size_t n = strcspn(p, "\n");
		printf("  %.*s\n", (int)n, p);
		p += n + (p[n] ? 1 : 0);
	}
}

static void json_limit(const char *key, uint64_t v)
{
	if (v == DUENDE_MLOCK_UNLIMITED)
		printf(", \"%s\": null", key);
	else
		printf(", \"%s\": %llu", key, (unsigned long long)v);
}

static void print_json(const struct duende_mlock_survey *s)
{
	const struct duende_mlock_report *r = &s->process;
	char line[1024], fix[4096];

	printf("{\"pid\": %d, \"name\": ", (int)r->pid);
	put_json_string(stdout, r->name);
	printf(", \"verdict\": \"%s\", \"exit\": %d",
	       s->verdict == DUENDE_MLOCK_SEVERITY_CANNOT_LOCK ? "cannot-lock" : verdict_text(s->verdict),
	       (int)s->verdict);
	json_limit("memlock_soft", r->memlock_soft);
	json_limit("memlock_hard", r->memlock_hard);
	printf(", \"mapped_bytes\": %llu, \"locked_bytes\": %llu", (unsigned long long)r->vm_size,
	       (unsigned long long)r->vm_lck);
	json_limit("headroom_bytes", r->headroom);
	printf(", \"cap_effective\": \"%016llx\", \"cap_bounding\": \"%016llx\"",
	       (unsigned long long)r->cap_effective, (unsigned long long)r->cap_bounding);
	printf(", \"kernel\": {\"mcl_onfault\": %d, \"io_flusher\": %d}", s->kernel_onfault,
	       s->kernel_io_flusher);
	printf(", \"cgroup\": {\"version\": %d, \"path\": ", s->cgroup_error ? 0 : s->cgroup.version);
	put_json_string(stdout, s->cgroup_error ? "" : s->cgroup.path);
	printf(", \"limit\": ");
	(s->cgroup_error || s->cgroup.limit == UINT64_MAX) ? printf("null")
							  : printf("%llu", (unsigned long long)s->cgroup.limit);
	printf(", \"processes\": %u}", s->cgroup_error ? 0 : s->cgroup.processes);
	printf(", \"swaps\": [");
	for (uint32_t i = 0; i < s->nswaps; i++) {
		const struct duende_mlock_swap *sw = &s->swaps[i];
		printf("%s{\"path\": ", i ? ", " : "");
		put_json_string(stdout, sw->path);
		printf(", \"kind\": ");
		put_json_string(stdout, sw->kind);
		printf(", \"size\": %llu, \"used\": %llu, \"user_space\": %s, \"backing\": ",
		       (unsigned long long)sw->size, (unsigned long long)sw->used,
		       sw->user_space ? "true" : "false");
		put_json_string(stdout, sw->backing);
		printf("}");
	}
	printf("], \"container\": ");
	put_json_string(stdout, s->container);
	printf(", \"systemd_unit\": ");
	put_json_string(stdout, s->systemd_unit);
	printf(", \"findings\": [");
	for (uint32_t i = 0; i < s->nfindings; i++) {
		duende_mlock_finding_explain(s, i, line, sizeof(line));
		printf("%s{\"level\": \"%s\", \"text\": ", i ? ", " : "", severity_json(s->findings[i].severity));
		put_json_string(stdout, line);
		printf("}");
	}
	printf("], \"fix\": ");
	duende_mlock_survey_fix(s, fix, sizeof(fix));
	put_json_string(stdout, s->verdict == DUENDE_MLOCK_SEVERITY_OK ? "" : fix);
	printf("}\n");
}

int cmd_doctor(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0, 0, 0, 0 },
	};
	struct duende_mlock_survey *s;
	pid_t pid = 0;
	bool json = false;
	int c, rc;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (!parse_pid(optarg, &pid))
				return usage_error("doctor", usage, "--pid: '%s' is not a process ID", optarg);
			break;
		case 'j': json = true; break;
		case 'h': help(); return 0;
		default:
			return usage_error("doctor", usage, "unknown option '%s', or missing value", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("doctor", usage, "unexpected argument '%s'", argv[optind]);
	s = calloc(1, sizeof(*s));
	if (!s) {
		fprintf(stderr, "%s: doctor: out of memory\n", cli_name);
		return 2;
	}
	rc = duende_mlock_survey_pid(pid, s);
	if (rc) {
		fprintf(stderr, "%s: doctor: PID %d: %s\n", cli_name, (int)pid,
			rc == -ESRCH ? "no such process" : duende_mlock_strerror(rc));
		free(s);
		return 2;
	}
	if (json)
		print_json(s);
	else
		print_text(s);
	rc = (int)s->verdict;
	free(s);
	return rc;
}
