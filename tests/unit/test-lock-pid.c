/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * duende_mlock_lock_pid() on the real kernel: static programs blocked in
 * read(), nanosleep(), epoll_wait() and futex() (in threads) are locked
 * from outside and then finish their work with the right data and times;
 * a stream read through a pipe while its reader is locked 30 times arrives
 * whole; signals, SIGSTOP and SIGCONT during the attach are delivered as
 * if no tracer were there; and every refusal leaves the process as it was.
 * Usage: test-lock-pid [REMOTE-TARGET]   (default: remote-target beside it)
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "duende-mlock.h"
#include "harness.h"

static const char *target_path;

struct target {
	pid_t pid;
	int in;    /* its stdin */
	FILE *out; /* its stdout */
};

/* Starts the target program, behind prefix (setpriv, prlimit...) if any,
 * and waits for it to say it is about to block. */
static bool start(struct target *t, const char *const *prefix, const char *mode, const char *arg)
{
	int in[2], out[2];
	char line[64];

	if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0)
		return false;
	t->pid = fork();
	if (t->pid == 0) {
		const char *argv[16];
		int n = 0;

		dup2(in[0], 0);
		dup2(out[1], 1);
		for (; prefix && prefix[n]; n++)
			argv[n] = prefix[n];
		argv[n++] = target_path;
		argv[n++] = mode;
		if (arg)
			argv[n++] = arg;
		argv[n] = NULL;
		execvp(argv[0], (char **)argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	t->in = in[1];
	t->out = fdopen(out[0], "r");
	if (!t->out || !fgets(line, sizeof(line), t->out) || strcmp(line, "ready\n") != 0)
		return false;
	usleep(100000); /* from "ready" into the blocking call */
	return true;
}

/* Closes its stdin and reads the line it reports. */
static void result(struct target *t, char *line, size_t cap)
{
	if (t->in >= 0)
		close(t->in);
	t->in = -1;
	if (!fgets(line, (int)cap, t->out))
		line[0] = '\0';
	line[strcspn(line, "\n")] = '\0';
}

static int reap(struct target *t)
{
	int status = 0;

	if (t->in >= 0)
		close(t->in);
	t->in = -1;
	if (t->out)
		fclose(t->out);
	t->out = NULL;
	kill(t->pid, SIGKILL);
	waitpid(t->pid, &status, 0);
	return status;
}

/* A field of /proc/PID/status (kB fields in kB), -1 if absent. */
static long long status_field(pid_t pid, const char *key)
{
	char path[64], line[256];
	long long v = -1;
	size_t klen = strlen(key);
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
			v = strtoll(line + klen + 1, NULL, 10);
			break;
		}
	if (f)
		fclose(f);
	return v;
}

static char state_of(pid_t pid)
{
	char path[64], line[256];
	char s = '?';
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (f && fgets(line, sizeof(line), f)) {
		char *p = strrchr(line, ')');
		if (p && p[1] == ' ')
			s = p[2];
	}
	if (f)
		fclose(f);
	return s;
}

static int lock_with(pid_t pid, struct duende_mlock_pid_config *c, struct duende_mlock_pid_result *r)
{
	int rc = duende_mlock_lock_pid(pid, c, r, sizeof(*r));

	if (rc) {
		char why[4096];

		duende_mlock_pid_explain(r, why, sizeof(why));
		fprintf(stderr, "    lock_pid(%d) = %d: %s\n", (int)pid, rc, why);
	}
	return rc;
}

static int lock(pid_t pid, struct duende_mlock_pid_result *r)
{
	struct duende_mlock_pid_config c = DUENDE_MLOCK_PID_CONFIG_INIT;

	return lock_with(pid, &c, r);
}

