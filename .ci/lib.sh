# shellcheck shell=bash
# Shell helpers shared by .ci/run and ./test.sh. Source it; do not run it.
#
# Everything here is idempotent: a machine that already has what a step
# needs is left alone, so the scripts are cheap to re-run on a dev box.

# The test server. Tests reach it over TCP as root with no password: it is a
# throwaway server on a CI or dev machine, never a production one.
MYSQL_HOST=127.0.0.1
MYSQL_PORT=3306

# Packages queued by want_package and installed in one go by
# install_wanted_packages, so apt-get update runs at most once.
WANTED_PACKAGES=()
APT_UPDATED=

step() {
    printf '\n==> %s\n' "$*"
}

die() {
    printf 'error: %s\n' "$*" >&2
    exit 1
}

have() {
    command -v "$1" >/dev/null 2>&1
}

# Runs a command as root: directly when we are root, else through sudo.
as_root() {
    if [[ $(id -u) -eq 0 ]]; then
        "$@"
    elif have sudo; then
        sudo "$@"
    else
        die "need root (or sudo) to run: $*"
    fi
}

package_installed() {
    [[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) == "install ok installed" ]]
}

# want_package PACKAGE CHECK...: queue PACKAGE unless the command CHECK
# succeeds. Checking a command, not just dpkg, keeps non-Debian installs
# (a hand-built scepserver on PATH, say) good enough.
want_package() {
    local package=$1
    shift
    if ! "$@" >/dev/null 2>&1 && ! package_installed "$package"; then
        WANTED_PACKAGES+=("$package")
    fi
}

install_wanted_packages() {
    ((${#WANTED_PACKAGES[@]})) || return 0
    echo "installing: ${WANTED_PACKAGES[*]}"
    if [[ -z $APT_UPDATED ]]; then
        as_root apt-get update
        APT_UPDATED=1
    fi
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        "${WANTED_PACKAGES[@]}"
    WANTED_PACKAGES=()
}

# The tools the test suite shells out to: openssl to cross-check
# certificates and CMS, micromdm's scepserver/scepclient for SCEP interop,
# unshare and ip to confine scepserver (which binds every interface) to a
# private network namespace.
want_test_tools() {
    want_package openssl have openssl
    want_package scep have_scep_tools
    want_package util-linux have unshare
    want_package iproute2 have ip
}

have_scep_tools() {
    have scepserver && have scepclient
}

# True when something accepts TCP connections on the test port.
mysql_port_open() {
    (exec 3<>"/dev/tcp/$MYSQL_HOST/$MYSQL_PORT") 2>/dev/null
}

# True when root can log in over TCP, which is what the tests will do.
mysql_login_works() {
    have mariadb &&
        mariadb -h"$MYSQL_HOST" -P"$MYSQL_PORT" -uroot --connect-timeout=2 -e 'select 1' >/dev/null 2>&1
}

# The best check available: a real login with the client, else the port.
mysql_answers() {
    if have mariadb; then
        mysql_login_works
    else
        mysql_port_open
    fi
}

# mysql_root SQL: runs SQL as root over TCP on the test server.
mysql_root() {
    mariadb -h"$MYSQL_HOST" -P"$MYSQL_PORT" -uroot --connect-timeout=5 -e "$1"
}
