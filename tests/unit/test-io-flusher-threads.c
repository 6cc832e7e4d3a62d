/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* PR_SET_IO_FLUSHER is per thread (ublk and iSCSI servers set it in every
 * thread): the report counts the threads that have it, and only "every
 * thread" is IO_FLUSHER. Needs CAP_SYS_RESOURCE, so it runs for real in
 * the guest gate as real root. */
#define _GNU_SOURCE
#include <pthread.h>
#include <unistd.h>

#include "duende-mlock.h"
#include "harness.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int stage; /* 1: set IO_FLUSHER; 2: end */
static int worker_rc = 1;

static void *worker(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&lock);
	while (stage == 0)
		pthread_cond_wait(&cond, &lock);
	worker_rc = duende_mlock_set_io_flusher();
	pthread_cond_broadcast(&cond);
	while (stage == 1)
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);
	return NULL;
}

static void go_to(int s)
{
	pthread_mutex_lock(&lock);
	stage = s;
	pthread_cond_broadcast(&cond);
	if (s == 1)
		while (worker_rc == 1)
			pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);
}

int main(void)
{
	struct duende_mlock_report r;
	pthread_t t;
	int rc;

	if (access("/proc/self/status", R_OK) != 0)
		SKIP("no /proc here");
	CHECK_EQ_INT(pthread_create(&t, NULL, worker, NULL), 0);
	rc = duende_mlock_set_io_flusher();
	if (rc == -EPERM || rc == -EINVAL) {
		go_to(1);
		go_to(2);
		pthread_join(t, NULL);
		SKIP("PR_SET_IO_FLUSHER %s here (the guest gate runs this as real root)",
		     rc == -EPERM ? "needs CAP_SYS_RESOURCE" : "is not in this kernel");
	}
	CHECK_EQ_INT(rc, 0);
	/* The main thread has it, the worker (created before) not. */
	CHECK_EQ_INT(duende_mlock_report_pid(0, &r), 0);
	CHECK_EQ_INT(r.threads, 2);
	CHECK_EQ_INT(r.threads_io_flusher, 1);
	CHECK(!(r.verdicts & DUENDE_MLOCK_V_IO_FLUSHER));
	/* Now the worker too: every thread. */
	go_to(1);
	CHECK_EQ_INT(worker_rc, 0);
	CHECK_EQ_INT(duende_mlock_report_pid(0, &r), 0);
	CHECK_EQ_INT(r.threads_io_flusher, 2);
	CHECK(r.verdicts & DUENDE_MLOCK_V_IO_FLUSHER);
	go_to(2);
	pthread_join(t, NULL);
	return t_result();
}
