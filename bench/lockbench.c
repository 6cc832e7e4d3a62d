/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * lockbench: one measurement per process, printed as a number, so that a
 * driver (bench/run.sh) can alternate the library and the raw system call
 * in fresh processes and compare them in the same run.
 *
 *   lockbench lock  --impl ours|raw [--onfault] --mib N   ns for one lock of N MiB touched
 *   lockbench map   --impl ours|raw [--onfault] --mib N   same, N MiB mapped but untouched
 *   lockbench query --impl is-locked|locked-bytes|raw --iters K   ns per query
 *   lockbench pair  --impl is-locked|locked-bytes --iters K
 *       blocks of K calls, ours and raw alternating in one process, 201
 *       blocks each: prints the median ns per call of ours, then of raw
 */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <duende-mlock.h>

static double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

/* The baseline: what a program does without the library. */
static size_t raw_locked_bytes(void)
{
	char buf[4096];
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	char *p = strstr(buf, "VmLck:");
	return p ? strtoul(p + 6, NULL, 10) * 1024 : 0;
}

static int bench_lock(const char *impl, bool onfault, long mib, bool touch)
{
	size_t len = (size_t)mib << 20;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	double t0, t1;
	int rc;

	if (p == MAP_FAILED) {
		perror("lockbench: mmap");
		return 1;
	}
	if (touch)
		for (size_t off = 0; off < len; off += 4096)
			p[off] = 1;
	if (strcmp(impl, "raw") == 0) {
		int flags = MCL_CURRENT | MCL_FUTURE | (onfault ? MCL_ONFAULT : 0);
		t0 = now_ns();
		rc = mlockall(flags);
		t1 = now_ns();
	} else {
		struct duende_mlock_config cfg = DUENDE_MLOCK_CONFIG_INIT;
		struct duende_mlock_status st;
		cfg.onfault = onfault;
		t0 = now_ns();
		rc = duende_mlock_lock_with_config(&cfg, &st);
		t1 = now_ns();
	}
	if (rc) {
		fprintf(stderr, "lockbench: lock failed (%d)\n", rc);
		return 1;
	}
	printf("%.0f\n", t1 - t0);
	return 0;
}

/* ns per call of iters calls, or a negative value for an unknown impl */
static double time_calls(const char *impl, long iters)
{
	volatile size_t sink = 0;
	double t0 = now_ns();

	if (strcmp(impl, "raw") == 0)
		for (long i = 0; i < iters; i++)
			sink += raw_locked_bytes();
	else if (strcmp(impl, "is-locked") == 0)
		for (long i = 0; i < iters; i++)
			sink += duende_mlock_is_locked();
	else if (strcmp(impl, "locked-bytes") == 0)
		for (long i = 0; i < iters; i++)
			sink += duende_mlock_locked_bytes();
	else
		return -1;
	(void)sink;
	return iters ? (now_ns() - t0) / (double)iters : 0.0;
}

static int bench_query(const char *impl, long iters)
{
	double ns = time_calls(impl, iters);

	if (ns < 0)
		return 64;
	printf("%.1f\n", ns);
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

#define PAIR_BLOCKS 201

static int bench_pair(const char *impl, long iters)
{
	static double ours[PAIR_BLOCKS], raw[PAIR_BLOCKS];

	if (strcmp(impl, "raw") == 0 || iters < 1)
		return 64;
	for (int b = 0; b < PAIR_BLOCKS; b++) {
		ours[b] = time_calls(impl, iters);
		raw[b] = time_calls("raw", iters);
		if (ours[b] < 0)
			return 64;
	}
	qsort(ours, PAIR_BLOCKS, sizeof(double), cmp_double);
	qsort(raw, PAIR_BLOCKS, sizeof(double), cmp_double);
	printf("%.1f %.1f\n", ours[PAIR_BLOCKS / 2], raw[PAIR_BLOCKS / 2]);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "impl", required_argument, NULL, 'i' },
		{ "onfault", no_argument, NULL, 'o' },
		{ "mib", required_argument, NULL, 'm' },
		{ "iters", required_argument, NULL, 'n' },
		{ 0, 0, 0, 0 },
	};
	const char *impl = NULL;
	bool onfault = false;
	long mib = 0, iters = -1;
	int c;

	if (argc < 2)
		goto usage;
	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'i': impl = optarg; break;
		case 'o': onfault = true; break;
		case 'm': mib = strtol(optarg, NULL, 10); break;
		case 'n': iters = strtol(optarg, NULL, 10); break;
		default: goto usage;
		}
	}
	if (!impl)
		goto usage;
	if ((strcmp(argv[1], "lock") == 0 || strcmp(argv[1], "map") == 0) && mib > 0 && mib <= 65536 &&
	    (strcmp(impl, "ours") == 0 || strcmp(impl, "raw") == 0))
		return bench_lock(impl, onfault, mib, strcmp(argv[1], "lock") == 0);
	if (strcmp(argv[1], "query") == 0 && iters >= 0)
		return bench_query(impl, iters);
	if (strcmp(argv[1], "pair") == 0 && iters >= 1)
		return bench_pair(impl, iters);
usage:
	fprintf(stderr, "usage: lockbench lock|map --impl ours|raw [--onfault] --mib N\n"
			"       lockbench query --impl is-locked|locked-bytes|raw --iters K\n"
			"       lockbench pair --impl is-locked|locked-bytes --iters K\n");
	return 64;
}
