/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * refdaemon: the reference daemon of the footprint benchmark. N threads
 * each malloc and touch their share of W MiB in chunks, as a server's
 * worker threads fill their buffers; while they are all alive the process
 * measures what it pins and prints one key=value line.
 *
 *   refdaemon --threads N --mib W --mode none|default|lean [--chunk KIB]
 */
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <duende-mlock.h>

static size_t per_thread, chunk;
static pthread_barrier_t touched, measured;

static void *worker(void *arg)
{
	size_t n = per_thread / chunk;
	char **blocks = calloc(n ? n : 1, sizeof(*blocks));

	(void)arg;
	for (size_t i = 0; blocks && i < n; i++) {
		blocks[i] = malloc(chunk);
		if (blocks[i])
			memset(blocks[i], (int)i, chunk);
	}
	pthread_barrier_wait(&touched);
	pthread_barrier_wait(&measured);
	for (size_t i = 0; blocks && i < n; i++)
		free(blocks[i]);
	free(blocks);
	return NULL;
}

static int usage(void)
{
	fprintf(stderr, "usage: refdaemon --threads N --mib W --mode none|default|lean [--chunk KIB]\n");
	return 64;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "threads", required_argument, NULL, 't' },
		{ "mib", required_argument, NULL, 'm' },
		{ "mode", required_argument, NULL, 'M' },
		{ "chunk", required_argument, NULL, 'c' },
		{ 0, 0, 0, 0 },
	};
	long threads = 0, mib = 0, chunk_kib = 64;
	const char *mode = NULL;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		char *end = NULL;
		switch (c) {
		case 't': threads = strtol(optarg, &end, 10); break;
		case 'm': mib = strtol(optarg, &end, 10); break;
		case 'c': chunk_kib = strtol(optarg, &end, 10); break;
		case 'M': mode = optarg; break;
		default: return usage();
		}
		if (end && *end)
			return usage();
	}
	if (threads < 1 || threads > 4096 || mib < 1 || mib > 65536 || chunk_kib < 1 || !mode)
		return usage();

	struct duende_mlock_config cfg = DUENDE_MLOCK_CONFIG_INIT;
	struct duende_mlock_status st;
	if (strcmp(mode, "lean") == 0)
		cfg.lean = true;
	else if (strcmp(mode, "none") == 0)
		cfg.current = cfg.future = false;
	else if (strcmp(mode, "default") != 0)
		return usage();
	int rc = duende_mlock_lock_with_config(&cfg, &st);
	if (rc) {
		fprintf(stderr, "refdaemon: %s\n", duende_mlock_strerror(rc));
		return 1;
	}

	chunk = (size_t)chunk_kib << 10;
	per_thread = ((size_t)mib << 20) / (size_t)threads / chunk * chunk;
	pthread_barrier_init(&touched, NULL, (unsigned)threads + 1);
	pthread_barrier_init(&measured, NULL, (unsigned)threads + 1);
	pthread_t *t = calloc((size_t)threads, sizeof(*t));
	for (long i = 0; i < threads; i++)
		if (pthread_create(&t[i], NULL, worker, NULL) != 0) {
			fprintf(stderr, "refdaemon: pthread_create failed at thread %ld\n", i);
			return 1;
		}
	pthread_barrier_wait(&touched);

	struct duende_mlock_report r;
	rc = duende_mlock_report_pid(0, &r);
	printf("mode=%s threads=%ld touched=%zu rss=%llu pinned=%llu vmlck=%llu rc=%d\n", mode, threads,
	       per_thread * (size_t)threads, (unsigned long long)r.vm_rss,
	       (unsigned long long)r.locked_resident, (unsigned long long)r.vm_lck, rc);
	pthread_barrier_wait(&measured);
	for (long i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	free(t);
	return rc ? 1 : 0;
}
