# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
"""FreeRADIUS' SQL mode: the radius views answer as the REST endpoint does and
in the same transaction, radacct rows become the subscriber's sessions, the
role FreeRADIUS logs in with writes nothing but accounting, and a real
FreeRADIUS with its stock PostgreSQL queries accepts, suspends, rejects and
accounts."""

import os
import secrets
import subprocess
from unittest.mock import patch

import psycopg2
from dateutil.relativedelta import relativedelta

from odoo import SUPERUSER_ID, Command, api, fields, sql_db
from odoo.modules.neutralize import get_neutralization_queries
from odoo.tests import BaseCase, get_db_name, tagged
from odoo.tools import config
from odoo.tools.translate import code_translations

from .freeradius import FreeRadius
from .test_radius import NAS_SECRET, RadiusCase

ROLE_SQL = os.path.join(os.path.dirname(__file__), "..", "data", "radius_sql_role.sql")
VIEWS = ("radcheck", "radreply", "radusergroup", "radgroupcheck", "radgroupreply")


def sql_answer(cr, login):
    """What rlm_sql makes of the views for ``login`` (stock queries.conf):
    ``("reject", {reply})`` or ``("accept", password, {reply})``; rows are
    read in id order and a later ``:=`` replaces an earlier one."""
    cr.execute(
        "SELECT attribute, op, value FROM radius.radcheck WHERE username = %s ORDER BY id",
        [login],
    )
    check = {attribute: value for attribute, op, value in cr.fetchall()}
    cr.execute(
        "SELECT attribute, value FROM radius.radreply WHERE username = %s ORDER BY id",
        [login],
    )
    reply = dict(cr.fetchall())
    cr.execute(
        "SELECT groupname FROM radius.radusergroup WHERE username = %s ORDER BY priority",
        [login],
    )
    for (group,) in cr.fetchall():
        cr.execute(
            "SELECT attribute, value FROM radius.radgroupreply "
            "WHERE groupname = %s ORDER BY id",
            [group],
        )
        reply.update(cr.fetchall())
    if not check or check.get("Auth-Type") == "Reject":
        return "reject", reply
    return "accept", check["Cleartext-Password"], reply


def role_connection_values(db):
    """How FreeRADIUS reaches the database: over TCP, with a password."""
    host = config["db_host"]
    return {
        "db_host": host if host and not host.startswith("/") else "127.0.0.1",
        "db_port": config["db_port"] or 5432,
        "db_name": db,
    }


def make_radius_role(db):
    """The role of data/radius_sql_role.sql (as scripts/radius-sql-role.sh
    runs it), with a new password: ``(role, password)``."""
    role, password = f"{db}_radius", secrets.token_urlsafe(18)
    __, info = sql_db.connection_info_for(db)
    environ = dict(os.environ)
    for key, variable in (
        ("host", "PGHOST"),
        ("port", "PGPORT"),
        ("user", "PGUSER"),
        ("password", "PGPASSWORD"),
    ):
        if info.get(key):
            environ[variable] = str(info[key])
    subprocess.run(
        ["psql", "-q", "-X", "-d", db, "-v", f"role={role}", "-v",
         f"password={password}", "-f", ROLE_SQL],
        env=environ,
        check=True,
        capture_output=True,
        timeout=60,
    )
    return role, password


