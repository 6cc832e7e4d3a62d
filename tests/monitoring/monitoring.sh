#!/bin/bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# The monitoring pieces against the real tools: the alert rules through
# promtool check rules and promtool test rules; status's output through
# promtool check metrics; the service and timer through systemd-analyze
# verify; and prometheus-node-exporter started with its textfile collector
# on the file status writes, scraped over HTTP, showing the
# duende_mlock_* series (and dropping a file that does not parse, which is
# why status must always write valid UTF-8).
# Usage: monitoring.sh DUENDE-MLOCK PRELOAD-LIBRARY NAMED SOURCE-MONITORING-DIR
#                      BUILD-MONITORING-DIR BUILD-MAN-DIR
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
DM=$1
export DUENDE_MLOCK_PRELOAD=$2
NAMED=$3
SRC=$4
BUILT=$5
MANS=$6
need_cmd promtool prometheus
need_cmd curl curl

run_cmd out rc promtool check rules "$SRC/duende-mlock.rules.yml"
check "promtool check rules" equals "$rc" 0
check "... finds every rule" contains "$out" "SUCCESS: 8 rules found"
run_cmd out rc promtool test rules "$SRC/duende-mlock.rules.test.yml"
check "promtool test rules" equals "$rc" 0

# What the timer writes: a locked daemon, and one expected that never runs.
"$NAMED" --lock watchedd >"$TMP/named.out" &
npid=$!
on_exit "kill $npid"
wait_for "$TMP/named.out" && sleep 0.3
mkdir -p "$TMP/textfile"
run_cmd out rc "$DM" status --prometheus --output "$TMP/textfile/duende-mlock.prom" \
	--expect name:watchedd --expect name:nosuchdaemon
check "status --output: written (exit 1: an expected daemon does not run)" equals "$rc" 1
run_cmd out rc promtool check metrics <"$TMP/textfile/duende-mlock.prom"
check "promtool check metrics on the written file" equals "$rc" 0
written=$(cat "$TMP/textfile/duende-mlock.prom")
# The rules match metrics by name: status keeps every name they use.
while read -r name; do
	check "the rules' $name is written, with its HELP text" grep -qE "^# HELP $name [^ ]" <<<"$written"
done < <(grep -o 'duende_mlock_[a-z_]*' "$SRC/duende-mlock.rules.yml" | sort -u)
check "what is pinned is written" grep -qE "^duende_mlock_pinned_bytes\\{pid=\"$npid\",name=\"watchedd\",expect=\"name:watchedd\"\\} [0-9]+$" <<<"$written"
check "... and the locked address space, named for what it is" grep -q "^# HELP duende_mlock_locked_address_space_bytes VmLck: the locked address space" <<<"$written"
check "... whose old name stays, saying so" grep -q "^# HELP duende_mlock_locked_bytes VmLck, the locked address space" <<<"$written"

if command -v systemd-analyze >/dev/null; then
	mkdir -p "$TMP/units"
	sed "s|^ExecStart=[^ ]*duende-mlock |ExecStart=$DM |" "$BUILT/duende-mlock-textfile.service" >"$TMP/units/duende-mlock-textfile.service"
	cp "$SRC/duende-mlock-textfile.timer" "$TMP/units/"
	# Documentation=man:duende-mlock(1) is checked too: the page as built.
	mkdir -p "$TMP/man/man1"
	ln -s "$MANS/duende-mlock.1" "$TMP/man/man1/duende-mlock.1"
	run_cmd out rc env SYSTEMD_UNIT_PATH="$TMP/units:" MANPATH="$TMP/man" \
		systemd-analyze verify duende-mlock-textfile.service duende-mlock-textfile.timer
	check "systemd-analyze verify: service and timer" equals "$rc" 0
	check "... without a complaint" equals "$out" ""
else
	echo "SKIP [units]: systemd-analyze is missing (package systemd)" >&2
fi

if ! command -v prometheus-node-exporter >/dev/null; then
	echo "SKIP: prometheus-node-exporter is missing (package prometheus-node-exporter)" >&2
	finish
	exit
fi
# A file that does not parse (raw bytes that are not UTF-8), next to ours.
printf 'broken_metric{name="\xff"} 1\n' >"$TMP/textfile/broken.prom"
# The exporter on $port answered, or it exited (its port was taken).
scraped_or_gone() { curl -sf "http://127.0.0.1:$port/metrics" >"$TMP/scrape" 2>/dev/null || ! kill -0 "$epid" 2>/dev/null; }
for _ in 1 2 3 4 5; do
	port=$((20000 + RANDOM % 20000))
	prometheus-node-exporter --collector.disable-defaults --collector.textfile \
		--collector.textfile.directory="$TMP/textfile" --web.listen-address="127.0.0.1:$port" \
		>"$TMP/exporter.log" 2>&1 &
	epid=$!
	wait_until scraped_or_gone
	kill -0 $epid 2>/dev/null && break
done
on_exit "kill $epid"
scrape=$(cat "$TMP/scrape")
# The collector gives every sample of a family the same label names.
check "node_exporter serves the textfile's series over HTTP" contains "$scrape" "duende_mlock_locked{expect=\"name:watchedd\",name=\"watchedd\",pid=\"$npid\"} 1"
check "... the expected daemon that does not run" contains "$scrape" 'duende_mlock_locked{expect="name:nosuchdaemon",name="",pid=""} 0'
check "... the library's headroom threshold" contains "$scrape" "duende_mlock_headroom_low_bytes 6.7108864e+07"
check "... what is pinned and the locked address space" matches "$scrape" "^duende_mlock_locked_address_space_bytes\\{expect=\"name:watchedd\",name=\"watchedd\",pid=\"$npid\"\\} "
check "... whether a guard runs" matches "$scrape" "^duende_mlock_guard_running [01]$"
# duende_mlock_swap_device_protected has a sample only where a user-space
# swap area is active: tests/cli/swap-servers.sh scrapes it.
check "... and the file's mtime" matches "$scrape" "^node_textfile_mtime_seconds\\{file=\".*duende-mlock.prom\"\\}"
check "a file that is not UTF-8 is dropped by the collector" lacks "$scrape" "broken_metric"
check "... and flagged as a scrape error" contains "$scrape" "node_textfile_scrape_error 1"
rm "$TMP/textfile/broken.prom"
curl -sf "http://127.0.0.1:$port/metrics" >"$TMP/scrape"
check "our file alone: no scrape error" contains "$(cat "$TMP/scrape")" "node_textfile_scrape_error 0"
finish
