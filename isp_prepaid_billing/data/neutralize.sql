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
