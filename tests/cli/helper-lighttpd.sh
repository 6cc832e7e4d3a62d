#!/bin/bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# lighttpd with mod_cgi and Debian's server.username and server.groupname,
# in the foreground as Debian's unit starts it (lighttpd -D -f CONF): the
# server drops root to www-data and forks a child for each CGI request,
# which execs the CGI program with an environment lighttpd rebuilds from
# scratch, passing LD_PRELOAD on but not exec's settings. The server must
# serve locked; each CGI program is a helper: unlocked, its environment as
# lighttpd made it, and never refused, also when it maps more than the
# hard RLIMIT_MEMLOCK.
# Usage: DM_TEST_BIGMAP=tests/cli/bigmap helper-lighttpd.sh DUENDE-MLOCK PRELOAD-LIBRARY
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
DM=$1
export DUENDE_MLOCK_PRELOAD=$2
BIGMAP=${DM_TEST_BIGMAP:?the path of tests/cli/bigmap (meson test sets it)}
need_root "lighttpd starts as root and drops to www-data"
need_cmd lighttpd lighttpd
need_cmd curl curl
id www-data >/dev/null 2>&1 || skip "no user www-data (package base-passwd)"

port=$(free_port)
mkdir -p "$TMP/www"
echo "served by lighttpd" >"$TMP/www/index.html"
cat >"$TMP/www/small.cgi" <<'CGI'
#!/bin/sh
printf 'Content-Type: text/plain\r\n\r\n'
grep VmLck /proc/$$/status
echo "LD_PRELOAD=[$LD_PRELOAD] DUENDE_MLOCK_EXEC=[${DUENDE_MLOCK_EXEC-unset}]"
CGI
cp "$BIGMAP" "$TMP/www/big.cgi"
chmod -R a+rX "$TMP/www" && chmod a+x "$TMP/www/small.cgi" "$TMP/www/big.cgi"
: >"$TMP/error.log" && chown www-data "$TMP/error.log"
# Debian's lighttpd.conf, trimmed: its modules with mod_cgi (Debian's
# 10-cgi.conf), its user and group, the test's files and a free port.
cat >"$TMP/lighttpd.conf" <<CONF
server.modules = ( "mod_indexfile", "mod_access", "mod_alias", "mod_redirect", "mod_cgi" )
server.document-root = "$TMP/www"
server.errorlog = "$TMP/error.log"
server.pid-file = "$TMP/lighttpd.pid"
server.username = "www-data"
server.groupname = "www-data"
server.bind = "127.0.0.1"
server.port = $port
index-file.names = ( "index.html" )
cgi.assign = ( ".cgi" => "" )
CONF
lighttpd -tt -f "$TMP/lighttpd.conf" >/dev/null || skip "lighttpd rejects the test's configuration"

"$DM" exec -- lighttpd -D -f "$TMP/lighttpd.conf" 2>"$TMP/err" &
pid=$!
on_exit "kill_and_wait $pid"
wait_listening "$port"
check "lighttpd serves under exec (HTTP 200)" equals "$(http_code "http://127.0.0.1:$port/")" 200
check "... with no note at start: the drop is taken care of" lacks "$(cat "$TMP/err")" "note:"
check_dropped_locked "lighttpd" "$pid" www-data

body=$(curl -s -m "$PATIENCE" "http://127.0.0.1:$port/small.cgi")
check "a CGI program runs (HTTP 200)" equals "$(http_code "http://127.0.0.1:$port/small.cgi")" 200
check "... as a helper: not locked" matches "$body" "^VmLck:[[:space:]]+0 kB"
check "... its environment as lighttpd made it: LD_PRELOAD passed on" \
	contains "$body" "LD_PRELOAD=[$DUENDE_MLOCK_PRELOAD]"
check "... and no settings of exec's" contains "$body" "DUENDE_MLOCK_EXEC=[unset]"
body=$(curl -s -m "$PATIENCE" "http://127.0.0.1:$port/big.cgi")
check "a CGI program that maps 16 MiB runs (HTTP 200), never refused" \
	equals "$(http_code "http://127.0.0.1:$port/big.cgi")" 200
check "... its main() ran" contains "$body" "main() ran"
check "... as a helper: not locked" matches "$body" "^VmLck:[[:space:]]+0 kB"
check "lighttpd still runs" kill -0 "$pid"
finish
