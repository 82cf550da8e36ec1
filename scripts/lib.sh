#!/usr/bin/env bash
# Shared set-up steps of run-demo.sh and run-tests.sh. Each step is idempotent.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ODOO_PYTHON="${ODOO_PYTHON:-python3}"
RUN_DIR="$REPO_ROOT/.run"
ODOO_CONF="$RUN_DIR/odoo.conf"

say() { printf '[isp] %s\n' "$*" >&2; }
die() { printf '[isp] ERROR: %s\n' "$*" >&2; exit 1; }

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
        die "need root to run: $*"
    fi
}

ensure_chromium() {
    # Portal tours drive a headless Chromium (Odoo looks for chromium or chrome).
    if ! command -v chromium >/dev/null && ! command -v chromium-browser >/dev/null \
        && ! command -v google-chrome >/dev/null; then
        say "installing Chromium for the browser tests (Debian package chromium)"
        as_root apt-get update -qq
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    fi
}

ensure_wkhtmltopdf() {
    # Odoo prints invoices, receipts and proformas to PDF with wkhtmltopdf.
    if ! command -v wkhtmltopdf >/dev/null; then
        say "installing wkhtmltopdf for PDF documents (Debian package wkhtmltopdf)"
        as_root apt-get update -qq
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wkhtmltopdf >/dev/null
    fi
}

ensure_freeradius() {
    # The network tests start a real FreeRADIUS (rlm_rest for REST mode,
    # rlm_sql_postgresql for SQL mode) and use radclient.
    if ! command -v freeradius >/dev/null || ! command -v radclient >/dev/null \
        || [ ! -e /usr/lib/freeradius/rlm_rest.so ] \
        || [ ! -e /usr/lib/freeradius/rlm_sql_postgresql.so ]; then
        say "installing FreeRADIUS for the network tests (freeradius, freeradius-rest, freeradius-postgresql, freeradius-utils)"
        as_root apt-get update -qq
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
            freeradius freeradius-rest freeradius-postgresql freeradius-utils >/dev/null
    fi
}

ensure_odoo() {
    # Install Odoo 18.0 from source into $ODOO_PYTHON when it is missing: from ODOO_SRC (a source
    # tree or a .tar.gz of one), else the shared copy beside the project, else the official repository.
    "$ODOO_PYTHON" -c 'import odoo.release' 2>/dev/null && return 0
    local src="${ODOO_SRC:-}"
    if [ -z "$src" ] && [ -f "$REPO_ROOT/../shared/odoo/odoo-18.0.tar.gz" ]; then
        src="$REPO_ROOT/../shared/odoo/odoo-18.0.tar.gz"
    fi
    local tree="${ODOO_TREE:-/opt/odoo-18.0}"
    if [ ! -f "$tree/setup.py" ]; then
        as_root mkdir -p "$(dirname "$tree")"
        if [ -n "$src" ] && [ -f "$src" ]; then
            say "unpacking Odoo 18.0 from $src into $tree"
            as_root tar -xzf "$src" -C "$(dirname "$tree")"
        elif [ -n "$src" ] && [ -d "$src" ]; then
            tree="$src"
        else
            say "cloning Odoo 18.0 from github.com/odoo/odoo into $tree"
            as_root git clone -q --depth 1 --branch 18.0 https://github.com/odoo/odoo.git "$tree"
        fi
    fi
    say "installing Odoo 18.0 from $tree into $ODOO_PYTHON (a few minutes, once)"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        libpq-dev libldap2-dev libsasl2-dev libxml2-dev libxslt1-dev libjpeg-dev >/dev/null
    # Odoo's pins predate setuptools 70 and cbor2 5.4.2 does not build on Python 3.11 (5.4.6 does).
    "$ODOO_PYTHON" -m pip install -q "setuptools<70" wheel "cbor2==5.4.6"
    sed 's/^cbor2==5\.4\.2.*$//' "$tree/requirements.txt" > "$RUN_DIR/odoo-requirements.txt"
    "$ODOO_PYTHON" -m pip install -q --no-build-isolation -r "$RUN_DIR/odoo-requirements.txt"
    # compat editable mode: a real package path, so OCA wheels' odoo/addons namespace does not shadow it.
    "$ODOO_PYTHON" -m pip install -q --no-build-isolation --no-deps -e "$tree" \
        --config-settings editable_mode=compat
}

