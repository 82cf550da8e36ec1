#!/usr/bin/env bash
# Shared set-up steps of run-demo.sh and run-tests.sh. Each step is idempotent.
set -euo pipefail
# A failure inside $(...) stops the script too.
shopt -s inherit_errexit

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUN_DIR="$REPO_ROOT/.run"
ODOO_CONF="$RUN_DIR/odoo.conf"
ODOO_SERIES=18.0
ODOO_GIT_URL="${ODOO_GIT_URL:-https://github.com/odoo/odoo.git}"
# ODOO_PYTHON: the Python with Odoo (see ensure_odoo); ODOO_SRC: where Odoo comes from when none
# has it, resolved here against the directory the script was started from.
ODOO_PYTHON="${ODOO_PYTHON:-}"
if [ -n "${ODOO_SRC:-}" ]; then ODOO_SRC=$(realpath -m "$ODOO_SRC"); fi
# Virtual environments (and unpacked Odoo sources) outside the checkout, reused by later runs
# and by other clones; ISP_BASE_PYTHON is the Python they are made from.
ISP_CACHE="${ISP_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/isp_prepaid_billing}"
ISP_BASE_PYTHON="${ISP_BASE_PYTHON:-python3}"

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

warn_unpatched_wkhtmltopdf() {
    # Only wkhtmltopdf built with its patched Qt prints the header and footer of
    # Odoo's layouts (company logo, address, footer, page numbers). Debian's
    # package is built without it: fine for the tests and the demo (our own
    # documents then print the company in the body), not for production.
    command -v wkhtmltopdf >/dev/null || return 0
    local version
    version=$(wkhtmltopdf --version 2>/dev/null || true)
    if printf '%s' "$version" | grep -qi "with patched qt"; then
        return 0
    fi
    {
        printf '\n'
        printf '[isp] !!! ============================================================== !!!\n'
        printf '[isp] !!! WARNING: %s is built WITHOUT the patched Qt.\n' "${version:-wkhtmltopdf}"
        printf '[isp] !!! PDFs print no company header, no footer and no page numbers,\n'
        printf '[isp] !!! and text in web fonts becomes outlines (not searchable).\n'
        printf '[isp] !!! ISP documents still name the company in their body, but for\n'
        printf '[isp] !!! production install wkhtmltopdf 0.12.6.1 (with patched qt) from\n'
        printf '[isp] !!! https://wkhtmltopdf.org/downloads.html or\n'
        printf '[isp] !!! https://github.com/wkhtmltopdf/packaging/releases (e.g.\n'
        printf '[isp] !!! wkhtmltox_0.12.6.1-3.bookworm_amd64.deb), not the distribution package.\n'
        printf '[isp] !!! ============================================================== !!!\n'
        printf '\n'
    } >&2
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

has_odoo() {
    # Whether interpreter $1 imports Odoo 18.0.
    "$1" -c 'import sys, odoo.release as r; sys.exit(r.major_version != "18.0")' 2>/dev/null
}

odoo_source() {
    # Where Odoo comes from when it has to be installed: ODOO_SRC (a source tree or a .tar.gz of
    # one), else the shared copy beside the project when there is one, else "clone" (a shallow
    # clone of the official 18.0 branch).
    if [ -n "${ODOO_SRC:-}" ]; then
        [ -e "$ODOO_SRC" ] || die "ODOO_SRC=$ODOO_SRC does not exist"
        printf '%s' "$ODOO_SRC"
    elif [ -f "$REPO_ROOT/../shared/odoo/odoo-18.0.tar.gz" ]; then
        realpath "$REPO_ROOT/../shared/odoo/odoo-18.0.tar.gz"
    else
        printf 'clone'
    fi
}

file_hash() {
    # sha256 of file $1, remembered by path, size and time: the 90 MB source archive is read
    # once, not at every run.
    local file=$1 stamp hash memo="$ISP_CACHE/source-hashes"
    stamp="$(realpath "$file") $(stat -c '%s %Y' "$file")"
    hash=$(awk -v s="$stamp " 'index($0, s) == 1 { h = $NF } END { print h }' "$memo" 2>/dev/null || true)
    if [ -z "$hash" ]; then
        hash=$(sha256sum "$file" | cut -d' ' -f1)
        mkdir -p "$ISP_CACHE"
        printf '%s %s\n' "$stamp" "$hash" >>"$memo"
    fi
    printf '%s' "$hash"
}

source_id() {
    # What identifies Odoo source $1: an archive's content, a tree's path and release and
    # requirements (its commit too when it is a git checkout), the branch of a clone.
    local src=$1
    if [ "$src" = clone ]; then
        printf 'clone %s %s' "$ODOO_GIT_URL" "$ODOO_SERIES"
    elif [ -f "$src" ]; then
        printf 'archive %s' "$(file_hash "$src")"
    else
        printf 'tree %s %s %s' "$src" "$(git -C "$src" rev-parse HEAD 2>/dev/null || true)" \
            "$(cat "$src/odoo/release.py" "$src/requirements.txt" 2>/dev/null | sha256sum | cut -c1-16)"
    fi
}

odoo_venv_dir() {
    # The virtual environment for Odoo source $1, our requirements, this recipe and the base
    # Python: any change of them gives another folder, so it is built anew, while checkouts that
    # agree share one.
    local key id
    id=$(source_id "$1")
    key=$({
        echo "$id"
        cat "$REPO_ROOT/requirements.txt"
        declare -f build_odoo_venv odoo_tree
        "$ISP_BASE_PYTHON" -c 'import sys; print(sys.version)'
    } | sha256sum | cut -c1-12)
    printf '%s/venv-%s-%s' "$ISP_CACHE" "$ODOO_SERIES" "$key"
}

odoo_tree() {
    # An Odoo source tree for source $1, unpacked or cloned into the cache when needed.
    local src=$1 tree
    if [ -d "$src" ]; then
        [ -f "$src/setup.py" ] && [ -f "$src/odoo/release.py" ] || die "ODOO_SRC=$src is not an Odoo source tree"
        printf '%s' "$src"
        return
    fi
    if [ "$src" = clone ]; then
        tree="$ISP_CACHE/odoo-$ODOO_SERIES-clone"
        if [ ! -f "$tree/odoo/release.py" ]; then
            rm -rf "$tree"
            say "cloning Odoo $ODOO_SERIES from $ODOO_GIT_URL into $tree (shallow)"
            git clone -q --depth 1 --branch "$ODOO_SERIES" "$ODOO_GIT_URL" "$tree" >&2
        fi
    else
        tree="$ISP_CACHE/odoo-$ODOO_SERIES-$(file_hash "$src" | cut -c1-12)"
        if [ ! -f "$tree/.isp-unpacked" ]; then
            rm -rf "$tree"
            mkdir -p "$tree"
            say "unpacking Odoo from $src into $tree"
            tar -xzf "$src" -C "$tree" --strip-components=1
            [ -f "$tree/odoo/release.py" ] || die "$src holds no Odoo source tree (odoo-18.0/odoo/release.py)"
            touch "$tree/.isp-unpacked"
        fi
    fi
    printf '%s' "$tree"
}

ensure_build_packages() {
    # psycopg2 and python-ldap are built from source: their C headers (Debian packages).
    local missing=() package
    for package in libpq-dev libldap2-dev libsasl2-dev gcc; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'ok installed' || missing+=("$package")
    done
    if ! "$ISP_BASE_PYTHON" -c 'import ensurepip, venv' 2>/dev/null; then
        missing+=(python3-venv)
    fi
    if [ ${#missing[@]} -gt 0 ]; then
        say "installing ${missing[*]} to build Odoo's requirements"
        as_root apt-get update -qq
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
}

build_odoo_venv() {
    # Odoo 18.0 from source $2, its requirements and ours in a new virtual environment $1.
    # The build snags of Odoo's pins on Python 3.11: cbor2 5.4.2 does not build (5.4.6 does), the
    # old pins need setuptools<70 without build isolation, and the tree is installed editable in
    # compat mode (a path in a .pth file, through PEP 517 so that pip passes the setting on) so
    # that OCA wheels' odoo/addons namespace does not shadow it. pip -qq: errors only (a
    # machine's pip configuration may warn about every package). The stamp .isp-ready is
    # written last: a half-built folder is built again.
    local venv=$1 src=$2 tree py started=$SECONDS
    tree=$(odoo_tree "$src")
    ensure_build_packages
    rm -rf "$venv"
    say "creating $venv (once: a few minutes)"
    "$ISP_BASE_PYTHON" -m venv "$venv"
    py="$venv/bin/python"
    "$py" -m pip install -qq "setuptools<70" wheel "cbor2==5.4.6"
    sed 's/^cbor2==5\.4\.2.*$//' "$tree/requirements.txt" >"$venv/odoo-requirements.txt"
    say "installing Odoo's requirements ($((SECONDS - started)) s)"
    "$py" -m pip install -qq --no-build-isolation -r "$venv/odoo-requirements.txt"
    say "installing Odoo from $tree ($((SECONDS - started)) s)"
    "$py" -m pip install -qq --no-build-isolation --no-deps --use-pep517 -e "$tree" \
        --config-settings editable_mode=compat
    say "installing requirements.txt ($((SECONDS - started)) s)"
    "$py" -m pip install -qq -r "$REPO_ROOT/requirements.txt"
    has_odoo "$py" || die "Odoo $ODOO_SERIES is not importable in $venv after its installation"
    printf 'source: %s\ntree: %s\nbuilt: %s in %s s\n' "$src" "$tree" "$(date -Is)" \
        "$((SECONDS - started))" >"$venv/.isp-ready"
    say "virtual environment ready in $((SECONDS - started)) s: $venv"
}

prune_odoo_venvs() {
    # Environments no run has used for 30 days (the stamp is touched at each use).
    local stamp
    find "$ISP_CACHE" -mindepth 2 -maxdepth 2 -path "$ISP_CACHE/venv-*/.isp-ready" -mtime +30 \
        -print 2>/dev/null | while read -r stamp; do
        say "removing unused $(dirname "$stamp")"
        rm -rf "$(dirname "$stamp")"
    done
}

ensure_odoo() {
    # The Python that runs Odoo: ODOO_PYTHON when it has Odoo 18.0; else the project's virtual
    # environment when it was built (ISP_CACHE_DIR, default ~/.cache/isp_prepaid_billing); else
    # python3 when it has Odoo 18.0 (when ODOO_PYTHON is not set); else the virtual environment
    # is built now, from odoo_source, and used.
    if [ -n "${ODOO_PYTHON:-}" ] && has_odoo "$ODOO_PYTHON"; then
        return 0
    fi
    local venv="" src
    if compgen -G "$ISP_CACHE/venv-$ODOO_SERIES-*/.isp-ready" >/dev/null; then
        src=$(odoo_source)
        venv=$(odoo_venv_dir "$src")
        if [ -f "$venv/.isp-ready" ] && has_odoo "$venv/bin/python"; then
            touch "$venv/.isp-ready"
            ODOO_PYTHON="$venv/bin/python"
            return 0
        fi
    fi
    if [ -z "${ODOO_PYTHON:-}" ] && has_odoo python3; then
        ODOO_PYTHON=python3
        return 0
    fi
    [ -z "${ODOO_PYTHON:-}" ] || say "'$ODOO_PYTHON' has no Odoo $ODOO_SERIES"
    if [ -z "$venv" ]; then
        src=$(odoo_source)
        venv=$(odoo_venv_dir "$src")
    fi
    mkdir -p "$ISP_CACHE"
    # One build at a time (runs and clones share the cache): who waited finds it ready.
    exec 9>"$ISP_CACHE/.build.lock"
    if ! flock -n 9; then
        say "waiting for another set-up building $venv"
        flock 9
    fi
    [ -f "$venv/.isp-ready" ] || build_odoo_venv "$venv" "$src"
    exec 9>&-
    touch "$venv/.isp-ready"
    prune_odoo_venvs
    ODOO_PYTHON="$venv/bin/python"
}

check_odoo() {
    command -v "$ODOO_PYTHON" >/dev/null || die "'$ODOO_PYTHON' not found (set ODOO_PYTHON)."
    has_odoo "$ODOO_PYTHON" || die "Odoo 18.0 is not importable by '$ODOO_PYTHON'."
    say "Odoo 18.0 from $ODOO_PYTHON"
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
    # requirements.txt in $ODOO_PYTHON, at the versions it asks for (a virtual environment of
    # ours has them from its build; another Python gets what it lacks installed into it).
    if ! "$ODOO_PYTHON" - "$REPO_ROOT/requirements.txt" <<'PY' 2>/dev/null; then
import sys
from importlib.metadata import version
try:
    from packaging.requirements import Requirement
except ImportError:
    from pip._vendor.packaging.requirements import Requirement
for line in open(sys.argv[1]):
    line = line.split("#")[0].strip()
    if not line:
        continue
    requirement = Requirement(line)
    if requirement.marker and not requirement.marker.evaluate():
        continue
    installed = version(requirement.name)  # raises when missing
    if not requirement.specifier.contains(installed, prereleases=True):
        sys.exit(f"{requirement.name} {installed} is not {requirement.specifier}")
PY
        say "installing Python requirements into $ODOO_PYTHON"
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
    warn_unpatched_wkhtmltopdf
    write_config
}
