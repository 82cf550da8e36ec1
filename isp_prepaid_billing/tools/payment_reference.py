# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
"""Customer payment references: ``ISP-000123-7``, the customer's number and a
Luhn check digit, so a mistyped reference is never read as another customer's."""

import re

PREFIX = "ISP"
WIDTH = 6
# In a bank label the separators may be dropped or replaced: ISP0001237,
# ISP 000123 7, isp/000123/7.
_FOUND = re.compile(
    rf"\b{PREFIX}[\s/._-]?(\d{{{WIDTH},}})[\s/._-]?(\d)\b", re.IGNORECASE
)


def check_digit(digits):
    """The Luhn check digit of a string of digits."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return str((10 - total % 10) % 10)


def payment_reference(number):
    digits = f"{number:0{WIDTH}d}"
    return f"{PREFIX}-{digits}-{check_digit(digits)}"


def references_in(text):
    """The well-formed payment references quoted in ``text``, canonical."""
    found = []
    for digits, check in _FOUND.findall(text or ""):
        if check_digit(digits) == check:
            found.append(f"{PREFIX}-{digits}-{check}")
    return found
