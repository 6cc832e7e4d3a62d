/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* The /proc parsers on real-shaped, truncated, duplicated, malformed and
 * huge input. */
#include <errno.h>

#include "harness.h"
#include "src/procfs.h"

#define S(lit) lit, sizeof(lit) - 1

static void status_fields(void)
{
	struct dm_proc_status st;

	dm_status_init(&st);
	dm_status_parse(&st, S("Name:\tbindfs\nState:\tS (sleeping)\nUid:\t1000\t1000\t1000\t1000\n"
			       "Groups:\t1 2 3\nVmSize:\t   10240 kB\nVmLck:\t    8192 kB\n"
			       "VmPin:\t       0 kB\nVmRSS:\t    9000 kB\nVmSwap:\t      12 kB\n"
			       "CapEff:\t0000000000004000\nCapBnd:\t000001ffffffffff"));
	CHECK_EQ_STR(st.name, "bindfs");
	CHECK_EQ_INT(st.state, 'S');
	CHECK_EQ_INT(st.uid, 1000);
	CHECK_EQ_INT(st.vm_size, 10240 * 1024);
	CHECK_EQ_INT(st.vm_lck, 8192 * 1024);
	CHECK_EQ_INT(st.vm_rss, 9000 * 1024);
	CHECK_EQ_INT(st.vm_swap, 12 * 1024);
	CHECK_EQ_INT(st.cap_eff, 0x4000);
	CHECK_EQ_INT(st.cap_bnd, 0x1ffffffffffULL);
	CHECK_EQ_INT(st.malformed, 0);
	CHECK_EQ_INT(st.present, DM_ST_NAME | DM_ST_STATE | DM_ST_UID | DM_ST_VMSIZE | DM_ST_VMLCK |
					 DM_ST_VMPIN | DM_ST_VMRSS | DM_ST_VMSWAP | DM_ST_CAPEFF |
					 DM_ST_CAPBND);
}

static void status_bad_input(void)
{
	struct dm_proc_status st;

	/* missing: kernel threads have no Vm* lines */
	dm_status_init(&st);
	dm_status_parse(&st, S("Name:\tkthreadd\nState:\tS (sleeping)\n"));
	CHECK(!(st.present & DM_ST_VMLCK));

	/* duplicated: the first one wins */
	dm_status_init(&st);
	dm_status_parse(&st, S("VmLck:\t4 kB\nVmLck:\t8 kB\n"));
	CHECK_EQ_INT(st.vm_lck, 4096);

	/* truncated mid-number / unit: malformed, not a guess */
	dm_status_init(&st);
	dm_status_parse(&st, S("VmLck:\t  12"));
	CHECK(!(st.present & DM_ST_VMLCK));
	CHECK(st.malformed & DM_ST_VMLCK);
	dm_status_init(&st);
	dm_status_parse(&st, S("VmLck:\t  12 k"));
	CHECK(st.malformed & DM_ST_VMLCK);

	/* malformed */
	dm_status_init(&st);
	dm_status_parse(&st, S("VmLck:\t-12 kB\nVmRSS: 12 MB\nVmSize: 1 kB trailing\nCapEff: xyz\n"));
	CHECK_EQ_INT(st.present, 0);
	CHECK_EQ_INT(st.malformed, DM_ST_VMLCK | DM_ST_VMRSS | DM_ST_VMSIZE | DM_ST_CAPEFF);

	/* huge: overflow of the number, and of kB -> bytes */
	dm_status_init(&st);
	dm_status_parse(&st, S("VmLck:\t99999999999999999999999 kB\nVmRSS:\t18014398509481984 kB\n"
			       "VmSize:\t18014398509481983 kB\nCapEff:\t1ffffffffffffffff\n"));
	CHECK(st.malformed & DM_ST_VMLCK);
	CHECK(st.malformed & DM_ST_VMRSS);
	CHECK_EQ_INT(st.vm_size, 18014398509481983ULL * 1024);
	CHECK(st.malformed & DM_ST_CAPEFF);

	/* a key that only starts like one */
	dm_status_init(&st);
	dm_status_parse(&st, S("VmLckX:\t4 kB\nVmLck\t4 kB\n"));
	CHECK_EQ_INT(st.present | st.malformed, 0);

	/* a long Name is cut, not overflowed; empty input is fine */
	dm_status_init(&st);
	dm_status_parse(&st, S("Name:\taaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"));
	CHECK_EQ_INT(strlen(st.name), sizeof(st.name) - 1);
	dm_status_init(&st);
	dm_status_parse(&st, "", 0);
	CHECK_EQ_INT(st.present, 0);
}

