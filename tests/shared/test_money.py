from decimal import Decimal

import pytest
from django.db import connection

from shared.money import CENT, to_cents


def test_cent_is_one_hundredth():
    assert Decimal("0.01") == CENT
    assert CENT.as_tuple().exponent == -2


@pytest.mark.parametrize(
    ("amount", "cents"),
    [
        (Decimal("1.005"), Decimal("1.01")),  # half up, not banker's rounding (which gives 1.00)
        (Decimal("1.015"), Decimal("1.02")),
        (Decimal("-1.005"), Decimal("-1.01")),  # away from zero, like PostgreSQL's round()
        (Decimal("1.0049"), Decimal("1.00")),
        ("2.675", Decimal("2.68")),
        (7, Decimal("7.00")),
    ],
)
def test_to_cents_rounds_half_up(amount, cents):
    rounded = to_cents(amount)
    assert rounded == cents
    assert rounded.as_tuple().exponent == -2


def test_to_cents_agrees_with_postgresqls_round_that_the_checks_use(db):
    amounts = [Decimal("0.005"), Decimal("-0.005"), Decimal("12.345"), Decimal("99.995"), Decimal("0.0149")]
    with connection.cursor() as cursor:
        cursor.execute("SELECT round(x, 2) FROM unnest(%s::numeric[]) AS x", [amounts])
        in_database = [row[0] for row in cursor.fetchall()]
    assert [to_cents(amount) for amount in amounts] == in_database
