/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * A tracer that dies holding a target stopped does not take the target
 * with it: the kernel detaches it (no PTRACE_O_EXITKILL), and it goes on
 * as before, its interrupted sleep restarted. The engine's own parts:
 * attach, the call, detach.
 * Usage: test-remote-detach [REMOTE-TARGET]   (default: remote-target beside it)
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "src/remote.h"

static pid_t start_sleeper(const char *target, const char *ms, FILE **out)
{
	int p[2];
	char line[64];
	pid_t pid;

	if (pipe(p) != 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		close(p[0]);
		execl(target, target, "sleep", ms, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	*out = fdopen(p[0], "r");
	if (!*out || !fgets(line, sizeof(line), *out))
		return -1;
	usleep(100000);
	return pid;
}

static long long field(pid_t pid, const char *key)
{
	char path[64], line[256];
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, key, strlen(key)) == 0)
			v = strtoll(line + strlen(key) + 1, NULL, 10);
	if (f)
		fclose(f);
	return v;
}

/* The tracer stops the target, then dies by SIGKILL. */
static void tracer_dies(const char *target)
{
	FILE *out;
	pid_t pid = start_sleeper(target, "1500", &out);
	int ready[2], status, rc, err, ms;
	char line[128], c = 0;

	CHECK(pid > 0 && pipe(ready) == 0);
	pid_t tracer = fork();
	if (tracer == 0) {
		struct dm_remote_thread th;

		c = dm_remote_attach(&th, pid, pid, 2000) == 0 ? 'y' : 'n';
		(void)!write(ready[1], &c, 1);
		pause();
		_exit(0);
	}
	CHECK(read(ready[0], &c, 1) == 1 && c == 'y');
	CHECK_EQ_INT(field(pid, "TracerPid"), tracer);
	kill(tracer, SIGKILL);
	waitpid(tracer, &status, 0);
	for (int i = 0; i < 100 && field(pid, "TracerPid") != 0; i++)
		usleep(10000);
	CHECK_EQ_INT(field(pid, "TracerPid"), 0);
	CHECK(fgets(line, sizeof(line), out) != NULL);
	CHECK(sscanf(line, "sleep rc=%d errno=%d ms=%d", &rc, &err, &ms) == 3);
	CHECK(rc == 0 && err == 0 && ms >= 1500 && ms < 2100);
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
	fclose(out);
	close(ready[0]);
	close(ready[1]);
}

/* The engine's parts in order, as a tracer that holds a thread uses
 * them: one call, registers back, detached. */
static void one_call(const char *target)
{
	FILE *out;
	pid_t pid = start_sleeper(target, "800", &out);
	struct dm_remote_thread th;
	const long args[6] = { 0 };
	long ret = 0;
	char line[128];
	int rc, err, ms, status;

	CHECK(pid > 0);
	CHECK_EQ_INT(dm_remote_attach(&th, pid, pid, 2000), 0);
	CHECK_EQ_INT(th.stop_sig, SIGTRAP);
	CHECK_EQ_INT(dm_remote_find_insn(pid, &th.insn), 0);
	CHECK_EQ_INT(dm_remote_syscall(&th, SYS_getpid, args, &ret, 2000), 0);
	CHECK_EQ_INT(ret, pid); /* it made the call itself */
	CHECK_EQ_INT(dm_remote_detach(&th), 0);
	CHECK_EQ_INT(field(pid, "TracerPid"), 0);
	CHECK(fgets(line, sizeof(line), out) != NULL);
	CHECK(sscanf(line, "sleep rc=%d errno=%d ms=%d", &rc, &err, &ms) == 3);
	CHECK(rc == 0 && err == 0 && ms >= 800 && ms < 1400);
	waitpid(pid, &status, 0);
	fclose(out);
}

/* The static target program: given, or built beside this test. */
static const char *target_beside(int argc, char **argv)
{
	static char path[4096];
	const char *slash = strrchr(argv[0], '/');

	if (argc >= 2)
		return argv[1];
	snprintf(path, sizeof(path), "%.*sremote-target", slash ? (int)(slash - argv[0] + 1) : 0,
		 argv[0]);
	return path;
}

int main(int argc, char **argv)
{
	/* A sanitizer's runtime in the target reserves terabytes of shadow
	 * memory, which a lock from outside would try to fault in (the
	 * runtime makes the target's own mlockall a no-op for that reason). */
	if (T_SANITIZER)
		SKIP("the target carries the sanitizer's runtime, whose shadow memory cannot be "
		     "locked; the lock from outside is checked in the native build");
	if (t_under_valgrind())
		SKIP("valgrind does not follow ptrace requests");
	if (geteuid() != 0)
		SKIP("needs root to trace");
	if (!DM_REMOTE_ARCH_SUPPORTED)
		SKIP("the engine is not built for this architecture");
	tracer_dies(target_beside(argc, argv));
	one_call(target_beside(argc, argv));
	return t_result();
}