static void limits(void)
{
	struct dm_limits lim;

	dm_limits_init(&lim);
	dm_limits_parse(&lim, S("Limit                     Soft Limit           Hard Limit           Units     \n"
				"Max open files            1024                 524288               files     \n"
				"Max locked memory         65536                8388608              bytes     \n"));
	CHECK(lim.found);
	CHECK_EQ_INT(lim.memlock_soft, 65536);
	CHECK_EQ_INT(lim.memlock_hard, 8388608);

	dm_limits_init(&lim);
	dm_limits_parse(&lim, S("Max locked memory         unlimited            unlimited            bytes\n"));
	CHECK_EQ_INT(lim.memlock_soft, UINT64_MAX);
	CHECK_EQ_INT(lim.memlock_hard, UINT64_MAX);

	dm_limits_init(&lim);
	dm_limits_parse(&lim, S("Max locked memory         65536"));
	CHECK(!lim.found);
	CHECK(lim.malformed);

	dm_limits_init(&lim);
	dm_limits_parse(&lim, S("Max open files 1 2 files\n"));
	CHECK(!lim.found && !lim.malformed);
}

static const char smaps_sample[] =
	"55d0c0000000-55d0c0002000 r--p 00000000 fd:01 123   /usr/bin/x\n"
	"Size:                  8 kB\n"
	"Rss:                   8 kB\n"
	"Swap:                  0 kB\n"
	"VmFlags: rd mr mw me dw lo sd\n"
	"7f0000000000-7f0000400000 rw-p 00000000 00:00 0 \n"
	"Size:               4096 kB\n"
	"Rss:                  40 kB\n"
	"Swap:                  0 kB\n"
	"VmFlags: rd wr mr mw me ac lo lf sd\n"
	"7f0004000000-7f0008000000 ---p 00000000 00:00 0 \n"
	"Size:              65536 kB\n"
	"Rss:                   0 kB\n"
	"VmFlags: mr mw me nr lo sd\n"
	"7f1000000000-7f1000100000 rw-p 00000000 00:00 0 \n"
	"Rss:                 100 kB\n"
	"Swap:                 24 kB\n"
	"SwapPss:              24 kB\n"
	"VmFlags: rd wr mr mw me ac sd\n"
	"7f2000000000-7f2000001000 ---p 00000000 00:00 0 \n"
	"Rss:                   0 kB\n"
	"VmFlags: mr mw me sd\n"
	"7ffd00000000-7ffd00002000 r--p 00000000 00:00 0    [vvar]\n"
	"Rss:                   0 kB\n"
	"VmFlags: rd mr pf io de dd sd\n"
	"ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]\n"
	"Rss:                   0 kB\n"
	"VmFlags: ex\n";

static void smaps(void)
{
	struct dm_smaps sm;

	dm_smaps_init(&sm);
	dm_smaps_parse(&sm, smaps_sample, sizeof(smaps_sample) - 1);
	CHECK_EQ_INT(sm.mappings, 7);
	CHECK_EQ_INT(sm.locked_mappings, 3);
	CHECK_EQ_INT(sm.lockonfault_mappings, 1);
	CHECK_EQ_INT(sm.unlocked_inaccessible, 1);
	CHECK_EQ_INT(sm.unlocked_special, 2);
	CHECK_EQ_INT(sm.unlocked_other, 1);
	CHECK_EQ_INT(sm.locked_rss, 48 * 1024);
	CHECK_EQ_INT(sm.locked_size, (8 + 4096 + 65536) * 1024ULL);
	CHECK_EQ_INT(sm.rss, 148 * 1024);
	CHECK_EQ_INT(sm.swap, 24 * 1024);
	CHECK_EQ_INT(sm.unlocked_other_rss, 100 * 1024);
	CHECK_EQ_INT(sm.malformed_lines, 0);

	/* truncated in the middle of a mapping: what was read still counts */
	dm_smaps_init(&sm);
	dm_smaps_parse(&sm, smaps_sample,
		       (size_t)(strstr(smaps_sample, "Rss:                  40") - smaps_sample) + 12);
	CHECK_EQ_INT(sm.mappings, 2);

	/* garbage before any header, and bad numbers, are counted as such */
	dm_smaps_init(&sm);
	dm_smaps_parse(&sm, S("Rss: 4 kB\nzz-yy rw-p\n0-1000 rw-p 0 0:0 0\nRss: lots\n"));
	CHECK_EQ_INT(sm.mappings, 1);
	CHECK_EQ_INT(sm.malformed_lines, 3);

	/* end before start is not a mapping */
	dm_smaps_init(&sm);
	dm_smaps_parse(&sm, S("2000-1000 rw-p 00000000 00:00 0\n"));
	CHECK_EQ_INT(sm.mappings, 0);
}

