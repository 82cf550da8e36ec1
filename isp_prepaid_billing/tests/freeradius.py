# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
"""A real FreeRADIUS 3.2 (Debian packages) on loopback, configured to call the
Odoo test server through rlm_rest (REST mode) or to read Odoo's database
through rlm_sql_postgresql (SQL mode), and radclient to talk to it."""

import os
import re
import shutil
import socket
import subprocess
import tempfile
import time

SYSTEM_RADDB = "/etc/freeradius/3.0"

REST_MODULE = """
rest {
    connect_uri = "%(uri)s"
    authorize {
        uri = "${..connect_uri}/isp/radius/authorize"
        method = 'post'
        body = 'json'
        timeout = 5
        auth = 'basic'
        username = "%(user)s"
        password = "%(key)s"
        require_auth = yes
    }
    accounting {
        uri = "${..connect_uri}/isp/radius/accounting"
        method = 'post'
        body = 'json'
        timeout = 5
        auth = 'basic'
        username = "%(user)s"
        password = "%(key)s"
        require_auth = yes
    }
    pool {
        start = 0
        min = 0
        max = %(pool_max)s
        spare = 1
        uses = 0
        retry_delay = 1
        lifetime = 0
        idle_timeout = 60
    }
}
"""

# The virtual server: authorize and accounting through the mode's module (rest or sql).
SITE = """
server odoo-isp {
    listen {
        type = auth
        ipaddr = 127.0.0.1
        port = %(auth_port)s
    }
    listen {
        type = acct
        ipaddr = 127.0.0.1
        port = %(acct_port)s
    }
    authorize {
        preprocess
        %(module)s
        if (notfound) {
            reject
        }
        chap
        pap
    }
    authenticate {
        Auth-Type PAP {
            pap
        }
        Auth-Type CHAP {
            chap
        }
    }
    preacct {
        preprocess
        acct_unique
    }
    accounting {
        %(module)s
    }
    post-auth {
        Post-Auth-Type REJECT {
            attr_filter.access_reject
        }
    }
}
"""

# SQL mode: FreeRADIUS' stock PostgreSQL queries (queries.conf) on the radius
# schema of the Odoo database, as the read-only role (data/radius_sql_role.sql).
SQL_MODULE = """
sql {
    dialect = "postgresql"
    driver = "rlm_sql_postgresql"
    server = "%(db_host)s"
    port = %(db_port)s
    login = "%(db_user)s"
    password = "%(db_password)s"
    radius_db = "%(db_name)s"
    # the driver's own escaping: a login is looked up as it is written
    auto_escape = yes
    acct_table1 = "%(schema)s.radacct"
    acct_table2 = "%(schema)s.radacct"
    postauth_table = "%(schema)s.radpostauth"
    authcheck_table = "%(schema)s.radcheck"
    groupcheck_table = "%(schema)s.radgroupcheck"
    authreply_table = "%(schema)s.radreply"
    groupreply_table = "%(schema)s.radgroupreply"
    usergroup_table = "%(schema)s.radusergroup"
    read_groups = yes
    delete_stale_sessions = yes
    postgresql {
        send_application_name = yes
    }
    pool {
        start = %(pool_start)s
        min = %(pool_start)s
        max = %(pool_max)s
        spare = 2
        uses = 0
        retry_delay = 1
        lifetime = 0
        idle_timeout = 60
    }
    client_table = "nas"
    group_attribute = "SQL-Group"
    $INCLUDE ${modconfdir}/${.:name}/main/${dialect}/queries.conf
}
"""

CLIENTS = """
client test-nas {
    ipaddr = 127.0.0.1
    secret = %(secret)s
    require_message_authenticator = no
}
"""


def free_port(kind=socket.SOCK_DGRAM):
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class FreeRadius:
    """REST mode by default; ``sql`` (a dict of db_host, db_port, db_user,
    db_password, db_name) for SQL mode."""

    def __init__(self, odoo_url, api_user, api_key, secret="nas-secret", sql=None):
        self.values = {
            "uri": (odoo_url or "").rstrip("/"),
            "user": api_user,
            "key": api_key,
            "secret": secret,
            "auth_port": free_port(),
            "acct_port": free_port(),
            "pool_start": 1,
            "schema": "radius",
            "pool_max": 4,
            **(sql or {}),
        }
        self.sql = bool(sql)
        # the one module the virtual server authorizes and accounts with
        self.values["module"] = "sql" if self.sql else "rest"
        self.secret = secret
        self.workdir = None
        self.process = None

    def missing(self):
        for tool in ("freeradius", "radclient"):
            if not shutil.which(tool):
                return tool
        module, package = (
            ("rlm_sql_postgresql", "freeradius-postgresql")
            if self.sql
            else ("rlm_rest", "freeradius-rest")
        )
        if not os.path.exists(f"/usr/lib/freeradius/{module}.so"):
            return package
        return None

    def _write(self, relative, text):
        path = os.path.join(self.raddb, relative)
        if os.path.lexists(path):
            os.unlink(path)
        with open(path, "w") as handle:
            handle.write(text % self.values)
        shutil.chown(path, "freerad", "freerad")

    def start(self):
        self.workdir = tempfile.mkdtemp(prefix="isp-radius-")
        os.chmod(self.workdir, 0o755)  # radiusd drops to the freerad user
        self.raddb = os.path.join(self.workdir, "raddb")
        subprocess.run(["cp", "-a", SYSTEM_RADDB, self.raddb], check=True)
        for relative in (
            "sites-enabled/default",
            "sites-enabled/inner-tunnel",
            "mods-enabled/eap",
        ):
            path = os.path.join(self.raddb, relative)
            if os.path.lexists(path):
                os.unlink(path)
        if self.sql:
            self._write("mods-enabled/sql", SQL_MODULE)
        else:
            self._write("mods-enabled/rest", REST_MODULE)
        self._write("sites-enabled/odoo-isp", SITE)
        self._write("clients.conf", CLIENTS)
        conf = os.path.join(self.raddb, "radiusd.conf")
        with open(conf) as handle:
            text = handle.read()
        with open(conf, "w") as handle:
            handle.write(re.sub(r"reject_delay = \d+", "reject_delay = 0", text))
        self.log_path = os.path.join(self.workdir, "radiusd.log")
        self.log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            ["freeradius", "-f", "-l", "stdout", "-d", self.raddb],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            with open(self.log_path) as handle:
                if "Ready to process requests" in handle.read():
                    return self
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError("FreeRADIUS did not start:\n" + self.output())

    def output(self):
        with open(self.log_path) as handle:
            return handle.read()

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        if self.workdir:
            self.log.close()
            shutil.rmtree(self.workdir, ignore_errors=True)

    def radclient(self, kind, attributes):
        """Send one request; ``(reply code name, {attribute: value})``."""
        port = self.values["auth_port"] if kind == "auth" else self.values["acct_port"]
        lines = "\n".join(f"{name} = {value}" for name, value in attributes.items())
        result = subprocess.run(
            [
                "radclient",
                "-x",
                "-r",
                "1",
                "-t",
                "10",
                f"127.0.0.1:{port}",
                kind,
                self.secret,
            ],
            input=lines + "\n",
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        output = result.stdout + result.stderr
        received = re.search(r"Received (\S+) Id", output)
        reply = {}
        if received:
            tail = output[received.end() :]
            for name, value in re.findall(r"^\s+([\w-]+) = (.*)$", tail, re.MULTILINE):
                reply[name] = value.strip().strip('"')
        return (received.group(1) if received else None), reply
