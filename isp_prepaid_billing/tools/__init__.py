from . import billing_periods
from . import number_formats
from . import refill_codes
from . import radius_packet
from . import staff
from . import client_address
from . import payment_reference
from . import billing_jobs