static void swaps(void)
{
	struct dm_swap_entry e;

	CHECK_EQ_INT(dm_swaps_parse_line(S("Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority"), &e), 1);
	CHECK_EQ_INT(dm_swaps_parse_line(S("/dev/loop3                              partition\t262140\t\t1024\t\t100"), &e), 0);
	CHECK_EQ_STR(e.path, "/dev/loop3");
	CHECK_EQ_STR(e.type, "partition");
	CHECK_EQ_INT(e.size, 262140 * 1024ULL);
	CHECK_EQ_INT(e.used, 1024 * 1024);
	CHECK_EQ_INT(e.priority, 100);
	/* The kernel escapes blanks and backslashes in paths; they are
	 * decoded, so the path is the one the file system knows. */
	CHECK_EQ_INT(dm_swaps_parse_line(S("/swap\\040file file 100 0 -2"), &e), 0);
	CHECK_EQ_STR(e.path, "/swap file");
	CHECK_EQ_INT(dm_swaps_parse_line(S("/back\\134slash\\011tab file 100 0 -2"), &e), 0);
	CHECK_EQ_STR(e.path, "/back\\slash\ttab");
	CHECK_EQ_INT(dm_swaps_parse_line(S("/not\\09octal file 100 0 -2"), &e), 0);
	CHECK_EQ_STR(e.path, "/not\\09octal");
	CHECK_EQ_INT(e.priority, -2);
	CHECK_EQ_INT(dm_swaps_parse_line(S("/swap file 100"), &e), -EINVAL);
	CHECK_EQ_INT(dm_swaps_parse_line(S("/swap file 100 0 -2 extra"), &e), -EINVAL);
	CHECK_EQ_INT(dm_swaps_parse_line(S("/swap file 99999999999999999999 0 1"), &e), -EINVAL);
	CHECK_EQ_INT(dm_swaps_parse_line("", 0, &e), -EINVAL);
}

static void cgroups(void)
{
	struct dm_cgroup_entry e;
	uint64_t v;

	CHECK_EQ_INT(dm_cgroup_parse_line(S("0::/system.slice/nbd.service"), &e), 0);
	CHECK(e.v2);
	CHECK_EQ_STR(e.path, "/system.slice/nbd.service");
	CHECK_EQ_INT(dm_cgroup_parse_line(S("4:memory:/dt007/daemon"), &e), 0);
	CHECK(!e.v2 && e.has_memory);
	CHECK_EQ_STR(e.path, "/dt007/daemon");
	CHECK_EQ_INT(dm_cgroup_parse_line(S("3:cpu,cpuacct:/"), &e), 0);
	CHECK(!e.has_memory);
	CHECK_EQ_INT(dm_cgroup_parse_line(S("1:name=systemd:/x"), &e), 0);
	CHECK_EQ_INT(dm_cgroup_parse_line(S("garbage"), &e), -EINVAL);
	CHECK_EQ_INT(dm_cgroup_parse_line(S("4:memory"), &e), -EINVAL);
	CHECK_EQ_INT(dm_cgroup_parse_line(S("4:memory:"), &e), -EINVAL);

	CHECK_EQ_INT(dm_parse_cgroup_limit(S("max\n"), &v), 0);
	CHECK_EQ_INT(v, UINT64_MAX);
	CHECK_EQ_INT(dm_parse_cgroup_limit(S("41943040\n"), &v), 0);
	CHECK_EQ_INT(v, 41943040);
	CHECK_EQ_INT(dm_parse_cgroup_limit(S("9223372036854771712\n"), &v), 0);
	CHECK_EQ_INT(v, UINT64_MAX);
	CHECK_EQ_INT(dm_parse_cgroup_limit(S("12 34"), &v), -EINVAL);
	CHECK_EQ_INT(dm_parse_cgroup_limit(S(""), &v), -EINVAL);
}

