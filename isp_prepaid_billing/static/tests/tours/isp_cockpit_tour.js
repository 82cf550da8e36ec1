/** @odoo-module **/
import { registry } from "@web/core/registry";

// The figures are drawn on canvases, and only once scrolled into view: the tour
// checks the cockpit opens from the ISP menu with its scorecards;
// tests/test_cockpit.py checks their numbers.
registry.category("web_tour.tours").add("isp_cockpit", {
    steps: () => [
        {
            content: "The ISP menu opens on the cockpit",
            trigger: ".o_spreadsheet_dashboard_action .o-spreadsheet",
        },
        {
            content: "It is listed with the other dashboards",
            trigger: ".o_search_panel_section:contains(Internet Service) .active:contains(ISP Cockpit)",
        },
        {
            content: "Scorecards and charts are drawn, without an error",
            trigger: ".o-figure:eq(11)",
            run() {
                if (document.querySelector(".o_error_dialog, .o_notification.border-danger")) {
                    throw new Error("The cockpit shows an error");
                }
            },
        },
    ],
});
