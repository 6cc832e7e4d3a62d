/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * The swap areas, what backs them and which processes serve them. Readers
 * only, and never of a path that a FUSE daemon serves: a hung daemon would
 * hang a stat of its files, so file systems come from mountinfo and
 * servers from what processes hold open.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "duende-mlock.h"
#include "platform.h"
#include "procfs.h"
#include "reader.h"
#include "text.h"

static bool starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* ---- /proc/swaps ---- */

static int swaps_line(void *ctx, const char *line, size_t len)
{
	struct duende_mlock_swaps *out = ctx;
	struct dm_swap_entry e;

	if (out->count < DUENDE_MLOCK_SWAPS_MAX && dm_swaps_parse_line(line, len, &e) == 0) {
		struct duende_mlock_swap *s = &out->area[out->count++];

		dm_copy_str(s->path, sizeof(s->path), e.path);
		dm_copy_str(s->kind, sizeof(s->kind), e.type); /* refined by classify() */
		s->size = e.size;
		s->used = e.used;
		s->priority = e.priority;
	}
	return 0;
}

/* ---- the mount that holds a path ---- */

struct mount_ctx {
	const char *path;
	size_t best;
	struct dm_mount_entry found;
};

static int mount_line(void *ctx, const char *line, size_t len)
{
	struct mount_ctx *c = ctx;
	struct dm_mount_entry m;
	size_t mlen;

	if (dm_mountinfo_parse_line(line, len, &m) != 0)
		return 0;
	mlen = strlen(m.mount_point);
	if (strncmp(c->path, m.mount_point, mlen) == 0 &&
	    (c->path[mlen] == '/' || c->path[mlen] == '\0' || mlen == 1) && mlen >= c->best) {
		c->best = mlen;
		c->found = m;
	}
	return 0;
}

/* The mount under path, from mountinfo, without touching path itself. */
static bool mount_of(const char *path, struct dm_mount_entry *out)
{
	struct mount_ctx c = { .path = path };
	char buf[1024];

	if (dm_read_lines(AT_FDCWD, "/proc/self/mountinfo", buf, sizeof(buf), mount_line, &c) != 0 ||
	    !c.best)
		return false;
	*out = c.found;
	return true;
}

/* What each area needs to find its servers. */
struct wanted {
	int64_t fuse_conn; /* the FUSE connection behind a loop's file, or -1 */
	char ublk_char[32]; /* the ublk server's character device, or "" */
	pid_t nbd_client;   /* NBD: the process that set the device up, or 0 */
	bool nbd;
};

/* The established TCP connections of the host: an NBD device's socket
 * belongs to the kernel (or to the nbd-client that handed it over), and
 * the process at the other end of it is the server. */
#define TCP_CONNECTIONS 256
struct tcp_table {
	struct dm_tcp_entry conn[TCP_CONNECTIONS];
	pid_t holder[TCP_CONNECTIONS]; /* 0: no process holds it */
	uint32_t n;
};

static int tcp_line(void *ctx, const char *line, size_t len)
{
	struct tcp_table *t = ctx;
	struct dm_tcp_entry e;

	if (t->n < TCP_CONNECTIONS && dm_tcp_parse_line(line, len, &e) == 0 && e.state == 1 && e.inode) {
		t->holder[t->n] = 0;
		t->conn[t->n++] = e;
	}
	return 0;
}

static void set_fstype(struct duende_mlock_swap *s, const char *file, struct wanted *w)
{
	struct dm_mount_entry m;

	if (!mount_of(file, &m))
		return;
	dm_copy_str(s->backing_fstype, sizeof(s->backing_fstype), m.fstype);
	s->user_space = starts_with(m.fstype, "fuse");
	if (s->user_space)
		w->fuse_conn = m.dev_minor; /* a FUSE super block's minor is its connection */
}

static void classify_loop(struct duende_mlock_swap *s, struct wanted *w)
{
	char path[320];
	struct dm_text t;
	size_t len;

	dm_copy_str(s->kind, sizeof(s->kind), "loop");
	dm_text_init(&t, path, sizeof(path));
	dm_text_put(&t, "/sys/block/");
	dm_text_put(&t, s->path + 5);
	dm_text_put(&t, "/loop/backing_file");
	if (dm_read_small(AT_FDCWD, path, s->backing, sizeof(s->backing), &len) != 0)
		return;
	while (len && s->backing[len - 1] == '\n')
		s->backing[--len] = '\0';
	set_fstype(s, s->backing, w);
}

/* /sys/block/nbdN/pid: the process that set the device up (nbd-client).
 * It hands its socket to the kernel and serves nothing itself. */
