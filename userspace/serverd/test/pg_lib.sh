#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# A real PostgreSQL 15 (Debian's) for the tests of the store on
# PostgreSQL: initdb into a tmpfs as the postgres user, the server in a
# network namespace of its own, scram-sha-256 over TCP, trust over its
# unix socket (for psql_pg). Source after store_lib.sh.
#
#   pg_up NS ADDR NET   start it in NS (which must exist), listening on
#                       ADDR, clients from NET (CIDR); a role cpns
#                       (password $PG_PASSWORD) owning a database cpns
#   psql_pg SQL         run SQL on the database cpns as postgres
#   pg_down             stop it and remove its tmpfs (also at exit)

PG_BIN=/usr/lib/postgresql/15/bin
PG_PASSWORD=store-secret
PG_PID=
# Not under $WORK (mode 0700, root's): postgres must reach it.
PG_DIR=$(mktemp -d /tmp/cpns-pg.XXXXXX)

# pg_stop: the postmaster stopped, its data kept (pg_start starts it
# again).
pg_stop()
{
	local pm

	# The postmaster itself, immediate shutdown (a failed step may leave
	# a server connected, which a smart shutdown would wait for); then
	# runuser, bounded.
	if [ -n "$PG_PID" ]; then
		pm=$(head -n1 "$PG_DIR/data/postmaster.pid" 2>/dev/null || true)
		[ -z "$pm" ] || kill -QUIT "$pm" 2>/dev/null || true
		for _ in $(seq 50); do
			kill -0 "$PG_PID" 2>/dev/null || break
			sleep 0.2
		done
		kill -KILL "$PG_PID" 2>/dev/null || true
		wait "$PG_PID" 2>/dev/null || true
		PG_PID=
	fi
}

pg_down()
{
	pg_stop
	umount "$PG_DIR" 2>/dev/null || true
	rmdir "$PG_DIR" 2>/dev/null || true
}

psql_pg()
{
	runuser -u postgres -- psql -h "$PG_DIR" -U postgres -d cpns -qAt \
		-v ON_ERROR_STOP=1 -c "$1"
}

# pg_start: the postmaster of pg_up's data directory, in its namespace;
# returns once it accepts connections (or after 120 s).
pg_start()
{
	ip netns exec "$PG_NS" runuser -u postgres -- "$PG_BIN/postgres" \
		-D "$PG_DIR/data" -k "$PG_DIR" -c listen_addresses="$PG_ADDR" \
		-c fsync=off -c shared_buffers=16MB >>"$WORK/postgres.log" 2>&1 &
	PG_PID=$!
	# Up to 120 s: a loaded TCG machine is slow to start it.
	for _ in $(seq 240); do
		runuser -u postgres -- "$PG_BIN/pg_isready" -q -h "$PG_DIR" &&
			break
		sleep 0.5
	done
}

pg_up()
{
	local ns=$1 addr=$2 net=$3

	[ -x "$PG_BIN/postgres" ] || fail "PostgreSQL 15 is not installed ($PG_BIN)"
	id postgres >/dev/null 2>&1 || fail "no postgres user"
	mount -t tmpfs -o size=256m,mode=0700 tmpfs "$PG_DIR"
	chown postgres: "$PG_DIR"
	# No fsync (a tmpfs), the C locale: initdb's least work, under TCG.
	runuser -u postgres -- "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres \
		-N --locale=C -E UTF8 --no-instructions --auth-local=trust \
		--auth-host=scram-sha-256 >"$WORK/initdb.log" 2>&1 ||
		{ cat "$WORK/initdb.log"; fail "initdb"; }
	echo "host all all $net scram-sha-256" >>"$PG_DIR/data/pg_hba.conf"
	PG_NS=$ns
	PG_ADDR=$addr
	pg_start
	runuser -u postgres -- psql -h "$PG_DIR" -U postgres -qAt \
		-v ON_ERROR_STOP=1 \
		-c "CREATE ROLE cpns LOGIN PASSWORD '$PG_PASSWORD'" \
		-c "CREATE DATABASE cpns OWNER cpns" ||
		{ cat "$WORK/postgres.log"; fail "PostgreSQL did not start"; }
	echo "postgres: $(runuser -u postgres -- psql -h "$PG_DIR" -U postgres -qAtc 'SHOW server_version')"
}
