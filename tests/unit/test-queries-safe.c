/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* The queries never allocate: called from a signal handler that interrupts
 * threads busy in malloc, and in the child of a threaded fork(), with a
 * malloc interposer that records any allocation made during a query. */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "duende-mlock.h"
#include "harness.h"

#if T_SANITIZER || !defined(__GLIBC__)
/* The interposer below forwards to glibc's own allocator; sanitizers and
 * other libcs bring their own. */
int main(void)
{
	SKIP("the malloc interposer needs glibc without a sanitizer");
}
#else

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);

static _Thread_local int in_query;
static atomic_int allocations_in_query;
static atomic_int queries_done;
static atomic_int stop;

void *malloc(size_t n)
{
	if (in_query)
		atomic_fetch_add(&allocations_in_query, 1);
	return __libc_malloc(n);
}

void *calloc(size_t a, size_t b)
{
	if (in_query)
		atomic_fetch_add(&allocations_in_query, 1);
	return __libc_calloc(a, b);
}

void *realloc(void *p, size_t n)
{
	if (in_query)
		atomic_fetch_add(&allocations_in_query, 1);
	return __libc_realloc(p, n);
}

void free(void *p)
{
	__libc_free(p);
}

static int run_queries(void)
{
	size_t bytes = 0;
	int ok;

	in_query = 1;
	ok = duende_mlock_read_locked_bytes(&bytes) == 0;
	(void)duende_mlock_is_locked();
	(void)duende_mlock_locked_bytes();
	in_query = 0;
	return ok;
}

static void on_signal(int sig)
{
	int saved = errno;

	(void)sig;
	errno = 12345;
	if (run_queries())
		atomic_fetch_add(&queries_done, 1);
	if (errno != 12345) /* the queries must preserve errno */
		atomic_fetch_add(&allocations_in_query, 1000);
	errno = saved;
}

static void *allocator(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop)) {
		void *p[64];
		for (int i = 0; i < 64; i++)
			p[i] = malloc((size_t)(i + 1) * 977);
		for (int i = 0; i < 64; i++)
			free(p[i]);
	}
	return NULL;
}

int main(void)
{
	pthread_t threads[3];
	struct sigaction sa = { .sa_handler = on_signal };
	struct timespec end, now;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	for (int i = 0; i < 3; i++)
		pthread_create(&threads[i], NULL, allocator, NULL);

	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += 1;
	int sent = 0;
	do {
		pthread_kill(threads[sent % 3], SIGUSR1);
		sent++;
		usleep(500);
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (now.tv_sec < end.tv_sec || (now.tv_sec == end.tv_sec && now.tv_nsec < end.tv_nsec));

	/* fork while the allocators run: the child's malloc may be unusable. */
	for (int i = 0; i < 20; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			alarm(5);
			_exit(run_queries() && !allocations_in_query ? 0 : 1);
		}
		int status = 0;
		CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}

	atomic_store(&stop, 1);
	for (int i = 0; i < 3; i++)
		pthread_join(threads[i], NULL);
	CHECK_EQ_INT(atomic_load(&allocations_in_query), 0);
	CHECK(atomic_load(&queries_done) > 100);
	fprintf(stderr, "%d signals, %d queries answered in handlers\n", sent,
		atomic_load(&queries_done));
	/* the interposer is live: a plain allocation during a "query" counts */
	in_query = 1;
	void *volatile probe = malloc(16); /* volatile: the pair may not be elided */
	free(probe);
	in_query = 0;
	CHECK_EQ_INT(atomic_load(&allocations_in_query), 1);
	return t_result();
}
#endif
