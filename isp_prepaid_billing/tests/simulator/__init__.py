# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
"""A month (or a year) of an ISP lived through the real engine, with the books
checked every simulated day. Used by ``tests/test_simulation.py`` and by
``scripts/simulate.sh`` (see ``cli.py``). No file here starts with ``test_``:
the test runner does not collect them."""

from .invariants import INVARIANTS, Violation, check_all
from .runner import Simulation, SimulationFailed, replay
from .world import build_world
