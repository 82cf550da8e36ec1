-- A copied (neutralized) database (`odoo neutralize`, or a duplicate or restore with
-- "neutralize") must not act on the real network nor write to real subscribers.
-- Odoo's own scripts already switch every cron and mail server off and disable the
-- payment providers that are not in test mode; this one covers what this module adds.

-- The flag Odoo's base module sets too: with it, router requests and notifications
-- are never sent (isp.radius.disconnect._isp_send_one, isp.notification._isp_send),
-- even when someone switches a router or a cron back on in the copy.
INSERT INTO ir_config_parameter (key, value)
VALUES ('database.is_neutralized', true)
    ON CONFLICT (key) DO
       UPDATE SET value = true;

-- The crons that talk to the outside: RADIUS Disconnect/CoA requests to routers,
-- dated plan changes and pauses (CoA to routers), customer notifications.
UPDATE ir_cron
   SET active = false
 WHERE id IN (
       SELECT res_id
         FROM ir_model_data
        WHERE module = 'isp_prepaid_billing'
          AND model = 'ir.cron'
          AND name IN ('ir_cron_isp_disconnect', 'ir_cron_isp_notify',
                       'ir_cron_isp_service_change')
);

-- Routers: switched off, no CoA, and a shared secret no real router knows, so
-- that even a router switched back on would drop what the copy signs.
UPDATE isp_radius_nas
   SET active = false,
       supports_coa = false,
       secret = 'neutralized-' || md5(random()::text);

-- What was waiting to be sent is dropped.
UPDATE isp_radius_disconnect
   SET state = 'failed', last_error = 'neutralized database'
 WHERE state = 'pending';
UPDATE isp_notification
   SET state = 'failed', error = 'neutralized database'
 WHERE state = 'pending';

-- FreeRADIUS cannot use the copy: its API credentials are removed.
UPDATE res_company
   SET isp_radius_api_user = NULL, isp_radius_api_key = NULL;

-- Online payments: Odoo's payment module disables the providers. Subscribers'
-- payments still waiting for their provider (top-ups, payments in advance,
-- reactivations, proformas, plan changes) are cancelled, so the copy never
-- captures, books or serves money that the real database is handling.
UPDATE payment_transaction
   SET state = 'cancel', state_message = 'neutralized database'
 WHERE isp_purpose IS NOT NULL
   AND state IN ('draft', 'pending', 'authorized');

-- FreeRADIUS' role (SQL mode) loses the copy's radius schema: it must not
-- authorize logins nor write accounting from a copy.
DO $$
DECLARE
    reader name;
BEGIN
    FOR reader IN
        SELECT DISTINCT pg_get_userbyid(acl.grantee)
          FROM pg_class c
          JOIN pg_namespace n ON n.oid = c.relnamespace,
               aclexplode(c.relacl) acl
         WHERE n.nspname = 'radius'
           AND acl.grantee <> c.relowner AND acl.grantee <> 0
    LOOP
        EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA radius FROM %I', reader);
        EXECUTE format('REVOKE ALL ON ALL SEQUENCES IN SCHEMA radius FROM %I', reader);
        EXECUTE format('REVOKE ALL ON ALL FUNCTIONS IN SCHEMA radius FROM %I', reader);
        EXECUTE format('REVOKE ALL ON SCHEMA radius FROM %I', reader);
    END LOOP;
END
$$;
