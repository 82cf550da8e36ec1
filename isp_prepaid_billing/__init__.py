from . import controllers
from . import models
from . import wizards
from .tools import radius_sql


def uninstall_hook(env):
    radius_sql.drop(env)
