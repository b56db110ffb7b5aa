"""flow.services.clean_allowed_ips: a webhook's allowed addresses and networks, normalised."""

import pytest
from django.core.exceptions import ValidationError

from flow.services import clean_allowed_ips


@pytest.mark.parametrize("empty", [None, [], ()])
def test_nothing_is_an_empty_list(empty):
    assert clean_allowed_ips(allowed_ips=empty) == []


@pytest.mark.parametrize(
    ("given", "cleaned"),
    [
        ("10.0.0.1", "10.0.0.1/32"),
        (" 10.0.0.1 ", "10.0.0.1/32"),
        ("192.168.1.7/24", "192.168.1.0/24"),  # host bits dropped: the network it names
        ("0.0.0.0/0", "0.0.0.0/0"),
        ("10.0.0.0/255.0.0.0", "10.0.0.0/8"),
        ("2001:DB8::1", "2001:db8::1/128"),
        ("2001:db8::1/64", "2001:db8::/64"),
        ("::/0", "::/0"),
    ],
)
def test_addresses_and_networks_are_normalised(given, cleaned):
    assert clean_allowed_ips(allowed_ips=[given]) == [cleaned]


def test_the_order_is_kept():
    assert clean_allowed_ips(allowed_ips=["192.168.0.0/16", "10.0.0.1", "::1"]) == [
        "192.168.0.0/16",
        "10.0.0.1/32",
        "::1/128",
    ]


@pytest.mark.parametrize(
    ("allowed_ips", "message"),
    [
        (["nabo"], "'nabo' is not an IP address or network."),
        (["10.0.0.256"], "'10.0.0.256' is not an IP address or network."),
        (["10.0.0.0/33"], "'10.0.0.0/33' is not an IP address or network."),
        (["10.0.0.1", "10.0.0.x"], "'10.0.0.x' is not an IP address or network."),
        (["::1/129"], "'::1/129' is not an IP address or network."),
        ("10.0.0.1", "allowed_ips must be a list of strings, not str."),
        ({"10.0.0.1"}, "allowed_ips must be a list of strings"),
        ([10], "allowed_ips[0]: allowed_ips must be a non-empty string"),
        (["10.0.0.1", ""], "allowed_ips[1]: allowed_ips must be a non-empty string."),
        (["1" * 65], "allowed_ips[0]: allowed_ips must be at most 64 characters (it has 65)."),
    ],
)
def test_bad_input_is_refused_under_allowed_ips(allowed_ips, message):
    with pytest.raises(ValidationError) as refused:
        clean_allowed_ips(allowed_ips=allowed_ips)

    assert list(refused.value.message_dict) == ["allowed_ips"]
    assert refused.value.message_dict["allowed_ips"][0].startswith(message)
