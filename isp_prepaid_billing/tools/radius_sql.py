# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
"""FreeRADIUS' SQL mode: the tables ``rlm_sql_postgresql`` (FreeRADIUS 3.2,
``mods-config/sql/main/postgresql/schema.sql``) reads, as views of the billing
data in a schema of their own, and the ``radacct`` table it writes.

* ``radcheck``, ``radreply``, ``radusergroup``, ``radgroupcheck`` and
  ``radgroupreply`` are views: they answer from the rows the engine writes, in
  the same transaction, so there is nothing to keep in step. Each login gets the
  answer ``contract.line._isp_radius_decision`` gives over REST: its password
  and the group of its plan's network profile (active), the password and the
  company's suspended group (blocked or paused), or ``Auth-Type := Reject`` and
  a Reply-Message (rejected).
* ``radacct`` is a real table with FreeRADIUS' own columns, so the stock
  accounting queries work unchanged. A trigger copies each row into
  ``isp.radius.session``, where the REST endpoint records them too: the
  subscriber's sessions, the blocked address list, the walled garden and the
  Disconnect-Requests read one model whichever way the session arrived.

FreeRADIUS connects with a role of its own (``data/radius_sql_role.sql``) that
may read the views and write ``radacct``, nothing else; the views run with their
owner's rights, so it never reads a billing table itself.
"""

from odoo.tools import SQL
from odoo.tools.translate import LazyTranslate

_lt = LazyTranslate(__name__)

SCHEMA = "radius"

# The Reply-Message of each refusal, as the REST endpoint words it.
MESSAGES = {
    "disabled": _lt("Access disabled."),
    "ended": _lt("Service ended."),
    "no_service": _lt("No Internet service on this account."),
    "inactive": _lt("Service deactivated."),
    "new": _lt("Service not started yet."),
    "suspended": _lt("Service suspended: please pay to reconnect."),
}
# What FreeRADIUS may read, and what it may write.
READABLE_VIEWS = ("radcheck", "radreply", "radusergroup", "radgroupcheck", "radgroupreply")
WRITABLE_TABLE = "radacct"


# rlm_sql reads a value as FreeRADIUS reads a string: backslash sequences are
# unescaped, and a value wholly enclosed in quotes is unquoted, or expanded
# when they are back-quotes. Values are written so that FreeRADIUS gets the
# text itself: backslashes doubled, and a value enclosed in quotes wrapped in
# single quotes (a password "`%{exec:...}`" stays text).
def _literal(expression):
    escaped = rf"replace({expression}, '\', '\\')"
    return rf"""CASE
        WHEN left({escaped}, 1) IN ('"', '''', '`')
             AND right({escaped}, 1) = left({escaped}, 1)
        THEN '''' || replace({escaped}, '''', '\''') || ''''
        ELSE {escaped} END"""


