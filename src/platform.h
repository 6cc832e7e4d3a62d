/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* What the target offers. Everything platform-specific is decided here. */
#ifndef DM_PLATFORM_H
#define DM_PLATFORM_H

#if defined(__linux__)
#define DM_HAVE_MLOCKALL 1
#define DM_HAVE_PROCFS 1
#elif defined(__unix__) || defined(__APPLE__)
#include <unistd.h>
#if defined(_POSIX_MEMLOCK) && _POSIX_MEMLOCK > 0
#define DM_HAVE_MLOCKALL 1
#endif
#endif

#ifndef DM_HAVE_MLOCKALL
#define DM_HAVE_MLOCKALL 0
#endif
#ifndef DM_HAVE_PROCFS
#define DM_HAVE_PROCFS 0
#endif

/* Elements of an array (not a pointer). */
#define DM_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#if defined(__GNUC__) || defined(__clang__)
#define DM_EXPORT __attribute__((visibility("default")))
#else
#define DM_EXPORT
#endif

#endif
