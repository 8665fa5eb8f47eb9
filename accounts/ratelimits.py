"""The portal's own rate limits (allauth limits sign-in, sign-up and password resets itself).

Counts are kept in Django's cache, which production shares between every app process (Redis),
so that several processes count together. Each limit counts hits in a fixed window: at most
`limit` hits per `seconds`, per key (a person, an address). `cache.add` and `cache.incr` are
atomic in Redis and in the local memory cache.

When the cache cannot be reached, a limit that protects something (guessing invitation codes)
fails closed, and one that only protects a report (the search log) simply does not count.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import time
from dataclasses import dataclass

from django.core.cache import cache
from django.core.exceptions import PermissionDenied

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limit:
    scope: str
    limit: int
    seconds: int

    def _key(self, key: str, now: float) -> str:
        window = int(now // self.seconds)
        digest = hashlib.sha256(key.encode("utf-8", "replace")).hexdigest()[:32]
        return f"rl:{self.scope}:{digest}:{window}"

    def hit(self, key: str, *, fail_closed: bool = True) -> bool:
        """Count one hit of `key`; whether it is still within the limit."""
        cache_key = self._key(key, time.time())
        try:
            cache.add(cache_key, 0, self.seconds)
            try:
                count = cache.incr(cache_key)
            except ValueError:  # expired between add and incr
                cache.add(cache_key, 1, self.seconds)
                count = 1
        except Exception:  # the cache server is down or unreachable
            logger.warning("Rate limit %s not counted: the cache is unreachable", self.scope)
            return not fail_closed
        return count <= self.limit

    def exceeded(self, key: str, *, fail_closed: bool = True) -> bool:
        """Whether `key` has used up its hits in this window (counts nothing)."""
        try:
            count = cache.get(self._key(key, time.time())) or 0
        except Exception:
            logger.warning("Rate limit %s not read: the cache is unreachable", self.scope)
            return fail_closed
        return count >= self.limit


def client_address(ip: str) -> str:
    """An address as limits and counts see a visitor: IPv6 addresses by their /64 network,
    which one household or phone usually holds whole."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{address}/64", strict=False).network_address) + "/64"
    return str(address)


def client_ip(request) -> str:
    """The visitor's address as allauth's rate limits see it (the same proxy settings:
    TRUSTED_PROXY_COUNT); "" when a proxy header is malformed."""
    from allauth.account.adapter import get_adapter

    try:
        return get_adapter(request).get_client_ip(request)
    except PermissionDenied:
        return ""


def visitor_key(request) -> str:
    """Who a visitor is for limits and counts: the signed-in person, otherwise the address
    (IPv6 by /64). Never the browser's own headers, which it may change at will."""
    if request.user.is_authenticated:
        return f"user:{request.user.pk}"
    return f"address:{client_address(client_ip(request))}"
