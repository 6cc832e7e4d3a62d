/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * remotebench: the time to lock a running process of N MiB resident from
 * outside (duende_mlock_lock_pid(), everything it does included: the
 * checks, the forked tracer, the call inside the target, the check of its
 * /proc afterwards) against the same process calling mlockall itself, in
 * the same run: fresh processes, the two alternating.
 *
 *   remotebench --mib N [--rounds R]
 * prints one line per round ("self NS outside NS stop NS") and then the
 * medians and their ratio.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <duende-mlock.h>

static double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

struct resident {
	pid_t pid;
	int cmd, reply; /* pipes to and from it */
};

/* A process with mib MiB touched, waiting for "l" (lock yourself, say how
 * long it took) or "q" (quit). */
static int start_resident(long mib, struct resident *r)
{
	int to[2], from[2];

	if (pipe(to) != 0 || pipe(from) != 0)
		return -1;
	r->pid = fork();
	if (r->pid == 0) {
		size_t len = (size_t)mib << 20;
		char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		char c;
		double ns = 0;

		close(to[1]);
		close(from[0]);
		if (p == MAP_FAILED)
			_exit(1);
		for (size_t i = 0; i < len; i += 4096)
			p[i] = 1;
		(void)!write(from[1], &ns, sizeof(ns));
		while (read(to[0], &c, 1) == 1 && c == 'l') {
			double t0 = now_ns();
			int rc = mlockall(MCL_CURRENT | MCL_FUTURE);
			ns = rc == 0 ? now_ns() - t0 : -1;
			(void)!write(from[1], &ns, sizeof(ns));
		}
		_exit(0);
	}
	close(to[0]);
	close(from[1]);
	r->cmd = to[1];
	r->reply = from[0];
	double ready;
	return read(r->reply, &ready, sizeof(ready)) == (ssize_t)sizeof(ready) ? 0 : -1;
}

static void stop_resident(struct resident *r)
{
	(void)!write(r->cmd, "q", 1);
	close(r->cmd);
	close(r->reply);
	waitpid(r->pid, NULL, 0);
}

static double time_self(long mib)
{
	struct resident r;
	double ns = -1;

	if (start_resident(mib, &r) != 0)
		return -1;
	if (write(r.cmd, "l", 1) != 1 || read(r.reply, &ns, sizeof(ns)) != (ssize_t)sizeof(ns))
		ns = -1;
	stop_resident(&r);
	return ns;
}

static double time_outside(long mib, double *stop_ns)
{
	struct duende_mlock_pid_config c = DUENDE_MLOCK_PID_CONFIG_INIT;
	struct duende_mlock_pid_result res;
	struct resident r;
	double t0, ns;

	if (start_resident(mib, &r) != 0)
		return -1;
	t0 = now_ns();
	int rc = duende_mlock_lock_pid(r.pid, &c, &res, sizeof(res));
	ns = now_ns() - t0;
	if (rc != 0) {
		char why[2048];

		duende_mlock_pid_explain(&res, why, sizeof(why));
		fprintf(stderr, "remotebench: %s\n", why);
		ns = -1;
	}
	*stop_ns = (double)res.longest_stop_ns;
	stop_resident(&r);
	return ns;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(v[0]), cmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "mib", required_argument, NULL, 'm' },
		{ "rounds", required_argument, NULL, 'r' },
		{ 0, 0, 0, 0 },
	};
	long mib = 1024;
	int rounds = 7, c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'm')
			mib = atol(optarg);
		else if (c == 'r')
			rounds = atoi(optarg);
		else
			return 64;
	}
	if (mib <= 0 || rounds <= 0 || rounds > 1000)
		return 64;
	double *self = calloc((size_t)rounds, sizeof(double));
	double *out = calloc((size_t)rounds, sizeof(double));
	double *stop = calloc((size_t)rounds, sizeof(double));
	if (!self || !out || !stop)
		return 1;
	for (int i = 0; i < rounds; i++) {
		/* alternate which goes first */
		if (i % 2) {
			out[i] = time_outside(mib, &stop[i]);
			self[i] = time_self(mib);
		} else {
			self[i] = time_self(mib);
			out[i] = time_outside(mib, &stop[i]);
		}
		if (self[i] < 0 || out[i] < 0)
			return 1;
		printf("round %d: self %.1f ms outside %.1f ms (target stopped %.1f ms)\n", i + 1,
		       self[i] / 1e6, out[i] / 1e6, stop[i] / 1e6);
	}
	double ms = median(self, rounds), mo = median(out, rounds), mst = median(stop, rounds);
	printf("%ld MiB resident: mlockall itself %.1f ms, from outside %.1f ms (target stopped "
	       "%.1f ms), ratio %.3fx, median of %d\n",
	       mib, ms / 1e6, mo / 1e6, mst / 1e6, mo / ms, rounds);
	free(self);
	free(out);
	free(stop);
	return 0;
}
