/* SPDX-License-Identifier: MIT OR Apache-2.0 */
#include <stdint.h>

#include "src/procfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dm_smaps sm;

	dm_smaps_init(&sm);
	dm_smaps_parse(&sm, (const char *)data, size);
	/* Every mapping lands in exactly one class; sums never wrap. */
	if (sm.locked_mappings + sm.unlocked_inaccessible + sm.unlocked_special + sm.unlocked_other !=
	    sm.mappings)
		__builtin_trap();
	if (sm.lockonfault_mappings > sm.locked_mappings || sm.locked_rss > sm.rss)
		__builtin_trap();
	return 0;
}