static void find_nbd_server(struct duende_mlock_swap *s, struct wanted *w)
{
	char path[320], buf[32];
	struct dm_text t;
	size_t len;
	int64_t pid;

	dm_text_init(&t, path, sizeof(path));
	dm_text_put(&t, "/sys/block/");
	dm_text_put(&t, s->path + 5);
	dm_text_put(&t, "/pid");
	if (dm_read_small(AT_FDCWD, path, buf, sizeof(buf), &len) == 0 &&
	    dm_parse_i64_file(buf, len, &pid) == 0 && pid > 0 && pid <= INT32_MAX)
		w->nbd_client = (pid_t)pid;
}

static void classify(struct duende_mlock_swap *s, struct wanted *w)
{
	const char *dev = s->path;

	w->fuse_conn = -1;
	w->ublk_char[0] = '\0';
	w->nbd_client = 0;
	w->nbd = false;
	if (strcmp(s->kind, "file") == 0) {
		set_fstype(s, dev, w);
	} else if (starts_with(dev, "/dev/loop")) {
		classify_loop(s, w);
	} else if (starts_with(dev, "/dev/nbd")) {
		dm_copy_str(s->kind, sizeof(s->kind), "nbd");
		s->user_space = true;
		w->nbd = true;
		find_nbd_server(s, w);
	} else if (starts_with(dev, "/dev/ublkb")) {
		struct dm_text t;

		dm_copy_str(s->kind, sizeof(s->kind), "ublk");
		s->user_space = true;
		dm_text_init(&t, w->ublk_char, sizeof(w->ublk_char));
		dm_text_put(&t, "/dev/ublkc");
		dm_text_put(&t, dev + strlen("/dev/ublkb"));
	} else if (starts_with(dev, "/dev/zram")) {
		dm_copy_str(s->kind, sizeof(s->kind), "zram");
	} else {
		dm_copy_str(s->kind, sizeof(s->kind), "partition");
	}
}

/* ---- servers: who holds the FUSE connection or the ublk device ---- */

struct holder_scan {
	struct duende_mlock_swaps *swaps;
	const struct wanted *wanted;
	struct tcp_table *tcp; /* NULL without an NBD swap */
	int procfd;
	pid_t pid;
};

/* "socket:[INODE]": the holder of that TCP connection, if it is one. */
static void note_socket(struct holder_scan *h, const char *target)
{
	static const char prefix[] = "socket:[";
	size_t pos = sizeof(prefix) - 1, len = strlen(target);
	uint64_t inode;

	if (!h->tcp || strncmp(target, prefix, pos) != 0 || !dm_parse_u64(target, len, &pos, &inode))
		return;
	for (uint32_t i = 0; i < h->tcp->n; i++)
		if (h->tcp->conn[i].inode == inode && !h->tcp->holder[i])
			h->tcp->holder[i] = h->pid;
}

static void add_server(struct duende_mlock_swap *s, pid_t pid)
{
	for (uint32_t i = 0; i < s->nservers; i++)
		if (s->servers[i] == pid)
			return;
	if (s->nservers < DUENDE_MLOCK_SWAP_SERVERS)
		s->servers[s->nservers++] = pid;
}

static int fuse_conn_line(void *ctx, const char *line, size_t len)
{
	uint64_t conn;

	if (dm_fdinfo_fuse_connection(line, len, &conn) != 0)
		return 0;
	*(int64_t *)ctx = (int64_t)(conn & INT64_MAX);
	return 1;
}

/* The FUSE connection an open /dev/fuse serves (fdinfo shows it since
 * Linux 6.x); -1 when the kernel does not say. */
static int64_t fuse_connection_of(int procfd, pid_t pid, const char *fd)
{
	char path[64], buf[256];
	struct dm_text t;
	int64_t conn = -1;

	dm_text_init(&t, path, sizeof(path));
	dm_text_put_u64(&t, (uint64_t)pid);
	dm_text_put(&t, "/fdinfo/");
	dm_text_put(&t, fd);
	dm_read_lines(procfd, path, buf, sizeof(buf), fuse_conn_line, &conn);
	return conn;
}

