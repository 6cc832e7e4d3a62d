/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* Lock this process's memory and print what happened, as the crate's
 * example does. With --best-effort a failure is a warning, not an exit. */
#include <stdio.h>
#include <string.h>

#include <duende-mlock.h>

int main(int argc, char **argv)
{
	struct duende_mlock_config cfg = DUENDE_MLOCK_CONFIG_INIT;
	struct duende_mlock_status status;
	char line[64], why[2048];

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--best-effort") == 0) {
			cfg.required = false;
		} else if (strcmp(argv[i], "--onfault") == 0) {
			cfg.onfault = true;
		} else if (strcmp(argv[i], "--lean") == 0) {
			cfg.lean = true;
		} else {
			fprintf(stderr, "usage: %s [--best-effort] [--onfault] [--lean]\n", argv[0]);
			return 2;
		}
	}

	int rc = duende_mlock_lock_with_config(&cfg, &status);
	duende_mlock_explain(&status, why, sizeof(why));
	if (rc < 0) {
		fprintf(stderr, "lock-demo: %s\n%s\n", duende_mlock_strerror(rc), why);
		return 1;
	}
	duende_mlock_status_format(&status, line, sizeof(line));
	if (duende_mlock_status_is_failed(&status))
		fprintf(stderr, "lock-demo: warning: %s; continuing without memory lock\n%s\n",
			line, why);
	else
		printf("Memory locked: %s\n%s\n", line, why);
	printf("is_locked=%s locked_bytes=%zu (%zu KB)\n", duende_mlock_is_locked() ? "yes" : "no",
	       duende_mlock_locked_bytes(), duende_mlock_locked_bytes() / 1024);
	return 0;
}
