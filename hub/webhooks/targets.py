"""Where the hub may send: no private, loopback or link-local receiver unless configured (SSRF).

``HUB_WEBHOOK_ALLOW_HOSTS`` lists host names and addresses or CIDR ranges
(``127.0.0.1,10.8.0.0/16,receiver.internal``).  A URL is checked when it is registered and
every address its host resolves to is checked again before each delivery, so a name that later
resolves inside the network is refused then.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from hub.errors import DomainError, ErrorCode

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class TargetRefusedError(DomainError):
    code = ErrorCode.WEBHOOK_URL_REFUSED


@dataclass(frozen=True, slots=True)
class Allowed:
    hosts: frozenset[str]
    networks: tuple[Network, ...]

    @classmethod
    def parse(cls, text: str | None) -> Allowed:
        hosts: set[str] = set()
        networks: list[Network] = []
        for item in (part.strip() for part in (text or "").split(",")):
            if not item:
                continue
            try:
                networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                hosts.add(item.lower())
        return cls(frozenset(hosts), tuple(networks))

    def admits(self, host: str, address: Address) -> bool:
        if host.lower() in self.hosts:
            return True
        if any(address in network for network in self.networks):
            return True
        return address.is_global and not address.is_multicast


def parse_url(url: str) -> tuple[str, int]:
    """The host and port of an http(s) URL, or TargetRefusedError."""
    if len(url) > 2000:
        raise TargetRefusedError("the URL exceeds 2,000 characters", field="url")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TargetRefusedError("the URL must be http:// or https:// with a host", field="url")
    if parts.username or parts.password:
        raise TargetRefusedError("the URL may not carry credentials", field="url")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as error:
        raise TargetRefusedError("the URL's port is not a number", field="url") from error
    return parts.hostname, port


async def check(url: str, allowed: Allowed) -> None:
    """Refuse ``url`` unless every address of its host may be reached."""
    host, port = parse_url(url)
    try:
        literal: Address | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [literal]
    else:
        try:
            found = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM
            )
        except OSError as error:
            raise TargetRefusedError(f"the host {host!r} does not resolve", field="url") from error
        addresses = [ipaddress.ip_address(info[4][0]) for info in found]
    for address in addresses:
        if not allowed.admits(host, address):
            raise TargetRefusedError(
                f"{host} is a private or loopback address ({address}); "
                "list it in HUB_WEBHOOK_ALLOW_HOSTS to allow it",
                field="url",
            )
