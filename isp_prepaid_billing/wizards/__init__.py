from . import isp_customer_update
