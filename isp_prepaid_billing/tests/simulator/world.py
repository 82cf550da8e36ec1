# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
"""The ISP a simulation lives in: two companies (the second in another
currency), plans with taxes, a demo payment provider and subscribers of every
billing type and credit mode. Built only from the seed and the size."""

from dataclasses import dataclass, field

from odoo import Command

# (billing type, credit mode, credit limit, prepaid period unit, length)
PROFILES = (
    ("prepaid", "none", 0.0, "month", 1),
    ("recurring", "none", 0.0, "month", 1),
    ("postpaid", "none", 0.0, "month", 1),
    ("recurring", "limit", 60.0, "month", 1),
    ("postpaid", "limit", 80.0, "month", 1),
    ("prepaid", "limit", 25.0, "month", 1),
    ("recurring", "unlimited", 0.0, "month", 1),
    ("postpaid", "unlimited", 0.0, "month", 1),
    ("prepaid", "none", 0.0, "day", 7),
)
# How subscribers pay: how often money events pick them (weight).
PAYERS = (("good", 6), ("late", 3), ("never", 1))


@dataclass
class Subscriber:
    key: str  # "S007": what events name, stable across databases
    partner: object
    contract: object
    company: object
    payer: str
    username: str


@dataclass
class World:
    env: object
    tag: str
    companies: list = field(default_factory=list)
    plans: dict = field(default_factory=dict)  # company id -> [product]
    addons: dict = field(default_factory=dict)  # company id -> product
    fees: dict = field(default_factory=dict)  # company id -> product
    banks: dict = field(default_factory=dict)  # company id -> bank journal
    providers: dict = field(default_factory=dict)  # company id -> payment.provider
    subscribers: list = field(default_factory=list)

    def by_key(self, key):
        return next(s for s in self.subscribers if s.key == key)

    def by_id(self, partner_id):
        return next(s for s in self.subscribers if s.partner.id == partner_id)

    @property
    def partners(self):
        return self.env["res.partner"].browse([s.partner.id for s in self.subscribers])


def build_world(env, rng, size, start, tag="SIM"):
    """Create the companies, plans and ``size`` subscribers whose service
    starts on ``start`` (or in the next days); ``rng`` is the simulation's
    ``random.Random``, drawn from in a fixed order."""
    world = World(env=env, tag=tag)
    # The simulation works as an accountant who manages ISP billing (Odoo's
    # integrity check, for one, is for accountants only).
    env.user.groups_id |= (
        env.ref("account.group_account_manager") | env.ref("account.group_account_user")
    ) | env.ref(
        "isp_prepaid_billing.isp_prepaid_billing_group_manager"
    )
    usd = env.ref("base.USD")
    eur = env.ref("base.EUR")
    eur.active = True
    for index, currency in enumerate((usd, eur)):
        world.companies.append(_make_company(world, f"{tag} ISP {index + 1}", currency))
    # The ISP invoice journal of the first company is locked: its entries are
    # hashed, and the integrity check must find the chain intact.
    world.companies[0].isp_journal_id.restrict_mode_hash_table = True
    # The second company issues tax invoices only once paid (proformas first).
    world.companies[1].isp_tax_invoice_on_payment = True
    for number in range(size):
        company = world.companies[0 if number % 5 else 1]
        world.subscribers.append(_make_subscriber(world, rng, number, company, start))
    env.flush_all()
    return world


def _make_company(world, name, currency):
    env = world.env
    company = env["res.company"].create({"name": name, "currency_id": currency.id})
    env.user.company_ids |= company
    env["account.chart.template"].try_loading("generic_coa", company, install_demo=False)
    company.write(
        {
            "isp_billing_day": 1,
            "isp_payment_due_days": 15,
            "isp_blocking_days": 2,
            "isp_deactivation_days": 10,
            "isp_minimum_balance": 0.0,
            "isp_batch_size": 7,
            "isp_topup_minimum": 1.0,
        }
    )
    Tax = env["account.tax"].with_company(company)
    excluded = Tax.create(
        {"name": f"VAT 10% ({name})", "amount": 10.0, "type_tax_use": "sale"}
    )
    included = Tax.create(
        {
            "name": f"VAT 20% incl. ({name})",
            "amount": 20.0,
            "type_tax_use": "sale",
            "price_include_override": "tax_included",
        }
    )
    profile = env["isp.network.profile"].create(
        {"name": f"Fibre profile ({name})", "rate_limit": "20M/100M", "company_id": company.id}
    )
    Product = env["product.product"].with_company(company)

    def product(label, price, taxes):
        return Product.create(
            {
                "name": f"{label} ({name})",
                "type": "service",
                "list_price": price,
                "company_id": company.id,
                "taxes_id": [Command.set(taxes.ids)],
                "isp_network_profile_id": profile.id,
            }
        )

    world.plans[company.id] = [
        product("Basic 10M", 20.0, Tax.browse()),
        product("Fibre 100M", 30.0, excluded),
        product("Fibre 300M", 45.0, included),
    ]
    world.addons[company.id] = product("Static IP", 5.0, excluded)
    world.fees[company.id] = product("Installation", 25.0, excluded)
    world.banks[company.id] = env["account.journal"].search(
        [("company_id", "=", company.id), ("type", "=", "bank")], order="id", limit=1
    )
    demo = env.ref("payment.payment_provider_demo").sudo()
    provider = demo.copy({"company_id": company.id})
    method = env.ref("payment_demo.payment_method_demo")
    provider.write(
        {
            "state": "test",
            "is_published": True,
            "payment_method_ids": [Command.set(method.ids)],
        }
    )
    world.providers[company.id] = provider
    return company


def _make_subscriber(world, rng, number, company, start):
    env = world.env
    billing_type, credit_mode, limit, unit, length = PROFILES[number % len(PROFILES)]
    payer = rng.choices([p for p, __ in PAYERS], [w for __, w in PAYERS])[0]
    key = f"S{number:03d}"
    partner = env["res.partner"].create(
        {
            "name": f"{world.tag} {key} {billing_type} {credit_mode} {payer}",
            "email": f"{key.lower()}@{world.tag.lower()}.example.com",
            "isp_billing_enabled": True,
            "isp_billing_type": billing_type,
            "isp_company_id": company.id,
            "isp_credit_mode": credit_mode,
            "isp_credit_limit": limit,
            "isp_prepaid_period_unit": unit,
            "isp_prepaid_period_length": length,
            "isp_payment_journal_id": world.banks[company.id].id,
        }
    )
    plan = rng.choice(world.plans[company.id])
    date_start = start + _days(rng.randrange(0, 4))
    username = f"{world.tag.lower()}-{key.lower()}"
    contract = env["contract.contract"].create(
        {
            "name": f"Internet {key}",
            "partner_id": partner.id,
            "company_id": company.id,
            "date_start": date_start,
            "contract_line_ids": [
                Command.create(
                    {
                        "product_id": plan.id,
                        "name": plan.name,
                        "quantity": 1,
                        "price_unit": plan.list_price,
                        "date_start": date_start,
                        "isp_radius_username": username,
                        "isp_radius_password": f"pw-{key}",
                    }
                )
            ],
        }
    )
    return Subscriber(key, partner, contract, company, payer, username)


def _days(count):
    from datetime import timedelta

    return timedelta(days=count)
