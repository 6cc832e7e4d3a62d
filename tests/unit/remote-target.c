/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * A static program for the tests of locking from outside: it blocks in one
 * system call, and reports on stdout what that call returned and how long
 * it took, so the test can tell that being locked from outside changed
 * nothing it sees. Linked statically: no loader could preload it.
 *   sleep MS     nanosleep(MS); "sleep rc=R errno=E ms=T"
 *   read         read stdin to EOF; "read bytes=N sum=S errors=E"
 *   epoll        epoll_wait(stdin, no timeout), then read a line; "epoll n=N errno=E"
 *   futex N      N threads wait on a condition variable; one line on stdin wakes
 *                them; "futex woken=N errors=E"
 *   signals      counts SIGRTMIN (SA_RESTART) while reading stdin to EOF;
 *                "signals got=N bytes=B sum=S errors=E"
 *   vfork        a thread vforks a child that waits: the parent thread sits in D
 *   map MIB      touches MIB of memory, then waits on stdin; "map done"
 *   pageout MIB  fills MIB with a pattern and pages it out (MADV_PAGEOUT: to
 *                swap), waits on stdin, then checks it; "pageout ok=1"
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* "ready" once the program is about to block. */
static void ready(void)
{
	fputs("ready\n", stdout);
	fflush(stdout);
}

static int do_sleep(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };
	double t0 = now_ms();

	ready();
	int rc = nanosleep(&ts, NULL);
	printf("sleep rc=%d errno=%d ms=%.0f\n", rc, rc ? errno : 0, now_ms() - t0);
	return 0;
}

/* Reads stdin to EOF: bytes and an FNV-1a sum; any read error counted. */
static void read_all(uint64_t *bytes, uint64_t *sum, int *errors)
{
	unsigned char buf[65536];
	uint64_t h = 1469598103934665603u;

	*bytes = 0;
	*errors = 0;
	for (;;) {
		ssize_t n = read(0, buf, sizeof(buf));
		if (n < 0) {
			if (errno != EINTR)
				(*errors)++;
			else
				(*errors) += 1000; /* an EINTR that leaked */
			if (*errors > 5000)
				break;
			continue;
		}
		if (n == 0)
			break;
		for (ssize_t i = 0; i < n; i++)
			h = (h ^ buf[i]) * 1099511628211u;
		*bytes += (uint64_t)n;
	}
	*sum = h;
}

static int do_read(void)
{
	uint64_t bytes, sum;
	int errors;

	ready();
	read_all(&bytes, &sum, &errors);
	printf("read bytes=%llu sum=%llx errors=%d\n", (unsigned long long)bytes,
	       (unsigned long long)sum, errors);
	return 0;
}

static int do_epoll(void)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int ep = epoll_create1(0);
	char line[64];

	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, 0, &ev) != 0)
		return 2;
	ready();
	int n = epoll_wait(ep, &ev, 1, -1);
	int err = n < 0 ? errno : 0;
	ssize_t got = read(0, line, sizeof(line));
	printf("epoll n=%d errno=%d got=%zd\n", n, err, got);
	return 0;
}

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int go, woken, waiting;

static void *waiter(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&mu);
	waiting++;
	while (!go)
		pthread_cond_wait(&cv, &mu);
	woken++;
	pthread_mutex_unlock(&mu);
	return NULL;
}

static int do_futex(int n)
{
	pthread_t t[64];
	char line[64];
	int errors = 0;

	if (n < 1 || n > 64)
		return 2;
	for (int i = 0; i < n; i++)
		if (pthread_create(&t[i], NULL, waiter, NULL) != 0)
			return 2;
	for (;;) {
		pthread_mutex_lock(&mu);
		int w = waiting;
		pthread_mutex_unlock(&mu);
		if (w == n)
			break;
		usleep(1000);
	}
	ready();
	ssize_t got = read(0, line, sizeof(line));
	if (got <= 0)
		errors++;
	pthread_mutex_lock(&mu);
	go = 1;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	printf("futex woken=%d errors=%d\n", woken, errors);
	return 0;
}

static volatile sig_atomic_t got_signals;

static void on_signal(int sig)
{
	(void)sig;
	got_signals++;
}

static int do_signals(void)
{
	struct sigaction sa;
	uint64_t bytes, sum;
	int errors;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGRTMIN, &sa, NULL);
	ready();
	read_all(&bytes, &sum, &errors);
	printf("signals got=%d bytes=%llu sum=%llx errors=%d\n", (int)got_signals,
	       (unsigned long long)bytes, (unsigned long long)sum, errors);
	return 0;
}

static void *vforker(void *arg)
{
	(void)arg;
	if (vfork() == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL); /* gone with the test's target */
		for (;;)
			pause();
	}
	return NULL;
}

static int do_vfork(void)
{
	pthread_t t;
	char line[64];

	if (pthread_create(&t, NULL, vforker, NULL) != 0)
		return 2;
	ready();
	(void)!read(0, line, sizeof(line));
	return 0;
}

static int do_map(long mib)
{
	size_t n = (size_t)mib << 20;
	char *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char line[64];

	if (p == MAP_FAILED)
		return 2;
	for (size_t i = 0; i < n; i += 4096)
		p[i] = 1;
	ready();
	(void)!read(0, line, sizeof(line));
	printf("map done\n");
	return 0;
}

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif

static int do_pageout(long mib)
{
	size_t n = (size_t)mib << 20;
	unsigned char *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char line[64];
	int ok = 1;

	if (p == MAP_FAILED)
		return 2;
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(i * 7 + i / 4096);
	if (madvise(p, n, MADV_PAGEOUT) != 0)
		return 3;
	ready();
	(void)!read(0, line, sizeof(line));
	for (size_t i = 0; i < n; i++)
		if (p[i] != (unsigned char)(i * 7 + i / 4096))
			ok = 0;
	printf("pageout ok=%d\n", ok);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 3 && strcmp(argv[1], "sleep") == 0)
		return do_sleep(atol(argv[2]));
	if (argc >= 2 && strcmp(argv[1], "read") == 0)
		return do_read();
	if (argc >= 2 && strcmp(argv[1], "epoll") == 0)
		return do_epoll();
	if (argc >= 3 && strcmp(argv[1], "futex") == 0)
		return do_futex(atoi(argv[2]));
	if (argc >= 2 && strcmp(argv[1], "signals") == 0)
		return do_signals();
	if (argc >= 2 && strcmp(argv[1], "vfork") == 0)
		return do_vfork();
	if (argc >= 3 && strcmp(argv[1], "map") == 0)
		return do_map(atol(argv[2]));
	if (argc >= 3 && strcmp(argv[1], "pageout") == 0)
		return do_pageout(atol(argv[2]));
	fprintf(stderr, "usage: remote-target sleep MS|read|epoll|futex N|signals|vfork|map MIB\n");
	return 2;
}
