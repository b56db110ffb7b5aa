"""crm.services.line_total: quantity × unit price less a percentage, to the øre, as the database checks."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from crm.factories import DealFactory
from crm.services import line_total
from tests.support.constraints import refused_sql


@pytest.mark.parametrize(
    ("quantity", "unit_price", "discount", "total"),
    [
        ("2", "349.00", "0", "698.00"),
        ("2", "349.00", "10", "628.20"),
        ("2", "349.00", "100", "0.00"),  # the whole line given away
        ("1", "0.00", "0", "0.00"),
        ("0.5", "0.05", "0", "0.03"),  # 0.025: half rounds up, not to even
        ("1", "0.05", "50", "0.03"),  # 0.025 again, through the discount
        ("1", "0.01", "50", "0.01"),  # 0.005
        ("1", "0.01", "50.01", "0.00"),  # 0.004999
        ("3", "33.33", "33.33", "66.66"),  # 66.657333 → 66.66
        ("0.01", "0.01", "0", "0.00"),  # 0.0001
        # the columns' largest values, exact: (1e8 - 0.01)(1e10 - 0.01) × 0.01 % = 99999999989900.00000001
        ("99999999.99", "9999999999.99", "99.99", "99999999989900.00"),
    ],
)
def test_the_total_is_rounded_half_up_to_the_ore(quantity, unit_price, discount, total):
    result = line_total(
        quantity=Decimal(quantity), unit_price=Decimal(unit_price), discount=Decimal(discount)
    )

    assert result == Decimal(total) and result.as_tuple().exponent == -2


def test_ints_and_numeric_strings_are_exact_numbers_too():
    assert line_total(quantity=3, unit_price="19.95", discount=" 5 ") == Decimal("56.86")  # 56.8575
    assert line_total(quantity="1.50", unit_price=100, discount=0) == Decimal("150.00")


@pytest.mark.parametrize(
    ("arguments", "key", "message"),
    [
        ({"quantity": 1.5}, "quantity", "not float"),
        ({"quantity": "1.005"}, "quantity", "at most 2 decimal places"),
        ({"quantity": "100000000"}, "quantity", "at most 8 digits before the decimal point"),
        ({"quantity": "many"}, "quantity", "is not a number"),
        ({"quantity": None}, "quantity", "must be a Decimal"),
        ({"unit_price": 9.95}, "unit_price", "not float"),
        ({"unit_price": "0.001"}, "unit_price", "at most 2 decimal places"),
        ({"unit_price": "10000000000"}, "unit_price", "at most 10 digits before the decimal point"),
        ({"unit_price": "Infinity"}, "unit_price", "finite number"),
        ({"discount": "-0.01"}, "discount", "between 0 and 100"),
        ({"discount": "100.01"}, "discount", "between 0 and 100"),
        ({"discount": "10.005"}, "discount", "at most 2 decimal places"),
        ({"discount": True}, "discount", "must be a Decimal"),
    ],
)
def test_bad_input_is_refused_naming_the_argument(arguments, key, message):
    with pytest.raises(ValidationError) as refused:
        line_total(**{"quantity": "1", "unit_price": "100.00", "discount": "0", **arguments})

    assert list(refused.value.message_dict) == [key]
    assert message in refused.value.message_dict[key][0]


@pytest.mark.parametrize(
    ("quantity", "unit_price", "discount"),
    [("0.5", "0.05", "0"), ("1", "0.05", "50"), ("3", "33.33", "33.33"), ("7", "1234.57", "12.5")],
)
def test_the_database_accepts_its_total_and_refuses_an_øre_either_side(db, quantity, unit_price, discount):
    deal = DealFactory()
    total = line_total(quantity=quantity, unit_price=unit_price, discount=discount)
    insert = (
        'INSERT INTO "crm"."deal_products" (deal_id, product_name, quantity, unit_price, discount, total) '
        "VALUES (%s, 'Linje', %s, %s, %s, %s)"
    )

    line = [deal.pk, quantity, unit_price, discount]

    for wrong in (total - Decimal("0.01"), total + Decimal("0.01")):
        refused_sql("crm_deal_products_total_matches", insert, [*line, wrong])
    with connection.cursor() as cursor:
        cursor.execute(insert, [*line, total])
        assert cursor.rowcount == 1
