-- A copied (neutralized) database must not act on the real network nor write to
-- real subscribers: its routers are switched off, queued Disconnect-Requests and
-- customer notifications are dropped, and its RADIUS API credentials removed.
UPDATE isp_radius_nas
   SET active = false;
UPDATE isp_radius_disconnect
   SET state = 'failed', last_error = 'neutralized database'
 WHERE state = 'pending';
UPDATE isp_notification
   SET state = 'failed', error = 'neutralized database'
 WHERE state = 'pending';
UPDATE res_company
   SET isp_radius_api_user = NULL, isp_radius_api_key = NULL;
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
