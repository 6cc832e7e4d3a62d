/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * blockd: a user-space block server of the kind duende-mlock exists for.
 * It serves one file, MOUNTPOINT/disk, through FUSE; its blocks live in a
 * backing file. Attach a loop device to MOUNTPOINT/disk and swap on it,
 * and every swapped page goes through this process (DT-007).
 *
 *   blockd [--harden] [--size SIZE] --backing FILE MOUNTPOINT
 *
 * --harden: at start, before serving, call duende_mlock_harden(): lock
 * current and future memory, PR_SET_IO_FLUSHER, oom_score_adj, keep malloc
 * memory and prefault the stack; each step's outcome goes to stderr. A
 * failed lock stops the daemon (it would deadlock later), the other steps
 * only warn. Without --harden, run it under `duende-mlock exec`.
 */
/* 3.12: fuse_loop_mt() takes a struct fuse_loop_config made by fuse_loop_cfg_create(). */
#define FUSE_USE_VERSION 312
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <duende-mlock.h>

static const char disk_path[] = "/disk";

/* The one open backing file, set before fuse_main and read-only after:
 * FUSE calls come from several threads. */
static struct {
	int fd;
	off_t size;
} backing = { -1, 0 };

static int bd_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	(void)fi;
	memset(st, 0, sizeof(*st));
	if (strcmp(path, "/") == 0) {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
		return 0;
	}
	if (strcmp(path, disk_path) != 0)
		return -ENOENT;
	st->st_mode = S_IFREG | 0600;
	st->st_nlink = 1;
	st->st_size = backing.size;
	st->st_blocks = backing.size / 512;
	return 0;
}

static int bd_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off,
		      struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
	(void)off;
	(void)fi;
	(void)flags;
	if (strcmp(path, "/") != 0)
		return -ENOENT;
	fill(buf, ".", NULL, 0, 0);
	fill(buf, "..", NULL, 0, 0);
	fill(buf, disk_path + 1, NULL, 0, 0);
	return 0;
}

static int bd_open(const char *path, struct fuse_file_info *fi)
{
	(void)fi;
	return strcmp(path, disk_path) == 0 ? 0 : -ENOENT;
}

static int bd_read(const char *path, char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
	(void)path;
	(void)fi;
	if (off >= backing.size)
		return 0;
	if ((off_t)size > backing.size - off)
		size = (size_t)(backing.size - off);
	ssize_t n = pread(backing.fd, buf, size, off);
	return n < 0 ? -errno : (int)n;
}

static int bd_write(const char *path, const char *buf, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	(void)path;
	(void)fi;
	if (off >= backing.size)
		return -ENOSPC;
	if ((off_t)size > backing.size - off)
		size = (size_t)(backing.size - off);
	ssize_t n = pwrite(backing.fd, buf, size, off);
	return n < 0 ? -errno : (int)n;
}

static int bd_fsync(const char *path, int datasync, struct fuse_file_info *fi)
{
	(void)path;
	(void)fi;
	return (datasync ? fdatasync(backing.fd) : fsync(backing.fd)) ? -errno : 0;
}

static const struct fuse_operations ops = {
	.getattr = bd_getattr,
	.readdir = bd_readdir,
	.open = bd_open,
	.read = bd_read,
	.write = bd_write,
	.fsync = bd_fsync,
};

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

		fprintf(stderr, "blockd: %.*s\n", (int)n, p);
		p += n + (p[n] == '\n');
	}
	return rc;
}

/* What fuse_main() does in the foreground, with the loop configured here:
 * libfuse 3.14.0's fuse_main() drops -o max_threads and hands the unset
 * max_idle_threads (UINT_MAX) to a setter that prints "Ignoring invalid
 * max threads value 4294967295". Idle threads are never destroyed (the
 * default): a locked daemon should not create thread stacks under the
 * memory pressure it serves. Returns fuse_main()'s exit statuses, but 0
 * after a stop by signal. */
static int serve(const char *argv0, const char *mountpoint)
{
	char *fargv[] = { (char *)argv0, "-o", "default_permissions", NULL };
	struct fuse_args args = FUSE_ARGS_INIT(3, fargv);
	struct fuse_loop_config *loop = NULL;
	struct fuse *fuse;
	int rc = 0;

	char *mnt = realpath(mountpoint, NULL);
	if (!mnt) {
		fprintf(stderr, "blockd: %s: %s\n", mountpoint, strerror(errno));
		return 2;
	}
	fuse = fuse_new(&args, &ops, sizeof(ops), NULL);
	if (!fuse) {
		free(mnt);
		return 3;
	}
	if (fuse_mount(fuse, mnt) != 0) {
		rc = 4;
		goto out_destroy;
	}
	if (chdir("/") != 0 || fuse_set_signal_handlers(fuse_get_session(fuse)) != 0) {
		rc = 6;
		goto out_unmount;
	}
	loop = fuse_loop_cfg_create();
	if (!loop) {
		rc = 7;
		goto out_signals;
	}
	fuse_loop_cfg_set_max_threads(loop, 8);
	/* A signal number is a stop asked for (SIGTERM, SIGINT, SIGHUP), not
	 * a failure: fuse_main() returns 8 for it, which a service manager
	 * takes for a crash. */
	if (fuse_loop_mt(fuse, loop) < 0)
		rc = 8;
	fuse_loop_cfg_destroy(loop);
out_signals:
	fuse_remove_signal_handlers(fuse_get_session(fuse));
out_unmount:
	fuse_unmount(fuse);
out_destroy:
	fuse_destroy(fuse);
	fuse_opt_free_args(&args);
	free(mnt);
	return rc;
}

static int usage(const char *argv0)
{
	fprintf(stderr, "usage: %s [--harden] [--size SIZE_MIB] --backing FILE MOUNTPOINT\n", argv0);
	return 2;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "harden", no_argument, NULL, 'H' },
		{ "size", required_argument, NULL, 's' },
		{ "backing", required_argument, NULL, 'b' },
		{ 0, 0, 0, 0 },
	};
	const char *backing_path = NULL;
	bool do_harden = false;
	long size_mib = 0;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		char *end;
		switch (c) {
		case 'H': do_harden = true; break;
		case 'b': backing_path = optarg; break;
		case 's':
			size_mib = strtol(optarg, &end, 10);
			if (*end || size_mib <= 0 || size_mib > (1L << 20))
				return usage(argv[0]);
			break;
		default: return usage(argv[0]);
		}
	}
	if (!backing_path || optind != argc - 1)
		return usage(argv[0]);

	backing.fd = open(backing_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (backing.fd < 0) {
		fprintf(stderr, "blockd: %s: %s\n", backing_path, strerror(errno));
		return 1;
	}
	if (size_mib && ftruncate(backing.fd, (off_t)size_mib << 20) != 0) {
		fprintf(stderr, "blockd: cannot size %s: %s\n", backing_path, strerror(errno));
		return 1;
	}
	backing.size = lseek(backing.fd, 0, SEEK_END);
	if (backing.size <= 0) {
		fprintf(stderr, "blockd: %s is empty: give --size\n", backing_path);
		return 1;
	}
	if (do_harden && harden() != 0) {
		fprintf(stderr, "blockd: not serving without a memory lock\n");
		return 1;
	}

	return serve(argv[0], argv[optind]);
}
