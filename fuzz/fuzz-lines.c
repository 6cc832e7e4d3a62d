/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* The one-line parsers: the first byte picks which. */
#include <string.h>
#include <stdint.h>

#include "src/procfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const char *s = (const char *)data + 1;
	size_t n = size - 1;

	switch (data[0] % 5) {
	case 0: {
		struct dm_swap_entry e;
		if (dm_swaps_parse_line(s, n, &e) == 0 && !memchr(e.path, '\0', sizeof(e.path)))
			__builtin_trap();
		break;
	}
	case 1: {
		struct dm_cgroup_entry e;
		if (dm_cgroup_parse_line(s, n, &e) == 0 && e.path[0] != '/')
			__builtin_trap();
		break;
	}
	case 2: {
		struct dm_proc_stat st;
		if (dm_stat_parse(s, n, &st) == 0 && (st.state < 'A' || st.state > 'Z'))
			__builtin_trap();
		break;
	}
	case 3: {
		struct dm_mount_entry m;
		if (dm_mountinfo_parse_line(s, n, &m) == 0 && !memchr(m.fstype, '\0', sizeof(m.fstype)))
			__builtin_trap();
		break;
	}
	default: {
		uint64_t v;
		(void)dm_parse_cgroup_limit(s, n, &v);
		break;
	}
	}
	return 0;
}
