# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
{
    "name": "ISP Prepaid Billing",
    "summary": "Prepaid, recurring and postpaid billing, balances, blocking and "
    "deactivation of Internet service subscribers",
    "version": "18.0.1.1.0",
    "category": "Accounting/Accounting",
    "license": "AGPL-3",
    "author": "ISP Billing developers",
    "website": "https://github.com/isp-billing/isp_prepaid_billing",
    "depends": [
        "account_payment",
        "contract",
        "portal",
        # bank matching: statement import hooks and reconciliation rules
        "account_statement_import_file",
        "account_reconcile_model_oca",
        # accountants' standard reports (partner ledger, aged balance, open
        # items, XLSX export): OCA's, not ours
        "account_financial_report",
        # the ISP cockpit is a spreadsheet dashboard
        "spreadsheet_dashboard",
        # the billing crons' batches as jobs shared by every node's job runner
        "queue_job",
        # cut-offs on working days: the company's working schedule and holidays
        "resource",
    ],
    "data": [
        # security first: groups, then ACLs, then rules
        "security/isp_prepaid_billing_groups.xml",
        "security/ir.model.access.csv",
        "security/isp_prepaid_billing_security.xml",
        "security/contract_security.xml",
        # data
        "data/ir_cron_data.xml",
        "data/queue_job_data.xml",
        "data/isp_journal_data.xml",
        "data/radius_sql_data.xml",
        # reports before the mail templates that attach them
        "report/isp_report_layout.xml",
        "report/isp_proforma_report.xml",
        "report/isp_receipt_report.xml",
        "report/isp_statement_report.xml",
        "report/isp_refill_card_report.xml",
        "data/mail_template_data.xml",
        # backend views, then menus (menus reference actions)
        "views/res_config_settings_views.xml",
        "views/isp_payment_promise_views.xml",
        "views/res_partner_views.xml",
        "views/contract_contract_views.xml",
        "views/account_move_views.xml",
        "views/isp_charge_views.xml",
        "views/isp_service_change_views.xml",
        "views/isp_one_time_charge_views.xml",
        "views/isp_billing_run_views.xml",
        "views/isp_proforma_views.xml",
        "views/account_payment_views.xml",
        "views/account_reconcile_model_views.xml",
        "views/isp_refill_card_views.xml",
        "views/isp_payment_link_views.xml",
        "views/portal_templates.xml",
        "views/isp_radius_views.xml",
        "wizards/isp_customer_update_views.xml",
        "views/isp_accounting_report_views.xml",
        "data/isp_cockpit_dashboard_data.xml",
        "views/isp_report_views.xml",
        "views/isp_prepaid_billing_menus.xml",
    ],
    "assets": {
        "web.assets_tests": ["isp_prepaid_billing/static/tests/tours/*.js"],
    },
    "demo": [
        "demo/isp_prepaid_billing_demo.xml",
        "demo/isp_portal_demo.xml",
        "demo/isp_network_demo.xml",
    ],
    "uninstall_hook": "uninstall_hook",
    "installable": True,
    "application": True,
}