static void blocked_in_sleep(void)
{
	struct target t;
	struct duende_mlock_pid_result r;
	char line[256];
	int rc, err, ms;

	CHECK(start(&t, NULL, "sleep", "2000"));
	CHECK_EQ_INT(status_field(t.pid, "VmLck"), 0);
	CHECK_EQ_INT(lock(t.pid, &r), 0);
	CHECK(r.flags & DUENDE_MLOCK_PID_F_VERIFIED);
	CHECK(status_field(t.pid, "VmLck") > 0);
	CHECK_EQ_INT(status_field(t.pid, "TracerPid"), 0);
	/* held only while its call ran: milliseconds for a small process */
	CHECK(r.longest_stop_ns < 300000000u);
	result(&t, line, sizeof(line));
	CHECK(sscanf(line, "sleep rc=%d errno=%d ms=%d", &rc, &err, &ms) == 3);
	CHECK_EQ_INT(rc, 0);
	CHECK_EQ_INT(err, 0);
	/* The interrupted sleep is restarted with what was left: its full
	 * time, not less, and not EINTR. */
	CHECK(ms >= 2000 && ms < 2600);
	if (ms < 2000 || ms >= 2600)
		fprintf(stderr, "    sleep: %s\n", line);
	reap(&t);
}

static void blocked_in_read(void)
{
	struct target t;
	struct duende_mlock_pid_result r;
	char line[256];

	CHECK(start(&t, NULL, "read", NULL));
	CHECK_EQ_INT(lock(t.pid, &r), 0);
	CHECK(status_field(t.pid, "VmLck") > 0);
	CHECK(write(t.in, "hello", 5) == 5);
	result(&t, line, sizeof(line));
	uint64_t h = 1469598103934665603u;
	for (const char *p = "hello"; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211u; /* FNV-1a, as the target sums */
	char want[128];
	snprintf(want, sizeof(want), "read bytes=5 sum=%llx errors=0", (unsigned long long)h);
	CHECK_EQ_STR(line, want);
	reap(&t);
}

static void blocked_in_epoll(void)
{
	struct target t;
	struct duende_mlock_pid_result r;
	char line[256];

	CHECK(start(&t, NULL, "epoll", NULL));
	CHECK_EQ_INT(lock(t.pid, &r), 0);
	CHECK_EQ_INT(r.threads_eintr, 0);
	usleep(200000); /* an EINTR would have been reported by now */
	CHECK(write(t.in, "x\n", 2) == 2);
	result(&t, line, sizeof(line));
	CHECK_EQ_STR(line, "epoll n=1 errno=0 got=2");
	reap(&t);
}

static void blocked_in_futex(void)
{
	struct target t;
	struct duende_mlock_pid_result r;
	char line[256];

	CHECK(start(&t, NULL, "futex", "4"));
	CHECK_EQ_INT(lock(t.pid, &r), 0);
	CHECK_EQ_INT(r.threads, 5);
	CHECK(r.threads_stopped >= 1);
	CHECK(status_field(t.pid, "VmLck") > 0);
	/* io_flusher stops every thread in turn (each makes the call); here
	 * it may be refused for want of CAP_SYS_RESOURCE, but the threads
	 * must come out of it as they went in. */
	struct duende_mlock_pid_config c = DUENDE_MLOCK_PID_CONFIG_INIT;
	c.io_flusher = true;
	int rc = duende_mlock_lock_pid(t.pid, &c, &r, sizeof(r));
	CHECK(r.steps[DUENDE_MLOCK_STEP_IO_FLUSHER].requested);
	if (rc == 0)
		CHECK_EQ_INT(r.threads_io_flusher, 5);
	else
		CHECK_EQ_INT(r.steps[DUENDE_MLOCK_STEP_IO_FLUSHER].rc, -EPERM);
	CHECK(write(t.in, "go\n", 3) == 3);
	result(&t, line, sizeof(line));
	CHECK_EQ_STR(line, "futex woken=4 errors=0");
	reap(&t);
}

/* A pseudo-random stream, the same for the writer and the check. */
static uint64_t stream_sum(size_t total, void (*sink)(void *, const unsigned char *, size_t), void *ctx)
{
	unsigned char buf[65536];
	uint64_t x = 88172645463325252u, h = 1469598103934665603u;

	for (size_t done = 0; done < total; done += sizeof(buf)) {
		for (size_t i = 0; i < sizeof(buf); i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			buf[i] = (unsigned char)x;
			h = (h ^ buf[i]) * 1099511628211u;
		}
		if (sink)
			sink(ctx, buf, sizeof(buf));
	}
	return h;
}

static void write_sink(void *ctx, const unsigned char *buf, size_t n)
{
	int fd = *(int *)ctx;

	while (n) {
		ssize_t k = write(fd, buf, n);
		if (k <= 0)
			_exit(3);
		buf += k;
		n -= (size_t)k;
	}
}

/* A writer child feeds fd while the caller does its work. */
static pid_t feed(int fd, size_t total, int pace_us)
{
	pid_t pid = fork();

	if (pid == 0) {
		(void)pace_us;
		stream_sum(total, write_sink, &fd);
		_exit(0);
	}
	return pid;
}

static void stream_locked_30_times(void)
{
	const size_t total = (size_t)64 << 20;
	struct target t;
	struct duende_mlock_pid_result r;
	char line[256], want[256];
	int ok = 0;

	CHECK(start(&t, NULL, "read", NULL));
	pid_t writer = feed(t.in, total, 0);
	for (int i = 0; i < 30; i++) {
		if (lock(t.pid, &r) == 0)
			ok++;
		usleep(5000);
	}
	CHECK_EQ_INT(ok, 30);
	waitpid(writer, NULL, 0);
	result(&t, line, sizeof(line));
	snprintf(want, sizeof(want), "read bytes=%zu sum=%llx errors=0", total,
		 (unsigned long long)stream_sum(total, NULL, NULL));
	CHECK_EQ_STR(line, want);
	reap(&t);
}

/* Real-time signals queue, so every one sent must arrive once. */
static void signals_during_attach(void)
{
	const size_t total = (size_t)8 << 20;
	struct target t;
	struct duende_mlock_pid_result r;
	char line[256];
	int sent = 0, got = -1, errors = -1, ok = 0;
	unsigned long long bytes = 0;
	int tick[2];

	CHECK(start(&t, NULL, "signals", NULL));
	CHECK(pipe(tick) == 0);
	pid_t sender = fork();
	if (sender == 0) {
		/* signals until told to stop, then how many */
		int n = 0;
		char c;

		fcntl(tick[0], F_SETFL, O_NONBLOCK);
		while (read(tick[0], &c, 1) != 1) {
			if (kill(t.pid, SIGRTMIN) == 0)
				n++;
			usleep(300);
		}
		(void)!write(tick[1], &n, sizeof(n));
		_exit(0);
	}
	for (int i = 0; i < 20; i++)
		ok += lock(t.pid, &r) == 0;
	CHECK(write(tick[1], "x", 1) == 1);
	waitpid(sender, NULL, 0);
	CHECK(read(tick[0], &sent, sizeof(sent)) == (ssize_t)sizeof(sent));
	CHECK_EQ_INT(ok, 20);
	pid_t writer = feed(t.in, total, 0);
	waitpid(writer, NULL, 0);
	result(&t, line, sizeof(line));
	CHECK(sscanf(line, "signals got=%d bytes=%llu sum=%*x errors=%d", &got, &bytes, &errors) == 3);
	CHECK(sent > 0);
	CHECK_EQ_INT(got, sent);
	CHECK_EQ_INT(bytes, total);
	CHECK_EQ_INT(errors, 0);
	close(tick[0]);
	close(tick[1]);
	reap(&t);
}

static void stop_and_continue_during_attach(void)
{
	const size_t total = (size_t)8 << 20;
	struct target t;
	struct duende_mlock_pid_result r;
	char line[256], want[256];
	int ok = 0, tick[2];

	CHECK(start(&t, NULL, "read", NULL));
	CHECK(pipe(tick) == 0);
	pid_t stopper = fork();
	if (stopper == 0) {
		char c;

		fcntl(tick[0], F_SETFL, O_NONBLOCK);
		while (read(tick[0], &c, 1) != 1) {
			kill(t.pid, SIGSTOP);
			usleep(700);
			kill(t.pid, SIGCONT);
			usleep(700);
		}
		kill(t.pid, SIGCONT);
		_exit(0);
	}
	for (int i = 0; i < 20; i++)
		ok += lock(t.pid, &r) == 0;
	CHECK(write(tick[1], "x", 1) == 1);
	waitpid(stopper, NULL, 0);
	CHECK_EQ_INT(ok, 20);
	/* A process stopped when it is locked stays stopped. */
	kill(t.pid, SIGSTOP);
	for (int i = 0; i < 100 && state_of(t.pid) != 'T'; i++)
		usleep(10000);
	CHECK_EQ_INT(state_of(t.pid), 'T');
	CHECK_EQ_INT(lock(t.pid, &r), 0);
	usleep(100000);
	CHECK_EQ_INT(state_of(t.pid), 'T');
	kill(t.pid, SIGCONT);
	pid_t writer = feed(t.in, total, 0);
	waitpid(writer, NULL, 0);
	result(&t, line, sizeof(line));
	snprintf(want, sizeof(want), "read bytes=%zu sum=%llx errors=0", total,
		 (unsigned long long)stream_sum(total, NULL, NULL));
	CHECK_EQ_STR(line, want);
	close(tick[0]);
	close(tick[1]);
	reap(&t);
}

static void expect_refusal(pid_t pid, const struct duende_mlock_pid_config *c, int rc,
			   enum duende_mlock_pid_refusal why, const char *words)
{
	struct duende_mlock_pid_config cfg = c ? *c : (struct duende_mlock_pid_config)DUENDE_MLOCK_PID_CONFIG_INIT;
	struct duende_mlock_pid_result r;
	char text[4096];

	CHECK_EQ_INT(duende_mlock_lock_pid(pid, &cfg, &r, sizeof(r)), rc);
	CHECK_EQ_INT(r.refusal, why);
	CHECK_EQ_INT(r.threads_stopped, 0);
	CHECK(duende_mlock_pid_explain(&r, text, sizeof(text)) > 0);
	CHECK_CONTAINS(text, words);
}

static void refusals(void)
{
	struct target t;
	int status;

	/* no such process: a child that has been reaped */
	pid_t gone = fork();
	if (gone == 0)
		_exit(0);
	waitpid(gone, &status, 0);
	expect_refusal(gone, NULL, -ESRCH, DUENDE_MLOCK_PID_NO_SUCH_PROCESS, "no such process");
	/* a kernel thread */
	expect_refusal(2, NULL, -EPERM, DUENDE_MLOCK_PID_KERNEL_THREAD, "kernel thread");
	/* a zombie */
	pid_t zombie = fork();
	if (zombie == 0)
		_exit(0);
	for (int i = 0; i < 200 && state_of(zombie) != 'Z'; i++)
		usleep(5000);
	expect_refusal(zombie, NULL, -ESRCH, DUENDE_MLOCK_PID_ZOMBIE, "zombie");
	waitpid(zombie, &status, 0);
	/* itself */
	expect_refusal(getpid(), NULL, -EINVAL, DUENDE_MLOCK_PID_SELF, "lock_with_config");
	/* a configuration lean mode cannot meet from outside */
	struct duende_mlock_pid_config lean = DUENDE_MLOCK_PID_CONFIG_INIT;
	lean.lock.lean = true;
	expect_refusal(1, &lean, -EINVAL, DUENDE_MLOCK_PID_BAD_CONFIG, "lean");
	struct duende_mlock_pid_result r;
	CHECK_EQ_INT(duende_mlock_lock_pid(1, NULL, &r, 16), -EINVAL); /* too small */
	/* a caller built against a later version: what this one knows, the
	 * rest zeroed */
	unsigned char later[sizeof(r) + 64];
	memset(later, 0xff, sizeof(later));
	CHECK_EQ_INT(duende_mlock_lock_pid(2, NULL, (struct duende_mlock_pid_result *)(void *)later,
					   sizeof(later)),
		     -EPERM);
	struct duende_mlock_pid_result head;
	memcpy(&head, later, sizeof(head));
	CHECK_EQ_INT(head.size, sizeof(r));
	CHECK_EQ_INT(head.refusal, DUENDE_MLOCK_PID_KERNEL_THREAD);
	bool tail_zero = true;
	for (size_t i = sizeof(r); i < sizeof(later); i++)
		tail_zero = tail_zero && later[i] == 0;
	CHECK(tail_zero);

	/* a process whose only thread sits in D (vfork) past the wait */
	CHECK(start(&t, NULL, "vfork", NULL));
	struct duende_mlock_pid_config quick = DUENDE_MLOCK_PID_CONFIG_INIT;
	quick.stop_timeout_ms = 300;
	/* main thread waits on stdin (S), the vforking thread in D: the lock
	 * goes through the one outside the kernel */
	CHECK_EQ_INT(lock_with(t.pid, &quick, &r), 0);
	quick.io_flusher = true;
	CHECK(duende_mlock_lock_pid(t.pid, &quick, &r, sizeof(r)) != 0);
	CHECK_EQ_INT(r.steps[DUENDE_MLOCK_STEP_IO_FLUSHER].rc == -ETIMEDOUT ||
			     r.steps[DUENDE_MLOCK_STEP_IO_FLUSHER].rc == -EPERM, 1);
	reap(&t);

	/* a process whose every thread is in D: its main thread vforks */
	pid_t vchild_holder[1];
	int p[2];
	CHECK(pipe(p) == 0);
	pid_t dproc = fork();
	if (dproc == 0) {
		if (vfork() == 0) {
			pid_t me = getpid();
			(void)!write(p[1], &me, sizeof(me));
			for (;;)
				pause();
		}
		_exit(0);
	}
	CHECK(read(p[0], vchild_holder, sizeof(pid_t)) == (ssize_t)sizeof(pid_t));
	for (int i = 0; i < 200 && state_of(dproc) != 'D'; i++)
		usleep(5000);
	quick.io_flusher = false;
	expect_refusal(dproc, &quick, -ETIMEDOUT, DUENDE_MLOCK_PID_BLOCKED, "state D");
	CHECK_EQ_INT(status_field(dproc, "TracerPid"), 0);
	kill(vchild_holder[0], SIGKILL); /* the parent leaves vfork and exits */
	CHECK(waitpid(dproc, &status, 0) == dproc && WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(p[0]);
	close(p[1]);

	/* already traced: by a tracer of this test */
	CHECK(start(&t, NULL, "sleep", "3000"));
	int ready[2];
	CHECK(pipe(ready) == 0);
	pid_t tracer = fork();
	if (tracer == 0) {
		char c = ptrace(PTRACE_SEIZE, t.pid, NULL, NULL) == 0 ? 'y' : 'n';
		(void)!write(ready[1], &c, 1);
		pause();
		_exit(0);
	}
	char c = 0;
	CHECK(read(ready[0], &c, 1) == 1 && c == 'y');
	struct duende_mlock_pid_result tr;
	CHECK_EQ_INT(duende_mlock_lock_pid(t.pid, NULL, &tr, sizeof(tr)), -EBUSY);
	CHECK_EQ_INT(tr.refusal, DUENDE_MLOCK_PID_TRACED);
	CHECK_EQ_INT(tr.tracer, tracer);
	char text[2048];
	duende_mlock_pid_explain(&tr, text, sizeof(text));
	char want[64];
	snprintf(want, sizeof(want), "traced by process %d (test-lock-pid)", (int)tracer);
	CHECK_CONTAINS(text, want);
	kill(tracer, SIGKILL);
	waitpid(tracer, NULL, 0);
	close(ready[0]);
	close(ready[1]);
	reap(&t);
}

/* The start time names the process: another one under the PID is
 * refused, also when the PID really was reused (a PID namespace lets the
 * test hand the same PID out twice). */
static void pid_reuse(void)
{
	struct target t;
	struct duende_mlock_pid_config c = DUENDE_MLOCK_PID_CONFIG_INIT;
	struct duende_mlock_pid_result r;
	uint64_t start_time;

	CHECK(start(&t, NULL, "sleep", "1000"));
	CHECK_EQ_INT(duende_mlock_image_tree(t.pid, &t.pid, &start_time, 1), 1);
	c.start_time = start_time + 1;
	expect_refusal(t.pid, &c, -ESRCH, DUENDE_MLOCK_PID_REUSED, "another process");
	CHECK_EQ_INT(status_field(t.pid, "VmLck"), 0);
	c.start_time = start_time;
	CHECK_EQ_INT(lock_with(t.pid, &c, &r), 0);
	reap(&t);

	int p[2];
	CHECK(pipe(p) == 0);
	pid_t init = fork();
	if (init == 0) {
		int verdict = 2;

		if (unshare(CLONE_NEWPID | CLONE_NEWNS) != 0)
			_exit(77);
		pid_t ns_init = fork();
		if (ns_init == 0) {
			/* PID 1 of a namespace of its own, with its own /proc */
			if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
			    mount("proc", "/proc", "proc", 0, NULL) != 0)
				_exit(77);
			pid_t a = fork();
			if (a == 0) {
				pause();
				_exit(0);
			}
			uint64_t first;
			if (duende_mlock_image_tree(a, &a, &first, 1) != 1)
				_exit(3);
			kill(a, SIGKILL);
			waitpid(a, NULL, 0);
			int fd = open("/proc/sys/kernel/ns_last_pid", O_WRONLY);
			char num[16];
			int len = snprintf(num, sizeof(num), "%d", (int)a - 1);
			if (fd < 0 || write(fd, num, (size_t)len) != len)
				_exit(77);
			close(fd);
			struct timespec tick = { 0, 20000000 };
			nanosleep(&tick, NULL); /* a later start time, in ticks */
			pid_t b = fork();
			if (b == 0) {
				pause();
				_exit(0);
			}
			struct duende_mlock_pid_config cc = DUENDE_MLOCK_PID_CONFIG_INIT;
			struct duende_mlock_pid_result rr;
			cc.start_time = first;
			int rc = duende_mlock_lock_pid(b, &cc, &rr, sizeof(rr));
			int ok = b == a && rc == -ESRCH && rr.refusal == DUENDE_MLOCK_PID_REUSED &&
				 status_field(b, "VmLck") == 0;
			kill(b, SIGKILL);
			waitpid(b, NULL, 0);
			_exit(b != a ? 4 : ok ? 0 : 1);
		}
		int st;
		waitpid(ns_init, &st, 0);
		verdict = WIFEXITED(st) ? WEXITSTATUS(st) : 2;
		(void)!write(p[1], &verdict, sizeof(verdict));
		_exit(0);
	}
	int verdict = 2;
	CHECK(read(p[0], &verdict, sizeof(verdict)) == (ssize_t)sizeof(verdict));
	waitpid(init, NULL, 0);
	if (verdict == 77)
		fprintf(stderr, "SKIP [real PID reuse]: no PID namespace here\n");
	else
		CHECK_EQ_INT(verdict, 0);
	close(p[0]);
	close(p[1]);
}

static bool caller_has_cap(int cap)
{
	char line[256];
	unsigned long long caps = 0;
	FILE *f = fopen("/proc/self/status", "re");

	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "CapEff:", 7) == 0)
			caps = strtoull(line + 7, NULL, 16);
	if (f)
		fclose(f);
	return (caps >> cap) & 1;
}

