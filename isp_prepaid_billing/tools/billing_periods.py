"""Calendar arithmetic of ISP billing cycles.

Pure functions on :class:`datetime.date`, independent of the ORM so the rules can
be read and tested in isolation. A *billing day* is a day of the month (1-28);
a monthly cycle runs from one billing day to the day before the next one
(billing day 10 gives 10th -> 9th). Cycles of several months are anchored on
the first billing day on or after the service start; the days before that
anchor form a pro-rated first cycle (Splynx "examples A and B").
"""

from fractions import Fraction

from dateutil.relativedelta import relativedelta

ONE_DAY = relativedelta(days=1)


def billing_day_on_or_before(day, billing_day):
    """Latest date <= ``day`` that falls on ``billing_day``."""
    if day.day >= billing_day:
        return day.replace(day=billing_day)
    return (day - relativedelta(months=1)).replace(day=billing_day)


def billing_day_after(day, billing_day):
    """First date > ``day`` that falls on ``billing_day``."""
    if day.day < billing_day:
        return day.replace(day=billing_day)
    return (day + relativedelta(months=1)).replace(day=billing_day)


def cycle_anchor(service_start, billing_day):
    """First billing day on or after the service start: where full cycles begin."""
    if service_start.day == billing_day:
        return service_start
    return billing_day_after(service_start, billing_day)


def cycle_containing(day, service_start, billing_day, months=1):
    """Return ``(start, end)`` of the billing cycle that contains ``day``.

    Before the anchor the cycle is the pro-rated one from the service start to
    the day before the anchor.
    """
    anchor = cycle_anchor(service_start, billing_day)
    if day < anchor:
        return service_start, anchor - ONE_DAY
    last_billing_day = billing_day_on_or_before(day, billing_day)
    elapsed = (last_billing_day.year - anchor.year) * 12 + (
        last_billing_day.month - anchor.month
    )
    start = anchor + relativedelta(months=elapsed - elapsed % months)
    return start, start + relativedelta(months=months) - ONE_DAY


def months_covered(start, end, billing_day):
    """How many monthly cycles ``[start, end]`` covers, as an exact fraction.

    A whole cycle counts 1; a partial one counts its days over the days of that
    cycle (15-31 March with billing day 1 is 17/31).
    """
    total = Fraction(0)
    cursor = start
    while cursor <= end:
        cycle_start = billing_day_on_or_before(cursor, billing_day)
        cycle_end = cycle_start + relativedelta(months=1) - ONE_DAY
        segment_end = min(end, cycle_end)
        total += Fraction(
            (segment_end - cursor).days + 1, (cycle_end - cycle_start).days + 1
        )
        cursor = segment_end + ONE_DAY
    return total


def add_period(start, unit, length):
    """Last day of a period of ``length`` months or days starting on ``start``."""
    if unit == "day":
        return start + relativedelta(days=length - 1)
    return start + relativedelta(months=length) - ONE_DAY


def days_between(start, end):
    """Number of days of the closed interval ``[start, end]``."""
    return (end - start).days + 1
