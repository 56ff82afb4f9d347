#!/usr/bin/env bash
# Runs a command against a throwaway PostgreSQL cluster:
#   bash .ci/with-postgres.sh cargo test --locked --test it
# Installs PostgreSQL from the distribution's packages when no initdb is found, creates a
# cluster in a temporary folder owned by an unprivileged OS user (PostgreSQL refuses to run
# as root), listens on 127.0.0.1 only at a free port with password (SCRAM) authentication,
# serves TLS with a certificate for "localhost" from a throwaway CA, exports
# APPW_TEST_BACKEND=postgres, APPW_TEST_PG_URL (a superuser URL the tests create their
# databases through), APPW_TEST_PG_CA (the CA's PEM) and a client certificate the CA signed
# for the role APPW_TEST_PG_CERT_USER (APPW_TEST_PG_CLIENT_CERT, APPW_TEST_PG_CLIENT_KEY),
# runs the command, and always stops and deletes the cluster.
#
# The cluster runs with durability off (fsync, synchronous_commit, full_page_writes), which
# suits tests; APPW_PG_DURABLE=1 keeps PostgreSQL's defaults instead (for benchmarks).
set -euo pipefail

find_bin() {
    local name=$1 found
    if found=$(command -v "$name" 2>/dev/null); then
        echo "$found"
        return
    fi
    # Debian keeps the server binaries off PATH, under a versioned folder.
    found=$(ls -d /usr/lib/postgresql/*/bin/"$name" 2>/dev/null | sort -V | tail -n 1)
    [ -n "$found" ] && echo "$found"
}

if ! find_bin initdb >/dev/null; then
    echo "== installing PostgreSQL from the distribution's packages"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq postgresql >/dev/null
fi
INITDB=$(find_bin initdb)
PG_CTL=$(dirname "$(readlink -f "$INITDB")")/pg_ctl
[ -x "$PG_CTL" ] || PG_CTL=$(find_bin pg_ctl)

# The cluster's OS user: ourselves unless we are root, else a system user made for it.
RUN_AS=()
if [ "$(id -u)" = 0 ]; then
    PG_OS_USER=appwci
    id "$PG_OS_USER" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$PG_OS_USER"
    RUN_AS=(runuser -u "$PG_OS_USER" --)
else
    PG_OS_USER=$(id -un)
fi

# In /tmp, not $TMPDIR: the cluster's OS user must be able to reach it.
WORK=$(mktemp -d /tmp/appw-pg.XXXXXX)
chmod 755 "$WORK"
DATA=$WORK/data
SOCKETS=$WORK/sockets
mkdir -p "$SOCKETS"
chown "$PG_OS_USER" "$WORK" "$SOCKETS"

cleanup() {
    local status=$?
    if [ -f "$DATA/postmaster.pid" ]; then
        "${RUN_AS[@]}" "$PG_CTL" -D "$DATA" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$WORK"
    exit "$status"
}
trap cleanup EXIT INT TERM

# A free port: ask the kernel for one, then hand it to the server.
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null ||
    shuf -i 20000-60000 -n 1)
ADMIN=appw_admin
PASSWORD=$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
printf '%s\n' "$PASSWORD" >"$WORK/pwfile"
chown "$PG_OS_USER" "$WORK/pwfile"
chmod 600 "$WORK/pwfile"

"${RUN_AS[@]}" "$INITDB" -D "$DATA" -U "$ADMIN" --pwfile="$WORK/pwfile" \
    --auth-local=scram-sha-256 --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$WORK/initdb.log" 2>&1 ||
    { cat "$WORK/initdb.log"; exit 1; }
rm -f "$WORK/pwfile"
# The role appw_tls_only may connect over TLS only: how the tests tell that sslmode=require
# really encrypts. The role appw_cert_only may connect only with a client certificate for its
# name signed by the CA below (and no password).
CERT_USER=appw_cert_only
{
    echo "hostnossl all appw_tls_only 127.0.0.1/32 reject"
    echo "hostssl all $CERT_USER 127.0.0.1/32 cert"
    echo "host all $CERT_USER 127.0.0.1/32 reject"
    cat "$DATA/pg_hba.conf"
} >"$WORK/hba"
cat "$WORK/hba" >"$DATA/pg_hba.conf"

# TLS with a throwaway CA, so the tests can check sslmode=require/verify-ca/verify-full:
# the server certificate names "localhost" only.
command -v openssl >/dev/null || { apt-get update -qq && apt-get install -y -qq openssl >/dev/null; }
# The system CA bundle: a test checks that sslmode=require with a root certificate that did
# not sign the server is refused, and uses this bundle as that root.
[ -r /etc/ssl/certs/ca-certificates.crt ] ||
    { apt-get update -qq && apt-get install -y -qq ca-certificates >/dev/null; }
TLS=$WORK/tls
mkdir -p "$TLS"
ec() { openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "$@" 2>/dev/null; }
ec -x509 -days 2 -subj /CN=appw-test-ca -keyout "$TLS/ca.key" -out "$TLS/ca.pem" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
ec -subj /CN=localhost -keyout "$TLS/server.key" -out "$TLS/server.csr"
printf 'subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$TLS/ext"
openssl x509 -req -days 2 -in "$TLS/server.csr" -CA "$TLS/ca.pem" -CAkey "$TLS/ca.key" \
    -CAcreateserial -extfile "$TLS/ext" -out "$TLS/server.pem" 2>/dev/null
# The client's certificate, for $CERT_USER (cert authentication matches the CN to the role).
ec -subj "/CN=$CERT_USER" -keyout "$TLS/client.key" -out "$TLS/client.csr"
printf 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n' >"$TLS/client-ext"
openssl x509 -req -days 2 -in "$TLS/client.csr" -CA "$TLS/ca.pem" -CAkey "$TLS/ca.key" \
    -CAcreateserial -extfile "$TLS/client-ext" -out "$TLS/client.pem" 2>/dev/null
chown -R "$PG_OS_USER" "$TLS"
chmod 600 "$TLS/server.key"
# The tests run as the invoking user (root here): the client's key stays theirs.
chown "$(id -u)" "$TLS/client.key"
chmod 644 "$TLS/client.pem"
chmod 644 "$TLS/ca.pem"

# A test cluster: durability off (the data is thrown away) unless APPW_PG_DURABLE=1, room
# for the load tests.
DURABILITY="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
[ "${APPW_PG_DURABLE:-0}" = 1 ] && DURABILITY=""
PG_OPTS="-c listen_addresses=127.0.0.1 -c port=$PORT -c unix_socket_directories=$SOCKETS \
 -c max_connections=400 $DURABILITY \
 -c shared_buffers=64MB -c ssl=on -c ssl_cert_file=$TLS/server.pem \
 -c ssl_key_file=$TLS/server.key -c ssl_ca_file=$TLS/ca.pem"
"${RUN_AS[@]}" "$PG_CTL" -D "$DATA" -l "$WORK/server.log" -w -t 60 start -o "$PG_OPTS" >/dev/null ||
    { cat "$WORK/server.log"; exit 1; }

export APPW_TEST_BACKEND=postgres
export APPW_TEST_PG_URL="postgres://$ADMIN:$PASSWORD@127.0.0.1:$PORT/postgres"
export APPW_TEST_PG_CA=$TLS/ca.pem
# Shell commands that stop and start this cluster (the serve restart test runs them).
export APPW_TEST_PG_STOP="${RUN_AS[*]} $PG_CTL -D $DATA -m fast -w stop"
export APPW_TEST_PG_START="${RUN_AS[*]} $PG_CTL -D $DATA -l $WORK/server.log -w -t 60 start -o '$PG_OPTS'"
export APPW_TEST_PG_CERT_USER=$CERT_USER
export APPW_TEST_PG_CLIENT_CERT=$TLS/client.pem
export APPW_TEST_PG_CLIENT_KEY=$TLS/client.key
echo "== PostgreSQL $("${RUN_AS[@]}" "$(dirname "$PG_CTL")/postgres" --version | sed "s/.*) //") on 127.0.0.1:$PORT (cluster in $WORK)"

set +e
"$@"
status=$?
set -e
if [ "$status" != 0 ]; then
    echo "== the command failed ($status); server log tail:"
    tail -n 30 "$WORK/server.log" || true
fi
exit "$status"
