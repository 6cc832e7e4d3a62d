/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* doctor -- PROGRAM: the survey of the program the user means to lock,
 * taken inside it by the preload shim at the moment the shim would lock
 * it (its mapped size then, not the doctor's), without running its main(). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "doctor.h"
#include "exec-settings.h"
#include "program.h"

/* How long PROGRAM's loader and constructors may take to reach the shim. */
#define PROBE_SECONDS 30

/* In the child: PROGRAM with the shim preloaded and told to probe. */
_Noreturn static void run_probe(const char *path, char **argv, const char *shim, int fd)
{
	struct dm_exec_settings settings;
	int probe_fd = fcntl(fd, F_DUPFD, 3); /* without O_CLOEXEC: PROGRAM keeps it */

	dm_exec_settings_init(&settings);
	settings.probe_fd = probe_fd;
	/* The limit exec would start it with (it may fail here as there). */
	(void)!duende_mlock_set_memlock_limit(DM_EXEC_MEMLOCK_DEFAULT);
	if (probe_fd < 0 || export_preload(shim, &settings) != 0)
		_exit(EXIT_INTERNAL);
	signal(SIGPIPE, SIG_DFL);
	execv(path, argv);
	_exit(errno == ENOENT ? EXIT_NOT_FOUND : EXIT_NOT_EXECUTABLE);
}

/* The probe's end of the pipe, and PROGRAM's process: a daemon it forked
 * without the shim (nothing stopped it before main()) may hold the pipe
 * open for ever, so PROGRAM's own exit ends the wait too. */
struct probe {
	int fd;
	pid_t pid;
	int status;
	bool reaped;
	int seconds_left;
};

static bool probe_ended(struct probe *p)
{
	if (!p->reaped && waitpid(p->pid, &p->status, WNOHANG) == p->pid)
		p->reaped = true;
	return p->reaped;
}

static int read_full(struct probe *pr, void *buf, size_t len)
{
	char *p = buf;

	while (len) {
		struct pollfd pfd = { .fd = pr->fd, .events = POLLIN };
		int n = poll(&pfd, 1, 1000);
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0 && probe_ended(pr))
			return -EPIPE;
		if (n == 0 && --pr->seconds_left > 0)
			continue;
		if (n <= 0)
			return n == 0 ? -ETIMEDOUT : -errno;
		ssize_t got = read(pr->fd, p, len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return got < 0 ? -errno : -EPIPE;
		p += got;
		len -= (size_t)got;
	}
	return 0;
}

static int receive_survey(struct probe *pr, struct duende_mlock_survey *s)
{
	uint32_t size = 0;
	int rc = read_full(pr, &size, sizeof(size));

	if (rc == 0 && size != sizeof(*s))
		return -EPROTO; /* a shim of another version */
	return rc ? rc : read_full(pr, s, sizeof(*s));
}

static int why_no_survey(const char *path, int rc, int status)
{
	if (rc == -EPROTO)
		say("doctor", "%s: the preload library %s is of another version than this "
		    "duende-mlock", path, preload_library());
	else if (rc == -ETIMEDOUT)
		say("doctor", "%s did not reach the preload library within %d s", path, PROBE_SECONDS);
	else
		say("doctor", "%s ended before the preload library could examine it (%s %d): it "
		    "failed to start, or ran without the preload library reaching it; run it under "
		    "`duende-mlock exec --verbose` to see which", path,
		    WIFSIGNALED(status) ? "signal" : "exit status",
		    WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	return EXIT_INTERNAL;
}

int doctor_probe_program(char **argv, struct duende_mlock_survey *s)
{
	struct program_check prog;
	const char *shim = preload_library();
	int p[2], rc, status;
	pid_t pid;

	rc = check_command(argv, &prog);
	if (rc) {
		say("doctor", "%s", prog.reason);
		if (rc == EXIT_REFUSED)
			say("doctor", "note: `duende-mlock exec` locks such a program by tracing it, "
			    "at its first instruction, but the preload library cannot examine it "
			    "here: start it under exec, then ask `duende-mlock doctor --pid PID`");
		return rc == EXIT_REFUSED ? EXIT_DOCTOR_CANNOT_LOCK : rc;
	}
	rc = check_preload(shim, &prog, prog.reason, sizeof(prog.reason));
	if (rc) {
		say("doctor", "%s", prog.reason);
		return rc == EXIT_REFUSED ? EXIT_DOCTOR_CANNOT_LOCK : rc;
	}
	if (pipe2(p, O_CLOEXEC) != 0 || (pid = fork()) < 0) {
		say("doctor", "cannot start %s: %s", prog.path, strerror(errno));
		return EXIT_INTERNAL;
	}
	if (pid == 0) {
		close(p[0]);
		run_probe(prog.path, argv, shim, p[1]);
	}
	close(p[1]);
	struct probe pr = { .fd = p[0], .pid = pid, .seconds_left = PROBE_SECONDS };
	rc = receive_survey(&pr, s);
	close(p[0]);
	if (rc && !pr.reaped)
		kill(pid, SIGKILL);
	while (!pr.reaped && waitpid(pid, &pr.status, 0) < 0 && errno == EINTR)
		;
	status = pr.status;
	return rc ? why_no_survey(prog.path, rc, status) : 0;
}