static void mountinfo(void)
{
	struct dm_mount_entry m;
	uint64_t conn;

	CHECK_EQ_INT(dm_mountinfo_parse_line(S("43 27 0:40 / /tmp/a\\040b rw,nosuid - fuse /srv/back rw,user_id=0"), &m), 0);
	CHECK_EQ_INT(m.dev_major, 0);
	CHECK_EQ_INT(m.dev_minor, 40);
	CHECK_EQ_STR(m.mount_point, "/tmp/a b");
	CHECK_EQ_STR(m.fstype, "fuse");
	CHECK_EQ_STR(m.source, "/srv/back");
	/* optional fields before the separator */
	CHECK_EQ_INT(dm_mountinfo_parse_line(S("22 1 8:1 / / rw shared:1 master:2 - ext4 /dev/sda1 rw"), &m), 0);
	CHECK_EQ_INT(m.dev_major, 8);
	CHECK_EQ_STR(m.fstype, "ext4");
	CHECK_EQ_INT(dm_mountinfo_parse_line(S("22 1 8 / / rw - ext4 /dev/sda1 rw"), &m), -EINVAL);
	CHECK_EQ_INT(dm_mountinfo_parse_line(S("22 1 8:1 / / rw ext4 /dev/sda1 rw"), &m), -EINVAL);
	CHECK_EQ_INT(dm_mountinfo_parse_line(S("22 1 8:99999999999 / / rw - ext4 x rw"), &m), -EINVAL);

	CHECK_EQ_INT(dm_fdinfo_fuse_connection(S("fuse_connection:\t40"), &conn), 0);
	CHECK_EQ_INT(conn, 40);
	CHECK_EQ_INT(dm_fdinfo_fuse_connection(S("mnt_id:\t24"), &conn), -EINVAL);
	CHECK_EQ_INT(dm_fdinfo_fuse_connection(S("fuse_connection:\tx"), &conn), -EINVAL);
}

static void integer_files(void)
{
	int64_t v;

	CHECK_EQ_INT(dm_parse_i64_file(S("-900\n"), &v), 0);
	CHECK_EQ_INT(v, -900);
	CHECK_EQ_INT(dm_parse_i64_file(S("4242"), &v), 0);
	CHECK_EQ_INT(v, 4242);
	CHECK_EQ_INT(dm_parse_i64_file(S(" 17 \n"), &v), 0);
	CHECK_EQ_INT(v, 17);
	CHECK_EQ_INT(dm_parse_i64_file(S(""), &v), -EINVAL);
	CHECK_EQ_INT(dm_parse_i64_file(S("-"), &v), -EINVAL);
	CHECK_EQ_INT(dm_parse_i64_file(S("12abc"), &v), -EINVAL);
	CHECK_EQ_INT(dm_parse_i64_file(S("1 2"), &v), -EINVAL);
	CHECK_EQ_INT(dm_parse_i64_file(S("99999999999999999999"), &v), -EINVAL);
}

