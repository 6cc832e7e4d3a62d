/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* Lean mode: what is mapped now is populated and locked, later mappings
 * are locked on fault, new threads get small stacks and malloc keeps one
 * arena, so VmLck stays close to what the threads touch. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sys/mman.h>

#include "duende-mlock.h"
#include "harness.h"
#include "proc-util.h"

#define THREADS 8

static size_t thread_stack[THREADS];
static char stack_flags[THREADS][256];

static void *worker(void *arg)
{
	long i = (long)arg;
	pthread_attr_t attr;
	void *lo;
	char local;
	void *blocks[16];

	pthread_getattr_np(pthread_self(), &attr);
	pthread_attr_getstack(&attr, &lo, &thread_stack[i]);
	pthread_attr_destroy(&attr);
	t_vmflags_of(&local, stack_flags[i], sizeof(stack_flags[i]));
	for (int b = 0; b < 16; b++) {
		blocks[b] = malloc(64 * 1024);
		memset(blocks[b], 1, 64 * 1024);
	}
	for (int b = 0; b < 16; b++)
		free(blocks[b]);
	return NULL;
}

int main(void)
{
	struct duende_mlock_config cfg = DUENDE_MLOCK_CONFIG_INIT;
	struct duende_mlock_status st;
	pthread_t t[THREADS];
	char flags[256];
	static char early[4096]; /* mapped before the lock: populated, no lf */

	SKIP_UNDER_SANITIZER();

	cfg.lean = true;
	int rc = duende_mlock_lock_with_config(&cfg, &st);
	if (rc == -EPERM || rc == -ENOMEM)
		SKIP("this process may not lock (%s)", duende_mlock_strerror(rc));
	CHECK_EQ_INT(rc, 0);
	CHECK(st.flags & DUENDE_MLOCK_F_LEAN);
	CHECK(st.flags & DUENDE_MLOCK_F_CURRENT);
	CHECK(st.flags & DUENDE_MLOCK_F_FUTURE);
	CHECK(st.flags & DUENDE_MLOCK_F_ONFAULT);

	t_vmflags_of(early, flags, sizeof(flags));
	CHECK(t_has_flag(flags, "lo"));
	CHECK(!t_has_flag(flags, "lf"));

	long long lck_before = t_status_kb("VmLck");
	for (long i = 0; i < THREADS; i++)
		CHECK_EQ_INT(pthread_create(&t[i], NULL, worker, (void *)i), 0);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < THREADS; i++) {
		/* libcs may add their thread-local area to the stack they report */
		CHECK(thread_stack[i] >= DUENDE_MLOCK_LEAN_STACK_DEFAULT &&
		      thread_stack[i] < DUENDE_MLOCK_LEAN_STACK_DEFAULT + (64 << 10));
		CHECK(t_has_flag(stack_flags[i], "lo"));
		CHECK(t_has_flag(stack_flags[i], "lf") || !t_kernel_shows_lf());
	}
	/* One arena: no 64 MiB heap reservations were charged to VmLck. With
	 * the default settings 8 threads would add at least 64 MiB. */
	long long grown = t_status_kb("VmLck") - lck_before;
	fprintf(stderr, "VmLck grew by %lld KiB for %d threads\n", grown / 1024, THREADS);
	if (!t_under_valgrind())
		CHECK(grown < 16ll << 20);

	/* a later anonymous mapping is locked on fault, not populated */
	long long rss = t_status_kb("VmRSS");
	char *p = mmap(NULL, 16 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(t_status_kb("VmRSS") - rss < 4 << 20);
	t_vmflags_of(p, flags, sizeof(flags));
	CHECK(t_has_flag(flags, "lf") || !t_kernel_shows_lf());

	/* a custom stack size applies to threads created afterwards */
	CHECK_EQ_INT(duende_mlock_unlock_all(), 0);
	cfg.lean_stack_size = 1 << 20;
	CHECK_EQ_INT(duende_mlock_lock_with_config(&cfg, &st), 0);
	CHECK_EQ_INT(pthread_create(&t[0], NULL, worker, (void *)0), 0);
	pthread_join(t[0], NULL);
	CHECK(thread_stack[0] >= 1 << 20 && thread_stack[0] < (1 << 20) + (64 << 10));
	return t_result();
}