# The decision of contract.line._isp_radius_decision for one service line on
# today's date (UTC, as the REST endpoint's), in SQL. A PL/pgSQL function so
# that each FreeRADIUS connection plans it once: planned per query, as a view,
# it cost more than the whole answer. It runs with its owner's rights, as the
# views do.
LOGIN_FUNCTION = f"""
CREATE OR REPLACE FUNCTION {SCHEMA}.isp_login_of(line integer)
RETURNS TABLE (password text, lang text, decision text, profile_id integer, message text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
#variable_conflict use_column
BEGIN
RETURN QUERY
SELECT COALESCE(l.isp_radius_password, '')::text,
       COALESCE(p.lang, 'en_US')::text,
       verdict.value,
       COALESCE(
           -- res.partner throttled before a block: the throttle profile
           CASE WHEN p.isp_throttled_since IS NOT NULL THEN p.isp_throttle_profile_id END,
           profile.id
       ),
       (SELECT m.message
          FROM {SCHEMA}.isp_message m
         WHERE m.code = replace(verdict.value, 'suspended_reject', 'suspended')
           AND m.lang IN (COALESCE(p.lang, 'en_US'), 'en_US')
         ORDER BY m.lang = 'en_US'
         LIMIT 1)
  FROM contract_line l
  JOIN contract_contract c ON c.id = l.contract_id
  JOIN res_partner cp ON cp.id = c.partner_id
  JOIN res_partner p ON p.id = cp.commercial_partner_id
  JOIN res_company co ON co.id = c.company_id
 CROSS JOIN LATERAL (SELECT (now() AT TIME ZONE 'UTC')::date AS today) day
 -- res.partner._isp_service_state: "paused" when every running subscription
 -- is past its end or paused on request today
 CROSS JOIN LATERAL (
     SELECT CASE
         WHEN p.isp_status IN ('active', 'new')
              AND EXISTS (
                  SELECT 1 FROM contract_contract s
                   WHERE s.commercial_partner_id = p.id AND s.active AND s.isp_managed)
              AND NOT EXISTS (
                  SELECT 1 FROM contract_contract s
                   WHERE s.commercial_partner_id = p.id AND s.active AND s.isp_managed
                     AND (s.date_end IS NULL OR s.date_end >= day.today)
                     AND NOT EXISTS (
                         SELECT 1 FROM isp_service_change pause
                          WHERE pause.contract_id = s.id
                            AND pause.kind = 'pause' AND pause.state = 'done'
                            AND pause.date <= day.today AND day.today <= pause.date_to))
         THEN 'paused'
         ELSE p.isp_status::text
     END AS value
     OFFSET 0  -- computed once, not inlined in each test below
 ) state
 -- contract.line._isp_in_effect: a plan ordered for a later day leaves the
 -- one it replaces in effect until then
 CROSS JOIN LATERAL (
     WITH RECURSIVE chain AS (
         SELECT l.product_id, l.isp_replaces_line_id, l.isp_service_from, 0 AS depth
         UNION ALL
         SELECT r.product_id, r.isp_replaces_line_id, r.isp_service_from, chain.depth + 1
           FROM chain
           JOIN contract_line r ON r.id = chain.isp_replaces_line_id
          WHERE chain.isp_service_from > day.today AND chain.depth < 100
     )
     SELECT product_id FROM chain ORDER BY depth DESC LIMIT 1
 ) effect
  LEFT JOIN product_product pp ON pp.id = effect.product_id
  LEFT JOIN product_template pt ON pt.id = pp.product_tmpl_id
 -- the plan's network profile: the company's value of the product, else the
 -- field's default
 CROSS JOIN LATERAL (
     SELECT COALESCE(
         (pt.isp_network_profile_id ->> co.id::text)::integer,
         (SELECT d.json_value::integer
            FROM ir_default d
            JOIN ir_model_fields f ON f.id = d.field_id
           WHERE f.model = 'product.template'
             AND f.name = 'isp_network_profile_id'
             AND d.user_id IS NULL
             AND d.condition IS NULL
             AND (d.company_id IS NULL OR d.company_id = co.id)
           ORDER BY d.company_id, d.id
           LIMIT 1)
     ) AS id
 ) profile
  LEFT JOIN isp_network_profile np ON np.id = profile.id
 CROSS JOIN LATERAL (
     SELECT CASE
         WHEN l.isp_radius_disabled OR NOT c.active OR l.is_canceled THEN 'disabled'
         WHEN c.isp_cancel_date < day.today THEN 'ended'
         WHEN NOT COALESCE(p.isp_billing_enabled, false) THEN 'no_service'
         WHEN state.value = 'inactive' THEN 'inactive'
         WHEN state.value = 'new' THEN 'new'
         -- isp.network.profile._isp_blocked_mode: the plan's profile, else
         -- the company
         WHEN state.value IN ('blocked', 'paused')
              AND COALESCE(NULLIF(np.blocked_mode, 'company'),
                           co.isp_radius_blocked_mode) = 'reject'
         THEN 'suspended_reject'
         WHEN state.value IN ('blocked', 'paused') THEN 'suspended'
         ELSE 'active'
     END AS value
     OFFSET 0
 ) verdict
 WHERE l.id = line;
END
$$;
REVOKE ALL ON FUNCTION {SCHEMA}.isp_login_of(integer) FROM PUBLIC;
"""

# One row per network login and its decision.
LOGIN_VIEW = f"""
CREATE VIEW {SCHEMA}.isp_login AS
SELECT l.id AS line_id,
       l.company_id,
       l.isp_radius_username::text AS username,
       login.password,
       login.lang,
       login.decision,
       login.profile_id,
       login.message
  FROM contract_line l
 CROSS JOIN LATERAL {SCHEMA}.isp_login_of(l.id) login
 WHERE l.isp_radius_username IS NOT NULL
   AND l.active
"""