check_odoo() {
    command -v "$ODOO_PYTHON" >/dev/null || die "'$ODOO_PYTHON' not found (set ODOO_PYTHON)."
    local version
    if ! version=$("$ODOO_PYTHON" -c 'import odoo.release as r; print(r.major_version)' 2>/dev/null); then
        die "Odoo 18.0 is not importable by '$ODOO_PYTHON'. Install Odoo 18.0 Community from source
      (https://www.odoo.com/documentation/18.0/administration/on_premise/source.html) into that
      Python, or point ODOO_PYTHON at the interpreter that has it."
    fi
    [ "$version" = "18.0" ] || die "found Odoo $version; this addon needs Odoo 18.0."
}

# Runs its arguments with no file descriptor but stdin/stdout/stderr. A server
# started by a script run under `flock FILE` would otherwise hold FILE's lock for
# as long as it runs, and every later `flock FILE` would wait forever.
WITHOUT_INHERITED_FILES='import subprocess, sys; sys.exit(subprocess.call(sys.argv[1:], close_fds=True))'

ensure_postgres() {
    if ! command -v pg_ctlcluster >/dev/null && ! command -v pg_ctl >/dev/null; then
        say "installing PostgreSQL server (Debian package postgresql)"
        as_root apt-get update -qq
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    fi
    if ! pg_isready -q 2>/dev/null; then
        say "starting PostgreSQL"
        if command -v pg_ctlcluster >/dev/null; then
            local cluster
            cluster=$(pg_lsclusters -h | awk 'NR==1 {print $1" "$2}')
            [ -n "$cluster" ] || die "no PostgreSQL cluster found (pg_lsclusters is empty)"
            # shellcheck disable=SC2086
            as_root "$ODOO_PYTHON" -c "$WITHOUT_INHERITED_FILES" pg_ctlcluster $cluster start || true
        else
            as_root "$ODOO_PYTHON" -c "$WITHOUT_INHERITED_FILES" service postgresql start || true
        fi
        for _ in $(seq 1 30); do pg_isready -q && break; sleep 1; done
        pg_isready -q || die "PostgreSQL did not start"
    fi
    local me
    me=$(id -un)
    if ! psql -d postgres -tAc 'select 1' >/dev/null 2>&1; then
        say "creating PostgreSQL role '$me'"
        as_root su postgres -c "createuser --superuser '$me'" 2>/dev/null || true
    fi
    psql -d postgres -tAc 'select 1' >/dev/null 2>&1 || die "cannot connect to PostgreSQL as '$me'"
}

ensure_requirements() {
    if ! "$ODOO_PYTHON" - "$REPO_ROOT/requirements.txt" <<'PY' 2>/dev/null; then
import sys
from importlib.metadata import PackageNotFoundError, version
import re
for line in open(sys.argv[1]):
    line = line.split("#")[0].strip()
    if not line:
        continue
    name = re.split(r"[<>=!~ ]", line)[0]
    version(name)  # raises when missing
PY
        say "installing Python requirements"
        "$ODOO_PYTHON" -m pip install -q -r "$REPO_ROOT/requirements.txt"
    fi
}

write_config() {
    mkdir -p "$RUN_DIR"
    local addons
    addons=$("$ODOO_PYTHON" - "$REPO_ROOT" <<'PY'
import os, sys
import odoo, odoo.addons
paths = []
source_addons = os.path.join(os.path.dirname(os.path.dirname(odoo.__file__)), "addons")
for path in [*odoo.addons.__path__, os.path.join(os.path.dirname(odoo.__file__), "addons"),
             source_addons, sys.argv[1]]:
    path = os.path.realpath(path)
    if os.path.isdir(path) and path not in paths:
        paths.append(path)
print(",".join(paths))
PY
)
    cat > "$ODOO_CONF" <<CONF
[options]
addons_path = $addons
db_user = $(id -un)
db_host = False
data_dir = $RUN_DIR/data
without_demo = False
CONF
}

odoo() {
    "$ODOO_PYTHON" -m odoo -c "$ODOO_CONF" "$@"
}

prepare() {
    mkdir -p "$RUN_DIR"
    ensure_odoo
    check_odoo
    ensure_postgres
    ensure_requirements
    ensure_wkhtmltopdf
    write_config
}
