/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * The page-in hazard, on a real swap file: a process whose pages are on
 * swap is locked from outside.
 *  - It serves no swap area: the full lock faults its pages back in
 *    (VmSwap 0 afterwards), as mlockall in it would.
 *  - Locked as a process that serves swap is (resident pages first): what
 *    was resident is pinned, the absent pages not on swap are faulted in,
 *    the swapped ones are left where they are (VmSwap unchanged, counted
 *    in swap_left) and come back, locked, when it touches them; under the
 *    precise plan too.
 * Takes /tmp/dm-heavy.lock while its swap file is on (a shared resource).
 * Usage: test-remote-swap [REMOTE-TARGET]   (default: remote-target beside it)
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/swap.h>
#include <sys/wait.h>
#include <unistd.h>

#include "duende-mlock.h"
#include "harness.h"
#include "src/remote-lock.h"

static char swapfile[] = "/var/tmp/duende-mlock-swap.XXXXXX";
static bool swap_on;

static void swap_off(void)
{
	if (swap_on)
		swapoff(swapfile);
	swap_on = false;
	unlink(swapfile);
}

static void on_signal(int sig)
{
	swap_off();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* 64 MiB of swap on the disk, or a reason to skip. */
static const char *make_swap(void)
{
	static char buf[1 << 16];
	int fd = mkstemp(swapfile);

	if (fd < 0)
		return "cannot create a file in /var/tmp";
	atexit(swap_off);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	for (int i = 0; i < 1024; i++)
		if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
			return "cannot write the swap file";
	fsync(fd);
	close(fd);
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "mkswap -q %s >/dev/null 2>&1", swapfile);
	if (system(cmd) != 0)
		return "mkswap failed (util-linux)";
	if (swapon(swapfile, 0) != 0)
		return "swapon refused the swap file";
	swap_on = true;
	return NULL;
}

struct target {
	pid_t pid;
	int in;
	FILE *out;
};

static bool start(struct target *t, const char *target, const char *mib)
{
	int in[2], out[2];
	char line[64];

	if (pipe(in) != 0 || pipe(out) != 0)
		return false;
	t->pid = fork();
	if (t->pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[1]);
		close(out[0]);
		execl(target, target, "pageout", mib, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	t->in = in[1];
	t->out = fdopen(out[0], "r");
	return t->out && fgets(line, sizeof(line), t->out) && strcmp(line, "ready\n") == 0;
}

static void finish(struct target *t, char *line, size_t cap)
{
	(void)!write(t->in, "x\n", 2);
	if (!fgets(line, (int)cap, t->out))
		line[0] = '\0';
	line[strcspn(line, "\n")] = '\0';
	close(t->in);
	fclose(t->out);
	kill(t->pid, SIGKILL);
	waitpid(t->pid, NULL, 0);
}

static long long kb(pid_t pid, const char *key)
{
	char path[64], line[256];
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, key, strlen(key)) == 0 && line[strlen(key)] == ':')
			v = strtoll(line + strlen(key) + 1, NULL, 10);
	if (f)
		fclose(f);
	return v;
}

static void not_serving(const char *target)
{
	struct target t;
	struct duende_mlock_pid_result r;
	char line[64];

	CHECK(start(&t, target, "32"));
	long long swapped = kb(t.pid, "VmSwap");
	CHECK(swapped > 16 * 1024);
	CHECK_EQ_INT(duende_mlock_lock_pid(t.pid, NULL, &r, sizeof(r)), 0);
	CHECK(!(r.flags & DUENDE_MLOCK_PID_F_SERVES_SWAP));
	CHECK_EQ_INT(kb(t.pid, "VmSwap"), 0); /* all faulted back in */
	CHECK(kb(t.pid, "VmLck") > 32 * 1024);
	finish(&t, line, sizeof(line));
	CHECK_EQ_STR(line, "pageout ok=1");
}

static void resident_first(const char *target, bool precise)
{
	struct duende_mlock_config lock = DUENDE_MLOCK_CONFIG_INIT;
	struct dm_remote_plan plan = { .stop_ms = 2000, .lock = &lock, .resident_first = true };
	struct dm_remote_outcome out;
	struct dm_remote_thread th;
	struct target t;
	char line[64];

	lock.precise = precise;
	memset(&out, 0, sizeof(out));
	CHECK(start(&t, target, "32"));
	plan.pid = t.pid;
	long long swapped = kb(t.pid, "VmSwap");
	CHECK(swapped > 16 * 1024);
	CHECK_EQ_INT(dm_remote_attach(&th, t.pid, t.pid, 2000), 0);
	CHECK_EQ_INT(dm_remote_find_insn(t.pid, &th.insn), 0);
	dm_remote_lock_stopped(&th, &plan, &out);
	CHECK_EQ_INT(dm_remote_detach(&th), 0);
	CHECK_EQ_INT(out.rc, 0);
	CHECK_EQ_INT(out.lock_rc, 0);
	CHECK(out.applied & DUENDE_MLOCK_F_ONFAULT); /* kept lock-on-fault */
	CHECK_EQ_INT(!!(out.applied & DUENDE_MLOCK_F_PRECISE), precise);
	/* nothing came in from swap inside the call */
	CHECK(kb(t.pid, "VmSwap") >= swapped * 9 / 10);
	CHECK((long long)(out.swap_left / 1024) >= swapped * 9 / 10);
	CHECK(kb(t.pid, "VmLck") > 32 * 1024);
	/* touched, its pages come back whole */
	finish(&t, line, sizeof(line));
	CHECK_EQ_STR(line, "pageout ok=1");
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
	const char *why;

	/* A sanitizer's runtime in the target reserves terabytes of shadow
	 * memory, which a lock from outside would try to fault in (the
	 * runtime makes the target's own mlockall a no-op for that reason). */
	if (T_SANITIZER)
		SKIP("the target carries the sanitizer's runtime, whose shadow memory cannot be "
		     "locked; the lock from outside is checked in the native build");
	if (t_under_valgrind())
		SKIP("valgrind does not follow ptrace requests");
	if (geteuid() != 0)
		SKIP("needs root (swapon, tracing)");
	if (!DM_REMOTE_ARCH_SUPPORTED)
		SKIP("the engine is not built for this architecture");
	/* The shared lock of heavy resources, waited for at most 60 s. */
	int lock = open("/tmp/dm-heavy.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0666);
	int tries = 0;
	while (lock >= 0 && flock(lock, LOCK_EX | LOCK_NB) != 0 && ++tries < 120)
		usleep(500000);
	if (lock < 0 || tries >= 120)
		SKIP("/tmp/dm-heavy.lock is held by other work (swap is a shared resource)");
	why = make_swap();
	if (why)
		SKIP("%s", why);
	not_serving(target_beside(argc, argv));
	resident_first(target_beside(argc, argv), false);
	/* The precise plan from outside keeps to the same rule. */
	resident_first(target_beside(argc, argv), true);
	swap_off();
	return t_result();
}
