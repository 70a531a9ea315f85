"""Allowed networks: lists of IPv4/IPv6 networks (CIDR) of a key or of the contract's security policy.

A list is stored as its networks in canonical form (``ipaddress``'s own text, host bits refused),
separated by single spaces; the empty list (stored as "" or NULL) means «any address». The API asks
`allows` on every request of a key that has a list, so its answers (and the parsed form of a stored
text) are cached. `seen_network` answers the network (IPv4 /24, IPv6 /48) that «first use from a new
network» counts an address in (`apikeys.models.seen`).
"""

import ipaddress
from functools import lru_cache

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

MAX_NETWORKS = 20

MESSAGES = {
    "invalid": _("«%(value)s» is not a network: write it as an address or in CIDR form, for example 192.0.2.0/24."),
    "host_bits": _("«%(value)s» has host bits set: write the network's first address, for example %(network)s."),
    "too_many": _("At most %(limit)d networks."),
}


def parse(text: str | None) -> tuple[Network, ...]:
    """The networks of a typed or stored list (separated by spaces, commas or line breaks), in order,
    each once. Raises ValidationError (code ``invalid``, ``host_bits`` or ``too_many``)."""
    networks: list[Network] = []
    for part in (text or "").replace(",", " ").split():
        try:
            network = ipaddress.ip_network(part, strict=True)
        except ValueError:
            try:
                loose = ipaddress.ip_network(part, strict=False)
            except ValueError:
                raise ValidationError(MESSAGES["invalid"], code="invalid", params={"value": part[:60]}) from None
            raise ValidationError(
                MESSAGES["host_bits"], code="host_bits", params={"value": part[:60], "network": str(loose)}
            ) from None
        if network not in networks:
            networks.append(network)
    if len(networks) > MAX_NETWORKS:
        raise ValidationError(MESSAGES["too_many"], code="too_many", params={"limit": MAX_NETWORKS})
    return tuple(networks)


def as_text(networks) -> str:
    """The stored form: canonical networks separated by single spaces ("" for any address)."""
    return " ".join(str(network) for network in networks)


def normalize(text: str | None) -> str:
    return as_text(parse(text))


@lru_cache(maxsize=4096)
def _stored(text: str) -> tuple[Network, ...]:
    return parse(text)


@lru_cache(maxsize=8192)
def allows(stored: str | None, address: str | None) -> bool:
    """Whether a request from `address` may use a key whose stored list is `stored`.

    No list: any address (even an unknown one). A list: the address must be known and inside one of
    its networks (an IPv4 address seen as IPv6-mapped counts as IPv4). A pure function of two strings,
    cached: an integration calls from a few addresses, and parsing one costs more than the lookup."""
    if not stored:
        return True
    ip = _client_address(address)
    return ip is not None and any(ip in network for network in _stored(stored))


def _client_address(address: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address of a request as the networks see it (an IPv6-mapped IPv4 address as IPv4); None for
    no or no valid address."""
    if not address:
        return None
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def within(inner, outer) -> bool:
    """Whether the list `inner` allows no address that `outer` refuses (narrower or equal).

    The empty list allows every address: everything is within it, and it is within nothing else."""
    inner, outer = tuple(inner), tuple(outer)
    if not outer:
        return True
    if not inner:
        return False
    return all(
        any(network.version == bound.version and network.subnet_of(bound) for bound in outer) for network in inner
    )


def intersection(inner, outer) -> tuple[Network, ...]:
    """The addresses that both lists allow, as a list (at most MAX_NETWORKS networks; the empty list
    allows every address). Two networks either nest or are apart, so each common part is the smaller
    of a nesting pair. `()` for two lists that share no address — and for two empty lists."""
    inner, outer = tuple(inner), tuple(outer)
    if not outer:
        return inner
    if not inner:
        return outer
    common: list[Network] = []
    for network in inner:
        for bound in outer:
            if network.version != bound.version:
                continue
            part = network if network.subnet_of(bound) else bound if bound.subnet_of(network) else None
            if part is not None and part not in common:
                common.append(part)
    return tuple(common[:MAX_NETWORKS])


SEEN_PREFIX = {4: 24, 6: 48}  # «first use from a new network»: the network an address is counted in


@lru_cache(maxsize=8192)
def seen_network(address: str | None) -> str | None:
    """The network of `address` that «first use from a new network» counts: its IPv4 /24 or IPv6 /48
    (an IPv6-mapped IPv4 address counts as IPv4), as text; None for no or no valid address. Cached: the
    API asks it on every request of a key without allowed networks."""
    ip = _client_address(address)
    if ip is None:
        return None
    return str(ipaddress.ip_network(f"{ip}/{SEEN_PREFIX[ip.version]}", strict=False))
