/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* A program built against the installed library through pkg-config, as C
 * and as C++: the header, the pkg-config file and the soname work. */
#include <duende-mlock.h>
#include <stdio.h>
#include <string.h>

int main(void)
{
	struct duende_mlock_config cfg = DUENDE_MLOCK_CONFIG_INIT;
	struct duende_mlock_status st;
	char line[64];

	cfg.current = false;
	cfg.future = false;
	if (duende_mlock_lock_with_config(&cfg, &st) != 0)
		return 1;
	duende_mlock_status_format(&st, line, sizeof(line));
	if (strcmp(line, "locked (0 bytes)") != 0 || strcmp(duende_mlock_version(), DUENDE_MLOCK_VERSION_STRING) != 0)
		return 1;
	printf("consumer: %s, library %s\n", line, duende_mlock_version());
	return 0;
}
