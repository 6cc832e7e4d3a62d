/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* Where a command writes: standard output, or a file replaced atomically
 * (a temporary file in the same directory, fsync, rename), and every write
 * error reported, never a silent success. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "duende-mlock.h"

static int io_error(const char *sub, const char *what, int err)
{
	char shown[512];

	duende_mlock_escape(what, strlen(what), shown, sizeof(shown));
	fprintf(stderr, "%s: %s: cannot write %s: %s\n", cli_name, sub, shown, strerror(err));
	return EXIT_IO;
}

static const char *file_kind(mode_t mode)
{
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISCHR(mode) || S_ISBLK(mode))
		return "a device";
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISSOCK(mode))
		return "a socket";
	return "not a regular file";
}

static int not_a_file(const char *sub, const char *path, const char *kind)
{
	char shown[512];

	duende_mlock_escape(path, strlen(path), shown, sizeof(shown));
	fprintf(stderr, "%s: %s: --output %s: it is %s; --output replaces a regular file "
		"atomically (leave --output out and redirect standard output instead)\n",
		cli_name, sub, shown, kind);
	return EXIT_USAGE;
}

/* The file that --output replaces, in *target (allocated). Renaming over a
 * device node, a FIFO or a symbolic link would replace the node or the
 * link itself (--output /dev/null would leave a regular file there), so
 * only a regular file, or a path not there yet, is taken; a symbolic link
 * to a regular file stays a link and the file it names is replaced. */
static int output_target(const char *sub, const char *path, char **target)
{
	struct stat st;
	size_t len = strlen(path);

	*target = NULL;
	if (len == 0 || path[len - 1] == '/')
		return not_a_file(sub, path, "a directory");
	if (lstat(path, &st) != 0) {
		if (errno != ENOENT)
			return io_error(sub, path, errno);
		*target = strdup(path);
		return *target ? 0 : io_error(sub, path, ENOMEM);
	}
	if (S_ISLNK(st.st_mode) && stat(path, &st) != 0)
		return not_a_file(sub, path, "a symbolic link to nothing");
	if (!S_ISREG(st.st_mode))
		return not_a_file(sub, path, file_kind(st.st_mode));
	*target = realpath(path, NULL);
	return *target ? 0 : io_error(sub, path, errno);
}

int output_open(struct output *o, const char *sub, const char *path)
{
	char *copy, *dir;
	int fd, rc;

	memset(o, 0, sizeof(*o));
	if (!path) {
		o->f = stdout;
		return 0;
	}
	rc = output_target(sub, path, &o->path);
	if (rc)
		return rc;
	path = o->path;
	copy = strdup(path);
	if (!copy)
		return io_error(sub, path, ENOMEM);
	/* A dot name: textfile collectors read only *.prom, and ls hides it. */
	dir = dirname(copy);
	if (asprintf(&o->tmp, "%s/.%s.XXXXXX", dir, strrchr(path, '/') ? strrchr(path, '/') + 1 : path) < 0) {
		free(copy);
		return io_error(sub, path, ENOMEM);
	}
	free(copy);
	fd = mkostemp(o->tmp, O_CLOEXEC);
	if (fd < 0 || !(o->f = fdopen(fd, "w"))) {
		int err = errno;
		if (fd >= 0) {
			close(fd);
			unlink(o->tmp);
		}
		free(o->tmp);
		o->tmp = NULL;
		rc = io_error(sub, path, err);
		free(o->path);
		o->path = NULL;
		return rc;
	}
	return 0;
}

/* The rename is durable once the directory is synced. */
static int sync_dir_of(const char *path)
{
	char *copy = strdup(path);
	int fd, rc = 0;

	if (!copy)
		return ENOMEM;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(copy);
	if (fd < 0)
		return errno;
	if (fsync(fd) != 0 && errno != EINVAL)
		rc = errno;
	close(fd);
	return rc;
}

static int close_file(struct output *o)
{
	int fd = fileno(o->f), err = 0;

	if (fflush(o->f) != 0 || ferror(o->f))
		err = errno ? errno : EIO;
	else if (fchmod(fd, 0644) != 0 || fsync(fd) != 0)
		err = errno;
	if (fclose(o->f) != 0 && !err)
		err = errno;
	if (!err && rename(o->tmp, o->path) != 0)
		err = errno;
	if (err)
		unlink(o->tmp);
	else
		err = sync_dir_of(o->path);
	return err;
}

int output_close(struct output *o, const char *sub)
{
	int err = 0;

	errno = 0;
	if (o->path) {
		err = close_file(o);
		free(o->tmp);
		o->tmp = NULL;
		err = err ? io_error(sub, o->path, err) : 0;
		free(o->path);
		o->path = NULL;
		return err;
	}
	if (fflush(stdout) != 0 || ferror(stdout))
		err = errno ? errno : EIO;
	if (fclose(stdout) != 0 && !err)
		err = errno;
	return err ? io_error(sub, "standard output", err) : 0;
}

_Noreturn void exit_printed(const char *sub)
{
	struct output o = { .f = stdout };

	exit(output_close(&o, sub));
}