static bool caller_has_sys_resource(void)
{
	return caller_has_cap(24); /* CAP_SYS_RESOURCE */
}

/* The target's limits decide, not the caller's: under a 64 KiB limit it
 * cannot lock, the words name its limits, its mapped size and the fix,
 * and it runs on unharmed. */
static void over_its_limit(void)
{
	static const char *const as_nobody[] = { "prlimit", "--memlock=65536:65536", "setpriv",
						 "--reuid=65534", "--regid=65534", "--clear-groups",
						 NULL };
	struct target t;
	struct duende_mlock_pid_result r;
	char text[4096], line[256], want[128];
	int rc, err, ms;

	if (access("/usr/bin/setpriv", X_OK) != 0 || access("/usr/bin/prlimit", X_OK) != 0) {
		fprintf(stderr, "SKIP [over its limit]: setpriv or prlimit missing (util-linux)\n");
		return;
	}
	CHECK(start(&t, as_nobody, "sleep", "1500"));
	if (caller_has_sys_resource()) {
		/* As real root: the raise of its hard limit is in the caller's
		 * power, so the lock succeeds, and says how. */
		CHECK_EQ_INT(lock(t.pid, &r), 0);
		CHECK_EQ_INT(r.steps[DUENDE_MLOCK_STEP_RAISE_MEMLOCK].rc, 0);
		CHECK(r.steps[DUENDE_MLOCK_STEP_RAISE_MEMLOCK].value == DUENDE_MLOCK_UNLIMITED);
		CHECK(status_field(t.pid, "VmLck") > 0);
		reap(&t);
		return;
	}
	CHECK_EQ_INT(lock(t.pid, &r), -ENOMEM);
	CHECK_EQ_INT(r.refusal, DUENDE_MLOCK_PID_ACCEPTED);
	CHECK_EQ_INT(r.lock_status.memlock_soft, 65536);
	CHECK_EQ_INT(r.lock_status.memlock_hard, 65536);
	CHECK(!(r.lock_status.flags & DUENDE_MLOCK_F_CAP_IPC_LOCK));
	CHECK_EQ_INT(r.lock_status.mapped_bytes, status_field(t.pid, "VmSize") * 1024);
	duende_mlock_pid_explain(&r, text, sizeof(text));
	CHECK_CONTAINS(text, "RLIMIT_MEMLOCK allows 64 KiB");
	CHECK_CONTAINS(text, "the process maps ");
	snprintf(want, sizeof(want), "prlimit --pid %d --memlock=", (int)t.pid);
	CHECK_CONTAINS(text, want);
	CHECK_CONTAINS(text, "its hard limit is 64 KiB");
	CHECK_EQ_INT(status_field(t.pid, "VmLck"), 0);
	result(&t, line, sizeof(line));
	CHECK(sscanf(line, "sleep rc=%d errno=%d ms=%d", &rc, &err, &ms) == 3);
	CHECK(rc == 0 && err == 0 && ms >= 1500 && ms < 2100);
	reap(&t);
}

