# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
"""Whether the billing crons hand their day to queue_job, and the bookkeeping
of the jobs they enqueue.

With ``queue_job`` loaded server-wide (``--load=base,web,queue_job``) a job
runner dispatches jobs to the Odoo workers of every node on the database, so
the crons split their day into one job per batch of customers on the
``root.isp_billing`` channel. Without it nothing would run the jobs: the crons
then work in committed batches themselves, as a small ISP needs.
"""

import os

from psycopg2 import OperationalError

import odoo
from odoo.service.model import PG_CONCURRENCY_ERRORS_TO_RETRY

# Context key forcing one path or the other (tests, benchmarks, a shell).
CONTEXT_KEY = "isp_billing_jobs"
UNFINISHED_STATES = ("wait_dependencies", "pending", "enqueued", "started")


def use_jobs(env):
    """True when the billing crons enqueue jobs instead of running batches."""
    forced = env.context.get(CONTEXT_KEY)
    if forced is not None:
        return bool(forced)
    # queue_job's own switches to run jobs at once (tests, neutralized copies).
    if env.context.get("queue_job__no_delay") or os.getenv("QUEUE_JOB__NO_DELAY"):
        return False
    return "queue_job" in odoo.conf.server_wide_modules


def identity_prefix(job, run):
    """Start of the identity key of the jobs of ``job`` for ``run``."""
    return f"isp_billing:{job}:{run._name}:{run.id}:"


def unfinished(env, prefix):
    """Whether jobs whose identity key starts with ``prefix`` are still to run."""
    return bool(
        env["queue.job"]
        .sudo()
        .search_count(
            [("identity_key", "=like", f"{prefix}%"), ("state", "in", UNFINISHED_STATES)],
            limit=1,
        )
    )


def is_concurrency_error(error):
    """A serialization failure, deadlock or lock timeout: the transaction must
    be retried whole (queue_job and ir.cron do), not recorded as the customer's
    error."""
    return (
        isinstance(error, OperationalError)
        and error.pgcode in PG_CONCURRENCY_ERRORS_TO_RETRY
    )
