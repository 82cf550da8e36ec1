# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
"""The blocked and deactivated e-mails speak to the subscriber.

Up to 18.0.1.0.0 they quoted the staff reason (``isp_status_reason``); they now
show the portal's explanation (``res.partner._isp_mail_explanation``). The
templates are ``noupdate`` data, so an update does not reload them: this script
gives an existing database the new body, read from ``data/mail_template_data.xml``,
but only where every language still holds the body we shipped. A template
someone edited is left alone, with a warning naming it.

Why a migration script and not a ``<function>`` in the data files: it runs once,
when a database moves past 18.0.1.0.1 with ``-u``, which is what this one-time
change of shipped data is; a ``<function>`` would run on every update for ever.
"""

import logging
import re

from lxml import etree

from odoo import SUPERUSER_ID, api
from odoo.modules.module import get_module_path

_logger = logging.getLogger(__name__)

MODULE = "isp_prepaid_billing"
# The bodies 18.0.1.0.0 shipped, exactly as in its data file.
SHIPPED = {
    "mail_template_isp_blocked": (
        '<div><p>Dear <t t-out="object.name"/>,</p><p>Your Internet service was '
        'blocked on <t t-out="format_date(object.isp_status_date)"/>: <t '
        't-out="object.isp_status_reason"/>. Your balance is <strong '
        't-out="format_amount(object.isp_balance, object.isp_currency_id)"/>. '
        "Pay to reactivate it at once.</p></div>"
    ),
    "mail_template_isp_deactivated": (
        '<div><p>Dear <t t-out="object.name"/>,</p><p>Your Internet service was '
        'deactivated on <t t-out="format_date(object.isp_status_date)"/> after '
        'staying blocked: <t t-out="object.isp_status_reason"/>. Contact us to '
        "resume it.</p></div>"
    ),
}


def as_loaded(markup):
    """``markup`` (the content of a ``<field type="html">``) as Odoo's data
    loader turns it into a value (``odoo.tools.convert``: each child element
    serialised as HTML)."""
    field = etree.fromstring(f"<field>{markup}</field>")
    return "".join(etree.tostring(n, method="html", encoding="unicode") for n in field)


def body_in_data_file(xmlid):
    """The body of template ``xmlid`` in this version's data file, as loaded."""
    path = f"{get_module_path(MODULE)}/data/mail_template_data.xml"
    record = etree.parse(path).find(f".//record[@id='{xmlid}']")
    field = record.find("field[@name='body_html']")
    return "".join(etree.tostring(n, method="html", encoding="unicode") for n in field)


def same_body(template, stored, shipped):
    """Whether the stored body is the shipped one, once both are sanitized the
    way the field stores them and whitespace is ignored."""
    field = template._fields["body_html"]

    def normal(value):
        value = field.convert_to_cache(value, template) or ""
        return re.sub(r"\s+", " ", str(value)).strip()

    return normal(stored) == normal(shipped)


def refresh_template(env, xmlid, shipped):
    """Give template ``xmlid`` the body of the data file when every language
    still holds ``shipped``; returns whether it did."""
    template = env.ref(f"{MODULE}.{xmlid}", raise_if_not_found=False)
    if not template:
        return False
    env.cr.execute("SELECT body_html FROM mail_template WHERE id = %s", [template.id])
    stored = env.cr.fetchone()[0] or {}
    if not stored or not all(
        same_body(template, value, as_loaded(shipped)) for value in stored.values()
    ):
        _logger.warning(
            "Mail template %s.%s was edited: its body is kept. It may still quote "
            "the staff reason (isp_status_reason); the shipped body now shows "
            "object._isp_mail_explanation() instead.",
            MODULE,
            xmlid,
        )
        return False
    # One body for every language, as a fresh install has it.
    template.with_context(lang="en_US").body_html = body_in_data_file(xmlid)
    env.cr.execute(
        "UPDATE mail_template SET body_html = jsonb_build_object('en_US', "
        "body_html->'en_US') WHERE id = %s",
        [template.id],
    )
    template.invalidate_recordset(["body_html"])
    _logger.info("Mail template %s.%s: new subscriber wording", MODULE, xmlid)
    return True


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    for xmlid, shipped in SHIPPED.items():
        refresh_template(env, xmlid, shipped)
