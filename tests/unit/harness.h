/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* One test program per feature: exit 0 pass, 1 fail, 77 skip (with the
 * reason on stderr), as meson test and automake read them. */
#ifndef DM_TEST_HARNESS_H
#define DM_TEST_HARNESS_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T_PASS 0
#define T_FAIL 1
#define T_SKIP 77

static int t_failures;

#define CHECK(cond)                                                              \
	do {                                                                     \
		if (!(cond)) {                                                   \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__,   \
				__LINE__, #cond);                                \
			t_failures++;                                            \
		}                                                                \
	} while (0)

#define CHECK_EQ_INT(a, b)                                                        \
	do {                                                                      \
		long long a_ = (long long)(a), b_ = (long long)(b);               \
		if (a_ != b_) {                                                   \
			fprintf(stderr, "%s:%d: %s == %lld, expected %s == %lld\n", \
				__FILE__, __LINE__, #a, a_, #b, b_);              \
			t_failures++;                                             \
		}                                                                 \
	} while (0)

#define CHECK_EQ_STR(a, b)                                                      \
	do {                                                                    \
		const char *a_ = (a), *b_ = (b);                                \
		if (strcmp(a_, b_) != 0) {                                      \
			fprintf(stderr, "%s:%d: got \"%s\"\n   expected \"%s\"\n", \
				__FILE__, __LINE__, a_, b_);                    \
			t_failures++;                                           \
		}                                                               \
	} while (0)

#define CHECK_CONTAINS(hay, needle)                                               \
	do {                                                                      \
		const char *h_ = (hay), *n_ = (needle);                           \
		if (!strstr(h_, n_)) {                                            \
			fprintf(stderr, "%s:%d: \"%s\"\n   does not contain \"%s\"\n", \
				__FILE__, __LINE__, h_, n_);                      \
			t_failures++;                                             \
		}                                                                 \
	} while (0)

#define SKIP(...)                                                 \
	do {                                                      \
		fprintf(stderr, "SKIP: " __VA_ARGS__);            \
		fprintf(stderr, "\n");                            \
		exit(T_SKIP);                                     \
	} while (0)

/* The sanitizer runtimes intercept mlockall and munlockall and make them
 * no-ops (they reserve terabytes of shadow memory that a populating lock
 * would try to fault in). Tests that check what the kernel did skip under
 * them; the rest still run. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define T_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
#define T_SANITIZER 1
#endif
#endif
#ifndef T_SANITIZER
#define T_SANITIZER 0
#endif
#define SKIP_UNDER_SANITIZER()                                                         \
	do {                                                                           \
		if (T_SANITIZER)                                                       \
			SKIP("the sanitizer runtime turns mlockall into a no-op; this "       \
			     "test checks the kernel's lock, run it without a sanitizer");      \
	} while (0)

/* Set by the valgrind gate: valgrind replaces malloc and runs the program
 * on a stack of its own, and its bookkeeping maps memory too, so checks of
 * the allocator, the stack or exact VmLck growth are left to native runs. */
static inline int t_under_valgrind(void)
{
	return getenv("DUENDE_MLOCK_TEST_VALGRIND") != NULL;
}

static inline int t_result(void)
{
	if (t_failures)
		fprintf(stderr, "%d check(s) failed\n", t_failures);
	return t_failures ? T_FAIL : T_PASS;
}

#endif
