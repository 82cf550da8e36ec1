/** @odoo-module **/
import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("isp_subscriber_form", {
    steps: () => [
        {
            content: "An ISP customer's form opens on the ISP Billing tab",
            trigger: ".o_notebook .nav-link.active:contains(ISP Billing)",
        },
        {
            content: "The smart buttons show the balance and the documents",
            trigger: ".o-form-buttonbox button[name=action_isp_view_invoices]",
        },
        {
            content: "Register a payment",
            trigger: "button[name=action_isp_register_payment]",
            run: "click",
        },
        {
            content: "Odoo's payment form opens",
            trigger: ".o_form_view .o_field_widget[name=journal_id]",
        },
        {
            content: "Save it as prefilled",
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "Saved",
            trigger: ".o_form_saved",
        },
    ],
});
