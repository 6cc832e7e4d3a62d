/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* On a platform without mlockall (Windows, WASI) the library builds, runs
 * and says "unsupported platform", as the crate does, through the public
 * API alone. Run under wine and Node's WASI by scripts/gates.sh. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "duende-mlock.h"

static int failures;
#define EXPECT(c) \
	do { if (!(c)) { printf("FAIL line %d: %s\n", __LINE__, #c); failures++; } } while (0)

int main(void)
{
	struct duende_mlock_status st;
	struct duende_mlock_report r;
	struct duende_mlock_harden_config hc = DUENDE_MLOCK_HARDEN_CONFIG_INIT;
	struct duende_mlock_harden_result hr;
	char text[256];
	size_t bytes = 7;

	EXPECT(duende_mlock_lock_all(&st) == 0);
	EXPECT(duende_mlock_status_is_unsupported(&st));
	duende_mlock_status_format(&st, text, sizeof(text));
	EXPECT(strcmp(text, "unsupported platform") == 0);
	printf("status: %s\n", text);
	duende_mlock_explain(&st, text, sizeof(text));
	EXPECT(strstr(text, "unsupported platform") != NULL);
	EXPECT(!duende_mlock_is_locked());
	EXPECT(duende_mlock_locked_bytes() == 0);
	EXPECT(duende_mlock_read_locked_bytes(&bytes) == -ENOSYS && bytes == 7);
	EXPECT(duende_mlock_unlock_all() == 0);
	EXPECT(duende_mlock_report_pid(0, &r) == -ENOSYS);
	/* The same sequence as on Linux: only the lock decides by default,
	 * and "unsupported platform" is no failure of it. */
	EXPECT(duende_mlock_harden(&hc, &hr) == 0);
	EXPECT(duende_mlock_status_is_unsupported(&hr.lock_status));
	EXPECT(hr.steps[DUENDE_MLOCK_STEP_IO_FLUSHER].rc == -ENOSYS);
	EXPECT(hr.failed & (1u << DUENDE_MLOCK_STEP_IO_FLUSHER));
	EXPECT(!(hr.failed & (1u << DUENDE_MLOCK_STEP_LOCK)));
	hc.required_steps = DUENDE_MLOCK_STEPS_ALL;
	EXPECT(duende_mlock_harden(&hc, &hr) == -ENOSYS && hr.must_stop);
	hc.oom_score_adj = 5000; /* a bad config is EINVAL everywhere */
	EXPECT(duende_mlock_harden(&hc, &hr) == -EINVAL);
	EXPECT(strcmp(duende_mlock_version(), DUENDE_MLOCK_VERSION_STRING) == 0);
	printf("%s\n", failures ? "FAILED" : "unsupported platform reported as expected");
	return failures ? 1 : 0;
}
