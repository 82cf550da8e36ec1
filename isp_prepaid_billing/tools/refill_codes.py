# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
"""Refill card codes: random, easy to type, stored only as keyed hashes."""

import secrets

from odoo.tools.misc import hmac

# Crockford's base 32: no I, L, O or U, so a code read aloud or typed from a
# scratched card is hard to get wrong. 5 bits a character.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 16  # 80 bits
GROUP = 4
_TYPOS = str.maketrans({"O": "0", "I": "1", "L": "1"})
HASH_SCOPE = "isp_prepaid_billing.refill_card"


def new_code():
    """A fresh random code, grouped for printing: ``XXXX-XXXX-XXXX-XXXX``."""
    raw = "".join(secrets.choice(ALPHABET) for __ in range(CODE_LENGTH))
    return "-".join(raw[i : i + GROUP] for i in range(0, CODE_LENGTH, GROUP))


def normalize(code):
    """What the subscriber typed, as the canonical code (no separators, upper
    case, look-alike letters read as digits); None when it cannot be a code."""
    cleaned = "".join((code or "").split()).replace("-", "").upper().translate(_TYPOS)
    if len(cleaned) != CODE_LENGTH or any(char not in ALPHABET for char in cleaned):
        return None
    return cleaned


def code_hash(env, code):
    """Keyed hash of a normalized code (the database secret is the key), so a
    copy of the table alone does not let anyone test codes offline."""
    return hmac(env(su=True), HASH_SCOPE, code)