/* Its soft and hard RLIMIT_MEMLOCK, from /proc/PID/limits (bytes;
 * UINT64_MAX unlimited, 0 unread). */
static void memlock_limits(pid_t pid, uint64_t *soft, uint64_t *hard)
{
	char path[64], line[256], s[32], h[32];
	FILE *f;

	*soft = *hard = 0;
	snprintf(path, sizeof(path), "/proc/%d/limits", (int)pid);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "Max locked memory", 17) == 0 &&
		    sscanf(line + 17, "%31s %31s", s, h) == 2) {
			*soft = strcmp(s, "unlimited") == 0 ? UINT64_MAX : strtoull(s, NULL, 10);
			*hard = strcmp(h, "unlimited") == 0 ? UINT64_MAX : strtoull(h, NULL, 10);
		}
	if (f)
		fclose(f);
}

/* A process that holds CAP_IPC_LOCK (root) under a 64 KiB limit locks
 * whatever its limit; a caller with CAP_SYS_RESOURCE makes the limit
 * unlimited all the same, so that a later drop of root cannot leave the
 * lock above it (what exec does, and what doctor warns about). */
static void ipc_lock_holder_limit(void)
{
	static const char *const small[] = { "prlimit", "--memlock=65536:65536", NULL };
	struct target t;
	struct duende_mlock_pid_result r;
	uint64_t soft, hard;

	if (access("/usr/bin/prlimit", X_OK) != 0) {
		fprintf(stderr, "SKIP [CAP_IPC_LOCK holder's limit]: prlimit missing (util-linux)\n");
		return;
	}
	if (!caller_has_cap(14)) { /* the target, its child, holds what it holds */
		fprintf(stderr, "SKIP [CAP_IPC_LOCK holder's limit]: this root lacks CAP_IPC_LOCK\n");
		return;
	}
	CHECK(start(&t, small, "sleep", "1000"));
	CHECK_EQ_INT(lock(t.pid, &r), 0);
	CHECK(status_field(t.pid, "VmLck") > 64);
	memlock_limits(t.pid, &soft, &hard);
	if (caller_has_sys_resource()) {
		CHECK_EQ_INT(r.steps[DUENDE_MLOCK_STEP_RAISE_MEMLOCK].rc, 0);
		CHECK(r.steps[DUENDE_MLOCK_STEP_RAISE_MEMLOCK].value == DUENDE_MLOCK_UNLIMITED);
		CHECK(soft == UINT64_MAX && hard == UINT64_MAX);
	} else {
		CHECK(soft == 65536 && hard == 65536); /* nothing to gain, nothing asked */
	}
	reap(&t);
}

