/* SPDX-License-Identifier: MIT OR Apache-2.0 */
#include <stdint.h>

#include "src/procfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dm_limits lim;

	dm_limits_init(&lim);
	dm_limits_parse(&lim, (const char *)data, size);
	if (lim.found && lim.malformed)
		__builtin_trap();
	return 0;
}
