"""flow.services.stored_variable_value: what a variable's `value` column holds, per type, secret or not."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from flow.services import stored_variable_value
from shared import crypto


@pytest.mark.parametrize(
    ("type", "value", "stored"),
    [
        ("string", "hej", "hej"),
        ("string", "  kept as typed  ", "  kept as typed  "),  # a string value is not stripped
        ("string", "", ""),
        ("string", None, ""),
        ("string", 42, "42"),
        ("string", Decimal("1.50"), "1.50"),
        ("number", "12.50", "12.50"),
        ("number", " -3 ", "-3"),
        ("number", 7, "7"),
        ("number", Decimal("0.001"), "0.001"),
        ("number", 0.1, "0.1"),  # a float by its shortest repr, not 0.1000000000000000055…
        ("boolean", True, "true"),
        ("boolean", False, "false"),
        ("boolean", "TRUE", "true"),
        ("boolean", " false ", "false"),
        ("json", {"a": [1, 2]}, '{"a": [1, 2]}'),
        ("json", [], "[]"),
        ("json", None, "null"),
        ("json", '{"kept":  "as typed"}', '{"kept":  "as typed"}'),
    ],
)
def test_plain_values_are_stored_as_text_of_their_type(type, value, stored):
    assert stored_variable_value(value=value, type=type, is_secret=False) == stored


@pytest.mark.parametrize(
    ("type", "value", "message"),
    [
        ("string", "nul\x00byte", "NUL character"),
        ("string", ["a"], "must be a string"),
        ("number", "ti", "is not a number"),
        ("number", "NaN", "finite number"),
        ("number", float("inf"), "finite number"),
        ("number", True, "must be a Decimal"),
        ("number", "", "is not a number"),
        ("boolean", "ja", "is not a boolean"),
        ("boolean", 1, "must be a non-empty string"),
        ("json", "{nope", "not valid JSON"),
        ("json", "NaN", "finite"),
        ("json", {"x": float("nan")}, "finite"),
        ("json", {1, 2}, "not JSON-serialisable"),
    ],
)
def test_a_value_that_does_not_parse_as_its_type_is_refused_under_value(type, value, message):
    with pytest.raises(ValidationError) as refused:
        stored_variable_value(value=value, type=type, is_secret=False)

    assert list(refused.value.message_dict) == ["value"]
    assert message in refused.value.message_dict["value"][0]


@pytest.mark.parametrize(("type", "key"), [("date", "type"), ("STRING", "type"), (None, "type")])
def test_an_unknown_type_is_refused_under_type(type, key):
    with pytest.raises(ValidationError) as refused:
        stored_variable_value(value="x", type=type, is_secret=False)

    assert list(refused.value.message_dict) == [key]


@pytest.mark.parametrize("is_secret", [1, "yes", None])
def test_is_secret_must_be_a_bool(is_secret):
    with pytest.raises(ValidationError) as refused:
        stored_variable_value(value="x", type="string", is_secret=is_secret)

    assert list(refused.value.message_dict) == ["is_secret"]


@pytest.mark.parametrize(
    ("type", "value", "plain"),
    [
        ("string", "hemmeligt-123", "hemmeligt-123"),
        ("number", "12.50", "12.50"),
        ("boolean", True, "true"),
        # compact: a pretty-printed value's line breaks would be control characters in a secret
        ("json", '{\n  "token": "abc",\n  "n": [1, 2]\n}', '{"token":"abc","n":[1,2]}'),
        ("json", {"token": "abc"}, '{"token":"abc"}'),
    ],
)
def test_a_secret_is_stored_encrypted_and_opens_to_the_text_of_its_type(type, value, plain):
    stored = stored_variable_value(value=value, type=type, is_secret=True)

    assert crypto.is_token(stored) and plain not in stored
    assert crypto.decrypt(stored) == plain


def test_the_same_secret_is_sealed_differently_each_time():
    first = stored_variable_value(value="hemmeligt", type="string", is_secret=True)
    second = stored_variable_value(value="hemmeligt", type="string", is_secret=True)

    assert first != second
    assert crypto.decrypt(first) == crypto.decrypt(second) == "hemmeligt"


@pytest.mark.parametrize(
    ("type", "value", "message"),
    [
        ("number", "hemmelig-42", "The secret value is not a valid number."),
        ("boolean", "hemmelig-ja", "The secret value is not a valid boolean."),
        ("json", "{hemmelig", "The secret value is not a valid json."),
        ("string", "", "value must be a non-empty string."),
        ("string", " hemmelig ", "value must not start or end with whitespace."),
        ("string", "hemmelig\n", "value must not start or end with whitespace."),
        ("string", "hemmelig\tnøgle", "value must not contain control characters."),
    ],
)
def test_a_refused_secret_is_not_repeated_in_the_error(type, value, message):
    with pytest.raises(ValidationError) as refused:
        stored_variable_value(value=value, type=type, is_secret=True)

    assert refused.value.message_dict == {"value": [message]}
    assert "hemmelig" not in str(refused.value)