/* Another user's process, from a caller that has dropped CAP_SYS_PTRACE
 * with setpriv: refused, and named so. */
static void another_users_process(const char *self)
{
	static const char *const as_nobody[] = { "setpriv", "--reuid=65534", "--regid=65534",
						 "--clear-groups", NULL };
	struct target t;
	char cmd[4200], line[4096] = "";
	FILE *f;

	if (access("/usr/bin/setpriv", X_OK) != 0) {
		fprintf(stderr, "SKIP [another user's process]: setpriv missing (util-linux)\n");
		return;
	}
	CHECK(start(&t, as_nobody, "sleep", "1500"));
	snprintf(cmd, sizeof(cmd), "setpriv --bounding-set=-sys_ptrace %s --lock %d 2>&1", self,
		 (int)t.pid);
	f = popen(cmd, "r");
	CHECK(f && fgets(line, sizeof(line), f));
	if (f)
		pclose(f);
	CHECK_CONTAINS(line, "refusal=7 rc=-1 ");
	CHECK_CONTAINS(line, "it runs as uid 65534, this caller as uid 0 without CAP_SYS_PTRACE");
	CHECK_EQ_INT(status_field(t.pid, "TracerPid"), 0);
	CHECK_EQ_INT(status_field(t.pid, "VmLck"), 0);
	reap(&t);
}

