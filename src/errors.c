/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* The library's error messages. The crate's wording, with the remedies it
 * left out: EPERM from mlockall means RLIMIT_MEMLOCK is 0 *and*
 * CAP_IPC_LOCK is missing, so either fix works. */
#include <errno.h>

#include "duende-mlock.h"
#include "platform.h"
#include "errors.h"
#include "remedy.h"

#define DM_STR2(x) #x
#define DM_STR(x) DM_STR2(x)

/* The errno values this library can name: each with its name and the
 * message for it as an unexpected error, "unexpected error EIO (errno 5)",
 * as the crate's Unknown(errno) names it. Static strings, so the results
 * need no buffer and stay thread-safe. */
struct errno_entry {
	int code;
	const char *name;
	const char *unexpected;
};

#if DM_HAVE_PROCFS
#define DM_ERRNO(e) { e, #e, "unexpected error " #e " (errno " DM_STR(e) ")" }
static const struct errno_entry errnos[] = {
	DM_ERRNO(EPERM), DM_ERRNO(ENOENT), DM_ERRNO(ESRCH), DM_ERRNO(EINTR), DM_ERRNO(EIO),
	DM_ERRNO(ENXIO), DM_ERRNO(E2BIG), DM_ERRNO(ENOEXEC), DM_ERRNO(EBADF), DM_ERRNO(ECHILD),
	DM_ERRNO(EAGAIN), DM_ERRNO(ENOMEM), DM_ERRNO(EACCES), DM_ERRNO(EFAULT),
	DM_ERRNO(ENOTBLK), DM_ERRNO(EBUSY), DM_ERRNO(EEXIST), DM_ERRNO(EXDEV), DM_ERRNO(ENODEV),
	DM_ERRNO(ENOTDIR), DM_ERRNO(EISDIR), DM_ERRNO(EINVAL), DM_ERRNO(ENFILE),
	DM_ERRNO(EMFILE), DM_ERRNO(ENOTTY), DM_ERRNO(ETXTBSY), DM_ERRNO(EFBIG), DM_ERRNO(ENOSPC),
	DM_ERRNO(ESPIPE), DM_ERRNO(EROFS), DM_ERRNO(EMLINK), DM_ERRNO(EPIPE), DM_ERRNO(EDOM),
	DM_ERRNO(ERANGE), DM_ERRNO(EDEADLK), DM_ERRNO(ENAMETOOLONG), DM_ERRNO(ENOLCK),
	DM_ERRNO(ENOSYS), DM_ERRNO(ENOTEMPTY), DM_ERRNO(ELOOP), DM_ERRNO(ENOMSG),
	DM_ERRNO(EIDRM), DM_ERRNO(ECHRNG), DM_ERRNO(EL2NSYNC), DM_ERRNO(EL3HLT),
	DM_ERRNO(EL3RST), DM_ERRNO(ELNRNG), DM_ERRNO(EUNATCH), DM_ERRNO(ENOCSI),
	DM_ERRNO(EL2HLT), DM_ERRNO(EBADE), DM_ERRNO(EBADR), DM_ERRNO(EXFULL), DM_ERRNO(ENOANO),
	DM_ERRNO(EBADRQC), DM_ERRNO(EBADSLT), DM_ERRNO(EBFONT), DM_ERRNO(ENOSTR),
	DM_ERRNO(ENODATA), DM_ERRNO(ETIME), DM_ERRNO(ENOSR), DM_ERRNO(ENONET), DM_ERRNO(ENOPKG),
	DM_ERRNO(EREMOTE), DM_ERRNO(ENOLINK), DM_ERRNO(EADV), DM_ERRNO(ESRMNT), DM_ERRNO(ECOMM),
	DM_ERRNO(EPROTO), DM_ERRNO(EMULTIHOP), DM_ERRNO(EDOTDOT), DM_ERRNO(EBADMSG),
	DM_ERRNO(EOVERFLOW), DM_ERRNO(ENOTUNIQ), DM_ERRNO(EBADFD), DM_ERRNO(EREMCHG),
	DM_ERRNO(ELIBACC), DM_ERRNO(ELIBBAD), DM_ERRNO(ELIBSCN), DM_ERRNO(ELIBMAX),
	DM_ERRNO(ELIBEXEC), DM_ERRNO(EILSEQ), DM_ERRNO(ERESTART), DM_ERRNO(ESTRPIPE),
	DM_ERRNO(EUSERS), DM_ERRNO(ENOTSOCK), DM_ERRNO(EDESTADDRREQ), DM_ERRNO(EMSGSIZE),
	DM_ERRNO(EPROTOTYPE), DM_ERRNO(ENOPROTOOPT), DM_ERRNO(EPROTONOSUPPORT),
	DM_ERRNO(ESOCKTNOSUPPORT), DM_ERRNO(ENOTSUP) /* before its twin EOPNOTSUPP */, DM_ERRNO(EOPNOTSUPP), DM_ERRNO(EPFNOSUPPORT),
	DM_ERRNO(EAFNOSUPPORT), DM_ERRNO(EADDRINUSE), DM_ERRNO(EADDRNOTAVAIL),
	DM_ERRNO(ENETDOWN), DM_ERRNO(ENETUNREACH), DM_ERRNO(ENETRESET), DM_ERRNO(ECONNABORTED),
	DM_ERRNO(ECONNRESET), DM_ERRNO(ENOBUFS), DM_ERRNO(EISCONN), DM_ERRNO(ENOTCONN),
	DM_ERRNO(ESHUTDOWN), DM_ERRNO(ETOOMANYREFS), DM_ERRNO(ETIMEDOUT), DM_ERRNO(ECONNREFUSED),
	DM_ERRNO(EHOSTDOWN), DM_ERRNO(EHOSTUNREACH), DM_ERRNO(EALREADY), DM_ERRNO(EINPROGRESS),
	DM_ERRNO(ESTALE), DM_ERRNO(EUCLEAN), DM_ERRNO(ENOTNAM), DM_ERRNO(ENAVAIL),
	DM_ERRNO(EISNAM), DM_ERRNO(EREMOTEIO), DM_ERRNO(EDQUOT), DM_ERRNO(ENOMEDIUM),
	DM_ERRNO(EMEDIUMTYPE), DM_ERRNO(ECANCELED), DM_ERRNO(ENOKEY), DM_ERRNO(EKEYEXPIRED),
	DM_ERRNO(EKEYREVOKED), DM_ERRNO(EKEYREJECTED), DM_ERRNO(EOWNERDEAD),
	DM_ERRNO(ENOTRECOVERABLE), DM_ERRNO(ERFKILL), DM_ERRNO(EHWPOISON),
};
#undef DM_ERRNO
#endif