# The reply attributes of each network profile (isp.network.profile.
# _reply_attributes) and of each company's suspended group; ids order them as
# FreeRADIUS applies them, so an extra attribute overrides a standard one.
GROUP_REPLY_ROWS = f"""
CREATE VIEW {SCHEMA}.isp_group_reply AS
SELECT pr.id * 1000 + a.n AS id,
       'isp-profile-' || pr.id AS groupname,
       a.attribute,
       a.value
  FROM isp_network_profile pr
 CROSS JOIN LATERAL (
     VALUES (1, 'Mikrotik-Rate-Limit', NULLIF(pr.rate_limit, '')),
            (2, 'Framed-Pool', NULLIF(pr.ip_pool, '')),
            (3, 'Mikrotik-Address-List', NULLIF(pr.address_list, '')),
            (4, 'Session-Timeout', NULLIF(pr.session_timeout, 0)::text)
 ) a (n, attribute, value)
 WHERE a.value IS NOT NULL
UNION ALL
SELECT pr.id * 1000 + 10 + extra.n::integer,
       'isp-profile-' || pr.id,
       btrim(split_part(extra.line, '=', 1), E' \\t\\r\\n\\f\\x0B'),
       btrim(substr(extra.line, strpos(extra.line, '=') + 1), E' \\t\\r\\n\\f\\x0B')
  FROM isp_network_profile pr
 CROSS JOIN LATERAL regexp_split_to_table(
     COALESCE(pr.extra_attributes, ''), E'\\r\\n|\\n|\\r'
 ) WITH ORDINALITY extra (line, n)
 WHERE strpos(extra.line, '=') > 0
   AND extra.n < 990
UNION ALL
SELECT -(co.id * 1000 + a.n),
       'isp-suspended-' || co.id,
       a.attribute,
       a.value
  FROM res_company co
 CROSS JOIN LATERAL (
     VALUES (1, 'Framed-Pool', NULLIF(co.isp_radius_suspended_pool, '')),
            (2, 'Mikrotik-Address-List', NULLIF(co.isp_radius_blocked_list, ''))
 ) a (n, attribute, value)
 WHERE a.value IS NOT NULL
"""

FREERADIUS_VIEWS = f"""
CREATE VIEW {SCHEMA}.radcheck WITH (security_barrier) AS
SELECT line_id AS id,
       username,
       CASE WHEN decision IN ('active', 'suspended')
            THEN 'Cleartext-Password' ELSE 'Auth-Type' END AS attribute,
       ':='::varchar(2) AS op,
       CASE WHEN decision IN ('active', 'suspended')
            THEN {_literal("password")} ELSE 'Reject' END AS value,
       company_id
  FROM {SCHEMA}.isp_login;

CREATE VIEW {SCHEMA}.radreply WITH (security_barrier) AS
SELECT line_id AS id,
       username,
       'Reply-Message'::text AS attribute,
       ':='::varchar(2) AS op,
       {_literal("message")} AS value,
       company_id
  FROM {SCHEMA}.isp_login
 WHERE decision <> 'active';

CREATE VIEW {SCHEMA}.radusergroup WITH (security_barrier) AS
SELECT line_id AS id,
       username,
       CASE WHEN decision = 'suspended' THEN 'isp-suspended-' || company_id
            ELSE 'isp-profile-' || profile_id END AS groupname,
       1 AS priority,
       company_id
  FROM {SCHEMA}.isp_login
 WHERE decision = 'suspended'
    OR (decision = 'active' AND profile_id IS NOT NULL);

CREATE VIEW {SCHEMA}.radgroupcheck WITH (security_barrier) AS
SELECT NULL::integer AS id,
       NULL::text AS groupname,
       NULL::text AS attribute,
       NULL::varchar(2) AS op,
       NULL::text AS value
 WHERE false;

CREATE VIEW {SCHEMA}.radgroupreply WITH (security_barrier) AS
SELECT id,
       groupname,
       attribute,
       ':='::varchar(2) AS op,
       {_literal("value")} AS value
  FROM {SCHEMA}.isp_group_reply;
"""

