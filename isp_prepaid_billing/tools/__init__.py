from . import billing_periods
