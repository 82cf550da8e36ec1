# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
"""Document number templates such as ``{year}{partner_id|2}{next|6}``.

Pure functions, no ORM: ``parse`` checks a template, ``counter_scope`` says which
counter its ``{next}`` draws from, ``render`` fills it in.

``{next}`` counts per *scope*: the rendered text before ``{next}`` plus, when the
template contains them anywhere, the year (and month) of the document date. So
``{year}{next|6}`` restarts every year and ``{year}{partner_id|2}{next|6}``
numbers each company's documents on their own. Numbers are unique because the
part before ``{next}`` identifies the counter, ``{next}`` is unique within it and
what follows ``{next}`` has a fixed width.
"""

import re
import secrets
import string

from odoo.tools.translate import LazyTranslate

_lt = LazyTranslate(__name__)

VARIABLES = (
    "year",
    "month",
    "day",
    "partner_id",
    "customer_id",
    "location_id",
    "rand_string",
    "rand_number",
    "type",
    "next",
)
# Variables whose rendered width never changes: only these may follow {next}.
FIXED_WIDTH = {"year", "month", "day"}
RANDOM_LENGTH = 6
MAX_PADDING = 20

TOKEN_RE = re.compile(r"\{([^{}]*)\}")
VARIABLE_RE = re.compile(r"^(?P<name>[a-z_]+)(?:\|(?P<width>\d+))?$")


class NumberFormatError(ValueError):
    """A template that cannot be used. ``str()`` of it is the message for the
    user, translated into the language of the calling environment."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message

    def __str__(self):
        return str(self.message)


def parse(template):
    """Split ``template`` into literal strings and ``(name, width)`` variables.

    Raises ``NumberFormatError`` for unknown variables, stray braces, a missing
    or repeated ``{next}`` and variable-width parts after ``{next}``.
    """
    if not template or not template.strip():
        raise NumberFormatError(_lt("The number format is empty."))
    parts = []
    position = 0
    for match in TOKEN_RE.finditer(template):
        parts.append(_literal(template[position : match.start()]))
        parts.append(_variable(match.group(1)))
        position = match.end()
    parts.append(_literal(template[position:]))
    parts = [part for part in parts if part != ""]
    names = [part[0] for part in parts if isinstance(part, tuple)]
    if names.count("next") != 1:
        raise NumberFormatError(
            _lt(
                "The number format %(template)s must contain {next} exactly once: "
                "without it numbers cannot be unique.",
                template=template,
            )
        )
    next_index = parts.index(
        next(p for p in parts if isinstance(p, tuple) and p[0] == "next")
    )
    before = parts[next_index - 1] if next_index else None
    if (
        isinstance(before, tuple)
        and before[0] not in FIXED_WIDTH
        and not parts[next_index][1]
    ):
        raise NumberFormatError(
            _lt(
                "In %(template)s, {next} directly follows {%(name)s}: pad it (for example "
                "{next|6}) or put a separator between them, otherwise two documents could "
                "get the same number.",
                template=template,
                name=before[0],
            )
        )
    after_next = parts[next_index + 1 :]
    for part in after_next:
        if isinstance(part, tuple) and part[0] not in FIXED_WIDTH:
            raise NumberFormatError(
                _lt(
                    "In %(template)s, {%(name)s} follows {next}: only fixed text, {year}, "
                    "{month} and {day} may come after {next}, otherwise two documents could "
                    "get the same number.",
                    template=template,
                    name=part[0],
                )
            )
    return parts


def _literal(text):
    if "{" in text or "}" in text:
        raise NumberFormatError(
            _lt("Unbalanced brace in number format near %(text)s.", text=text)
        )
    return text


def _variable(token):
    match = VARIABLE_RE.match(token.strip())
    if not match or match.group("name") not in VARIABLES:
        raise NumberFormatError(
            _lt(
                "Unknown variable {%(token)s} in number format. Known variables: %(known)s.",
                token=token,
                known=", ".join("{%s}" % name for name in VARIABLES),
            )
        )
    width = int(match.group("width") or 0)
    if width > MAX_PADDING:
        raise NumberFormatError(
            _lt(
                "Padding of {%(token)s} is too long (at most %(max)s digits).",
                token=token,
                max=MAX_PADDING,
            )
        )
    return (match.group("name"), width)


def _value(name, values):
    if name == "rand_string":
        alphabet = string.ascii_uppercase + string.digits
        return "".join(secrets.choice(alphabet) for __ in range(RANDOM_LENGTH))
    if name == "rand_number":
        return "".join(secrets.choice(string.digits) for __ in range(RANDOM_LENGTH))
    date = values.get("date")
    if name == "year":
        return "%04d" % date.year
    if name == "month":
        return "%02d" % date.month
    if name == "day":
        return "%02d" % date.day
    value = values.get(name)
    return "" if value in (None, False) else str(value)


def _render_parts(parts, values, upto_next=False):
    out = []
    for part in parts:
        if isinstance(part, str):
            out.append(part)
            continue
        name, width = part
        if name == "next":
            if upto_next:
                break
            text = str(values["next"])
        else:
            text = _value(name, values)
        out.append(text.rjust(width, "0") if width else text)
    return "".join(out)


def counter_scope(template, values):
    """The key of the counter ``{next}`` draws from for a document with ``values``
    (``date`` plus the variables); random variables never split a counter."""
    parts = parse(template)
    stable = [
        part
        for part in parts
        if not (isinstance(part, tuple) and part[0] in ("rand_string", "rand_number"))
    ]
    prefix = _render_parts(stable, values, upto_next=True)
    names = {part[0] for part in parts if isinstance(part, tuple)}
    date = values["date"]
    period = ""
    if "year" in names:
        period = "%04d" % date.year
        if "month" in names:
            period += "-%02d" % date.month
    return f"{template}|{prefix}|{period}"


def next_value(template, values, number):
    """The value ``{next}`` took in ``number``, a number rendered from ``template``
    with ``values``; None when ``number`` cannot come from them. Random parts
    have a fixed width, so only the text around ``{next}`` needs rendering."""
    parts = parse(template)
    index = next(
        i for i, part in enumerate(parts) if isinstance(part, tuple) and part[0] == "next"
    )
    before = _render_parts(parts[:index], values)
    after = _render_parts(parts[index + 1 :], values)
    if not number.endswith(after) or len(number) <= len(before) + len(after):
        return None
    digits = number[len(before) : len(number) - len(after)]
    return int(digits) if digits.isdigit() else None


def has_random_part(template):
    """Whether ``template`` has ``{rand_string}`` or ``{rand_number}``."""
    return any(
        isinstance(part, tuple) and part[0] in ("rand_string", "rand_number")
        for part in parse(template)
    )


def render(template, values):
    """The number for ``values`` (which must hold ``date`` and ``next``)."""
    return _render_parts(parse(template), values)