@tagged("post_install", "-at_install")
class TestRadiusSqlViews(RadiusCase):
    """The views against the REST decision, inside the test's transaction."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.profile_300 = cls.env["isp.network.profile"].create(
            {
                "name": "Fibre 300",
                "company_id": cls.company.id,
                "rate_limit": "60M/300M",
                "ip_pool": "fibre300",
                # an extra attribute overrides a standard one, as in REST
                "extra_attributes": "Acct-Interim-Interval = 600\nFramed-Pool = vip",
            }
        )
        cls.plan_300 = cls.env["product.product"].create(
            {"name": "Fibre 300 Mbit/s", "type": "service", "list_price": 60.0}
        )
        cls.plan_300.product_tmpl_id.with_company(
            cls.company
        ).isp_network_profile_id = cls.profile_300

    def rest_answer(self, login):
        """The REST endpoint's answer in the same shape as ``sql_answer``."""
        line = self.env["contract.line"]._isp_radius_line(self.company, login)
        status, body = line._isp_radius_decision(fields.Date.today())
        body = dict(body)
        if status != 200:
            return "reject", {"Reply-Message": body["reply:Reply-Message"]["value"]}
        password = body.pop("control:Cleartext-Password")["value"]
        reply = {
            key.removeprefix("reply:"): str(
                value["value"] if isinstance(value, dict) else value
            )
            for key, value in body.items()
        }
        return "accept", password, reply

    def sql_answer(self, login):
        self.env.flush_all()
        return sql_answer(self.env.cr, login)

    def change(self, customer, kind, date, **values):
        change = self.env["isp.service.change"].create(
            {
                "contract_id": customer.isp_contract_ids.id,
                "kind": kind,
                "date": date,
                **values,
            }
        )
        change.action_apply()
        return change

    def test_every_status_answers_as_the_rest_endpoint(self):
        today = fields.Date.today()
        self.subscriber("active1")
        self.subscriber("blocked1", "blocked")
        self.subscriber("inactive1", "inactive")
        new = self.make_subscriber("New1")
        self.make_subscription(new, date_start=today).contract_line_ids.write(
            {"isp_radius_username": "new1", "isp_radius_password": "pw-new1"}
        )
        disabled = self.subscriber("disabled1")
        disabled.isp_contract_ids.contract_line_ids.isp_radius_disabled = True
        ended = self.make_subscriber("Ended1")
        started = today - relativedelta(months=1)
        self.make_subscription(ended, date_start=started).contract_line_ids.write(
            {"isp_radius_username": "ended1", "isp_radius_password": "pw-ended1"}
        )
        self.pay(ended, 60.0, started)
        self.run_engine(ended, started)
        self.run_engine(ended, today)
        self.assertStatus(ended, "active")
        ended.isp_contract_ids.date_end = today - relativedelta(days=1)
        paused = self.subscriber("paused1")
        self.change(paused, "pause", today, date_to=today + relativedelta(days=5))
        planned = self.subscriber("planned1")
        self.pay(planned, 100.0)  # the new plan's days are charged from the balance
        self.change(
            planned, "plan", today + relativedelta(days=10), product_id=self.plan_300.id
        )
        upgraded = self.subscriber("upgraded1")
        self.pay(upgraded, 100.0)
        self.change(upgraded, "plan", today, product_id=self.plan_300.id)

        expected = {
            "active1": ("accept", "20M/100M"),
            "blocked1": ("accept", None),
            "inactive1": ("reject", None),
            "new1": ("reject", None),
            "disabled1": ("reject", None),
            "ended1": ("accept", None),
            "paused1": ("accept", None),
            "planned1": ("accept", "20M/100M"),
            "upgraded1": ("accept", "60M/300M"),
        }
        for login, (outcome, rate) in expected.items():
            with self.subTest(login=login):
                answer = self.sql_answer(login)
                self.assertEqual(answer, self.rest_answer(login))
                self.assertEqual(answer[0], outcome)
                if outcome == "accept":
                    self.assertEqual(answer[1], f"pw-{login}")
                    self.assertEqual(answer[2].get("Mikrotik-Rate-Limit"), rate)
        self.assertEqual(self.sql_answer("upgraded1")[2]["Framed-Pool"], "vip")
        self.assertEqual(
            self.sql_answer("paused1")[2]["Framed-Pool"], "suspended", "suspended group"
        )
        self.assertEqual(self.sql_answer("nobody"), ("reject", {}), "not found")

        self.company.isp_radius_blocked_mode = "reject"
        for login in ("blocked1", "paused1"):
            with self.subTest(login=login, mode="reject"):
                answer = self.sql_answer(login)
                self.assertEqual(answer, self.rest_answer(login))
                self.assertEqual(
                    answer,
                    ("reject", {"Reply-Message": "Service suspended: please pay to reconnect."}),
                )

    def rest_endpoint(self, login):
        """``(status, reply)`` of /isp/radius/authorize over HTTP."""
        self.env.flush_all()
        response = self.post(
            "/isp/radius/authorize",
            {
                "User-Name": {"type": "string", "value": [login]},
                "NAS-IP-Address": {"type": "string", "value": ["127.0.0.1"]},
            },
        )
        return response.status_code, response.json()

    def test_each_plan_chooses_reject_or_the_suspended_pool(self):
        """Blocked customers of a daily plan cannot connect, those of a
        monthly plan get the suspended pool; a profile left on "company
        default" follows the company. REST and SQL answer alike."""
        daily_profile = self.env["isp.network.profile"].create(
            {
                "name": "Daily 10",
                "company_id": self.company.id,
                "rate_limit": "10M/10M",
                "blocked_mode": "reject",
            }
        )
        daily_plan = self.env["product.product"].create(
            {"name": "Daily 10 Mbit/s", "type": "service", "list_price": 1.0}
        )
        daily_plan.product_tmpl_id.with_company(
            self.company
        ).isp_network_profile_id = daily_profile
        self.profile_300.blocked_mode = "pool"
        self.assertEqual(self.profile.blocked_mode, "company")
        for login, plan in (
            ("daily1", daily_plan),
            ("monthly1", self.plan_300),
            ("default1", self.plan),
        ):
            customer = self.subscriber(login, "blocked")
            customer.isp_contract_ids.contract_line_ids.product_id = plan
        self.subscriber("active2").isp_contract_ids.contract_line_ids.product_id = (
            daily_plan
        )

        suspended = "Service suspended: please pay to reconnect."
        for company_mode in ("pool", "reject"):
            self.company.isp_radius_blocked_mode = company_mode
            expected = {
                "daily1": "reject",
                "monthly1": "accept",
                "default1": "reject" if company_mode == "reject" else "accept",
                "active2": "accept",
            }
            for login, outcome in expected.items():
                with self.subTest(login=login, company=company_mode):
                    answer = self.sql_answer(login)
                    self.assertEqual(answer, self.rest_answer(login))
                    self.assertEqual(answer[0], outcome)
                    status, body = self.rest_endpoint(login)
                    self.assertEqual(status, 200 if outcome == "accept" else 401)
                    if login == "active2":
                        self.assertEqual(answer[2]["Mikrotik-Rate-Limit"], "10M/10M")
                    elif outcome == "accept":
                        self.assertEqual(answer[2]["Framed-Pool"], "suspended")
                        self.assertEqual(
                            body["reply:Framed-Pool"]["value"], "suspended"
                        )
                    else:
                        self.assertEqual(answer[1], {"Reply-Message": suspended})
                        self.assertEqual(
                            body["reply:Reply-Message"]["value"], suspended
                        )

    def test_a_status_change_reaches_the_views_in_its_own_transaction(self):
        customer = self.subscriber("move1")
        group = f"isp-profile-{self.profile.id}"
        suspended = f"isp-suspended-{self.company.id}"

        def groups():
            self.env.flush_all()
            self.env.cr.execute(
                "SELECT groupname FROM radius.radusergroup WHERE username = 'move1'"
            )
            return [row[0] for row in self.env.cr.fetchall()]

        self.assertEqual(groups(), [group])
        customer._isp_set_status("blocked", "test", self.today)
        self.assertEqual(groups(), [suspended], "no sync, no commit needed")
        customer._isp_set_status("active", "test", self.today)
        self.assertEqual(groups(), [group])
        customer._isp_set_status("inactive", "test", self.today)
        self.assertEqual(groups(), [])
        self.assertEqual(
            self.sql_answer("move1"), ("reject", {"Reply-Message": "Service deactivated."})
        )

    def test_values_reach_freeradius_as_written(self):
        """Quoted and back-quoted values are wrapped, backslashes doubled, so
        rlm_sql neither unquotes nor expands them (see also the FreeRADIUS
        test below)."""
        customer = self.subscriber("odd1")
        line = customer.isp_contract_ids.contract_line_ids
        cases = {
            "plain": "plain",
            "`%{exec:/bin/true}`": "'`%{exec:/bin/true}`'",
            "'it's'": r"'\'it\'s\''",
            '"q"': "'\"q\"'",
            "a\\b": "a\\\\b",
        }
        for password, stored in cases.items():
            with self.subTest(password=password):
                line.isp_radius_password = password
                self.env.flush_all()
                self.env.cr.execute(
                    "SELECT value FROM radius.radcheck WHERE username = 'odd1'"
                )
                self.assertEqual(self.env.cr.fetchone()[0], stored)

    def test_reply_messages_in_the_subscriber_language(self):
        customer = self.subscriber("lang1", "inactive")
        french = {"Service deactivated.": "Service désactivé."}
        with patch.dict(
            code_translations.python_translations,
            {("isp_prepaid_billing", "fr_FR"): french},
        ):
            self.env["res.lang"]._activate_lang("fr_FR")
        customer.lang = "fr_FR"
        self.assertEqual(
            self.sql_answer("lang1"), ("reject", {"Reply-Message": "Service désactivé."})
        )
        customer.lang = "en_US"
        self.assertEqual(
            self.sql_answer("lang1"), ("reject", {"Reply-Message": "Service deactivated."})
        )

    def test_a_neutralized_copy_gives_freeradius_nothing(self):
        cr = self.env.cr
        role = f"{get_db_name()}_neutral_test"  # gone with the test's transaction
        cr.execute(f'CREATE ROLE "{role}"')
        cr.execute("SELECT radius.isp_grant(%s)", [role])
        privileges = """
            SELECT has_table_privilege(%(role)s, 'radius.radcheck', 'SELECT'),
                   has_table_privilege(%(role)s, 'radius.radacct', 'INSERT'),
                   has_schema_privilege(%(role)s, 'radius', 'USAGE')
        """
        cr.execute(privileges, {"role": role})
        self.assertEqual(cr.fetchone(), (True, True, True))
        for query in get_neutralization_queries(["isp_prepaid_billing"]):
            cr.execute(query)
        cr.execute(privileges, {"role": role})
        self.assertEqual(cr.fetchone(), (False, False, False))

    def test_radacct_rows_become_the_subscriber_sessions(self):
        """FreeRADIUS' stock accounting queries on radacct; the trigger keeps
        one session per Acct-Unique-Session-Id on the subscriber."""
        customer = self.subscriber("acct1")
        cr = self.env.cr
        start = """
            INSERT INTO radius.radacct (AcctSessionId, AcctUniqueId, UserName,
                NASIPAddress, AcctStartTime, AcctUpdateTime, AcctSessionTime,
                AcctInputOctets, AcctOutputOctets, FramedIPAddress)
            VALUES ('S1', %(unique)s, 'acct1', %(nas)s, now(), now(), 0, 0, 0,
                    '10.20.0.9')
            ON CONFLICT (AcctUniqueId) DO UPDATE SET AcctUpdateTime = now()
            WHERE radacct.AcctUniqueId = %(unique)s AND radacct.AcctStopTime IS NULL
        """
        interim = """
            UPDATE radius.radacct SET AcctSessionTime = 300, AcctUpdateTime = now(),
                AcctInputOctets = (1::bigint << 32) + 1000, AcctOutputOctets = 5000
            WHERE AcctUniqueId = 'u1' AND AcctStopTime IS NULL
        """
        stop = """
            UPDATE radius.radacct SET AcctStopTime = now(), AcctUpdateTime = now(),
                AcctSessionTime = 600, AcctInputOctets = 4000, AcctOutputOctets = 9000,
                AcctTerminateCause = 'User-Request'
            WHERE AcctUniqueId = 'u1' AND AcctStopTime IS NULL
        """
        for query in (start, start, interim, interim):
            cr.execute(query, {"unique": "u1", "nas": "127.0.0.1"})
        Session = self.env["isp.radius.session"]
        session = Session.search([("username", "=", "acct1")])
        self.assertEqual(len(session), 1)
        self.assertEqual(
            (session.partner_id, session.contract_line_id, session.company_id),
            (customer, customer.isp_contract_ids.contract_line_ids, self.company),
        )
        self.assertEqual(
            (session.state, session.framed_ip, session.nas_ip), ("open", "10.20.0.9", "127.0.0.1")
        )
        self.assertEqual(session.input_bytes, 2**32 + 1000)
        self.assertIn(session, Session._isp_open_for_address("10.20.0.9"))

        cr.execute(stop)
        cr.execute(interim)  # late: matches no open row
        session.invalidate_recordset()
        self.assertEqual(
            (session.state, session.session_time, session.output_bytes, session.terminate_cause),
            ("closed", 600, 9000, "User-Request"),
        )
        self.assertEqual(Session.search_count([("username", "=", "acct1")]), 1)

        # Accounting-On: the router restarted, its open sessions end.
        cr.execute(start, {"unique": "u2", "nas": "127.0.0.1"})
        cr.execute(
            "UPDATE radius.radacct SET AcctStopTime = now(), "
            "AcctTerminateCause = 'NAS-Reboot' "
            "WHERE AcctStopTime IS NULL AND NASIPAddress = '127.0.0.1'"
        )
        second = Session.search([("unique_id", "=", "u2")])
        self.assertEqual((second.state, second.terminate_cause), ("closed", "NAS-Reboot"))

        # Another router's records stay in radacct only.
        cr.execute(start, {"unique": "u3", "nas": "192.0.2.1"})
        self.assertFalse(Session.search([("unique_id", "=", "u3")]))
        cr.execute("SELECT count(*) FROM radius.radacct WHERE AcctUniqueId = 'u3'")
        self.assertEqual(cr.fetchone()[0], 1)


