/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * Can a program drop privileges? The dynamic symbols it imports say
 * whether it calls what changes uids or capabilities (setuid and its
 * family, capset, libcap's cap_set_proc): such a program, started as root,
 * loses CAP_IPC_LOCK when it drops. Read from the file with bounded preads
 * into stack buffers (section headers, the dynamic symbol table and its
 * strings): no malloc, no mapping.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "duende-mlock.h"
#include "platform.h"
#include "reader.h"

/* What a program calls to leave root (glibc and libcap). */
static const char *const drop_calls[] = {
	"setuid", "seteuid", "setreuid", "setresuid", "capset", "cap_set_proc", "cap_setuid",
	"cap_set_mode",
};
#define NAME_MAX_LEN 16 /* the longest name above, and its NUL */

struct elf_in {
	int fd;
	uint64_t size;
	bool is64;
};

static bool read_at(const struct elf_in *f, void *buf, size_t len, uint64_t at)
{
	ssize_t n;

	if (at > f->size || len > f->size - at)
		return false;
	do
		n = pread(f->fd, buf, len, (off_t)at);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)len;
}

/* Section header i: its type, link, offset, size, entry size. */
struct section {
	uint32_t type, link;
	uint64_t offset, size, entsize;
};

static bool section_at(const struct elf_in *f, uint64_t shoff, uint16_t shentsize, uint32_t i,
		       struct section *s)
{
	uint64_t at = shoff + (uint64_t)i * shentsize;

	if (f->is64) {
		Elf64_Shdr sh;
		if (shentsize < sizeof(sh) || !read_at(f, &sh, sizeof(sh), at))
			return false;
		*s = (struct section){ sh.sh_type, sh.sh_link, sh.sh_offset, sh.sh_size, sh.sh_entsize };
	} else {
		Elf32_Shdr sh;
		if (shentsize < sizeof(sh) || !read_at(f, &sh, sizeof(sh), at))
			return false;
		*s = (struct section){ sh.sh_type, sh.sh_link, sh.sh_offset, sh.sh_size, sh.sh_entsize };
	}
	return true;
}

/* Symbol j of the table: undefined (imported), and its name's offset. */
static bool symbol_at(const struct elf_in *f, const struct section *symtab, uint64_t j,
		      bool *undefined, uint32_t *name)
{
	uint64_t at = symtab->offset + j * symtab->entsize;

	if (f->is64) {
		Elf64_Sym sym;
		if (symtab->entsize < sizeof(sym) || !read_at(f, &sym, sizeof(sym), at))
			return false;
		*undefined = sym.st_shndx == SHN_UNDEF && ELF64_ST_TYPE(sym.st_info) != STT_SECTION;
		*name = sym.st_name;
	} else {
		Elf32_Sym sym;
		if (symtab->entsize < sizeof(sym) || !read_at(f, &sym, sizeof(sym), at))
			return false;
		*undefined = sym.st_shndx == SHN_UNDEF && ELF32_ST_TYPE(sym.st_info) != STT_SECTION;
		*name = sym.st_name;
	}
	return true;
}

/* The name at offset in the string table is one of drop_calls. A name
 * read with its symbol version ("setuid@GLIBC_2.2.5") does not occur in
 * .dynstr: versions are kept apart. */
static bool is_drop_call(const struct elf_in *f, const struct section *strtab, uint32_t offset)
{
	char name[NAME_MAX_LEN + 1];
	uint64_t left;
	size_t n;

	if (offset >= strtab->size)
		return false;
	left = strtab->size - offset;
	n = left < sizeof(name) ? (size_t)left : sizeof(name);
	memset(name, 0, sizeof(name));
	if (!read_at(f, name, n, strtab->offset + offset))
		return false;
	if (!memchr(name, '\0', n))
		return false; /* longer than any of them */
	for (size_t i = 0; i < DM_ARRAY_SIZE(drop_calls); i++)
		if (strcmp(name, drop_calls[i]) == 0)
			return true;
	return false;
}

/* At most this many symbols are looked at: a program's imports come
 * first in practice, and a huge table must not make the read unbounded. */
#define SYMBOLS_MAX 100000u

static int imports_drop_call(const struct elf_in *f)
{
	unsigned char head[sizeof(Elf64_Ehdr)];
	uint64_t shoff;
	uint16_t shentsize, shnum;
	struct section sym, str;

	if (!read_at(f, head, EI_NIDENT, 0) || memcmp(head, ELFMAG, SELFMAG) != 0)
		return -ENOEXEC;
	f = &(struct elf_in){ f->fd, f->size, head[EI_CLASS] == ELFCLASS64 };
	if (f->is64) {
		Elf64_Ehdr eh;
		if (!read_at(f, &eh, sizeof(eh), 0))
			return -ENOEXEC;
		shoff = eh.e_shoff;
		shentsize = eh.e_shentsize;
		shnum = eh.e_shnum;
	} else if (head[EI_CLASS] == ELFCLASS32) {
		Elf32_Ehdr eh;
		if (!read_at(f, &eh, sizeof(eh), 0))
			return -ENOEXEC;
		shoff = eh.e_shoff;
		shentsize = eh.e_shentsize;
		shnum = eh.e_shnum;
	} else {
		return -ENOEXEC;
	}
	for (uint32_t i = 0; i < shnum; i++) {
		if (!section_at(f, shoff, shentsize, i, &sym))
			return -ENOEXEC;
		if (sym.type != SHT_DYNSYM)
			continue;
		if (!sym.entsize || !section_at(f, shoff, shentsize, sym.link, &str) || str.type != SHT_STRTAB)
			return -ENOEXEC;
		uint64_t count = sym.size / sym.entsize;
		for (uint64_t j = 1; j < count && j < SYMBOLS_MAX; j++) {
			bool undefined;
			uint32_t name;
			if (!symbol_at(f, &sym, j, &undefined, &name))
				return -ENOEXEC;
			if (undefined && is_drop_call(f, &str, name))
				return 1;
		}
		return 0;
	}
	return 0; /* no dynamic symbols: a static program imports nothing */
}

DM_EXPORT int duende_mlock_program_drops_privileges(const char *path)
{
	struct elf_in f;
	struct stat st;
	int rc;

	if (!path || !*path)
		return -EINVAL;
	f.fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (f.fd < 0)
		return -errno;
	if (fstat(f.fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		rc = -ENOEXEC;
	} else {
		f.size = (uint64_t)st.st_size;
		f.is64 = false;
		rc = imports_drop_call(&f);
	}
	close(f.fd);
	return rc;
}
