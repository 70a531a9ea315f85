"""Lists of allowed networks (`apikeys.networks`): parsed with `ipaddress`, compared as sets of addresses."""

import pytest
from django.core.exceptions import ValidationError

from apikeys import networks


def test_it_stores_canonical_networks_once_each():
    assert networks.normalize("192.0.2.0/24, 2001:DB8::/32\n192.0.2.0/24  198.51.100.7") == (
        "192.0.2.0/24 2001:db8::/32 198.51.100.7/32"
    )
    assert networks.normalize("  ") == ""


@pytest.mark.parametrize(
    ("text", "code"),
    [("192.0.2.0/33", "invalid"), ("not-a-network", "invalid"), ("192.0.2.1/24", "host_bits"), ("::1/200", "invalid")],
)
def test_it_refuses_what_is_not_a_network(text, code):
    with pytest.raises(ValidationError) as error:
        networks.parse(text)
    assert error.value.code == code


def test_it_refuses_too_many_networks():
    with pytest.raises(ValidationError) as error:
        networks.parse(" ".join(f"10.0.{n}.0/24" for n in range(networks.MAX_NETWORKS + 1)))
    assert error.value.code == "too_many"


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("192.0.2.10", True),
        ("192.0.3.10", False),
        ("2001:db8::1", True),
        ("2001:db9::1", False),
        ("::ffff:192.0.2.10", True),  # IPv4 seen through an IPv6 socket
        (None, False),
        ("garbage", False),
    ],
)
def test_an_address_is_allowed_only_inside_the_list(address, allowed):
    assert networks.allows("192.0.2.0/24 2001:db8::/32", address) is allowed


def test_an_empty_list_allows_any_address():
    assert networks.allows("", "203.0.113.5") and networks.allows(None, None)


@pytest.mark.parametrize(
    ("inner", "outer", "within"),
    [
        ("192.0.2.0/25", "192.0.2.0/24", True),
        ("192.0.2.0/24", "192.0.2.0/24", True),
        ("192.0.2.0/23", "192.0.2.0/24", False),
        ("", "192.0.2.0/24", False),  # any address is wider than any list
        ("192.0.2.0/24", "", True),
        ("2001:db8::/48", "192.0.2.0/24", False),
        ("192.0.2.0/25 198.51.100.0/24", "192.0.2.0/24", False),
    ],
)
def test_within_compares_the_addresses_allowed(inner, outer, within):
    assert networks.within(networks.parse(inner), networks.parse(outer)) is within
