/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * ublkd: a small ublk block server, the kind of daemon duende-mlock exists
 * for. The kernel's ublk driver turns every I/O on /dev/ublkbN into an
 * io_uring command completion in this process; the server does the I/O
 * against a RAM buffer or a backing file and commits the result. Put swap
 * on /dev/ublkbN and every swapped page goes through this process: if its
 * own pages are swapped out to it, it deadlocks (DT-007).
 *
 *   ublkd [--harden] [--queues N] [--depth N] [--id N] (--ram MIB | --backing FILE [--size MIB])
 *   ublkd --delete ID
 *
 * It prints "ublkd: serving /dev/ublkbN" once the device is live, serves
 * until SIGINT or SIGTERM, then stops and deletes the device. --delete
 * stops and deletes device ID whose server died.
 *
 * --harden does what the seed's swap daemon should have done:
 *  - duende_mlock_harden() at start, before any queue runs: memory locked
 *    (current and future, required: without a lock it does not serve),
 *    oom_score_adj, malloc kept, stack prefaulted; each step reported;
 *  - PR_SET_IO_FLUSHER on every queue thread (the flag is per thread), then
 *    checked in /proc/self/task/TID/stat: both PF_MEMALLOC_NOIO and
 *    PF_LOCAL_THROTTLE must be set. A call that "succeeds" without setting
 *    them stops the daemon; a refusal (EPERM without CAP_SYS_RESOURCE) is
 *    reported and serving goes on, locked, as with the other steps.
 * Without --harden it runs unprotected; `duende-mlock exec -- ublkd ...`
 * locks that mode from outside.
 *
 * The protocol, briefly (see the kernel's include/uapi/linux/ublk_cmd.h):
 *  - control commands go to /dev/ublk-control as IORING_OP_URING_CMD on a
 *    ring with 128-byte SQEs, the command in the SQE's cmd area: ADD_DEV,
 *    SET_PARAMS, START_DEV, STOP_DEV, DEL_DEV;
 *  - each queue maps its array of I/O descriptors from /dev/ublkcN and
 *    posts one FETCH_REQ per tag from the thread that will serve it; a
 *    completion means "descriptor TAG holds a request"; the answer is
 *    COMMIT_AND_FETCH_REQ, which also waits for the tag's next request;
 *  - STOP_DEV completes every outstanding fetch with UBLK_IO_RES_ABORT.
 * Linux 6.4+ names commands by ioctl-style numbers (UBLK_U_*), earlier
 * kernels by the bare numbers; Debian 12's header has only the latter.
 * ublkd tries the ioctl form and falls back to the legacy one.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <liburing.h>
#include <linux/ublk_cmd.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <duende-mlock.h>

/* ioctl-style command numbers, for headers that predate them. */
#ifndef UBLK_U_CMD_ADD_DEV
#define UBLK_U_CMD_ADD_DEV _IOWR('u', UBLK_CMD_ADD_DEV, struct ublksrv_ctrl_cmd)
#define UBLK_U_CMD_DEL_DEV _IOWR('u', UBLK_CMD_DEL_DEV, struct ublksrv_ctrl_cmd)
#define UBLK_U_CMD_START_DEV _IOWR('u', UBLK_CMD_START_DEV, struct ublksrv_ctrl_cmd)
#define UBLK_U_CMD_STOP_DEV _IOWR('u', UBLK_CMD_STOP_DEV, struct ublksrv_ctrl_cmd)
#define UBLK_U_CMD_SET_PARAMS _IOWR('u', UBLK_CMD_SET_PARAMS, struct ublksrv_ctrl_cmd)
#define UBLK_U_IO_FETCH_REQ _IOWR('u', UBLK_IO_FETCH_REQ, struct ublksrv_io_cmd)
#define UBLK_U_IO_COMMIT_AND_FETCH_REQ _IOWR('u', UBLK_IO_COMMIT_AND_FETCH_REQ, struct ublksrv_io_cmd)
#endif


#define MAX_QUEUES 16
#define IO_BUF_BYTES (256u << 10) /* largest request: 512 sectors */
#define SECTOR_SHIFT 9

struct queue {
	int id;
	pthread_t thread;
	struct io_uring ring;
	struct ublksrv_io_desc *descs; /* shared with the driver, read-only */
	size_t descs_len;
	char *bufs;                    /* depth buffers of IO_BUF_BYTES */
	int flusher_rc;                /* 0, or why IO_FLUSHER is missing */
	int fatal;                     /* negative errno that ended the queue */
};

static struct {
	bool harden;
	bool ioctl_ops; /* ioctl-style command numbers accepted */
	int nr_queues, depth;
	int dev_id;
	int ctrl_fd, char_fd;
	struct io_uring ctrl;
	/* what the device stores: RAM or a file */
	char *ram;
	int backing_fd;
	uint64_t size;
	struct queue queues[MAX_QUEUES];
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int queues_ready;
	int go; /* 0: wait, 1: post the fetches, -1: give up */
} srv = { .nr_queues = 1, .depth = 64, .dev_id = -1, .ctrl_fd = -1, .char_fd = -1,
	  .backing_fd = -1, .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("ublkd: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* ---- commands as io_uring SQEs ---- */

/* An SQE for a uring command: opcode, fd, command number and the command
 * itself copied into the SQE's cmd area (16 bytes in a 64-byte SQE, 80 in
 * a 128-byte one). liburing 2.3 has no helper for this. */
static struct io_uring_sqe *prep_uring_cmd(struct io_uring *ring, int fd, uint32_t op,
					   const void *cmd, size_t len, uint64_t user_data)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	size_t sqe_len = ring->flags & IORING_SETUP_SQE128 ? 128 : 64;

	if (!sqe || len > sqe_len - offsetof(struct io_uring_sqe, cmd))
		return NULL;
	memset(sqe, 0, sqe_len);
	sqe->opcode = IORING_OP_URING_CMD;
	sqe->fd = fd;
	sqe->cmd_op = op;
	memcpy(sqe->cmd, cmd, len);
	sqe->user_data = user_data;
	return sqe;
}

/* One control command, waited for. Returns the driver's result. */
static int ctrl_cmd(uint32_t legacy_op, uint32_t ioctl_op, struct ublksrv_ctrl_cmd *cmd)
{
	struct io_uring_cqe *cqe;
	int rc;

	if (!prep_uring_cmd(&srv.ctrl, srv.ctrl_fd, srv.ioctl_ops ? ioctl_op : legacy_op, cmd,
			    sizeof(*cmd), legacy_op))
		return -EBUSY;
	rc = io_uring_submit(&srv.ctrl);
	if (rc < 0)
		return rc;
	do
		rc = io_uring_wait_cqe(&srv.ctrl, &cqe);
	while (rc == -EINTR);
	if (rc < 0)
		return rc;
	rc = cqe->res;
	io_uring_cqe_seen(&srv.ctrl, cqe);
	return rc;
}

#define UBLKD_CTRL(name, cmd) ctrl_cmd(UBLK_CMD_##name, (uint32_t)UBLK_U_CMD_##name, cmd)

static int open_control(void)
{
	int rc;

	srv.ctrl_fd = open("/dev/ublk-control", O_RDWR | O_CLOEXEC);
	if (srv.ctrl_fd < 0) {
		rc = -errno;
		say("/dev/ublk-control: %s%s", strerror(-rc),
		    rc == -ENOENT ? " (load the ublk_drv module)" : "");
		return rc;
	}
	rc = io_uring_queue_init(4, &srv.ctrl, IORING_SETUP_SQE128);
	if (rc)
		say("io_uring with 128-byte SQEs: %s (Linux 5.19+)", strerror(-rc));
	return rc;
}

static int add_device(void)
{
	struct ublksrv_ctrl_dev_info info;
	struct ublksrv_ctrl_cmd cmd;
	int rc;

	memset(&info, 0, sizeof(info));
	info.nr_hw_queues = (uint16_t)srv.nr_queues;
	info.queue_depth = (uint16_t)srv.depth;
	info.max_io_buf_bytes = IO_BUF_BYTES;
	info.dev_id = (uint32_t)srv.dev_id; /* -1: the driver picks */
	info.ublksrv_pid = getpid();
	memset(&cmd, 0, sizeof(cmd));
	cmd.dev_id = (uint32_t)srv.dev_id;
	cmd.queue_id = (uint16_t)-1;
	cmd.addr = (uint64_t)(uintptr_t)&info;
	cmd.len = sizeof(info);

	srv.ioctl_ops = true;
	rc = UBLKD_CTRL(ADD_DEV, &cmd);
	if (rc == -EOPNOTSUPP || rc == -EINVAL || rc == -ENOTTY) {
		srv.ioctl_ops = false; /* a kernel before the ioctl-style numbers */
		rc = UBLKD_CTRL(ADD_DEV, &cmd);
	}
	if (rc < 0) {
		say("ADD_DEV: %s", strerror(-rc));
		return rc;
	}
	srv.dev_id = (int)info.dev_id;
	return 0;
}

static int set_params(void)
{
	struct ublk_params p;
	struct ublksrv_ctrl_cmd cmd;
	int rc;

	memset(&p, 0, sizeof(p));
	p.len = sizeof(p);
	p.types = UBLK_PARAM_TYPE_BASIC;
	p.basic.logical_bs_shift = SECTOR_SHIFT;
	p.basic.physical_bs_shift = 12;
	p.basic.io_opt_shift = 12;
	p.basic.io_min_shift = SECTOR_SHIFT;
	p.basic.max_sectors = IO_BUF_BYTES >> SECTOR_SHIFT;
	p.basic.dev_sectors = srv.size >> SECTOR_SHIFT;
	memset(&cmd, 0, sizeof(cmd));
	cmd.dev_id = (uint32_t)srv.dev_id;
	cmd.queue_id = (uint16_t)-1;
	cmd.addr = (uint64_t)(uintptr_t)&p;
	cmd.len = sizeof(p);
	rc = UBLKD_CTRL(SET_PARAMS, &cmd);
	if (rc < 0)
		say("SET_PARAMS: %s", strerror(-rc));
	return rc;
}

static int simple_ctrl(uint32_t legacy_op, uint32_t ioctl_op, uint64_t data0)
{
	struct ublksrv_ctrl_cmd cmd;

	memset(&cmd, 0, sizeof(cmd));
	cmd.dev_id = (uint32_t)srv.dev_id;
	cmd.queue_id = (uint16_t)-1;
	cmd.data[0] = data0;
	return ctrl_cmd(legacy_op, ioctl_op, &cmd);
}

/* ---- IO_FLUSHER on this thread, and proof that it took ---- */

static int io_flusher_on_this_thread(int qid)
{
	char line[512];
	int rc = duende_mlock_set_io_flusher();

	if (rc) {
		duende_mlock_explain_step(DUENDE_MLOCK_STEP_IO_FLUSHER, rc, 0, line, sizeof(line));
		say("queue %d: %s", qid, line);
		return rc;
	}
	/* Proof that it took: the thread's own flags, as the kernel shows them. */
	rc = duende_mlock_get_io_flusher();
	if (rc < 0) {
		say("queue %d: cannot read this thread's flags: %s", qid, strerror(-rc));
		return rc;
	}
	if (!rc) {
		say("queue %d: PR_SET_IO_FLUSHER returned success but the thread's flags do not show "
		    "it (PF_MEMALLOC_NOIO|PF_LOCAL_THROTTLE missing)", qid);
		return -ENOTRECOVERABLE;
	}
	say("queue %d: IO_FLUSHER set", qid);
	return 0;
}

/* ---- serving a queue ---- */

static int queue_cmd(struct queue *q, int tag, bool commit, int result)
{
	struct ublksrv_io_cmd cmd = {
		.q_id = (uint16_t)q->id,
		.tag = (uint16_t)tag,
		.result = result,
		.addr = (uint64_t)(uintptr_t)(q->bufs + (size_t)tag * IO_BUF_BYTES),
	};
	uint32_t op = commit ? (srv.ioctl_ops ? (uint32_t)UBLK_U_IO_COMMIT_AND_FETCH_REQ
					      : UBLK_IO_COMMIT_AND_FETCH_REQ)
			     : (srv.ioctl_ops ? (uint32_t)UBLK_U_IO_FETCH_REQ : UBLK_IO_FETCH_REQ);

	return prep_uring_cmd(&q->ring, srv.char_fd, op, &cmd, sizeof(cmd), (uint64_t)tag) ? 0 : -EBUSY;
}

static int do_rw(bool write, char *buf, size_t len, uint64_t off)
{
	if (off > srv.size || len > srv.size - off)
		return -EIO;
	if (srv.ram) {
		if (write)
			memcpy(srv.ram + off, buf, len);
		else
			memcpy(buf, srv.ram + off, len);
		return (int)len;
	}
	for (size_t done = 0; done < len;) {
		ssize_t n = write ? pwrite(srv.backing_fd, buf + done, len - done, (off_t)(off + done))
				  : pread(srv.backing_fd, buf + done, len - done, (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0) { /* a read past the file's end: zeros */
			memset(buf + done, 0, len - done);
			break;
		}
		done += (size_t)n;
	}
	return (int)len;
}

/* Serves the request in descriptor TAG; returns what to commit. */
static int serve(struct queue *q, int tag)
{
	const struct ublksrv_io_desc *d = &q->descs[tag];
	char *buf = q->bufs + (size_t)tag * IO_BUF_BYTES;
	size_t len = (size_t)d->nr_sectors << SECTOR_SHIFT;
	uint64_t off = d->start_sector << SECTOR_SHIFT;

	switch (ublksrv_get_op(d)) {
	case UBLK_IO_OP_READ:
		return len > IO_BUF_BYTES ? -EINVAL : do_rw(false, buf, len, off);
	case UBLK_IO_OP_WRITE:
		return len > IO_BUF_BYTES ? -EINVAL : do_rw(true, buf, len, off);
	case UBLK_IO_OP_FLUSH:
		return srv.ram || fdatasync(srv.backing_fd) == 0 ? 0 : -errno;
	case UBLK_IO_OP_DISCARD:
	case UBLK_IO_OP_WRITE_ZEROES:
		if (off > srv.size || len > srv.size - off)
			return -EIO;
		if (srv.ram) {
			memset(srv.ram + off, 0, len);
			return 0;
		}
		return fallocate(srv.backing_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off,
				 (off_t)len) == 0 ? 0 : -errno;
	default:
		return -EOPNOTSUPP;
	}
}

static void *queue_main(void *arg)
{
	struct queue *q = arg;
	int live = 0, rc;

	if (srv.harden)
		q->flusher_rc = io_flusher_on_this_thread(q->id);
	rc = io_uring_queue_init((unsigned)srv.depth, &q->ring, 0);
	q->fatal = q->flusher_rc == -ENOTRECOVERABLE ? -ENOTRECOVERABLE : rc;
	if (rc)
		say("queue %d: io_uring: %s", q->id, strerror(-rc));
	/* Report, then wait for the control thread's word: fetches once
	 * posted can only be taken back by a started device's STOP_DEV. */
	pthread_mutex_lock(&srv.lock);
	srv.queues_ready++;
	pthread_cond_broadcast(&srv.cond);
	while (srv.go == 0)
		pthread_cond_wait(&srv.cond, &srv.lock);
	pthread_mutex_unlock(&srv.lock);
	if (srv.go < 0 || q->fatal) {
		if (!rc)
			io_uring_queue_exit(&q->ring);
		return NULL;
	}
	/* Every fetch must come from this thread: the driver binds the queue
	 * to the task that fetches. */
	for (int tag = 0; tag < srv.depth && rc == 0; tag++)
		rc = queue_cmd(q, tag, false, 0);
	if (rc == 0) {
		rc = io_uring_submit(&q->ring);
		live = rc > 0 ? rc : 0;
		rc = rc == srv.depth ? 0 : rc < 0 ? rc : -EIO;
	}
	if (rc) {
		say("queue %d: cannot post its fetches: %s", q->id, strerror(-rc));
		q->fatal = rc; /* START_DEV would wait for them in vain */
	}

	/* Until STOP_DEV has aborted every tag. */
	while (live > 0) {
		struct io_uring_cqe *cqe;
		unsigned head, seen = 0;

		rc = io_uring_submit_and_wait(&q->ring, 1);
		if (rc < 0 && rc != -EINTR) {
			say("queue %d: io_uring: %s", q->id, strerror(-rc));
			q->fatal = rc;
			break;
		}
		io_uring_for_each_cqe(&q->ring, head, cqe) {
			int tag = (int)cqe->user_data;
			seen++;
			if (cqe->res == UBLK_IO_RES_OK && tag >= 0 && tag < srv.depth) {
				if (queue_cmd(q, tag, true, serve(q, tag)) != 0) {
					say("queue %d: no SQE for tag %d", q->id, tag);
					live--;
				}
			} else {
				/* UBLK_IO_RES_ABORT: the device is stopping. */
				if (cqe->res != UBLK_IO_RES_ABORT)
					say("queue %d tag %d: %s", q->id, tag, strerror(-cqe->res));
				live--;
			}
		}
		io_uring_cq_advance(&q->ring, seen);
	}
	io_uring_queue_exit(&q->ring);
	return NULL;
}

/* ---- set-up and tear-down ---- */

static int harden(void)
{
	struct duende_mlock_harden_config cfg = DUENDE_MLOCK_HARDEN_CONFIG_INIT;
	struct duende_mlock_harden_result res;
	char text[4096];
	/* In required mode only the lock decides whether to serve
	 * (cfg.required_steps 0): the other steps are reported below. */
	int rc = duende_mlock_harden(&cfg, &res);

	if (rc == -EINVAL)
		return rc;
	duende_mlock_harden_explain(&res, DUENDE_MLOCK_EXPLAIN_ALL_STEPS, text, sizeof(text));
	for (const char *p = text; *p;) {
		size_t n = strcspn(p, "\n");

		say("%.*s", (int)n, p);
		p += n + (p[n] == '\n');
	}
	return rc;
}

static int open_char_device(void)
{
	char path[64];

	snprintf(path, sizeof(path), "/dev/ublkc%d", srv.dev_id);
	/* devtmpfs or udev creates it shortly after ADD_DEV. */
	for (int i = 0; i < 100; i++) {
		srv.char_fd = open(path, O_RDWR | O_CLOEXEC);
		if (srv.char_fd >= 0 || errno != ENOENT)
			break;
		usleep(50 * 1000);
	}
	if (srv.char_fd < 0) {
		say("%s: %s", path, strerror(errno));
		return -errno;
	}
	return 0;
}

static int map_queue(struct queue *q)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t stride = ((size_t)UBLK_MAX_QUEUE_DEPTH * sizeof(struct ublksrv_io_desc) + (size_t)page - 1) &
			~((size_t)page - 1);
	int rc;

	q->descs_len = ((size_t)srv.depth * sizeof(struct ublksrv_io_desc) + (size_t)page - 1) &
		       ~((size_t)page - 1);
	q->descs = mmap(NULL, q->descs_len, PROT_READ, MAP_SHARED | MAP_POPULATE, srv.char_fd,
			(off_t)(UBLKSRV_CMD_BUF_OFFSET + (size_t)q->id * stride));
	if (q->descs == MAP_FAILED) {
		q->descs = NULL;
		say("queue %d: mapping the descriptors: %s", q->id, strerror(errno));
		return -errno;
	}
	rc = posix_memalign((void **)&q->bufs, (size_t)page, (size_t)srv.depth * IO_BUF_BYTES);
	if (rc) {
		q->bufs = NULL;
		say("queue %d: buffers: %s", q->id, strerror(rc));
		return -rc;
	}
	return 0;
}

static int delete_device(int id, bool quiet)
{
	int rc;

	srv.dev_id = id;
	if (srv.ctrl_fd < 0 && open_control())
		return 1;
	/* Probe the numbering with STOP_DEV, which fails harmlessly when the
	 * device is stopped already. */
	srv.ioctl_ops = true;
	rc = simple_ctrl(UBLK_CMD_STOP_DEV, (uint32_t)UBLK_U_CMD_STOP_DEV, 0);
	if (rc == -EOPNOTSUPP || rc == -ENOTTY) {
		srv.ioctl_ops = false;
		simple_ctrl(UBLK_CMD_STOP_DEV, (uint32_t)UBLK_U_CMD_STOP_DEV, 0);
	}
	rc = simple_ctrl(UBLK_CMD_DEL_DEV, (uint32_t)UBLK_U_CMD_DEL_DEV, 0);
	if (rc < 0 && !quiet)
		say("deleting device %d: %s", id, strerror(-rc));
	return rc < 0;
}

static int usage(const char *argv0)
{
	fprintf(stderr,
		"usage: %s [--harden] [--queues N] [--depth N] [--id N] (--ram MIB | --backing FILE [--size MIB])\n"
		"       %s --delete ID\n",
		argv0, argv0);
	return 64;
}

static bool parse_num(const char *s, long lo, long hi, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(s, &end, 10);
	return !errno && end != s && !*end && *out >= lo && *out <= hi;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "harden", no_argument, NULL, 'H' },
		{ "queues", required_argument, NULL, 'q' },
		{ "depth", required_argument, NULL, 'd' },
		{ "id", required_argument, NULL, 'i' },
		{ "ram", required_argument, NULL, 'r' },
		{ "backing", required_argument, NULL, 'b' },
		{ "size", required_argument, NULL, 's' },
		{ "delete", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ 0, 0, 0, 0 },
	};
	const char *backing = NULL;
	long n, ram_mib = 0, size_mib = 0, del = -1;
	int c, rc, status = 1, started = 0;
	bool dev_started = false;
	sigset_t sigs;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'H': srv.harden = true; break;
		case 'b': backing = optarg; break;
		case 'q':
			if (!parse_num(optarg, 1, MAX_QUEUES, &n))
				return usage(argv[0]);
			srv.nr_queues = (int)n;
			break;
		case 'd':
			if (!parse_num(optarg, 1, 1024, &n))
				return usage(argv[0]);
			srv.depth = (int)n;
			break;
		case 'i':
			if (!parse_num(optarg, 0, 1 << 20, &n))
				return usage(argv[0]);
			srv.dev_id = (int)n;
			break;
		case 'r':
			if (!parse_num(optarg, 1, 1L << 20, &ram_mib))
				return usage(argv[0]);
			break;
		case 's':
			if (!parse_num(optarg, 1, 1L << 30, &size_mib))
				return usage(argv[0]);
			break;
		case 'D':
			if (!parse_num(optarg, 0, 1 << 20, &del))
				return usage(argv[0]);
			break;
		case 'h': usage(argv[0]); return 0;
		default: return usage(argv[0]);
		}
	}
	if (optind != argc)
		return usage(argv[0]);
	if (del >= 0)
		return delete_device((int)del, false);
	if (!!backing == !!ram_mib || (ram_mib && size_mib)) {
		say("give either --ram MIB or --backing FILE [--size MIB]");
		return usage(argv[0]);
	}

	/* What the device stores, before the lock so that it is locked too. */
	if (ram_mib) {
		srv.size = (uint64_t)ram_mib << 20;
		srv.ram = mmap(NULL, srv.size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (srv.ram == MAP_FAILED) {
			say("--ram %ld: %s", ram_mib, strerror(errno));
			return 1;
		}
	} else {
		struct stat st;
		srv.backing_fd = open(backing, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (srv.backing_fd < 0 || fstat(srv.backing_fd, &st) != 0) {
			say("%s: %s", backing, strerror(errno));
			return 1;
		}
		if (size_mib && ftruncate(srv.backing_fd, (off_t)size_mib << 20) != 0) {
			say("cannot size %s: %s", backing, strerror(errno));
			return 1;
		}
		srv.size = size_mib ? (uint64_t)size_mib << 20 : (uint64_t)st.st_size;
		if (srv.size < (1u << 20)) {
			say("%s is smaller than 1 MiB: give --size", backing);
			return 1;
		}
	}
	srv.size &= ~(uint64_t)4095;

	if (srv.harden) {
		rc = harden();
		if (rc) {
			say("not serving without a memory lock");
			return 1;
		}
	}

	/* Signals go to the control thread's sigwait, never to a queue. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	if (open_control() || add_device())
		return 1;
	if (set_params() || open_char_device())
		goto out_delete;
	for (int i = 0; i < srv.nr_queues; i++) {
		srv.queues[i].id = i;
		if (map_queue(&srv.queues[i]))
			goto out_stop;
	}
	for (int i = 0; i < srv.nr_queues; i++) {
		rc = pthread_create(&srv.queues[i].thread, NULL, queue_main, &srv.queues[i]);
		if (rc) {
			say("starting queue %d: %s", i, strerror(rc));
			pthread_mutex_lock(&srv.lock);
			srv.go = -1;
			pthread_cond_broadcast(&srv.cond);
			pthread_mutex_unlock(&srv.lock);
			goto out_stop;
		}
		started++;
	}
	pthread_mutex_lock(&srv.lock);
	while (srv.queues_ready < started)
		pthread_cond_wait(&srv.cond, &srv.lock);
	srv.go = 1;
	for (int i = 0; i < started; i++)
		if (srv.queues[i].fatal) {
			say("queue %d failed: not starting the device", i);
			srv.go = -1;
		}
	pthread_cond_broadcast(&srv.cond);
	pthread_mutex_unlock(&srv.lock);
	if (srv.go < 0)
		goto out_stop;

	/* The driver waits for every queue's fetches, then adds the disk
	 * (whose partition scan the queues already serve). */
	rc = simple_ctrl(UBLK_CMD_START_DEV, (uint32_t)UBLK_U_CMD_START_DEV, (uint64_t)getpid());
	if (rc < 0) {
		/* The queues wait on fetches that only a started device's
		 * STOP_DEV takes back: leave, and let the kernel cancel them. */
		say("START_DEV: %s; device %d is left for `ublkd --delete %d`", strerror(-rc), srv.dev_id,
		    srv.dev_id);
		_exit(1);
	}
	dev_started = true;
	printf("ublkd: serving /dev/ublkb%d (%llu MiB, %d queue(s) of depth %d, %s)\n", srv.dev_id,
	       (unsigned long long)(srv.size >> 20), srv.nr_queues, srv.depth,
	       srv.harden ? "hardened" : "not hardened");
	fflush(stdout);

	for (;;) {
		int sig;
		if (sigwait(&sigs, &sig) == 0)
			break;
	}
	status = 0;
out_stop:
	if (dev_started) { /* completes every fetch with UBLK_IO_RES_ABORT */
		rc = simple_ctrl(UBLK_CMD_STOP_DEV, (uint32_t)UBLK_U_CMD_STOP_DEV, 0);
		if (rc < 0)
			say("STOP_DEV: %s", strerror(-rc));
	}
	for (int i = 0; i < started; i++)
		pthread_join(srv.queues[i].thread, NULL);
	for (int i = 0; i < srv.nr_queues; i++) {
		if (srv.queues[i].descs)
			munmap(srv.queues[i].descs, srv.queues[i].descs_len);
		free(srv.queues[i].bufs);
	}
out_delete:
	/* DEL_DEV waits until the character device is closed. */
	if (srv.char_fd >= 0)
		close(srv.char_fd);
	rc = simple_ctrl(UBLK_CMD_DEL_DEV, (uint32_t)UBLK_U_CMD_DEL_DEV, 0);
	if (rc < 0) {
		say("DEL_DEV: %s", strerror(-rc));
		status = 1;
	}
	io_uring_queue_exit(&srv.ctrl);
	close(srv.ctrl_fd);
	return status;
}