static int fd_entry(void *ctx, int fddir, const char *name, uint64_t number)
{
	struct holder_scan *h = ctx;
	char target[64];
	ssize_t n = readlinkat(fddir, name, target, sizeof(target) - 1);

	(void)number;
	if (n <= 0)
		return 0;
	target[n] = '\0';
	note_socket(h, target);
	for (uint32_t i = 0; i < h->swaps->count; i++) {
		const struct wanted *w = &h->wanted[i];
		struct duende_mlock_swap *s = &h->swaps->area[i];

		if (w->ublk_char[0] && strcmp(target, w->ublk_char) == 0)
			add_server(s, h->pid);
		if (w->fuse_conn >= 0 && strcmp(target, "/dev/fuse") == 0) {
			int64_t conn = fuse_connection_of(h->procfd, h->pid, name);
			/* Before the kernel said, every holder may be the one. */
			if (conn < 0 || conn == w->fuse_conn)
				add_server(s, h->pid);
		}
	}
	return 0;
}

static int pid_entry(void *ctx, int procfd, const char *name, uint64_t number)
{
	struct holder_scan *h = ctx;
	char path[48];
	struct dm_text t;

	if (number > INT32_MAX)
		return 0;
	h->pid = (pid_t)number;
	dm_text_init(&t, path, sizeof(path));
	dm_text_put(&t, name);
	dm_text_put(&t, "/fd");
	dm_for_each_number(procfd, path, fd_entry, h);
	return 0;
}

/* The processes at the far end of the connections that only the kernel,
 * or the device's own nbd-client, holds: the NBD servers. Where there are
 * several NBD devices, each is given every such server. */
static void add_nbd_servers(struct duende_mlock_swap *s, const struct wanted *w,
			    const struct tcp_table *t)
{
	for (uint32_t i = 0; i < t->n; i++) {
		if (t->holder[i] && t->holder[i] != w->nbd_client)
			continue;
		for (uint32_t j = 0; j < t->n; j++)
			if (strcmp(t->conn[j].local, t->conn[i].remote) == 0 &&
			    strcmp(t->conn[j].remote, t->conn[i].local) == 0 && t->holder[j] &&
			    t->holder[j] != w->nbd_client)
				add_server(s, t->holder[j]);
	}
}

static void find_holders(struct duende_mlock_swaps *swaps, const struct wanted *wanted, bool nbd)
{
	struct tcp_table tcp = { .n = 0 };
	struct holder_scan h = { .swaps = swaps, .wanted = wanted, .tcp = nbd ? &tcp : NULL };
	char buf[512];

	if (nbd) {
		dm_read_lines(AT_FDCWD, "/proc/net/tcp", buf, sizeof(buf), tcp_line, &tcp);
		dm_read_lines(AT_FDCWD, "/proc/net/tcp6", buf, sizeof(buf), tcp_line, &tcp);
	}
	h.procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (h.procfd < 0)
		return;
	dm_for_each_number(h.procfd, ".", pid_entry, &h);
	close(h.procfd);
	for (uint32_t i = 0; nbd && i < swaps->count; i++) {
		struct duende_mlock_swap *s = &swaps->area[i];
		if (!wanted[i].nbd)
			continue;
		add_nbd_servers(s, &wanted[i], &tcp);
		/* A server on another host: the nearest process is the client. */
		if (!s->nservers && wanted[i].nbd_client)
			add_server(s, wanted[i].nbd_client);
	}
}

DM_EXPORT int duende_mlock_read_swaps(struct duende_mlock_swaps *swaps)
{
	struct wanted wanted[DUENDE_MLOCK_SWAPS_MAX];
	char buf[1024];
	bool scan = false, nbd = false;
	int rc;

	if (!swaps)
		return -EINVAL;
	memset(swaps, 0, sizeof(*swaps));
	rc = dm_read_lines(AT_FDCWD, "/proc/swaps", buf, sizeof(buf), swaps_line, swaps);
	if (rc < 0) {
		swaps->count = 0;
		swaps->error = rc;
		return rc;
	}
	for (uint32_t i = 0; i < swaps->count; i++) {
		classify(&swaps->area[i], &wanted[i]);
		scan |= wanted[i].fuse_conn >= 0 || wanted[i].ublk_char[0] || wanted[i].nbd;
		nbd |= wanted[i].nbd;
	}
	if (scan)
		find_holders(swaps, wanted, nbd);
	return 0;
}

DM_EXPORT int duende_mlock_swap_served_by(const struct duende_mlock_swaps *swaps, pid_t pid,
					  uint32_t from)
{
	if (!swaps || pid <= 0)
		return -EINVAL;
	for (uint32_t i = from; i < swaps->count && i < DUENDE_MLOCK_SWAPS_MAX; i++)
		for (uint32_t j = 0; j < swaps->area[i].nservers && j < DUENDE_MLOCK_SWAP_SERVERS; j++)
			if (swaps->area[i].servers[j] == pid)
				return (int)i;
	return -ENOENT;
}