@tagged("post_install", "-at_install")
class TestRadiusSqlRole(BaseCase):
    """The role FreeRADIUS logs in with, connected as FreeRADIUS connects."""

    def test_the_role_reads_the_views_and_writes_only_accounting(self):
        db = get_db_name()
        role, password = make_radius_role(db)
        values = role_connection_values(db)
        connection = psycopg2.connect(
            host=values["db_host"],
            port=values["db_port"],
            dbname=db,
            user=role,
            password=password,
        )
        self.addCleanup(connection.close)

        def attempt(query):
            """None when ``query`` runs, else the error PostgreSQL raised."""
            with connection.cursor() as cr:
                try:
                    cr.execute(query)
                    return None
                except psycopg2.Error as error:
                    return error
                finally:
                    connection.rollback()

        for view in VIEWS:
            with self.subTest(read=view):
                self.assertIsNone(attempt(f"SELECT * FROM {view} LIMIT 1"), "search_path")
                self.assertIsNone(attempt(f"SELECT * FROM radius.{view} LIMIT 1"))
        self.assertIsNone(
            attempt(
                "INSERT INTO radacct (AcctSessionId, AcctUniqueId, UserName, "
                "NASIPAddress, AcctStartTime) VALUES ('s', 'role-test', 'x', "
                "'192.0.2.1', now()) ON CONFLICT (AcctUniqueId) DO UPDATE "
                "SET AcctUpdateTime = now() WHERE radacct.AcctStopTime IS NULL"
            )
        )
        self.assertIsNone(
            attempt("UPDATE radacct SET AcctStopTime = now() WHERE AcctUniqueId = 'x'")
        )
        refused = [
            "SELECT * FROM radius.isp_login LIMIT 1",
            "SELECT * FROM radius.isp_group_reply LIMIT 1",
            "SELECT * FROM public.res_partner LIMIT 1",
            "SELECT * FROM public.contract_line LIMIT 1",
            "SELECT * FROM public.res_company LIMIT 1",
            "SELECT * FROM public.isp_radius_session LIMIT 1",
            "INSERT INTO radius.radcheck (username, attribute, op, value) "
            "VALUES ('x', 'Cleartext-Password', ':=', 'x')",
            "UPDATE radius.radusergroup SET groupname = 'x'",
            "DELETE FROM radius.radreply",
            "DELETE FROM radius.radacct",
            "TRUNCATE radius.radacct",
            "ALTER TABLE radius.radacct DISABLE TRIGGER ALL",
            "UPDATE public.res_partner SET isp_status = 'active'",
            "INSERT INTO public.isp_radius_session (unique_id, company_id) VALUES ('x', 1)",
            "DELETE FROM public.isp_radius_session",
            "CREATE TABLE radius.mine (id int)",
            "CREATE TABLE public.mine (id int)",
            "CREATE VIEW radius.mine AS SELECT 1",
            f"SELECT radius.isp_grant('{role}')",
        ]
        for query in refused:
            with self.subTest(refused=query):
                self.assertIsNotNone(attempt(query))

        # The catalog agrees: of every table and view, the role may only add
        # and update accounting rows, and it may create nothing.
        with connection.cursor() as cr:
            cr.execute(
                """
                SELECT n.nspname || '.' || c.relname, p.privilege
                  FROM pg_class c
                  JOIN pg_namespace n ON n.oid = c.relnamespace
                 CROSS JOIN unnest(ARRAY['INSERT', 'UPDATE', 'DELETE', 'TRUNCATE',
                                         'REFERENCES', 'TRIGGER']) p (privilege)
                 WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
                   AND n.nspname NOT LIKE 'pg_toast%%'
                   AND c.relkind IN ('r', 'v', 'm', 'p', 'f')
                   AND (has_table_privilege(c.oid, p.privilege)
                        OR (p.privilege IN ('INSERT', 'UPDATE', 'REFERENCES')
                            AND has_any_column_privilege(c.oid, p.privilege)))
                 ORDER BY 1, 2
                """
            )
            self.assertEqual(
                cr.fetchall(),
                [("radius.radacct", "INSERT"), ("radius.radacct", "UPDATE")],
            )
            cr.execute(
                "SELECT has_schema_privilege('public', 'CREATE'), "
                "has_schema_privilege('radius', 'CREATE'), "
                "has_database_privilege(current_database(), 'CREATE')"
            )
            self.assertEqual(cr.fetchone(), (False, False, False))
            connection.rollback()


