/* SPDX-License-Identifier: MIT OR Apache-2.0 */
#define _GNU_SOURCE
#include "program.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#define MAX_SCRIPT_DEPTH 4

static int resolve(const char *name, struct program_check *out)
{
	const char *path = getenv("PATH");
	bool seen_eacces = false;

	if (strchr(name, '/')) {
		snprintf(out->path, sizeof(out->path), "%s", name);
		return 0;
	}
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (const char *p = path;;) {
		size_t n = strcspn(p, ":");
		struct stat st;

		snprintf(out->path, sizeof(out->path), "%.*s%s%s", (int)n, n ? p : ".",
			 "/", name);
		if (stat(out->path, &st) == 0 && S_ISREG(st.st_mode)) {
			if (access(out->path, X_OK) == 0)
				return 0;
			seen_eacces = true;
		}
		if (!p[n])
			break;
		p += n + 1;
	}
	snprintf(out->reason, sizeof(out->reason),
		 seen_eacces ? "'%s' is on PATH but not executable" : "'%s' not found on PATH",
		 name);
	return seen_eacces ? EXIT_NOT_EXECUTABLE : EXIT_NOT_FOUND;
}

/* Reads the ELF identity of the file open at fd, whose first len bytes are
 * head: class, machine, type and the PT_INTERP path ("" without one).
 * -1 when the headers cannot be read. */
static int read_elf(int fd, const unsigned char *head, size_t len, struct elf_image *img,
		    uint16_t *type)
{
	uint64_t phoff;
	uint16_t phnum, phentsize;

	memset(img, 0, sizeof(*img));
	if (len < sizeof(Elf32_Ehdr) || memcmp(head, ELFMAG, SELFMAG) != 0)
		return -1;
	img->elf_class = head[EI_CLASS];
	if (img->elf_class == ELFCLASS64 && len >= sizeof(Elf64_Ehdr)) {
		const Elf64_Ehdr *eh = (const Elf64_Ehdr *)head;
		phoff = eh->e_phoff;
		phnum = eh->e_phnum;
		phentsize = eh->e_phentsize;
		img->machine = eh->e_machine;
		*type = eh->e_type;
	} else if (img->elf_class == ELFCLASS32) {
		const Elf32_Ehdr *eh = (const Elf32_Ehdr *)head;
		phoff = eh->e_phoff;
		phnum = eh->e_phnum;
		phentsize = eh->e_phentsize;
		img->machine = eh->e_machine;
		*type = eh->e_type;
	} else {
		return -1;
	}
	for (uint16_t i = 0; i < phnum; i++) {
		off_t at = (off_t)(phoff + (uint64_t)i * phentsize);
		uint64_t offset, size;
		uint32_t ptype;

		if (pread(fd, &ptype, sizeof(ptype), at) != (ssize_t)sizeof(ptype))
			return -1;
		if (ptype == PT_DYNAMIC) {
			img->dynamic_at = at;
			continue;
		}
		if (ptype != PT_INTERP)
			continue;
		if (img->elf_class == ELFCLASS64) {
			Elf64_Phdr ph;
			if (pread(fd, &ph, sizeof(ph), at) != (ssize_t)sizeof(ph))
				return -1;
			offset = ph.p_offset;
			size = ph.p_filesz;
		} else {
			Elf32_Phdr ph;
			if (pread(fd, &ph, sizeof(ph), at) != (ssize_t)sizeof(ph))
				return -1;
			offset = ph.p_offset;
			size = ph.p_filesz;
		}
		if (size < 2 || size > sizeof(img->interp) ||
		    pread(fd, img->interp, (size_t)size, (off_t)offset) != (ssize_t)size ||
		    img->interp[size - 1] != '\0')
			return -1;
	}
	return 0;
}

/* DF_1_PIE in the dynamic section: a position-independent executable,
 * which the loader refuses to preload (glibc 2.30+). */
static bool is_pie(int fd, const struct elf_image *img)
{
	uint64_t offset, size;

	if (!img->dynamic_at)
		return false;
	if (img->elf_class == ELFCLASS64) {
		Elf64_Phdr ph;
		if (pread(fd, &ph, sizeof(ph), img->dynamic_at) != (ssize_t)sizeof(ph))
			return false;
		offset = ph.p_offset;
		size = ph.p_filesz;
		for (uint64_t at = 0; at + sizeof(Elf64_Dyn) <= size; at += sizeof(Elf64_Dyn)) {
			Elf64_Dyn d;
			if (pread(fd, &d, sizeof(d), (off_t)(offset + at)) != (ssize_t)sizeof(d) ||
			    d.d_tag == DT_NULL)
				break;
			if (d.d_tag == DT_FLAGS_1)
				return d.d_un.d_val & DF_1_PIE;
		}
	} else {
		Elf32_Phdr ph;
		if (pread(fd, &ph, sizeof(ph), img->dynamic_at) != (ssize_t)sizeof(ph))
			return false;
		offset = ph.p_offset;
		size = ph.p_filesz;
		for (uint64_t at = 0; at + sizeof(Elf32_Dyn) <= size; at += sizeof(Elf32_Dyn)) {
			Elf32_Dyn d;
			if (pread(fd, &d, sizeof(d), (off_t)(offset + at)) != (ssize_t)sizeof(d) ||
			    d.d_tag == DT_NULL)
				break;
			if (d.d_tag == DT_FLAGS_1)
				return d.d_un.d_val & DF_1_PIE;
		}
	}
	return false;
}

