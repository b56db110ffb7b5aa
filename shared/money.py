"""Money: amounts are `Decimal` rounded to øre (hundredths of a krone), half up.

The one definition of the øre and of its rounding, for every app (renos' prices and VAT, crm's line
totals) and their demo data. Half up matches PostgreSQL's `round()` on numeric, which the tables'
checks use, so a value rounded here passes the check that recomputes it in the database.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

__all__ = ["CENT", "to_cents"]

CENT = Decimal("0.01")


def to_cents(amount: Decimal | int | str) -> Decimal:
    """The amount rounded to øre, half up (1.005 → 1.01, -1.005 → -1.01)."""
    return Decimal(amount).quantize(CENT, ROUND_HALF_UP)
