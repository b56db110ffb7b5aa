"""shared.validation.decimal at the edges of Decimal's 28-digit default context."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from shared.validation import decimal, number


@pytest.mark.parametrize(
    ("value", "message"),
    [
        # The property test's find: 30 digits made normalize() round and quantize() raise InvalidOperation.
        (Decimal("2710490837244679734616719.16393"), "at most 14 digits before the decimal point"),
        # 31 significant digits: normalize() would round it to 1 and accept it.
        ("1.000000000000000000000000000001", "at most 4 decimal places"),
        ("0.000000000000000000000000000000100", "at most 4 decimal places"),
    ],
)
def test_long_values_are_refused_not_rounded_or_raised(value, message):
    with pytest.raises(ValidationError, match=message) as refused:
        decimal(value, name="value", max_digits=18, decimal_places=4)
    assert list(refused.value.error_dict) == ["value"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2.5000000000000000000000000000000", Decimal("2.5")),  # trailing zeros are not precision
        ("12345678901234.12000000000000000", Decimal("12345678901234.12")),  # 31 digits, 16 of them places
        (Decimal("1E+3"), Decimal("1000")),
        ("-0.00", Decimal("0")),
    ],
)
def test_values_that_fit_are_accepted_unchanged(value, expected):
    assert decimal(value, name="value", max_digits=18, decimal_places=4) == expected


@pytest.mark.parametrize(
    "value", [Decimal("sNaN"), Decimal("NaN"), Decimal("Infinity"), float("nan"), 10**400]
)
def test_a_number_that_is_not_finite_is_refused_naming_the_argument(value):
    """The contract's property test found Decimal('sNaN') raising ValueError in billy.track_usage."""
    with pytest.raises(ValidationError, match="duration_ms must be a finite number") as refused:
        number(value, name="duration_ms", min_value=0)
    assert list(refused.value.error_dict) == ["duration_ms"]