static int check_elf(int fd, const unsigned char *head, size_t len, struct program_check *out)
{
	uint16_t type;

	if (len < sizeof(Elf32_Ehdr)) {
		snprintf(out->reason, sizeof(out->reason), "%s: truncated ELF file", out->path);
		return EXIT_NOT_EXECUTABLE;
	}
	if (read_elf(fd, head, len, &out->image, &type) != 0) {
		snprintf(out->reason, sizeof(out->reason), "%s: unreadable ELF headers",
			 out->path);
		return EXIT_NOT_EXECUTABLE;
	}
	if (!out->image.interp[0]) {
		snprintf(out->reason, sizeof(out->reason),
			 "%s is statically linked: no dynamic loader runs, so no preload library "
			 "can lock it. Link the daemon with libduende-mlock and call "
			 "duende_mlock_lock_all() at start, or use a dynamically linked build",
			 out->path);
		return EXIT_REFUSED;
	}
	return 0;
}

static int check_file(struct program_check *out, int depth);

static int check_script(const unsigned char *head, size_t len, struct program_check *out, int depth)
{
	char interp[PATH_MAX];
	size_t i = 2, n = 0;

	while (i < len && (head[i] == ' ' || head[i] == '\t'))
		i++;
	while (i < len && head[i] != ' ' && head[i] != '\t' && head[i] != '\n' && n + 1 < sizeof(interp))
		interp[n++] = (char)head[i++];
	interp[n] = '\0';
	if (!n || interp[0] != '/') {
		snprintf(out->reason, sizeof(out->reason), "%s: bad #! line", out->path);
		return EXIT_NOT_EXECUTABLE;
	}
	if (depth >= MAX_SCRIPT_DEPTH) {
		snprintf(out->reason, sizeof(out->reason), "%s: too many nested #! interpreters",
			 out->path);
		return EXIT_NOT_EXECUTABLE;
	}
	/* The preload lands in the interpreter: check that one instead. */
	struct program_check *inner = calloc(1, sizeof(*inner));
	if (!inner) {
		snprintf(out->reason, sizeof(out->reason), "out of memory");
		return EXIT_INTERNAL;
	}
	snprintf(inner->path, sizeof(inner->path), "%s", interp);
	int rc = check_file(inner, depth + 1);
	if (rc)
		snprintf(out->reason, sizeof(out->reason), "%s runs %s: %s", out->path, interp,
			 inner->reason);
	out->image = inner->image;
	free(inner);
	return rc;
}

static int check_file(struct program_check *out, int depth)
{
	unsigned char head[512];
	struct stat st;
	ssize_t len;
	int fd, rc;

	if (stat(out->path, &st) != 0) {
		snprintf(out->reason, sizeof(out->reason), "%s: %s", out->path, strerror(errno));
		return errno == ENOENT || errno == ENOTDIR ? EXIT_NOT_FOUND : EXIT_NOT_EXECUTABLE;
	}
	if (!S_ISREG(st.st_mode) || access(out->path, X_OK) != 0) {
		snprintf(out->reason, sizeof(out->reason), "%s: %s", out->path,
			 S_ISDIR(st.st_mode) ? "is a directory" :
			 !S_ISREG(st.st_mode) ? "not a regular file" : "not executable (chmod +x?)");
		return EXIT_NOT_EXECUTABLE;
	}
	if (st.st_mode & (S_ISUID | S_ISGID)) {
		snprintf(out->reason, sizeof(out->reason),
			 "%s is set-%s-ID: the loader runs it in secure mode and ignores preload "
			 "libraries. Run it without the bit under a user that holds CAP_IPC_LOCK, "
			 "or link it with libduende-mlock",
			 out->path, (st.st_mode & S_ISUID) ? "user" : "group");
		return EXIT_REFUSED;
	}
	if (getxattr(out->path, "security.capability", NULL, 0) >= 0) {
		snprintf(out->reason, sizeof(out->reason),
			 "%s has file capabilities: the loader runs it in secure mode and ignores "
			 "preload libraries. Grant the capabilities to the service instead "
			 "(systemd AmbientCapabilities=) and remove them from the file (setcap -r), "
			 "or link it with libduende-mlock",
			 out->path);
		return EXIT_REFUSED;
	}
	fd = open(out->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(out->reason, sizeof(out->reason),
			 "%s cannot be read (%s), so whether the loader will preload into it "
			 "cannot be checked; make it readable by this user",
			 out->path, strerror(errno));
		return EXIT_REFUSED;
	}
	len = pread(fd, head, sizeof(head), 0);
	if (len >= 4 && memcmp(head, ELFMAG, SELFMAG) == 0)
		rc = check_elf(fd, head, (size_t)len, out);
	else if (len >= 2 && head[0] == '#' && head[1] == '!')
		rc = check_script(head, (size_t)len, out, depth);
	else {
		snprintf(out->reason, sizeof(out->reason),
			 "%s is neither an ELF program nor a #! script", out->path);
		rc = EXIT_NOT_EXECUTABLE;
	}
	close(fd);
	return rc;
}