static const struct errno_entry *errno_entry(int err)
{
#if DM_HAVE_PROCFS
	for (size_t i = 0; i < DM_ARRAY_SIZE(errnos); i++)
		if (err == -errnos[i].code)
			return &errnos[i];
#else
	(void)err;
#endif
	return NULL;
}

const char *dm_errno_name(int err)
{
	const struct errno_entry *e = errno_entry(err);

	return e ? e->name : NULL;
}

static const char *unexpected(int err)
{
	const struct errno_entry *e = errno_entry(err);

	if (e)
		return e->unexpected;
	return err > 0 ? "unexpected positive value: this library returns 0 or a negative errno"
		       : "unexpected error (an errno value unknown to this library)";
}

DM_EXPORT const char *duende_mlock_strerror(int err)
{
	switch (err) {
	case 0:
		return "success";
	case -EPERM:
		return "permission denied: need CAP_IPC_LOCK capability or root, or a non-zero "
		       "RLIMIT_MEMLOCK (" DM_FIX_IPC_LOCK_SYSTEMD "; " DM_FIX_IPC_LOCK_DOCKER "; "
		       DM_FIX_MEMLOCK_SHELL "; " DM_FIX_MEMLOCK_DOCKER ")";
	case -ENOMEM:
		return "resource limit: RLIMIT_MEMLOCK too low or insufficient memory "
		       "(" DM_FIX_MEMLOCK_SHELL "; " DM_FIX_MEMLOCK_SYSTEMD "; " DM_FIX_MEMLOCK_DOCKER
		       "; or grant CAP_IPC_LOCK)";
	case -EINVAL:
		return "invalid argument: the configuration is invalid or the kernel does not "
		       "support these flags";
	case -EAGAIN:
		return "would block: some pages could not be locked";
	case -ENOSYS:
		return "not supported on this platform";
	case -ENOENT:
		return "cannot read /proc: it is not mounted here (mount -t proc proc /proc)";
	case -EACCES:
		return "cannot read /proc: access denied (another process's memory map and open "
		       "files take ptrace read access: its own user holding at least its "
		       "capabilities, or CAP_SYS_PTRACE; or /proc is mounted with hidepid)";
	case -EPROTO:
		return "unexpected /proc contents: the field was missing or malformed";
	case -ESRCH:
		return "no such process";
	case -EFBIG:
		return "the file is larger than expected (a pidfile holds one number)";
	case -ETIMEDOUT:
		return "not responding: the process held its memory map locked past the time "
		       "allowed (stuck on I/O, possibly on its own swap: DT-007)";
	default:
		return unexpected(err);
	}
}

DM_EXPORT bool duende_mlock_is_permission_error(int err)
{
	return err == -EPERM;
}

DM_EXPORT bool duende_mlock_is_resource_limit(int err)
{
	return err == -ENOMEM;
}
