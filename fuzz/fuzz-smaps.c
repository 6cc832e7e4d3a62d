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
	/* Every mapping but the kernel's own lands in one kind; a mapping a
	 * lock must cover and does not is an accessible unlocked one. */
	uint32_t kinds = 0, locked = 0;
	for (int k = 0; k < DM_MEM_KINDS; k++) {
		const struct dm_mem_totals *t = &sm.kinds[k];
		kinds += t->mappings;
		locked += t->locked_mappings;
		if (t->locked_mappings > t->mappings || t->anonymous > t->rss ||
		    t->locked_anonymous > t->locked_rss || t->locked_rss > t->rss)
			__builtin_trap();
	}
	if (kinds > sm.mappings || locked > sm.locked_mappings || sm.must_lock_unlocked > sm.unlocked_other)
		__builtin_trap();
	/* Without a known mount, nothing is file data. */
	if (sm.kinds[DM_MEM_PRIVATE_FILE].mappings || sm.kinds[DM_MEM_SHARED_FILE].mappings ||
	    sm.file_unlocked_size)
		__builtin_trap();
	return 0;
}
