/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* The one-line parsers, and the escaping of names: the first byte picks
 * which. */
#include <string.h>
#include <stdint.h>

#include "duende-mlock.h"
#include "src/procfs.h"

/* Escaped text is printable ASCII alone, and as long as it says. */
static void check_escape(const char *s, size_t n)
{
	char out[4096];
	int len = duende_mlock_escape(s, n, out, sizeof(out));

	if (len < 0 || (size_t)len < n || (size_t)len > 4 * n)
		__builtin_trap();
	if ((size_t)len < sizeof(out) && strlen(out) != (size_t)len)
		__builtin_trap();
	for (const char *p = out; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const char *s = (const char *)data + 1;
	size_t n = size - 1;

	switch (data[0] % 11) {
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
		static struct dm_mount_kinds mk;
		if (dm_mountinfo_parse_line(s, n, &m) == 0 && !memchr(m.fstype, '\0', sizeof(m.fstype)))
			__builtin_trap();
		/* The kinds' table takes any line and never overflows. */
		dm_mount_kinds_init(&mk);
		(void)dm_mount_kinds_parse_line(&mk, s, n);
		if (mk.n > 1 || (mk.n && mk.kind[0] > DM_FS_SERVED))
			__builtin_trap();
		break;
	}
	case 4: {
		uint64_t conn;
		(void)dm_fdinfo_fuse_connection(s, n, &conn);
		break;
	}
	case 5: {
		int64_t v;
		(void)dm_parse_i64_file(s, n, &v);
		break;
	}
	case 6:
		check_escape(s, n);
		break;
	case 7: {
		struct dm_map_entry m;
		struct dm_mount_kinds none;
		if (dm_maps_parse_line(s, n, &m) == 0 &&
		    (m.end < m.start || m.perms[4] != '\0' || m.dev_major > 0xfff || m.dev_minor > 0xfffff))
			__builtin_trap();
		/* Without a known mount, a file is never file data: it stays locked. */
		dm_mount_kinds_init(&none);
		if (dm_maps_parse_line(s, n, &m) == 0 && dm_backing_of(&none, &m) == DM_BACK_FILE)
			__builtin_trap();
		break;
	}
	case 8:
		(void)dm_uid_map_is_initial(s, n);
		break;
	case 9: {
		struct dm_tcp_entry e;
		if (dm_tcp_parse_line(s, n, &e) == 0 &&
		    (!memchr(e.local, '\0', sizeof(e.local)) || !memchr(e.remote, '\0', sizeof(e.remote))))
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