static void maps_and_uid_map(void)
{
	struct dm_map_entry m;

	CHECK_EQ_INT(dm_maps_parse_line(S("7f1c2a000000-7f1c2a021000 r-xp 00002000 fd:01 131090    /usr/lib/x.so"), &m), 0);
	CHECK(m.start == 0x7f1c2a000000ull && m.end == 0x7f1c2a021000ull && m.offset == 0x2000);
	CHECK_EQ_STR(m.perms, "r-xp");
	CHECK_EQ_INT(m.inode, 131090);
	CHECK_EQ_INT(dm_maps_parse_line(S("7ffd1000-7ffd2000 rw-p 00000000 00:00 0"), &m), 0);
	CHECK_EQ_INT(m.inode, 0);
	CHECK_EQ_INT(dm_maps_parse_line(S("2000-1000 rw-p 00000000 00:00 0"), &m), -EINVAL);
	CHECK_EQ_INT(dm_maps_parse_line(S("1000-2000 rwzp 00000000 00:00 0"), &m), -EINVAL);
	CHECK_EQ_INT(dm_maps_parse_line(S("1000-2000 rw-p"), &m), -EINVAL);
	CHECK_EQ_INT(dm_maps_parse_line(S("Rss:  4 kB"), &m), -EINVAL);

	struct dm_tcp_entry e;
	CHECK_EQ_INT(dm_tcp_parse_line(S("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode"), &e), 1);
	CHECK_EQ_INT(dm_tcp_parse_line(S("   3: 0100007F:2A29 0100007F:C3A2 01 00000000:00000000 00:00000000 00000000     0        0 123456 1 0000000000000000 20 4 30 10 -1"), &e), 0);
	CHECK_EQ_STR(e.local, "0100007F:2A29");
	CHECK_EQ_STR(e.remote, "0100007F:C3A2");
	CHECK_EQ_INT(e.state, 1);
	CHECK_EQ_INT(e.inode, 123456);
	CHECK_EQ_INT(dm_tcp_parse_line(S("   3: 0100007F:2A29 0100007F:C3A2"), &e), -EINVAL);
	CHECK_EQ_INT(dm_tcp_parse_line(S("x: a b 01 0 0 0 0 0 1"), &e), -EINVAL);

	CHECK(dm_uid_map_is_initial(S("         0          0 4294967295\n")));
	CHECK(!dm_uid_map_is_initial(S("         0       1000          1\n")));
	CHECK(!dm_uid_map_is_initial(S("0 0 4294967295\n1 1 1\n")));
	CHECK(!dm_uid_map_is_initial(S("")));
}

/* What locking from outside reads: the tracer, pending signals, the
 * innermost PID, the effective and saved uid; a stat line's parent and
 * start time. */
static void remote_fields(void)
{
	struct dm_proc_status st;
	struct dm_proc_stat ps;

	dm_status_init(&st);
	dm_status_parse(&st, S("Name:\tx\nUid:\t1000\t0\t5\t0\nTracerPid:\t4242\n"
			       "NSpid:\t900\t12\t1\nSigPnd:\t0000000000000200\n"
			       "ShdPnd:\t0000000000000000\n"));
	CHECK(st.present & DM_ST_TRACER);
	CHECK_EQ_INT(st.tracer_pid, 4242);
	CHECK_EQ_INT(st.ns_pid, 1); /* the last field: where it runs */
	CHECK_EQ_INT(st.uid, 1000);
	CHECK_EQ_INT(st.euid, 0);
	CHECK_EQ_INT(st.suid, 5);
	CHECK((st.present & DM_ST_SIGPND) && st.sig_pnd == 0x200);
	CHECK((st.present & DM_ST_SHDPND) && st.shd_pnd == 0);
	dm_status_init(&st);
	dm_status_parse(&st, S("Uid:\t7\nTracerPid:\tx\nSigPnd:\tzz\n"));
	CHECK_EQ_INT(st.uid, 7);
	CHECK_EQ_INT(st.euid, 7); /* a short line: the same */
	CHECK(st.malformed & DM_ST_TRACER);
	CHECK(st.malformed & DM_ST_SIGPND);

	CHECK_EQ_INT(dm_stat_parse(S("12 (a b) c) S 7 12 12 0 -1 4194560 5 0 3 0 10 2 0 0 20 0 1 0 "
				     "98765 1000 10\n"), &ps), 0);
	CHECK_EQ_INT(ps.ppid, 7);
	CHECK_EQ_INT(ps.majflt, 3);
	CHECK_EQ_INT(ps.start_time, 98765);
	/* ends before the start time: the rest still parses */
	CHECK_EQ_INT(dm_stat_parse(S("12 (x) S 7 12 12 0 -1 4194560 5 0 3"), &ps), 0);
	CHECK_EQ_INT(ps.start_time, 0);
	CHECK_EQ_INT(dm_stat_parse(S("12 (x) S x 12 12 0 -1 4194560 5 0 3"), &ps), -EINVAL);
}

int main(void)
{
	remote_fields();
	maps_and_uid_map();
	status_fields();
	status_bad_input();
	limits();
	smaps();
	swaps();
	cgroups();
	mountinfo();
	integer_files();
	return t_result();
}