# FreeRADIUS 3.2's radacct, as schema.sql creates it.
RADACCT = f"""
CREATE TABLE IF NOT EXISTS {SCHEMA}.radacct (
    RadAcctId           bigserial PRIMARY KEY,
    AcctSessionId       text NOT NULL,
    AcctUniqueId        text NOT NULL UNIQUE,
    UserName            text,
    Realm               text,
    NASIPAddress        inet NOT NULL,
    NASPortId           text,
    NASPortType         text,
    AcctStartTime       timestamp with time zone,
    AcctUpdateTime      timestamp with time zone,
    AcctStopTime        timestamp with time zone,
    AcctInterval        bigint,
    AcctSessionTime     bigint,
    AcctAuthentic       text,
    ConnectInfo_start   text,
    ConnectInfo_stop    text,
    AcctInputOctets     bigint,
    AcctOutputOctets    bigint,
    CalledStationId     text,
    CallingStationId    text,
    AcctTerminateCause  text,
    ServiceType         text,
    FramedProtocol      text,
    FramedIPAddress     inet,
    FramedIPv6Address   inet,
    FramedIPv6Prefix    inet,
    FramedInterfaceId   text,
    DelegatedIPv6Prefix inet,
    Class               text
);
CREATE INDEX IF NOT EXISTS radacct_active_session_idx
    ON {SCHEMA}.radacct (AcctUniqueId) WHERE AcctStopTime IS NULL;
CREATE INDEX IF NOT EXISTS radacct_bulk_close
    ON {SCHEMA}.radacct (NASIPAddress, AcctStartTime) WHERE AcctStopTime IS NULL;
CREATE INDEX IF NOT EXISTS radacct_start_user_idx
    ON {SCHEMA}.radacct (AcctStartTime, UserName);
CREATE INDEX IF NOT EXISTS radacct_calss_idx ON {SCHEMA}.radacct (Class);
"""

# Each radacct row written becomes the subscriber's isp.radius.session, as
# isp.radius.session._isp_record stores the REST endpoint's: once per
# session, counters only grow, a stop closes it for good. The router (its
# NAS-IP-Address among the active routers) gives the company, then the login
# the service. It runs with the owner's rights (FreeRADIUS' role cannot write
# sessions) and a fixed search_path.
RADACCT_TRIGGER = f"""
CREATE OR REPLACE FUNCTION {SCHEMA}.isp_radacct_session() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    nas_company integer;
    service record;
    stamp timestamp := now() AT TIME ZONE 'UTC';
BEGIN
    -- a router shared by companies: the one that has this login
    SELECT n.company_id INTO nas_company
      FROM isp_radius_nas n
     WHERE n.ip_address = host(NEW.nasipaddress) AND n.active
     ORDER BY EXISTS (
                  SELECT 1 FROM contract_line l
                   WHERE l.company_id = n.company_id
                     AND l.isp_radius_username = NEW.username AND l.active) DESC,
              n.id
     LIMIT 1;
    IF nas_company IS NULL THEN
        RETURN NULL;  -- not one of our routers: kept in radacct only
    END IF;
    SELECT l.id AS line_id, cp.commercial_partner_id AS partner_id INTO service
      FROM contract_line l
      JOIN contract_contract c ON c.id = l.contract_id
      JOIN res_partner cp ON cp.id = c.partner_id
     WHERE l.company_id = nas_company
       AND l.isp_radius_username = NEW.username
       AND l.active
     LIMIT 1;
    INSERT INTO isp_radius_session AS s (
        unique_id, company_id, contract_line_id, partner_id, username,
        session_id, nas_ip, framed_ip, start_time, last_update, stop_time,
        session_time, input_bytes, output_bytes, terminate_cause, state,
        create_uid, create_date, write_uid, write_date)
    VALUES (
        NEW.acctuniqueid, nas_company, service.line_id, service.partner_id,
        NEW.username, NEW.acctsessionid, host(NEW.nasipaddress),
        host(NEW.framedipaddress),
        COALESCE(NEW.acctstarttime AT TIME ZONE 'UTC', stamp), stamp,
        CASE WHEN NEW.acctstoptime IS NOT NULL THEN stamp END,
        LEAST(GREATEST(COALESCE(NEW.acctsessiontime, 0), 0), 2147483647),
        COALESCE(NEW.acctinputoctets, 0), COALESCE(NEW.acctoutputoctets, 0),
        CASE WHEN NEW.acctstoptime IS NOT NULL
             THEN NULLIF(NEW.acctterminatecause, '') END,
        CASE WHEN NEW.acctstoptime IS NULL THEN 'open' ELSE 'closed' END,
        1, stamp, 1, stamp)
    ON CONFLICT (company_id, unique_id) DO UPDATE SET
        framed_ip = COALESCE(EXCLUDED.framed_ip, s.framed_ip),
        last_update = EXCLUDED.last_update,
        session_time = GREATEST(EXCLUDED.session_time, s.session_time),
        input_bytes = GREATEST(EXCLUDED.input_bytes, s.input_bytes),
        output_bytes = GREATEST(EXCLUDED.output_bytes, s.output_bytes),
        stop_time = COALESCE(s.stop_time, EXCLUDED.stop_time),
        terminate_cause = COALESCE(s.terminate_cause, EXCLUDED.terminate_cause),
        state = CASE WHEN s.state = 'closed' THEN 'closed' ELSE EXCLUDED.state END,
        write_date = EXCLUDED.write_date;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION {SCHEMA}.isp_radacct_session() FROM PUBLIC;
CREATE OR REPLACE TRIGGER isp_radacct_session
    AFTER INSERT OR UPDATE ON {SCHEMA}.radacct
    FOR EACH ROW EXECUTE FUNCTION {SCHEMA}.isp_radacct_session();
"""

