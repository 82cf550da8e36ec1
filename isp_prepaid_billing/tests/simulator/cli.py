# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
"""Entry point of ``scripts/simulate.sh``: run inside ``odoo shell`` on the
simulation's own database, committing like the crons and requests do."""

import datetime
import json
import logging
import os
import sys
import time

from odoo import SUPERUSER_ID, api

from .runner import Simulation, SimulationFailed, replay

_logger = logging.getLogger(__name__)


def main(env, seed, size, days, start, reproduction=None, out_dir=".", keep_going=False):
    """``reproduction``: the data of a reproduction file, to replay."""
    env = api.Environment(env.cr, SUPERUSER_ID, {})
    started = time.monotonic()
    try:
        if reproduction:
            simulation, result = replay(env, reproduction, commit=env.cr.commit)
        else:
            simulation = Simulation(
                env, seed, size, days, start, commit=env.cr.commit, keep_going=keep_going,
                progress=_print_progress,
            )
            result = simulation.run()
    except SimulationFailed as failure:
        env.cr.rollback()
        simulation = failure.simulation
        path = os.path.join(out_dir, f"simulation-seed{simulation.seed}-{simulation.day}.json")
        simulation.write_reproduction(path)
        print(f"FAILED seed {simulation.seed} on {simulation.day} after "
              f"{time.monotonic() - started:.0f} s", file=sys.stderr)
        for violation in failure.violations:
            print(f"  {violation}", file=sys.stderr)
        print(f"reproduction: {path} (scripts/simulate.sh --replay {path})", file=sys.stderr)
        return 1
    for kind, counts in sorted(simulation.tally().items()):
        print(f"  {kind}: {', '.join(f'{n} {ending}' for ending, n in sorted(counts.items()))}",
              file=sys.stderr)
    events = simulation.write_reproduction(
        os.path.join(out_dir, f"simulation-seed{simulation.seed}-ok.json")
    )
    print(f"events and how each ended: {events}", file=sys.stderr)
    statuses = {}
    for values in result.values():
        statuses[values["status"]] = statuses.get(values["status"], 0) + 1
    print(
        f"OK seed {simulation.seed}: {simulation.size} subscribers x {simulation.days} days, "
        f"{len(simulation.events)} events, {time.monotonic() - started:.0f} s; "
        f"statuses at the end {dict(sorted(statuses.items()))}",
        file=sys.stderr,
    )
    return 0


def _read_reproduction(parser, path):
    """The data of the reproduction file ``path``; a usage error otherwise."""
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError) as error:
        parser.error(f"cannot read the reproduction {path}: {error}")
    if not isinstance(data, dict):
        parser.error(f"{path} is not a reproduction written by simulate.sh")
    missing = [key for key in ("seed", "size", "days", "start", "events") if key not in data]
    if missing:
        parser.error(f"{path} is not a reproduction written by simulate.sh (missing {missing})")
    return data


def _print_progress(number, days, seconds):
    if number % 10 == 0 or number == days:
        print(f"day {number}/{days}, {seconds:.0f} s", file=sys.stderr, flush=True)


def command_line(argv):
    """``scripts/simulate.sh`` arguments: --database, --seed, --size, --days,
    --start, --replay FILE, --out DIR."""
    import argparse

    import odoo

    parser = argparse.ArgumentParser(prog="simulate.sh")
    parser.add_argument("--database", required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--size", type=int, default=30)
    parser.add_argument("--days", type=int, default=45)
    parser.add_argument("--start", default="2026-01-01")
    parser.add_argument("--replay")
    parser.add_argument("--out", default=".")
    parser.add_argument(
        "--keep-going", action="store_true", help="note every violation and go on"
    )
    args = parser.parse_args(argv)
    if args.size < 1 or args.days < 1:
        parser.error("--size and --days must be at least 1")
    try:
        datetime.date.fromisoformat(args.start)
    except ValueError:
        parser.error(f"--start {args.start!r} is not a date (YYYY-MM-DD)")
    reproduction = _read_reproduction(parser, args.replay) if args.replay else None
    registry = odoo.modules.registry.Registry(args.database)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        return main(env, args.seed, args.size, args.days, args.start, reproduction, args.out, args.keep_going)
