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
#include "layout.h"
#include "platform.h"
#include "swaps.h"
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
	DM_SWAPS *out = ctx;
	struct dm_swap_entry e;

	if (dm_swaps_parse_line(line, len, &e) != 0)
		return 0;
	if (out->count == DM_SWAPS_MAX) {
#if DM_LAYOUT_HAS_SIZE
		out->flags |= DUENDE_MLOCK_SWAPS_F_TRUNCATED;
#endif
		return 0;
	}
	{
		DM_SWAP *s = &out->area[out->count++];

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
 * the process at the other end of it is the server. Endpoints are kept
 * as the bytes of their hex digits ("0100007F:2A29": address, port), so
 * that a table fits a small stack. A host with more connections than the
 * table holds gets no NBD server named (servers unknown: the swap is
 * reported as endangered, never as protected). */
#define TCP_CONNECTIONS 64
#define ENDPOINT_BYTES 18 /* an IPv6 address and a port */
struct endpoint {
	uint8_t len;
	uint8_t bytes[ENDPOINT_BYTES];
};
struct tcp_conn {
	struct endpoint local, remote;
	uint64_t inode;
	pid_t holder; /* 0: no process holds it */
};
struct tcp_table {
	struct tcp_conn conn[TCP_CONNECTIONS];
	uint32_t n;
	bool overflow;
};

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* "ADDR:PORT" in hex, as /proc/net/tcp prints it. */
static bool endpoint_of(const char *text, struct endpoint *e)
{
	int nibbles = 0;

	memset(e, 0, sizeof(*e));
	for (const char *p = text; *p; p++) {
		int v = *p == ':' ? -2 : hex_digit(*p);
		if (v == -1 || nibbles >= 2 * ENDPOINT_BYTES)
			return false;
		if (v == -2)
			continue;
		e->bytes[nibbles / 2] = (uint8_t)(e->bytes[nibbles / 2] << 4 | (unsigned)v);
		nibbles++;
	}
	e->len = (uint8_t)((nibbles + 1) / 2);
	return nibbles > 0;
}

static bool same_endpoint(const struct endpoint *a, const struct endpoint *b)
{
	return a->len == b->len && memcmp(a->bytes, b->bytes, a->len) == 0;
}

static int tcp_line(void *ctx, const char *line, size_t len)
{
	struct tcp_table *t = ctx;
	struct dm_tcp_entry e;
	struct tcp_conn c = { .holder = 0 };

	if (dm_tcp_parse_line(line, len, &e) != 0 || e.state != 1 || !e.inode)
		return 0;
	if (!endpoint_of(e.local, &c.local) || !endpoint_of(e.remote, &c.remote))
		return 0;
	if (t->n == TCP_CONNECTIONS) {
		t->overflow = true;
		return 1;
	}
	c.inode = e.inode;
	t->conn[t->n++] = c;
	return 0;
}

static void set_fstype(DM_SWAP *s, const char *file, struct wanted *w)
{
	struct dm_mount_entry m;

	if (!mount_of(file, &m))
		return;
	dm_copy_str(s->backing_fstype, sizeof(s->backing_fstype), m.fstype);
	s->user_space = starts_with(m.fstype, "fuse");
	if (s->user_space)
		w->fuse_conn = m.dev_minor; /* a FUSE super block's minor is its connection */
}

static void classify_loop(DM_SWAP *s, struct wanted *w)
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
static void find_nbd_server(DM_SWAP *s, struct wanted *w)
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

static void classify(DM_SWAP *s, struct wanted *w)
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
	DM_SWAPS *swaps;
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
		if (h->tcp->conn[i].inode == inode && !h->tcp->conn[i].holder)
			h->tcp->conn[i].holder = h->pid;
}

/* nservers counts every server; servers[] holds the first ones. A
 * reader that finds more servers than it can see knows some are unseen. */
