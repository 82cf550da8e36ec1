# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
"""Customer billing notifications: queued once per event, sent by a cron.

Queuing is one INSERT that does nothing when the event's key is already there,
so re-running a job or a billing run never sends twice. Sending renders the
event's mail template on its document and posts it in the customer's chatter,
which e-mails the customer.
"""

import base64
import logging

from dateutil.relativedelta import relativedelta

from odoo import _, api, fields, models
from odoo.tools import SQL

from ..tools import billing_jobs
from .res_company import NOTIFICATION_EVENTS

_logger = logging.getLogger(__name__)

# Events about an invoice to pay: pointless once it is paid.
INVOICE_EVENTS = ("invoice", "reminder", "overdue")


class IspNotification(models.Model):
    _name = "isp.notification"
    _description = "ISP billing notification"
    _order = "id desc"

    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, index=True
    )
    company_id = fields.Many2one("res.company", required=True)
    event = fields.Selection(NOTIFICATION_EVENTS, required=True)
    res_model = fields.Char(string="Document Model", required=True)
    res_id = fields.Many2oneReference(
        string="Document", model_field="res_model", required=True
    )
    key = fields.Char(required=True, help="Identifies the event: it is notified once.")
    state = fields.Selection(
        [
            ("pending", "Pending"),
            ("sent", "Sent"),
            ("skipped", "Not Needed"),
            ("failed", "Failed"),
        ],
        default="pending",
        required=True,
    )
    message_id = fields.Many2one("mail.message", readonly=True)
    error = fields.Text(readonly=True)

    _sql_constraints = [("key_unique", "unique(key)", "Each event is notified once.")]

    @api.model
    def _isp_wants(self, event, partner):
        partner = partner.commercial_partner_id
        company = partner.isp_company_id or self.env.company
        return (
            partner.isp_billing_enabled
            and partner.isp_send_notifications
            and company._isp_notifies(event)
        )

    @api.model
    def _isp_queue(self, event, partner, record, key, force=False):
        """Queue ``event`` about ``record`` for ``partner`` unless its ``key`` was
        queued before (or notifications are off). Returns the new notification."""
        if force:
            key = f"{key}:manual:{fields.Datetime.now().isoformat()}"
        return self._isp_queue_many([(event, partner, record, key)], force=force)

    @api.model
    def _isp_queue_many(self, events, force=False):
        """Queue many ``(event, partner, record, key)`` in one statement; keys
        queued before are skipped. Returns the new notifications."""
        rows = []
        for event, partner, record, key in events:
            partner = partner.commercial_partner_id
            if not force and not self._isp_wants(event, partner):
                continue
            company = partner.isp_company_id or self.env.company
            rows.append(
                SQL(
                    "(%s, %s, %s, %s, %s, %s, 'pending', %s, %s, "
                    "now() at time zone 'UTC', now() at time zone 'UTC')",
                    partner.id,
                    company.id,
                    event,
                    record._name,
                    record.id,
                    key,
                    self.env.uid,
                    self.env.uid,
                )
            )
        if not rows:
            return self.browse()
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO isp_notification
                       (partner_id, company_id, event, res_model, res_id, key, state,
                        create_uid, write_uid, create_date, write_date)
                VALUES %s
                ON CONFLICT (key) DO NOTHING
                RETURNING id
                """,
                SQL(", ").join(rows),
            )
        )
        return self.browse([row[0] for row in self.env.cr.fetchall()])

    # === SENDING === #

    def _isp_send(self):
        pending = self.filtered(lambda n: n.state == "pending")
        if self.env["ir.config_parameter"].sudo().get_param("database.is_neutralized"):
            # A copy of the database (data/neutralize.sql) writes to no subscriber.
            pending.write({"state": "failed", "error": "neutralized database"})
            return
        settled = pending.filtered(lambda n: n._isp_document_settled())
        settled.write({"state": "skipped"})
        for notification in pending - settled:
            try:
                with self.env.cr.savepoint():
                    notification._isp_send_one()
            except Exception as error:  # noqa: BLE001 - kept on the row for staff
                _logger.exception(
                    "Could not send ISP notification %s", notification.key
                )
                notification.write({"state": "failed", "error": str(error)})

    def _isp_document_settled(self):
        """Whether the invoice this notification asks to pay was paid (or
        cancelled) since it was queued: e.g. a prepaid charge the balance paid
        at once. Nobody is asked to pay what is paid."""
        self.ensure_one()
        if self.event not in INVOICE_EVENTS or self.res_model != "account.move":
            return False
        invoice = self.env["account.move"].browse(self.res_id).exists()
        return not invoice or (
            invoice.state != "posted"
            or invoice.payment_state in ("paid", "in_payment", "reversed")
        )

    def _isp_send_one(self):
        self.ensure_one()
        template = self.env.ref(f"isp_prepaid_billing.mail_template_isp_{self.event}")
        record = self.env[self.res_model].browse(self.res_id)
        lang = template._render_lang(record.ids)[record.id]
        values = template.with_context(lang=lang)._generate_template(
            record.ids,
            ["subject", "body_html", "report_template_ids", "attachment_ids"],
        )[record.id]
        attachments = [
            (name, base64.b64decode(content))
            for name, content in values.get("attachments", [])
        ]
        message = self.partner_id.with_context(
            mail_notify_force_send=False
        ).message_post(
            body=values["body_html"],
            subject=values["subject"],
            partner_ids=self.partner_id.ids,
            attachments=attachments,
            attachment_ids=values.get("attachment_ids", []),
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
            email_layout_xmlid="mail.mail_notification_light",
        )
        self.write({"state": "sent", "message_id": message.id})

    # === EVENTS FOUND BY DATE === #

    @api.model
    def _isp_queue_due_events(self, date):
        """Reminders, overdue invoices and low prepaid balances as of ``date``."""
        Move = self.env["account.move"]
        open_invoices = Move.search(
            [
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("isp_is_billing", "=", True),
                ("payment_state", "in", ("not_paid", "partial")),
                ("invoice_date_due", "!=", False),
            ]
        )
        events = self._isp_overdue_events(
            open_invoices.filtered(lambda inv: inv.invoice_date_due < date), date
        )
        for invoice in open_invoices:
            company = invoice.company_id
            due = invoice.invoice_date_due
            if due < date:
                continue
            elif (
                due <= date + relativedelta(days=company.isp_reminder_days)
                and company.isp_reminder_days
            ):
                events.append(
                    ("reminder", invoice.partner_id, invoice, f"reminder:{invoice.id}")
                )
        self._isp_queue_many(events)
        self._isp_queue_low_balances(date)

    @api.model
    def _isp_overdue_events(self, overdue, date):
        """One overdue notice per customer and day, about the oldest overdue
        invoice not notified yet: each invoice is notified once, and a customer
        with several is not sent several e-mails at once."""
        notified = set(
            self.search(
                [
                    ("event", "=", "overdue"),
                    ("res_model", "=", "account.move"),
                    ("res_id", "in", overdue.ids),
                ]
            ).mapped("res_id")
        )
        events = []
        by_customer = overdue.filtered(lambda inv: inv.id not in notified).grouped(
            "commercial_partner_id"
        )
        for customer, invoices in by_customer.items():
            oldest = invoices.sorted(lambda inv: (inv.invoice_date_due, inv.id))[0]
            key = f"overdue:{customer.id}:{fields.Date.to_string(date)}"
            events.append(("overdue", customer, oldest, key))
        return events

    @api.model
    def _isp_queue_low_balances(self, date):
        prepaid = self.env["res.partner"].search(
            [
                ("isp_billing_enabled", "=", True),
                ("isp_billing_type", "=", "prepaid"),
                ("isp_status", "=", "active"),
                ("isp_next_charge_date", ">", date),
            ]
        )
        events = []
        for partner in prepaid:
            company = partner.isp_company_id or self.env.company
            next_charge = partner.isp_next_charge_date
            if next_charge - relativedelta(days=company.isp_low_balance_days) > date:
                continue
            __, coming, amount = partner._isp_next_charge()
            if coming and not partner._isp_has_funds_for(amount):
                events.append(
                    (
                        "low_balance",
                        partner,
                        partner,
                        f"low_balance:{partner.id}:{next_charge}",
                    )
                )
        self._isp_queue_many(events)

    @api.model
    def _cron_isp_notify(self, date=None, batch_size=200):
        """Find date-driven events, then send what is pending, committing per
        batch, or one job per batch with a job runner (queue_job)."""
        date = fields.Date.to_date(date) or fields.Date.context_today(self)
        self._isp_queue_due_events(date)
        pending = self.search([("state", "=", "pending")], order="id")
        if billing_jobs.use_jobs(self.env):
            return self._isp_enqueue_sending(pending, batch_size)
        for index in range(0, len(pending), batch_size):
            pending[index : index + batch_size]._isp_send()
            if self.env.context.get("cron_id"):
                self.env["ir.cron"]._notify_progress(
                    done=index + batch_size,
                    remaining=max(len(pending) - index - batch_size, 0),
                )
                self.env.cr.commit()

    @api.model
    def _isp_enqueue_sending(self, pending, batch_size):
        # Jobs of an earlier round still to run will send what they hold; the
        # rest waits for the next round rather than being enqueued twice.
        prefix = "isp_billing:notify:"
        if not pending or billing_jobs.unfinished(self.env, prefix):
            return
        for index in range(0, len(pending), batch_size):
            batch = pending[index : index + batch_size]
            self.with_delay(
                description=_(
                    "Send %(count)s customer notifications", count=len(batch)
                ),
                identity_key=f"{prefix}{batch[0].id}-{batch[-1].id}",
            )._isp_job_send(batch.ids)
        self.env["ir.cron"]._notify_progress(done=len(pending), remaining=0)

    @api.model
    def _isp_job_send(self, notification_ids):
        """One job: send the notifications ``notification_ids`` still pending;
        rows another job is sending are skipped, so none is sent twice."""
        self.env.cr.execute(
            SQL(
                "SELECT id FROM isp_notification WHERE id = ANY(%s) AND state = 'pending' "
                "ORDER BY id FOR NO KEY UPDATE SKIP LOCKED",
                list(notification_ids),
            )
        )
        notifications = self.browse([row[0] for row in self.env.cr.fetchall()])
        notifications._isp_send()
        return _("%(count)s notifications handled", count=len(notifications))
