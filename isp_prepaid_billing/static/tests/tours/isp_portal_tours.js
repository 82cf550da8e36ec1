/** @odoo-module **/
import { registry } from "@web/core/registry";

// The code of the refill card the test creates for the redeem tour.
const TOUR_CARD_CODE = "7V3K-9QWX-2MHP-4RTZ";

function payWithDemo() {
    return [
        {
            content: "Choose the demo payment provider",
            trigger: 'input[name="o_payment_radio"][data-payment-method-code="demo"]',
            run: "click",
        },
        {
            content: "Enter test card details",
            trigger: 'input[name="customer_input"]',
            run: "edit 4242424242424242",
        },
        {
            content: "Pay",
            trigger: 'button[name="o_payment_submit_button"]:enabled',
            run: "click",
            expectUnloadPage: true,
        },
    ];
}

registry.category("web_tour.tours").add("isp_portal_topup", {
    url: "/my/isp",
    steps: () => [
        {
            content: "The service is blocked and the balance empty",
            trigger: '.o_isp_status[data-state="blocked"]',
        },
        {
            content: "Open the top-up page",
            trigger: "a.o_isp_topup",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Pick the suggested 50",
            trigger: 'a.o_isp_topup_choice[data-amount="50.0"]',
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "50 is the amount to pay",
            trigger: ".o_isp_amount_due:contains(50.00)",
        },
        ...payWithDemo(),
        {
            content: "Back on the service page, active again",
            trigger: '.o_isp_status[data-state="active"]',
        },
        {
            content: "The 50 paid the month (30) and 20 are left",
            trigger: ".o_isp_balance:contains(20.00)",
        },
        {
            content: "The page says the payment was received",
            trigger: ".o_isp_payment_done:contains(50.00)",
        },
    ],
});

registry.category("web_tour.tours").add("isp_portal_reactivate", {
    url: "/my/isp",
    steps: () => [
        {
            content: "The service is blocked",
            trigger: '.o_isp_status[data-state="blocked"]',
        },
        {
            content: "Start the reactivation",
            trigger: "a.o_isp_reactivate",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Choose two periods",
            trigger: "select#isp_periods",
            run: "select 2",
        },
        {
            content: "See the price of two periods",
            trigger: ".o_isp_periods_form button[type=submit]",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Two months of 30 are due",
            trigger: ".o_isp_amount_due:contains(60.00)",
        },
        ...payWithDemo(),
        {
            content: "Active again",
            trigger: '.o_isp_status[data-state="active"]',
        },
        {
            content: "Nothing left on the balance: both months were charged",
            trigger: ".o_isp_balance:contains(0.00)",
        },
    ],
});

registry.category("web_tour.tours").add("isp_portal_refill", {
    url: "/my/isp",
    steps: () => [
        {
            content: "Open the refill card page",
            trigger: "a.o_isp_refill",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "A wrong code first",
            trigger: "#isp_refill_code",
            run: "edit AAAA-AAAA-AAAA-AAAA",
        },
        {
            content: "Redeem",
            trigger: ".o_isp_refill_form button[type=submit]",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The wrong code is refused",
            trigger: ".o_isp_error:contains(not valid)",
        },
        {
            content: "Type the card's code",
            trigger: "#isp_refill_code",
            run: `edit ${TOUR_CARD_CODE}`,
        },
        {
            content: "Redeem",
            trigger: ".o_isp_refill_form button[type=submit]",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The card's 25 are on the balance",
            trigger: ".o_isp_refill_done .o_isp_balance:contains(25.00)",
        },
        {
            content: "Back to the service",
            trigger: ".o_isp_refill_done a",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The balance shows on the service page",
            trigger: ".o_isp_balance:contains(25.00)",
        },
    ],
});

registry.category("web_tour.tours").add("isp_portal_plan_change", {
    url: "/my/isp",
    steps: () => [
        {
            content: "Open the plans of the subscription",
            trigger: "a.o_isp_change_plan",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The current plan is Fibre 100",
            trigger: ".o_isp_current_plan:contains(Fibre 100)",
        },
        {
            content: "Choose Fibre 300",
            trigger: 'a.o_isp_plan_choice[data-plan="Fibre 300 Mbit/s"]',
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The preview shows the credit, the charge and the net",
            trigger: ".o_isp_plan_preview .o_isp_net",
        },
        {
            content: "The balance does not cover it: something to pay",
            trigger: ".o_isp_plan_to_pay",
        },
        {
            content: "Confirm and pay",
            trigger: "button.o_isp_plan_confirm",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The payment page of the plan change",
            trigger: ".o_isp_plan_change_summary:contains(Fibre 300)",
        },
        {
            content: "The difference is the amount to pay",
            trigger: ".o_isp_amount_due",
        },
        ...payWithDemo(),
        {
            content: "Back on the service page, on the new plan",
            trigger: ".o_isp_services td:contains(Fibre 300)",
        },
    ],
});

// The walled garden, without logging in: ask for a payment link...
registry.category("web_tour.tours").add("isp_suspended_request_link", {
    url: "/isp/suspended",
    steps: () => [
        {
            content: "The connection is recognised",
            trigger: ".o_isp_recognised",
        },
        {
            content: "Ask for a payment link",
            trigger: "button.o_isp_request_link",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The link was sent to the e-mail on file",
            trigger: ".o_isp_link_sent",
        },
    ],
});

// ... then open it from the e-mail and pay the reactivation.
registry.category("web_tour.tours").add("isp_suspended_link_pay", {
    steps: () => [
        {
            content: "The account is named, masked",
            trigger: ".o_isp_masked_name:contains(T***)",
        },
        {
            content: "Reactivating costs one month",
            trigger: ".o_isp_amount_due:contains(30.00)",
        },
        ...payWithDemo(),
        {
            content: "Back on the link's page: paid, and active again",
            trigger: ".o_isp_link_paid .o_isp_link_active",
        },
    ],
});