int check_program(const char *name, struct program_check *out)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if (!*name) {
		snprintf(out->reason, sizeof(out->reason), "empty program name");
		return EXIT_NOT_FOUND;
	}
	rc = resolve(name, out);
	return rc ? rc : check_file(out, 0);
}

/* The loader that this command runs under: the preload library is built
 * with it, for the same C library. */
static int own_image(struct elf_image *img)
{
	unsigned char head[sizeof(Elf64_Ehdr)];
	uint16_t type;
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	ssize_t n;
	int rc;

	if (fd < 0)
		return -1;
	n = pread(fd, head, sizeof(head), 0);
	rc = n > 0 ? read_elf(fd, head, (size_t)n, img, &type) : -1;
	close(fd);
	return rc;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

int check_preload(const char *shim, const struct program_check *prog, char *reason, size_t len)
{
	unsigned char head[sizeof(Elf64_Ehdr)];
	struct elf_image lib, own;
	struct statvfs vfs;
	uint16_t type = 0;
	ssize_t n;
	int fd;

	/* The loader splits LD_PRELOAD at spaces and colons, with no escape. */
	if (strpbrk(shim, " :")) {
		snprintf(reason, len,
			 "the preload library's path '%s' holds a space or a colon, which split "
			 "LD_PRELOAD: the loader would not find it. Install it at a path without "
			 "them (or set DUENDE_MLOCK_PRELOAD to such a copy)", shim);
		return EXIT_REFUSED;
	}
	fd = open(shim, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(reason, len, "preload library %s: %s; install duende-mlock (meson install) "
			 "or set DUENDE_MLOCK_PRELOAD to the absolute path of "
			 "libduende-mlock-preload.so", shim, strerror(errno));
		return EXIT_INTERNAL;
	}
	if (fstatvfs(fd, &vfs) == 0 && (vfs.f_flag & ST_NOEXEC)) {
		close(fd);
		snprintf(reason, len,
			 "the preload library %s is on a file system mounted noexec: the loader "
			 "cannot map its code and would skip it. Install it on a mount that allows "
			 "execution (or set DUENDE_MLOCK_PRELOAD to such a copy)", shim);
		return EXIT_REFUSED;
	}
	n = pread(fd, head, sizeof(head), 0);
	int rc = n > 0 ? read_elf(fd, head, (size_t)n, &lib, &type) : -1;
	bool pie = rc == 0 && is_pie(fd, &lib);
	close(fd);
	if (rc != 0 || type != ET_DYN || pie) {
		snprintf(reason, len, "the preload library %s is not an ELF shared object, so the "
			 "loader cannot load it; point DUENDE_MLOCK_PRELOAD at "
			 "libduende-mlock-preload.so", shim);
		return EXIT_REFUSED;
	}
	if (lib.elf_class != prog->image.elf_class || lib.machine != prog->image.machine) {
		snprintf(reason, len,
			 "%s is built for another architecture or word size than the preload "
			 "library %s, so the loader would skip it; use a duende-mlock built for "
			 "that architecture", prog->path, shim);
		return EXIT_REFUSED;
	}
	if (own_image(&own) == 0 && own.interp[0] &&
	    strcmp(base_name(own.interp), base_name(prog->image.interp)) != 0) {
		snprintf(reason, len,
			 "%s runs on another C library's loader (%s) than the preload library was "
			 "built for (%s): it would fail to load or crash there. Use a duende-mlock "
			 "built for that C library, or link the daemon with libduende-mlock",
			 prog->path, prog->image.interp, own.interp);
		return EXIT_REFUSED;
	}
	return 0;
}