@tagged("post_install", "-at_install")
class TestRadiusSqlWithFreeRadius(BaseCase):
    """A real FreeRADIUS reads committed billing data through the views as the
    read-only role; radclient plays the router. The records are committed (no
    other process sees the test's transaction) and removed afterwards."""

    def setUp(self):
        super().setUp()
        self.db = get_db_name()
        self.tag = f"sqlfr{secrets.token_hex(3)}"
        role, password = make_radius_role(self.db)
        self.radius = FreeRadius(
            None,
            None,
            None,
            NAS_SECRET,
            sql={
                **role_connection_values(self.db),
                "db_user": role,
                "db_password": password,
            },
        )
        missing = self.radius.missing()
        self.assertFalse(
            missing, f"{missing} is not installed (scripts/run-tests.sh installs it)"
        )
        self.ids = {}
        self.addCleanup(self.remove_records)
        with self.cursor() as env:
            self.seed(env)
        self.radius.start()
        self.addCleanup(self.radius.stop)

    def cursor(self):
        test = self

        class Committed:
            def __enter__(self):
                self.cr = sql_db.db_connect(test.db).cursor()
                return api.Environment(self.cr, SUPERUSER_ID, {})

            def __exit__(self, kind, value, traceback):
                if kind is None:
                    self.cr.commit()
                self.cr.close()

        return Committed()

    def seed(self, env):
        company = env.ref("base.main_company")
        nas = env["isp.radius.nas"].search(
            [("company_id", "=", company.id), ("ip_address", "=", "127.0.0.1")]
        )
        if not nas:
            nas = env["isp.radius.nas"].create(
                {"name": self.tag, "ip_address": "127.0.0.1", "secret": NAS_SECRET}
            )
            self.ids["nas"] = nas.id
        profile = env["isp.network.profile"].create(
            {
                "name": self.tag,
                "company_id": company.id,
                "rate_limit": "20M/100M",
                "ip_pool": "fibre",
                "session_timeout": 86400,
                "extra_attributes": "Acct-Interim-Interval = 300",
            }
        )
        product = env["product.product"].create({"name": self.tag, "type": "service"})
        product.product_tmpl_id.with_company(company).isp_network_profile_id = profile
        self.ids.update(profile=profile.id, product=product.id, partners=[], contracts=[])
        self.logins = {}
        for name, status, password in (
            ("active", "active", "pw-active"),
            ("quoted", "active", "'it's odd'"),
            ("backquoted", "active", "`%{User-Name}`"),
            ("blocked", "blocked", "pw-blocked"),
            ("inactive", "inactive", "pw-inactive"),
        ):
            login = f"{self.tag}-{name}"
            partner = env["res.partner"].create(
                {
                    "name": login,
                    "isp_billing_enabled": True,
                    "isp_billing_type": "prepaid",
                    "isp_company_id": company.id,
                    "isp_status": status,
                }
            )
            contract = env["contract.contract"].create(
                {
                    "name": login,
                    "partner_id": partner.id,
                    "company_id": company.id,
                    "date_start": fields.Date.today(),
                    "contract_line_ids": [
                        Command.create(
                            {
                                "product_id": product.id,
                                "name": login,
                                "quantity": 1,
                                "price_unit": 10.0,
                                "isp_radius_username": login,
                                "isp_radius_password": password,
                            }
                        )
                    ],
                }
            )
            self.ids["partners"].append(partner.id)
            self.ids["contracts"].append(contract.id)
            self.logins[name] = (login, password, partner.id)

    def remove_records(self):
        with self.cursor() as env:
            env.cr.execute(
                "DELETE FROM radius.radacct WHERE username LIKE %s", [f"{self.tag}-%"]
            )
            env["isp.radius.session"].search(
                [("username", "=like", f"{self.tag}-%")]
            ).unlink()
            env["contract.contract"].browse(self.ids.get("contracts", [])).unlink()
            env["res.partner"].browse(self.ids.get("partners", [])).unlink()
            env["product.product"].browse(self.ids.get("product")).unlink()
            env["isp.network.profile"].browse(self.ids.get("profile")).unlink()
            env["isp.radius.nas"].browse(self.ids.get("nas")).unlink()

    def auth(self, name, password=None, chap=False, login=None):
        login = login or self.logins[name][0]
        password = self.logins[name][1] if password is None else password
        return self.radius.radclient(
            "auth",
            {
                "User-Name": f'"{login}"',
                ("CHAP-Password" if chap else "User-Password"): f'"{password}"',
                "NAS-IP-Address": "127.0.0.1",
            },
        )

    def test_accept_suspend_reject_and_account(self):
        code, reply = self.auth("active")
        self.assertEqual(code, "Access-Accept", self.radius.output())
        self.assertEqual(reply.get("Mikrotik-Rate-Limit"), "20M/100M")
        self.assertEqual(reply.get("Framed-Pool"), "fibre")
        self.assertEqual(reply.get("Session-Timeout"), "86400")
        self.assertEqual(reply.get("Acct-Interim-Interval"), "300")
        self.assertNotIn("Cleartext-Password", reply)
        self.assertEqual(self.auth("active", chap=True)[0], "Access-Accept", "CHAP")
        self.assertEqual(self.auth("active", "wrong")[0], "Access-Reject")
        # Passwords FreeRADIUS would otherwise unquote or expand.
        self.assertEqual(self.auth("quoted")[0], "Access-Accept", self.radius.output())
        self.assertEqual(self.auth("quoted", "it's odd")[0], "Access-Reject")
        self.assertEqual(self.auth("backquoted")[0], "Access-Accept")
        self.assertEqual(
            self.auth("backquoted", self.logins["backquoted"][0])[0], "Access-Reject"
        )

        code, reply = self.auth("blocked")
        self.assertEqual(code, "Access-Accept")
        self.assertEqual(reply.get("Framed-Pool"), "suspended")
        self.assertEqual(reply.get("Mikrotik-Address-List"), "blocked")
        self.assertNotIn("Mikrotik-Rate-Limit", reply)

        code, reply = self.auth("inactive")
        self.assertEqual(code, "Access-Reject")
        self.assertEqual(reply.get("Reply-Message"), "Service deactivated.")
        self.assertEqual(self.auth("active", login=f"{self.tag}-nobody")[0], "Access-Reject")

        # A status change reaches FreeRADIUS with its commit.
        with self.cursor() as env:
            env["res.partner"].browse(self.logins["active"][2]).write(
                {"isp_status": "blocked"}
            )
        code, reply = self.auth("active")
        self.assertEqual((code, reply.get("Framed-Pool")), ("Access-Accept", "suspended"))

        login, __, partner_id = self.logins["active"]
        base = {
            "User-Name": f'"{login}"',
            "NAS-IP-Address": "127.0.0.1",
            "Acct-Session-Id": '"81a00001"',
            "Framed-IP-Address": "10.20.0.9",
        }
        interim = {
            "Acct-Status-Type": "Interim-Update",
            "Acct-Session-Time": 300,
            "Acct-Input-Octets": 1000,
            "Acct-Output-Octets": 5000,
        }
        for step in ({"Acct-Status-Type": "Start"}, interim, interim):
            code, __ = self.radius.radclient("acct", {**base, **step})
            self.assertEqual(code, "Accounting-Response", self.radius.output())
        code, __ = self.radius.radclient(
            "acct",
            {
                **base,
                "Acct-Status-Type": "Stop",
                "Acct-Session-Time": 600,
                "Acct-Input-Octets": 4000,
                "Acct-Output-Octets": 9000,
                "Acct-Terminate-Cause": "User-Request",
            },
        )
        self.assertEqual(code, "Accounting-Response")
        self.radius.radclient("acct", {**base, **interim})  # late, changes nothing

        with self.cursor() as env:
            env.cr.execute(
                "SELECT count(*), max(acctsessiontime), max(acctoutputoctets), "
                "bool_and(acctstoptime IS NOT NULL) FROM radius.radacct "
                "WHERE username = %s",
                [login],
            )
            self.assertEqual(env.cr.fetchone(), (1, 600, 9000, True))
            session = env["isp.radius.session"].search([("username", "=", login)])
            self.assertEqual(len(session), 1)
            self.assertEqual(session.partner_id.id, partner_id, "on the subscriber")
            self.assertEqual(
                (session.state, session.session_time, session.output_bytes),
                ("closed", 600, 9000),
            )
            self.assertEqual(
                (session.framed_ip, session.terminate_cause),
                ("10.20.0.9", "User-Request"),
            )