static void add_server(DM_SWAP *s, pid_t pid)
{
	for (uint32_t i = 0; i < s->nservers && i < DM_SWAP_SERVERS; i++)
		if (s->servers[i] == pid)
			return;
	if (s->nservers < DM_SWAP_SERVERS)
		s->servers[s->nservers] = pid;
	if (s->nservers < UINT32_MAX)
		s->nservers++;
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
		DM_SWAP *s = &h->swaps->area[i];

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
static void add_nbd_servers(DM_SWAP *s, const struct wanted *w,
			    const struct tcp_table *t)
{
	for (uint32_t i = 0; i < t->n; i++) {
		const struct tcp_conn *kernel = &t->conn[i];

		if (kernel->holder && kernel->holder != w->nbd_client)
			continue;
		for (uint32_t j = 0; j < t->n; j++) {
			const struct tcp_conn *peer = &t->conn[j];

			if (same_endpoint(&peer->local, &kernel->remote) &&
			    same_endpoint(&peer->remote, &kernel->local) && peer->holder &&
			    peer->holder != w->nbd_client)
				add_server(s, peer->holder);
		}
	}
}

static void find_holders(DM_SWAPS *swaps, const struct wanted *wanted, bool nbd)
{
	struct tcp_table tcp = { .n = 0, .overflow = false };
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
	for (uint32_t i = 0; nbd && !tcp.overflow && i < swaps->count; i++) {
		DM_SWAP *s = &swaps->area[i];
		if (!wanted[i].nbd)
			continue;
		add_nbd_servers(s, &wanted[i], &tcp);
		/* A server on another host: the nearest process is the client. */
		if (!s->nservers && wanted[i].nbd_client)
			add_server(s, wanted[i].nbd_client);
	}
}

int DM_LAYOUT_NAME(dm_swaps_read)(DM_SWAPS *swaps)
{
	struct wanted wanted[DM_SWAPS_MAX];
	char buf[1024];
	bool scan = false, nbd = false;
	int rc;

	memset(swaps, 0, sizeof(*swaps));
#if DM_LAYOUT_HAS_SIZE
	swaps->size = (uint32_t)sizeof(*swaps);
#endif
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

#if DM_LAYOUT_HAS_SIZE
DM_EXPORT int duende_mlock_read_swaps_sized(struct duende_mlock_swaps *swaps, size_t size)
{
	/* Held by value in the survey, the structure grows into its reserved
	 * words only: its size is fixed. */
	_Static_assert(sizeof(*swaps) == DM_SWAPS_SIZE_1_2, "the swaps grow into their reserve only");
	if (!swaps || size < DM_SWAPS_SIZE_1_2)
		return -EINVAL;
	memset((char *)swaps + sizeof(*swaps), 0, size - sizeof(*swaps));
	return dm_swaps_read(swaps);
}
#else
DM_EXPORT int(duende_mlock_read_swaps)(void *swaps)
{
	if (!swaps)
		return -EINVAL;
	return dm_swaps_read_v11(swaps);
}
#endif

int dm_swap_served_by(const DM_SWAPS *swaps, pid_t pid, uint32_t from)
{
	if (!swaps || pid <= 0)
		return -EINVAL;
	for (uint32_t i = from; i < swaps->count && i < DM_SWAPS_MAX; i++)
		for (uint32_t j = 0; j < swaps->area[i].nservers && j < DM_SWAP_SERVERS; j++)
			if (swaps->area[i].servers[j] == pid)
				return (int)i;
	return -ENOENT;
}

#if DM_LAYOUT_HAS_SIZE
DM_EXPORT int duende_mlock_swap_served_by_sized(const struct duende_mlock_swaps *swaps, pid_t pid,
						uint32_t from)
{
	return dm_swap_served_by(swaps, pid, from);
}
#else
DM_EXPORT int(duende_mlock_swap_served_by)(const void *swaps, pid_t pid, uint32_t from)
{
	return dm_swap_served_by_v11(swaps, pid, from);
}
#endif
