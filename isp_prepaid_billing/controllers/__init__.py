from . import portal
from . import radius
from . import suspended
