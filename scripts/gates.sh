#!/bin/bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# Quality gates beyond the test suite: other compilers and libcs,
# sanitizers, valgrind, static analysis, fuzzing, an installed consumer,
# a clean out-of-tree build, and the Debian packages (gate-package.sh).
# Each gate prints ok, FAIL or SKIP (why). A failing gate's whole log, and
# any input a fuzzer found (crash, leak, timeout, OOM), stay in
# build/gates/ (KEEP): NAME.log and fuzz/; a gate run anew clears its own.
# Usage: scripts/gates.sh [GATE...]   (default: all; FUZZ_SECONDS=60)
set -u
cd "$(dirname "$0")/.." || exit 1
SRC=$PWD
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
OUT=$(mktemp -d /tmp/duende-mlock-gates.XXXXXX)
KEEP=$SRC/build/gates
trap 'rm -rf "$OUT"' EXIT
passed=0 failed=0 skipped=0
mkdir -p "$KEEP" || exit 1

gate() { # NAME FUNCTION
	local log=$OUT/$1.log rc kept
	printf 'gate %-12s ' "$1"
	rm -rf "${KEEP:?}/$1.log" "${KEEP:?}/$1"
	"$2" >"$log" 2>&1
	rc=$?
	kept=$(find "$KEEP/$1" -type f 2>/dev/null | sort | sed 's/^/    kept: /')
	case $rc in
	0) echo ok; passed=$((passed + 1)) ;;
	77) echo "SKIP: $(grep -m1 '^SKIP' "$log" | sed 's/^SKIP: //')"; skipped=$((skipped + 1)) ;;
	*) cp "$log" "$KEEP/$1.log"
		echo "FAIL (exit $rc): whole log in $KEEP/$1.log${kept:+, inputs in $KEEP/$1/}"
		tail -40 "$log" | sed 's/^/    | /'
		failed=$((failed + 1)) ;;
	esac
	[ -z "$kept" ] || echo "$kept"
}
need() { command -v "$1" >/dev/null || { echo "SKIP: $1 is missing (package $2)"; exit 77; }; }
setup() { # DIR [meson args...]: a fresh build directory
	local dir=$1
	shift
	rm -rf "$dir"
	# Quiet when it works; ninja prints compiler errors on stdout.
	quiet meson setup "$dir" "$@" && quiet ninja -C "$dir"
}
quiet() { # COMMAND...: its output only if it fails
	local out rc
	out=$("$@" 2>&1)
	rc=$?
	[ $rc = 0 ] || printf '%s\n' "$out" | tail -40
	return $rc
}

