/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* The run-time version: what the loaded library says of itself agrees with
 * the header it was built from, and the check answers older, same, newer
 * and another major version as documented. */
#include <errno.h>
#include <stdio.h>

#include "duende-mlock.h"
#include "harness.h"

int main(void)
{
	char text[32];
	unsigned n = duende_mlock_version_number();

	snprintf(text, sizeof(text), "%u.%u.%u", n >> 16, (n >> 8) & 0xff, n & 0xff);
	CHECK_EQ_STR(text, duende_mlock_version());
	CHECK_EQ_INT(n, DUENDE_MLOCK_VERSION_NUMBER);
	CHECK_EQ_INT(duende_mlock_check_version(DUENDE_MLOCK_VERSION_MAJOR, DUENDE_MLOCK_VERSION_MINOR), 0);
	CHECK_EQ_INT(duende_mlock_check_version(1, 0), 0);
	CHECK_EQ_INT(duende_mlock_check_version(1, 1), 0);
	CHECK_EQ_INT(duende_mlock_check_version(DUENDE_MLOCK_VERSION_MAJOR, DUENDE_MLOCK_VERSION_MINOR + 1),
		     -ENOTSUP);
	CHECK_EQ_INT(duende_mlock_check_version(DUENDE_MLOCK_VERSION_MAJOR + 1, 0), -EPROTO);
	CHECK_EQ_INT(duende_mlock_check_version(0, 9), -EPROTO);
	return t_result();
}