# The rights of FreeRADIUS' role, given by data/radius_sql_role.sql and again
# each time the views are rebuilt: read the views, write accounting. SELECT on
# radacct because the stock UPDATE ... WHERE AcctUniqueId = ... reads it.
GRANT_FUNCTION = f"""
CREATE OR REPLACE FUNCTION {SCHEMA}.isp_grant(role name) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    EXECUTE format('GRANT USAGE ON SCHEMA {SCHEMA} TO %I', role);
    EXECUTE format('GRANT SELECT ON {", ".join(f"{SCHEMA}.{view}" for view in READABLE_VIEWS)} TO %I', role);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE ON {SCHEMA}.{WRITABLE_TABLE} TO %I', role);
    EXECUTE format('GRANT USAGE ON SEQUENCE {SCHEMA}.radacct_radacctid_seq TO %I', role);
    -- called by the views as the reader; it runs with its owner's rights
    EXECUTE format('GRANT EXECUTE ON FUNCTION {SCHEMA}.isp_login_of(integer) TO %I', role);
END
$$;
REVOKE ALL ON FUNCTION {SCHEMA}.isp_grant(name) FROM PUBLIC;
"""


def _grantees(cr):
    """Roles other than the owner that were given the views."""
    cr.execute(
        """
        SELECT DISTINCT pg_get_userbyid(acl.grantee)
          FROM pg_class c
          JOIN pg_namespace n ON n.oid = c.relnamespace,
               aclexplode(c.relacl) acl
         WHERE n.nspname = %s AND c.relname = 'radcheck'
           AND acl.grantee <> c.relowner AND acl.grantee <> 0
        """,
        [SCHEMA],
    )
    return [row[0] for row in cr.fetchall()]


def refresh_messages(env):
    """The Reply-Messages in every installed language (the view picks the
    subscriber's): rebuilt when a language is installed."""
    rows = [
        SQL("(%s, %s, %s)", lang, code, env(context={"lang": lang})._(message))
        for lang in sorted({"en_US", *(code for code, __ in env["res.lang"].get_installed())})
        for code, message in MESSAGES.items()
    ]
    env.cr.execute(
        SQL(
            "CREATE OR REPLACE VIEW %s.isp_message (lang, code, message) AS VALUES %s",
            SQL.identifier(SCHEMA),
            SQL(", ").join(rows),
        )
    )


def refresh(env):
    """(Re)build the schema FreeRADIUS reads: on install and on each update of
    the module. The views are dropped and created again, so a new version may
    change them; radacct and its rows stay; roles given the views get them
    back."""
    cr = env.cr
    cr.execute(SQL("CREATE SCHEMA IF NOT EXISTS %s", SQL.identifier(SCHEMA)))
    grantees = _grantees(cr)
    for view in (*READABLE_VIEWS, "isp_group_reply", "isp_login", "isp_message"):
        cr.execute(
            SQL("DROP VIEW IF EXISTS %s CASCADE", SQL.identifier(SCHEMA, view))
        )
    cr.execute(
        SQL("DROP FUNCTION IF EXISTS %s CASCADE", SQL.identifier(SCHEMA, "isp_login_of"))
    )
    refresh_messages(env)
    for statement in (LOGIN_FUNCTION, LOGIN_VIEW, GROUP_REPLY_ROWS, FREERADIUS_VIEWS, RADACCT):
        cr.execute(statement)
    cr.execute(RADACCT_TRIGGER)
    cr.execute(GRANT_FUNCTION)
    for role in grantees:
        cr.execute(SQL("SELECT %s.isp_grant(%s)", SQL.identifier(SCHEMA), role))


def drop(env):
    """What the module's uninstallation leaves: radacct and its rows, without
    the trigger that fed the sessions."""
    cr = env.cr
    for view in (*READABLE_VIEWS, "isp_group_reply", "isp_login", "isp_message"):
        cr.execute(
            SQL("DROP VIEW IF EXISTS %s CASCADE", SQL.identifier(SCHEMA, view))
        )
    for function in ("isp_login_of", "isp_radacct_session"):
        cr.execute(
            SQL("DROP FUNCTION IF EXISTS %s CASCADE", SQL.identifier(SCHEMA, function))
        )
