/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* doctor --systemd-unit UNIT: the drop-in that makes UNIT safe, from the
 * library, sized for the unit's running process when there is one, and
 * checked by systemd's own parser (systemd-analyze verify). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "doctor.h"

#define DROPIN_NAME "50-duende-mlock.conf"

struct check {
	bool ran;          /* systemd-analyze could be run */
	bool stub;         /* UNIT is not installed: checked on a stub unit */
	bool rejected;     /* systemd complained about the drop-in */
	char output[8192]; /* what it said */
};

/* Runs systemd-analyze verify UNIT with dir searched first; its output
 * into c->output. The exit status, or -1 when it could not run. */
static int run_verify(const char *dir, const char *unit, struct check *c)
{
	char search[4200];
	size_t used = 0;
	int p[2], status;
	pid_t pid;

	snprintf(search, sizeof(search), "%s:", dir); /* the trailing ':' keeps systemd's own paths */
	if (pipe2(p, O_CLOEXEC) != 0 || (pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		dup2(p[1], STDOUT_FILENO);
		dup2(p[1], STDERR_FILENO);
		setenv("SYSTEMD_UNIT_PATH", search, 1);
		execlp("systemd-analyze", "systemd-analyze", "verify", unit, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	for (;;) {
		ssize_t n = read(p[0], c->output + used, sizeof(c->output) - 1 - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		used += (size_t)n;
		if (used == sizeof(c->output) - 1)
			break;
	}
	c->output[used] = '\0';
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "we");
	int rc;

	if (!f)
		return -1;
	fputs(text, f);
	rc = ferror(f) ? -1 : 0;
	return fclose(f) != 0 ? -1 : rc;
}

static void verify(const char *unit, const char *dropin, struct check *c)
{
	char dir[] = "/tmp/duende-mlock-dropin.XXXXXX", path[4200], file[4400];
	int rc;

	memset(c, 0, sizeof(*c));
	if (!mkdtemp(dir))
		return;
	snprintf(path, sizeof(path), "%s/%s.d", dir, unit);
	snprintf(file, sizeof(file), "%s/" DROPIN_NAME, path);
	if (mkdir(path, 0755) == 0 && write_file(file, dropin) == 0) {
		rc = run_verify(dir, unit, c);
		if (rc >= 0 && rc != 127 && strstr(c->output, "not found")) {
			/* Not installed here: the drop-in alone, on a stub. */
			snprintf(path, sizeof(path), "%s/%s", dir, unit);
			c->stub = write_file(path, "[Unit]\nDescription=stub\n[Service]\nExecStart=/bin/true\n") == 0;
			rc = c->stub ? run_verify(dir, unit, c) : -1;
			unlink(path);
		}
		c->ran = rc >= 0 && rc != 127;
		c->rejected = c->ran && strstr(c->output, DROPIN_NAME) != NULL;
		unlink(file);
	}
	snprintf(path, sizeof(path), "%s/%s.d", dir, unit);
	rmdir(path);
	rmdir(dir);
}

/* The survey of UNIT's first running process, to size the drop-in for:
 * 0 (*s NULL when none runs), or -EINVAL for a name that is no unit's. */
static int survey_unit(const char *unit, struct duende_mlock_survey **s, pid_t *pid)
{
	char spec[300];
	pid_t pids[1];
	int n;

	*s = NULL;
	*pid = 0;
	if (snprintf(spec, sizeof(spec), "unit:%s", unit) >= (int)sizeof(spec))
		return -EINVAL;
	n = duende_mlock_find_pids(spec, pids, 1);
	if (n < 1 || !(*s = calloc(1, sizeof(**s))))
		return n == -EINVAL ? -EINVAL : 0;
	if (duende_mlock_survey_pid(pids[0], *s) != 0) {
		free(*s);
		*s = NULL;
		return 0;
	}
	*pid = pids[0];
	return 0;
}

static void print_text(FILE *f, const char *unit, pid_t pid, const char *dropin, const struct check *c)
{
	fprintf(f, "duende-mlock doctor: systemd unit ");
	put_text(f, unit, 0);
	if (pid)
		fprintf(f, " (PID %d: MemoryMin= covers what it locks)\n", (int)pid);
	else
		fprintf(f, " (no process of it runs here: MemoryMin= left out)\n");
	fprintf(f, "Drop-in (systemctl edit ");
	put_text(f, unit, 0);
	fprintf(f, ", or /etc/systemd/system/");
	put_text(f, unit, 0);
	fprintf(f, ".d/" DROPIN_NAME "):\n");
	put_lines(f, "  ", dropin);
	if (!c->ran) {
		fprintf(f, "Not checked: systemd-analyze could not be run (package systemd)\n");
		return;
	}
	fprintf(f, "Checked with systemd-analyze verify%s: %s\n",
		c->stub ? " (the unit is not installed here: on a stub unit)" : "",
		c->rejected ? "REJECTED" : "accepted");
	if (c->output[0]) {
		char shown[sizeof(c->output) * 4];
		duende_mlock_escape(c->output, strlen(c->output), shown, sizeof(shown));
		fprintf(f, "  systemd-analyze said: %s\n", shown);
	}
}

static void print_json(FILE *f, const char *unit, pid_t pid, const char *dropin, const struct check *c)
{
	fprintf(f, "{\"unit\": ");
	put_json_string(f, unit);
	if (pid)
		fprintf(f, ", \"pid\": %d", (int)pid);
	else
		fprintf(f, ", \"pid\": null");
	fprintf(f, ", \"dropin\": ");
	put_json_string(f, dropin);
	fprintf(f, ", \"checked\": %s, \"stub\": %s, \"accepted\": %s, \"systemd_analyze\": ",
		c->ran ? "true" : "false", c->stub ? "true" : "false",
		c->ran && !c->rejected ? "true" : "false");
	put_json_string(f, c->output);
	fprintf(f, "}\n");
}

int doctor_systemd_unit(FILE *f, const char *unit, bool json)
{
	struct duende_mlock_survey *s;
	struct check *c;
	char dropin[2048];
	pid_t pid;

	if (survey_unit(unit, &s, &pid) == -EINVAL)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c) {
		free(s);
		return EXIT_INTERNAL;
	}
	duende_mlock_systemd_dropin(s, dropin, sizeof(dropin));
	verify(unit, dropin, c);
	if (json)
		print_json(f, unit, pid, dropin, c);
	else
		print_text(f, unit, pid, dropin, c);
	int rc = !c->ran ? EXIT_UNIT_NOT_CHECKED : c->rejected ? EXIT_UNIT_REJECTED : EXIT_UNIT_ACCEPTED;
	free(c);
	free(s);
	return rc;
}