/* A process in a PID namespace of its own (a container's) is named by
 * the PID seen here, and the words give both. */
static void in_a_pid_namespace(void)
{
	static const char *const unshared[] = { "unshare", "--pid", "--fork", NULL };
	struct target t;
	struct duende_mlock_pid_result r;
	char path[64], text[4096], want[160];
	pid_t child = 0;
	FILE *f;

	if (access("/usr/bin/unshare", X_OK) != 0) {
		fprintf(stderr, "SKIP [PID namespace]: unshare missing (util-linux)\n");
		return;
	}
	CHECK(start(&t, unshared, "sleep", "1500"));
	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)t.pid, (int)t.pid);
	f = fopen(path, "re");
	if (!f || fscanf(f, "%d", &child) != 1)
		child = 0;
	if (f)
		fclose(f);
	CHECK(child > 0);
	if (child > 0) {
		CHECK_EQ_INT(lock(child, &r), 0);
		CHECK(r.flags & DUENDE_MLOCK_PID_F_PID_NAMESPACE);
		CHECK_EQ_INT(r.ns_pid, 1);
		duende_mlock_pid_explain(&r, text, sizeof(text));
		snprintf(want, sizeof(want), "where it is PID 1; %d is its PID here", (int)child);
		CHECK_CONTAINS(text, want);
		kill(child, SIGKILL);
	}
	reap(&t);
}

