from . import billing_periods
from . import number_formats
