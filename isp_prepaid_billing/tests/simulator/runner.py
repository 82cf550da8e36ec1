# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
"""The day loop: build the world, draw each day's events, apply them on the
day (time frozen), run the crons, check the books; stop at the first
violation with the seed, the day and a reproduction file."""

import json
import logging
import random
import threading
import time
from datetime import timedelta

from freezegun import freeze_time

from odoo import SUPERUSER_ID, api, fields
from odoo.service.model import retrying
from odoo.tools import SQL

from .events import EventApplier, WorkerKilled, generate_day
from .invariants import Violation, check_all
from .world import build_world

_logger = logging.getLogger(__name__)


class SimulationFailed(Exception):
    def __init__(self, simulation, violations):
        self.simulation = simulation
        self.violations = violations
        super().__init__(
            f"seed {simulation.seed}, day {simulation.day}: "
            + "; ".join(str(v) for v in violations[:10])
        )


class Simulation:
    """``commit`` ends a transaction the way a request or a cron batch does:
    the test suite flushes (precommit hooks run), the script commits."""

    def __init__(self, env, seed, size, days, start="2026-01-01", commit=None, tag=None,
                 keep_going=False, progress=None):
        # The crons work in committed batches here, never through queue_job.
        self.env = env(context=dict(env.context, isp_billing_jobs=False, tracking_disable=True))
        self.seed = seed
        self.size = size
        self.days = days
        self.start = fields.Date.to_date(start)
        self.tag = tag or f"SIM{seed}"
        self.rng = random.Random(seed)
        self._commit = commit
        self.world = None
        self.day = self.start
        self.event_index = 0
        self.events = []  # every event applied, in order, with its outcome
        self.violations = []
        self.cron_log = []
        # Discovery mode: note every violation and go on instead of stopping.
        self.keep_going = keep_going
        self.found = []
        self.progress = progress  # called after each day with (day number, days, seconds)

    # === TRANSACTIONS === #

    def commit(self):
        self.env.flush_all()
        if self._commit:
            self._commit()
        else:
            self.env.cr.flush()  # precommit hooks: the settlement of money received

    # === EVENTS === #

    def setup(self):
        with freeze_time(fields.Date.to_string(self.start)):
            self.world = build_world(self.env, self.rng, self.size, self.start, self.tag)
        self.commit()

    def draw_events(self):
        """Every event of the run, from the seed alone."""
        subscribers = [(s.key, s.payer) for s in self.world.subscribers]
        events = []
        for offset in range(self.days):
            day = self.start + timedelta(days=offset)
            events += generate_day(self.rng, subscribers, day, self.size)
        return events

    def run(self, events=None, check=True):
        """Live the days; returns the result summary or raises SimulationFailed."""
        if self.world is None:
            self.setup()
        events = events if events is not None else self.draw_events()
        applier = EventApplier(self)
        by_day = {}
        for event in events:
            by_day.setdefault(event["day"], []).append(event)
        started = time.monotonic()
        for number, iso in enumerate(sorted(by_day), 1):
            self.day = fields.Date.to_date(iso)
            with freeze_time(f"{iso} 12:00:00"):
                for event in by_day[iso]:
                    self.event_index += 1
                    outcome = applier.apply(event, self.day)
                    self.events.append({**event, "outcome": outcome})
                    if isinstance(outcome, list):  # a crash or a broken batch
                        self.fail(outcome)
                if check:
                    violations = check_all(self.world, self.day)
                    if violations:
                        self.fail(violations)
            if self.progress:
                self.progress(number, len(by_day), time.monotonic() - started)
        _logger.info(
            "Simulation seed %s: %s subscribers x %s days in %.0f s",
            self.seed, self.size, len(by_day), time.monotonic() - started,
        )
        if self.found:
            self.violations = self.found
            raise SimulationFailed(self, self.found)
        return self.summary()

    def fail(self, violations):
        if self.keep_going:
            seen = {(v.invariant, v.subject) for v in self.found}
            violations = [v for v in violations if (v.invariant, v.subject) not in seen]
            self.found += violations
            _logger.warning("Simulation seed %s: %s", self.seed, "; ".join(map(str, violations)))
            return
        self.violations = violations
        raise SimulationFailed(self, violations)

    # === CRONS === #

    def run_crons(self, day, at_once=False):
        """Both crons in committed batches, then both again: the second time
        finds nothing to do. ``at_once``: two cron processes first run both
        crons side by side on connections of their own (only where the
        simulation commits: other connections see committed data only)."""
        Partner = self.env["res.partner"]
        done = {}
        concurrent = ""
        if at_once and self._commit:
            self.commit()
            handled = self.crons_side_by_side(day)
            if isinstance(handled, list):
                return handled
            concurrent = f"side by side {handled[0]} + {handled[1]}, then "
        for attempt in (1, 2):
            for job, cron in (("charge", Partner._cron_isp_charge), ("status", Partner._cron_isp_status)):
                total = 0
                for __ in range(1000):
                    handled, remaining = cron(day)
                    self.commit()
                    total += handled
                    if not remaining:
                        break
                done[f"{job}{attempt}"] = total
        self.env.invalidate_all()
        if done["charge2"] or done["status2"]:
            return [
                Violation(
                    "crons_once", day, "crons",
                    f"running the crons again handled {done['charge2']} and {done['status2']} customers",
                )
            ]
        return f"{concurrent}charge {done['charge1']}, status {done['status1']}"

    def crons_side_by_side(self, day):
        """Two cron processes run the charge and status crons at the same
        time, each in committed batches, retried on serialization failures as
        Odoo's cron runner does; returns the customers each handled."""
        registry = self.env.registry
        context = dict(self.env.context)
        handled, errors = [0, 0], []

        def process(index):
            try:
                with registry.cursor() as cr:
                    env = api.Environment(cr, SUPERUSER_ID, context)
                    for cron in ("_cron_isp_charge", "_cron_isp_status"):
                        for __ in range(2000):
                            done, remaining = retrying(
                                lambda cron=cron: getattr(env["res.partner"], cron)(day), env
                            )
                            cr.commit()
                            handled[index] += done
                            if not remaining:
                                break
                            if not done:  # the other process holds the batch
                                time.sleep(0.02)
            except Exception as error:  # noqa: BLE001 - reported as a violation
                _logger.exception("Simulation: a cron process failed")
                errors.append(error)

        threads = [threading.Thread(target=process, args=(index,)) for index in (0, 1)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.env.invalidate_all()
        if errors:
            return [
                Violation("crash", day, "crons", f"crons side by side raised {type(e).__name__}: {e}")
                for e in errors
            ]
        return tuple(handled)

    def kill_worker(self, day, fraction):
        """A charge batch dies half-way: nothing it did may stay. Where the
        simulation commits, the batch runs on a connection of its own that
        PostgreSQL terminates before it commits (a worker killed); in the
        test suite it is rolled back to a savepoint."""
        if self._commit:
            self.commit()
        before = self.fingerprint()
        company, pending, half = self.batch_due(day, fraction)
        if not pending:
            return "skipped: no batch due"
        kill = self._kill_on_connection if self._commit else self._kill_in_savepoint
        errors = kill(company, day, half)
        if errors:
            return [Violation("worker_killed", day, "charge batch", f"the batch failed: {errors}")]
        self.env.invalidate_all()
        after = self.fingerprint()
        if before != after:
            return [
                Violation("worker_killed", day, "charge batch", f"a killed worker left {before} -> {after}")
            ]
        return f"worker killed after {len(half)} of {len(pending)} customers, nothing kept"

    def batch_due(self, day, fraction):
        """The first company's next charge batch of ``day`` and the part of it
        a killed worker gets through."""
        company = self.world.companies[0]
        pending = self.env["res.partner"].search(
            self.env["isp.billing.run"]._pending_domain("charge", company, day),
            order="id",
            limit=company.isp_batch_size,
        )
        return company, pending, pending[: max(1, int(len(pending) * fraction))]

    def _kill_in_savepoint(self, company, day, partners):
        try:
            with self.env.cr.savepoint():
                run = self.env["isp.billing.run"].with_company(company)._scheduled_run(company, day)
                run._run_job("charge", partners)
                self.env.flush_all()
                raise WorkerKilled()
        except WorkerKilled:
            pass
        return []

    def _kill_on_connection(self, company, day, partners):
        """Errors of the batch other than its being killed."""
        partner_ids = partners.ids
        worked, killed, backend, errors = threading.Event(), threading.Event(), [], []
        context = dict(self.env.context)

        def worker():
            try:
                with self.env.registry.cursor() as cr:
                    env = api.Environment(cr, SUPERUSER_ID, context)
                    backend.append(env.execute_query(SQL("SELECT pg_backend_pid()"))[0][0])
                    Worker = env["isp.billing.run"].with_company(company)
                    Worker._scheduled_run(company, day)._run_job(
                        "charge", env["res.partner"].browse(partner_ids)
                    )
                    env.flush_all()
                    worked.set()
                    killed.wait(60)
                    try:
                        cr.commit()  # the connection is gone: this fails
                    except Exception:  # noqa: BLE001 - the kill, expected
                        return
                    errors.append(RuntimeError("the killed worker's commit went through"))
            except Exception as error:  # noqa: BLE001 - reported as a violation
                if not killed.is_set():
                    errors.append(error)
            finally:
                worked.set()

        thread = threading.Thread(target=worker)
        thread.start()
        worked.wait(120)
        if not backend or not thread.is_alive():
            thread.join()
            return errors or [RuntimeError("the worker ended before it was killed")]
        # Wait (up to 10 s) until the backend is gone.
        self.env.execute_query(SQL("SELECT pg_terminate_backend(%s, 10000)", backend[0]))
        self.commit()
        killed.set()
        thread.join()
        return errors

    def fingerprint(self):
        """What a rolled-back batch must not change."""
        self.env.flush_all()
        [row] = self.env.execute_query(_sql(self.world.partners.ids))
        return tuple(row)

    # === RESULT === #

    def tally(self):
        """How each kind of event ended: {kind: {"ok": n, "refused": n, "skipped": n}}."""
        tally = {}
        for event in self.events:
            outcome = event["outcome"]
            ending = outcome.split(":")[0] if isinstance(outcome, str) else "violation"
            ending = ending if ending in ("refused", "skipped", "violation") else "ok"
            counts = tally.setdefault(event["kind"], {})
            counts[ending] = counts.get(ending, 0) + 1
        return tally

    def summary(self):
        """The end state, by subscriber key: what the same seed must give again."""
        self.env.invalidate_all()
        result = {}
        for subscriber in self.world.subscribers:
            partner = subscriber.partner
            contracts = partner.isp_contract_ids.sorted("id")
            result[subscriber.key] = {
                "status": partner.isp_status,
                "balance": round(partner.isp_balance, 2),
                "charged_until": fields.Date.to_string(contracts[:1].isp_charged_until)
                if contracts[:1].isp_charged_until
                else None,
                "charges": len(partner.isp_charge_ids),
            }
        return result

    def reproduction(self):
        """The JSON that replays this run: seed, size, start and every event."""
        return {
            "seed": self.seed,
            "size": self.size,
            "days": self.days,
            "start": fields.Date.to_string(self.start),
            "failed_on": fields.Date.to_string(self.day) if self.violations else None,
            "violations": [str(v) for v in self.violations],
            "tally": self.tally(),
            # Each event with how it ended (for reading; a replay applies it again).
            "events": [
                {**event, "outcome": event["outcome"] if isinstance(event["outcome"], str)
                 else [str(v) for v in event["outcome"]]}
                for event in self.events
            ],
        }

    def write_reproduction(self, path):
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(self.reproduction(), handle, indent=1, sort_keys=True)
        return path


def _sql(partner_ids):
    return SQL(
        """SELECT (SELECT COUNT(*) FROM account_move),
                  (SELECT COUNT(*) FROM isp_charge),
                  (SELECT string_agg(isp_status || COALESCE(isp_balance, 0)::text, ',' ORDER BY id)
                     FROM res_partner WHERE id = ANY(%s))""",
        partner_ids,
    )


def replay(env, data, commit=None):
    """Rebuild the world of a reproduction and apply its events."""
    days = len({event["day"] for event in data["events"]}) or data["days"]
    simulation = Simulation(env, data["seed"], data["size"], days, data["start"], commit=commit)
    simulation.setup()
    return simulation, simulation.run(events=data["events"])
