from . import portal
from . import radius
