from . import isp_customer_update
from . import isp_proforma_link_payment
from . import isp_refill_card_generate
from . import account_statement_import
from . import isp_payment_promise_grant