g_clang() (
	need clang clang
	CC=clang setup build-clang && meson test -C build-clang --suite unit --print-errorlogs
)
g_asan() (
	export ASAN_OPTIONS=halt_on_error=1:detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
	setup build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dc_args=-fno-sanitize-recover=all &&
		meson test -C build-asan --suite unit --print-errorlogs
)
g_tsan() (
	need clang clang
	export TSAN_OPTIONS=halt_on_error=1
	CC=clang setup build-tsan -Db_sanitize=thread -Db_lundef=false -Dexamples_fuse=disabled &&
		meson test -C build-tsan --suite threads --print-errorlogs
)
g_valgrind() (
	need valgrind valgrind
	quiet ninja -C build || exit 1
	# Every C unit test but those that interpose malloc themselves (valgrind
	# replaces the allocator); the tests read this variable to leave exact
	# allocator, stack and VmLck checks to native runs.
	DUENDE_MLOCK_TEST_VALGRIND=1 meson test -C build --suite unit --no-suite own-malloc \
		--no-suite script --print-errorlogs --timeout-multiplier 5 \
		--wrapper 'valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite'
)
g_cppcheck() (
	need cppcheck cppcheck
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability --std=c11 \
		--inline-suppr --suppress=missingIncludeSystem -I include -I build/include -I src \
		-I preload -I cli -I . src cli preload examples bench fuzz tests
)
g_clang_tidy() (
	need clang-tidy clang-tidy
	quiet ninja -C build || exit 1
	# One clang-tidy per core, each on its share of the files; their
	# reports one after the other.
	local files=(src/*.c cli/*.c preload/*.c) share pids=() i j n status=0
	n=$(nproc)
	for ((i = 0; i < n && i < ${#files[@]}; i++)); do
		share=()
		for ((j = i; j < ${#files[@]}; j += n)); do share+=("${files[j]}"); done
		clang-tidy --quiet -p build --extra-arg=-Wno-unknown-warning-option "${share[@]}" >"$OUT/clang-tidy-$i.log" 2>&1 &
		pids+=($!)
	done
	for ((i = 0; i < ${#pids[@]}; i++)); do
		wait "${pids[i]}" || status=1
		grep -v 'warnings generated' "$OUT/clang-tidy-$i.log"
	done
	exit $status
)
g_shellcheck() (
	need shellcheck shellcheck
	shellcheck -x scripts/*.sh tests/*.sh tests/*/*.sh bench/*.sh .ci/run \
		debian/check-build completions/duende-mlock.bash
)
g_fuzz() (
	need clang clang
	CC=clang setup build-fuzz -Dfuzzing=true -Db_sanitize=address,undefined -Db_lundef=false \
		-Dc_args=-fsanitize=fuzzer-no-link -Dexamples_fuse=disabled || exit 1
	status=0
	# What a target finds (crash-, leak-, timeout-, oom-, slow-unit-) is
	# kept as $KEEP/fuzz/TARGET-KIND-SHA1; replay it with
	# build-fuzz/fuzz/fuzz-TARGET FILE.
	mkdir -p "$KEEP/fuzz" || exit 1
	# One target per core at a time, each for FUZZ_SECONDS of its own
	# core; their reports one after the other.
	local f t n
	n=$(nproc)
	for f in fuzz/corpus/*; do
		t=$(basename "$f")
		mkdir -p "$OUT/corpus-$t"
		while [ "$(jobs -pr | wc -l)" -ge "$n" ]; do wait -n; done
		{
			build-fuzz/fuzz/fuzz-"$t" -max_total_time="$FUZZ_SECONDS" -print_final_stats=1 \
				-artifact_prefix="$KEEP/fuzz/$t-" "$OUT/corpus-$t" "$f" >"$OUT/fuzz-$t.log" 2>&1
			echo $? >"$OUT/fuzz-$t.rc"
		} &
	done
	wait
	for f in fuzz/corpus/*; do
		t=$(basename "$f")
		echo "fuzz-$t: ${FUZZ_SECONDS}s"
		cat "$OUT/fuzz-$t.log"
		[ "$(cat "$OUT/fuzz-$t.rc")" = 0 ] || { echo "fuzz-$t: exit $(cat "$OUT/fuzz-$t.rc")"; status=1; }
	done
	rmdir "$KEEP/fuzz" 2>/dev/null
	exit $status
)
g_musl() (
	need musl-gcc musl-tools
	# The library needs libc alone; the tests' seccomp filters need the
	# kernel's uapi headers, which musl-gcc does not search: expose those
	# (and nothing of glibc's) to this build.
	kh=$OUT/kernel-headers
	mkdir -p "$kh"
	ln -sfn /usr/include/linux "$kh/linux"
	ln -sfn /usr/include/asm-generic "$kh/asm-generic"
	ln -sfn "/usr/include/$(gcc -print-multiarch)/asm" "$kh/asm"
	CC=musl-gcc setup build-musl -Dexamples_fuse=disabled -Dc_args="-idirafter $kh" &&
		meson test -C build-musl --suite unit --print-errorlogs
)
g_aarch64() (
	# The library, the engine that locks from outside (svc #0, NT_PRSTATUS,
	# NT_ARM_SYSTEM_CALL), the command and the tests, cross-built for
	# aarch64 with -Werror: built, not run.
	need aarch64-linux-gnu-gcc gcc-aarch64-linux-gnu
	[ -e /usr/aarch64-linux-gnu/lib/libc.a ] || { echo "SKIP: no aarch64 libc (package libc6-dev-arm64-cross)"; exit 77; }
	setup build-aarch64 --cross-file "$SRC"/cross/aarch64-linux-gnu.txt -Dexamples_fuse=disabled \
		-Dexamples_ublk=disabled || exit 1
	lib=build-aarch64/src/libduende-mlock.so.1
	aarch64-linux-gnu-readelf -h "$lib" | grep -q 'Machine:.*AArch64' || { echo "$lib is not an aarch64 object"; exit 1; }
	aarch64-linux-gnu-nm -D --defined-only "$lib" | grep -q ' duende_mlock_lock_pid@@DUENDE_MLOCK_1.2$' ||
		{ echo "$lib lacks duende_mlock_lock_pid"; exit 1; }
)
g_consumer() (
	prefix=$OUT/prefix
	setup build-install --prefix="$prefix" -Dexamples_fuse=disabled && meson install -C build-install >/dev/null || exit 1
	pc=$(dirname "$(find "$prefix" -name duende-mlock.pc)")
	libdir=$(PKG_CONFIG_PATH=$pc pkg-config --variable=libdir duende-mlock)
	flags=$(PKG_CONFIG_PATH=$pc pkg-config --cflags --libs duende-mlock)
	# shellcheck disable=SC2086
	cc -std=c11 -Wall -Wextra -Werror -o "$OUT/consumer-c" tests/consumer/consumer.c $flags &&
		c++ -std=c++20 -Wall -Wextra -Werror -x c++ -o "$OUT/consumer-cxx" tests/consumer/consumer.c -x none $flags &&
		LD_LIBRARY_PATH=$libdir "$OUT/consumer-c" && LD_LIBRARY_PATH=$libdir "$OUT/consumer-cxx" &&
		test -f "$prefix/share/man/man3/duende_mlock_lock_all.3" && test -x "$prefix/bin/duende-mlock" &&
		test -f "$prefix/share/bash-completion/completions/duende-mlock"
)
g_windows() (
	need x86_64-w64-mingw32-gcc mingw-w64
	need wine wine
	export WINEDEBUG=-all WINEPREFIX=$OUT/wine
	rm -rf build-windows
	quiet meson setup build-windows --cross-file "$SRC"/cross/mingw-w64.txt &&
		quiet ninja -C build-windows && meson test -C build-windows --print-errorlogs -v
)
g_wasm() (
	need clang clang
	need node nodejs
	need wasm-ld-14 lld-14
	[ -d /usr/include/wasm32-wasi ] || { echo "SKIP: no WASI libc (package wasi-libc)"; exit 77; }
	rm -rf build-wasm
	sed "s|@SRC@|$SRC|g" cross/wasm32-wasi.txt >"$OUT/wasm32-wasi.txt"
	quiet meson setup build-wasm --cross-file "$OUT/wasm32-wasi.txt" &&
		quiet ninja -C build-wasm && meson test -C build-wasm --print-errorlogs -v
)
g_guest() (
	# The success paths that need real root (CAP_SYS_RESOURCE: IO_FLUSHER,
	# a negative oom_score_adj, Debian's daemons dropping root under a
	# raised limit), from the build tree itself, in Debian's
	# 6.12 kernel under qemu (tests/guest/run.sh).
	quiet ninja -C build || exit 1
	# The tests of the real-root suite (built with the rest) and the checks
	# that need cgroup v2, as real root in the 6.12 guest.
	tests=()
	for t in $(meson test -C build --list --suite real-root 2>/dev/null | sed -n 's|.* / ||p'); do
		tests+=("build/tests/unit/$t")
	done
	tests/guest/run.sh --timeout 600 -- tests/guest/unit.sh "${tests[@]}" \
		tests/guest/doctor-cgroup-v2.sh tests/guest/cli-exec-follow.sh tests/guest/cli-daemons.sh
)
g_out_of_tree() (
	before=$(git -C "$SRC" status --porcelain --ignored)
	dir=$OUT/oot
	(cd "$OUT" && quiet meson setup "$dir" "$SRC" && quiet ninja -C "$dir") || exit 1
	after=$(git -C "$SRC" status --porcelain --ignored)
	[ "$before" = "$after" ] || { echo "the source tree changed:"; diff <(echo "$before") <(echo "$after"); exit 1; }
)
g_package() { DM_GATE_KEEP=$KEEP/package scripts/gate-package.sh; }

all=(clang asan tsan valgrind cppcheck clang_tidy shellcheck fuzz musl aarch64 windows wasm guest consumer out_of_tree package)
for g in "${@:-${all[@]}}"; do
	gate "${g//_/-}" "g_$g"
done
echo "gates: $passed passed, $failed failed, $skipped skipped"
[ $failed = 0 ]
