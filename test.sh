#!/usr/bin/env bash
# Runs the whole test suite, on a fresh machine that has only Rust and root:
#
#     ./test.sh                        # everything
#     ./test.sh -E 'package(nanomdm)'  # extra arguments go to cargo nextest run
#
# It installs the tools the tests shell out to, starts a local MariaDB when
# none answers on 127.0.0.1:3306, and points the tests at it through
# FLEET_TEST_MYSQL_URL. Set FLEET_TEST_MYSQL_URL yourself to use another
# server; then no database set-up happens here at all.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"
source .ci/lib.sh

MARIADBD=/usr/sbin/mariadbd

# Set when this script installed or started the server, which is what makes
# it ours to reconfigure (see allow_root_over_tcp).
SERVER_IS_OURS=

start_mariadb() {
    if [[ ! -d /var/lib/mysql/mysql ]]; then
        # Normally done by the package's postinst; not when that was skipped.
        as_root mariadb-install-db --user=mysql --datadir=/var/lib/mysql >/dev/null
    fi
    as_root install -d -o mysql -g mysql /run/mysqld
    # A mariadbd already running (say, still starting up) is someone else's;
    # --oknodo then leaves it be and we just wait for it to listen.
    as_root start-stop-daemon --status --exec "$MARIADBD" || SERVER_IS_OURS=1
    as_root start-stop-daemon --start --oknodo --background --exec "$MARIADBD" -- --user=mysql

    local waited=0
    # mariadbd listens only once it is ready for queries.
    until mysql_port_open; do
        ((waited < 60)) || die "MariaDB did not answer on $MYSQL_HOST:$MYSQL_PORT within 60 s (see /var/log/mysql/)"
        sleep 1
        waited=$((waited + 1))
    done
}

# Debian's mariadb-server lets root in through the Unix socket only; the
# tests connect over TCP without a password. Only done to a server this
# script installed or started, or under CI (where .ci/run may have installed
# it and the machine is throwaway); never to a developer's existing server.
allow_root_over_tcp() {
    mysql_login_works && return 0
    [[ -n $SERVER_IS_OURS || -n ${CI:-} ]] || die "MariaDB answers on $MYSQL_HOST:$MYSQL_PORT but root cannot log in over TCP without a password; set FLEET_TEST_MYSQL_URL=mysql://user:password@$MYSQL_HOST:$MYSQL_PORT/db to a user that may create databases"
    echo "letting root log in over TCP without a password (test server only)"
    as_root mariadb -uroot -e "
        ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket OR mysql_native_password USING PASSWORD('');
        CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY '';
        GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;
        FLUSH PRIVILEGES;"
    mysql_login_works || die "root still cannot log in over TCP to $MYSQL_HOST:$MYSQL_PORT"
}

# Queues what a local test server needs; installed with the other packages.
want_mariadb_packages() {
    mysql_answers && have mariadb && return 0
    if ! mysql_port_open && [[ ! -x $MARIADBD ]]; then
        want_package mariadb-server false
        SERVER_IS_OURS=1
    fi
    # The client creates and drops the run's database.
    want_package mariadb-client have mariadb
}

ensure_mariadb() {
    mysql_login_works && return 0
    # The package may have started the server already (where systemd runs).
    mysql_port_open || start_mariadb
    allow_root_over_tcp
}

# A database of its own for this run, dropped on exit. The tests create a
# fresh database each (testkit::mysql); this one is only the URL's default.
create_run_database() {
    RUN_DATABASE="fleet_ci_$(date -u +%Y%m%d%H%M%S)_$$"
    mysql_root "CREATE DATABASE \`$RUN_DATABASE\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
    trap 'mysql_root "DROP DATABASE IF EXISTS \`$RUN_DATABASE\`" || echo "warning: could not drop $RUN_DATABASE" >&2' EXIT
    export FLEET_TEST_MYSQL_URL="mysql://root@$MYSQL_HOST:$MYSQL_PORT/$RUN_DATABASE"
}

step "system packages"
want_test_tools
[[ -n ${FLEET_TEST_MYSQL_URL:-} ]] || want_mariadb_packages
install_wanted_packages

if [[ -n ${FLEET_TEST_MYSQL_URL:-} ]]; then
    step "MySQL: using the caller's FLEET_TEST_MYSQL_URL"
else
    step "MySQL on $MYSQL_HOST:$MYSQL_PORT"
    ensure_mariadb
    create_run_database
    echo "FLEET_TEST_MYSQL_URL=$FLEET_TEST_MYSQL_URL"
fi

if ! cargo nextest --version >/dev/null 2>&1; then
    step "installing cargo-nextest"
    cargo install cargo-nextest --locked
fi

# Integration tests run the crates' examples (scep's micromdm drop-ins) as
# programs; nextest builds test targets only, so build the binaries and
# examples first.
step "cargo build --workspace --bins --examples"
cargo build --workspace --bins --examples --locked

step "cargo nextest run --workspace $*"
cargo nextest run --workspace --locked --no-fail-fast "$@"
