/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* Many threads lock, unlock and query at once for a bounded time: every
 * call returns a valid answer and the process ends in a consistent state. */
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "duende-mlock.h"
#include "harness.h"

static atomic_int stop, bad, calls;

static void *worker(void *arg)
{
	int id = (int)(long)arg;
	struct duende_mlock_config cfg = DUENDE_MLOCK_CONFIG_INIT;
	struct duende_mlock_status st;

	cfg.current = id % 2 == 0;
	cfg.onfault = id % 3 == 0;
	while (!atomic_load(&stop)) {
		int rc;
		size_t bytes;

		switch (id % 3) {
		case 0:
			rc = duende_mlock_lock_with_config(&cfg, &st);
			if (rc || !duende_mlock_status_is_locked(&st))
				atomic_fetch_add(&bad, 1);
			break;
		case 1:
			if (duende_mlock_unlock_all())
				atomic_fetch_add(&bad, 1);
			break;
		default:
			if (duende_mlock_read_locked_bytes(&bytes) != 0)
				atomic_fetch_add(&bad, 1);
			(void)duende_mlock_is_locked();
			break;
		}
		atomic_fetch_add(&calls, 1);
	}
	return NULL;
}

int main(void)
{
	pthread_t t[12];
	struct duende_mlock_config cfg = DUENDE_MLOCK_CONFIG_INIT;
	struct duende_mlock_status st;

	int rc = duende_mlock_lock_with_config(&cfg, &st);

	if (rc == -EPERM || rc == -ENOMEM)
		SKIP("this process may not lock (%s)", duende_mlock_strerror(rc));
	CHECK_EQ_INT(duende_mlock_unlock_all(), 0);
	for (long i = 0; i < 12; i++)
		pthread_create(&t[i], NULL, worker, (void *)i);
	struct timespec d = { .tv_sec = 2 };
	nanosleep(&d, NULL);
	atomic_store(&stop, 1);
	for (int i = 0; i < 12; i++)
		pthread_join(t[i], NULL);
	CHECK_EQ_INT(atomic_load(&bad), 0);
	CHECK(atomic_load(&calls) > 100);
	CHECK_EQ_INT(duende_mlock_unlock_all(), 0);
	CHECK(!duende_mlock_is_locked());
	CHECK_EQ_INT(duende_mlock_lock_with_config(&cfg, &st), 0);
	/* Under a sanitizer mlockall is a no-op (see harness.h): the threads
	 * above still ran every code path at once, which is what TSan checks. */
	if (!T_SANITIZER)
		CHECK(duende_mlock_is_locked());
	fprintf(stderr, "%d calls\n", atomic_load(&calls));
	return t_result();
}