/* --lock PID: one attempt, its refusal and words on one line. */
static int lock_and_say(const char *pid)
{
	struct duende_mlock_pid_result r;
	char text[4096];
	int rc = duende_mlock_lock_pid(atoi(pid), NULL, &r, sizeof(r));

	duende_mlock_pid_explain(&r, text, sizeof(text));
	text[strcspn(text, "\n")] = '\0';
	printf("refusal=%d rc=%d %s\n", (int)r.refusal, rc, text);
	return 0;
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
	if (argc == 3 && strcmp(argv[1], "--lock") == 0)
		return lock_and_say(argv[2]);
	target_path = target_beside(argc, argv);
	/* A sanitizer's runtime in the target reserves terabytes of shadow
	 * memory, which a lock from outside would try to fault in (the
	 * runtime makes the target's own mlockall a no-op for that reason). */
	if (T_SANITIZER)
		SKIP("the target carries the sanitizer's runtime, whose shadow memory cannot be "
		     "locked; the lock from outside is checked in the native build");
	if (t_under_valgrind())
		SKIP("valgrind does not follow a forked tracer's ptrace requests");
	if (geteuid() != 0)
		SKIP("needs root (tracing a process, CAP_SYS_PTRACE over others' processes)");
	signal(SIGPIPE, SIG_IGN);
	struct target probe;
	struct duende_mlock_pid_result r;
	if (!start(&probe, NULL, "sleep", "1000"))
		SKIP("cannot run %s", target_path);
	int rc = lock(probe.pid, &r);
	reap(&probe);
	if (r.refusal == DUENDE_MLOCK_PID_ARCH)
		SKIP("locking from outside is not built for this architecture");
	if (r.refusal == DUENDE_MLOCK_PID_YAMA || r.refusal == DUENDE_MLOCK_PID_NO_PERMISSION)
		SKIP("ptrace is refused here (Yama or no CAP_SYS_PTRACE)");
	CHECK_EQ_INT(rc, 0);
	blocked_in_sleep();
	blocked_in_read();
	blocked_in_epoll();
	blocked_in_futex();
	stream_locked_30_times();
	signals_during_attach();
	stop_and_continue_during_attach();
	refusals();
	pid_reuse();
	over_its_limit();
	ipc_lock_holder_limit();
	in_a_pid_namespace();
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		another_users_process(self);
	}
	return t_result();
}
