from . import billing_periods
from . import number_formats
from . import refill_codes
from . import radius_packet
from . import radius_sql
from . import staff
from . import client_address
from . import payment_reference
