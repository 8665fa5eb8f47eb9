"""Facet counts of a list from bitsets, kept in the database for one content version.

A list with facets (the repository's, the events') shows, for each option of each filter, how
many items it would give together with the search words and every *other* active filter.
Counted by SQL, that is a grouped query over every matching item per facet and per request: its
cost grows with the data. Counted from bitsets it does not:

- every item the list may show gets a place (0, 1, 2... in the list's default order);
- each value of each facet (the type "guidance", the topic "sterile-products") is the set of
  places of the items that have it, as one Python int whose bit `p` is set for place `p`;
- the items passing some filters are the AND of their sets, and an option's count is the number
  of bits of its set AND those: `(a & b).bit_count()`, a few microseconds for 20,000 items.

The bitsets of a list are built once per content version (by a background task, after the
services changed the content, or when a list finds them missing) and stored in one row
(`FacetIndex`); a list reads that row, checks that it was built for the current version and is
not past `valid_until` (an embargo or an event's end that changes what the list holds), and
otherwise counts with SQL as before and asks for a new build.
"""

from __future__ import annotations

import json
import logging
import struct
from array import array
from collections.abc import Callable, Iterable
from datetime import datetime
from decimal import Decimal

from django.utils import timezone

from accounts.cache import content_versions

logger = logging.getLogger(__name__)

_HEADER = struct.Struct("<I")


class Bitsets:
    """The items of a list in their default order (`ids[place]`), and for each facet ("part")
    and value, the bitset of the places of the items that have it."""

    def __init__(self, ids: array, masks: dict[str, dict[str, int]], meta: dict | None = None):
        self.ids = ids
        self.masks = masks
        self.meta = meta or {}
        self.everything = (1 << len(ids)) - 1
        self._places: dict[int, int] | None = None

    @classmethod
    def build(
        cls,
        ids: list[int],
        values: dict[str, Iterable[tuple[int, str]]],
        meta: dict | None = None,
    ) -> Bitsets:
        """The bitsets of items `ids` (in the list's order), from each part's (id, value) pairs;
        pairs of items not in `ids` are left out, a pair given twice counts once."""
        places = {pk: place for place, pk in enumerate(ids)}
        size = (len(ids) + 7) // 8
        masks: dict[str, dict[str, int]] = {}
        for part, pairs in values.items():
            bits: dict[str, bytearray] = {}
            for pk, value in pairs:
                place = places.get(pk)
                if place is None or value is None:
                    continue
                row = bits.get(value)
                if row is None:
                    row = bits[value] = bytearray(size)
                row[place >> 3] |= 1 << (place & 7)
            masks[part] = {value: int.from_bytes(row, "little") for value, row in bits.items()}
        return cls(array("q", ids), masks, meta)

    def mask(self, part: str, value: str) -> int:
        """The places of the items with `value` in `part` (none for a value nobody has)."""
        return self.masks.get(part, {}).get(value, 0)

    def filter_masks(self, active: dict[str, object]) -> dict[str, int]:
        """The items that pass each active filter (its name, the part of the same name, and
        its cleaned value): a number is looked up as its whole number, and one that is not
        whole matches nothing, as in SQL."""
        masks = {}
        for name, value in active.items():
            key = str(value)
            if isinstance(value, Decimal | float):
                key = str(int(value)) if value == int(value) else ""
            masks[name] = self.mask(name, key)
        return masks

    def counts(self, part: str, within: int) -> dict[str, int]:
        """For each value of `part`, how many of the items in `within` have it."""
        return {value: (mask & within).bit_count() for value, mask in self.masks[part].items()}

    def values(self, part: str) -> list[str]:
        return list(self.masks.get(part, {}))

    def of_ids(self, ids: Iterable[int]) -> int:
        """The bitset of these items (those not in the list are left out)."""
        bits = bytearray((len(self.ids) + 7) // 8)
        for pk in ids:
            place = self._place_of().get(pk)
            if place is not None:
                bits[place >> 3] |= 1 << (place & 7)
        return int.from_bytes(bits, "little")

    def holds(self, pk: int, mask: int) -> bool:
        place = self._place_of().get(pk)
        return place is not None and bool(mask >> place & 1)

    def _place_of(self) -> dict[int, int]:
        if self._places is None:
            self._places = {pk: place for place, pk in enumerate(self.ids)}
        return self._places

    def ids_in_order(self, mask: int, start: int, stop: int, *, reverse: bool = False) -> list[int]:
        """The ids of the items in `mask`, from the `start`th to before the `stop`th, in the
        list's order (or the reverse)."""
        bits = format(mask, "b")  # the last place first
        if not reverse:
            bits = bits[::-1]  # bits[p] is place p
        found: list[int] = []
        index = -1
        while len(found) < stop:
            index = bits.find("1", index + 1)
            if index < 0:
                break
            found.append(len(bits) - 1 - index if reverse else index)
        return [self.ids[place] for place in found[start:]]

    # --- Stored as bytes: a JSON header (the parts, values and where their bits are) then the
    # bits themselves; no pickle, so the row can only ever hold data.

    def to_bytes(self) -> bytes:
        payload = bytearray(self.ids.tobytes())
        parts: dict[str, dict[str, list[int]]] = {}
        for part, values in self.masks.items():
            parts[part] = {}
            for value, mask in values.items():
                raw = mask.to_bytes((mask.bit_length() + 7) // 8, "little")
                parts[part][value] = [len(payload), len(raw)]
                payload += raw
        header = json.dumps(
            {"ids": len(self.ids), "parts": parts, "meta": self.meta}, separators=(",", ":")
        ).encode()
        return _HEADER.pack(len(header)) + header + bytes(payload)

    @classmethod
    def from_bytes(cls, data: bytes) -> Bitsets:
        data = memoryview(data)
        (length,) = _HEADER.unpack_from(data)
        header = json.loads(bytes(data[_HEADER.size : _HEADER.size + length]))
        payload = data[_HEADER.size + length :]
        ids = array("q")
        ids.frombytes(payload[: header["ids"] * ids.itemsize])
        masks = {
            part: {
                value: int.from_bytes(payload[offset : offset + size], "little")
                for value, (offset, size) in values.items()
            }
            for part, values in header["parts"].items()
        }
        return cls(ids, masks, header["meta"])


class Filtered:
    """What a list shows from its bitsets: the items that pass `base` (what is not a facet:
    search words, "open for registration") and each active filter (`filters`, from
    `Bitsets.filter_masks`)."""

    def __init__(self, bitsets: Bitsets, filters: dict[str, int], base: int):
        self.bitsets = bitsets
        self.filters = filters
        self.base = base

    def within(self, but: str = "", **instead: int) -> int:
        """What passes every active filter but `but` (a facet counts without its own), with
        `instead` in place of some filters."""
        passing = self.base
        for name, mask in {**self.filters, **instead}.items():
            if name != but:
                passing &= mask
        return passing

    def count(self, *, but: str = "") -> int:
        return self.within(but).bit_count()

    @property
    def total(self) -> int:
        return self.count()

    def counts(self, name: str) -> dict[str, int]:
        """How many items each value of facet `name` gives with every other active filter."""
        return self.bitsets.counts(name, self.within(name))


class Total:
    """What a paginator counts for a list counted from bitsets: `total` items, whose page is
    fetched apart."""

    def __init__(self, total: int):
        self.total = total

    def __len__(self) -> int:
        return self.total

    def __getitem__(self, key):
        return []


def stored_bitsets(
    name: str, *, area: str, ask: Callable[[], None], now: datetime | None = None
) -> Bitsets | None:
    """The bitsets stored as `name`, if they were built for the current version of the content
    `area` and nothing has changed since by the clock; else None, and when they are outdated,
    `ask` is called to have them built again (the caller counts with SQL meanwhile). None too
    while the cache cannot tell the current version."""
    from accounts.models import FacetIndex

    found = (
        FacetIndex.objects.filter(name=name).values_list("version", "valid_until", "data").first()
    )
    if found is None:
        return None  # never built: the services build them when they change the content
    version, valid_until, data = found
    current = content_versions()[area]
    if current is None:
        return None
    if version != current or (valid_until is not None and valid_until <= (now or timezone.now())):
        # Built for other content, or the cache lost its versions (Redis restarted), or an
        # embargo or an event ended since.
        ask()
        return None
    return Bitsets.from_bytes(bytes(data))


def build_queue(task, *, once_a_minute: str = "") -> None:
    """Queue `task`, a build of a list's bitsets; with `once_a_minute` (a cache key), at most
    once a minute whoever asks. When the queue or the cache is unreachable, the list counts with
    SQL until a later build: nothing is lost, the failure is logged."""
    from django.core.cache import cache

    try:
        if once_a_minute and not cache.add(once_a_minute, 1, 60):
            return
        task.enqueue()
    except Exception:
        logger.exception("Could not queue a build of a list's bitsets (%s)", task.name)


def store_bitsets(
    name: str, bitsets: Bitsets, *, version: int, valid_until: datetime | None
) -> None:
    from accounts.models import FacetIndex

    FacetIndex.objects.update_or_create(
        name=name,
        defaults={"version": version, "valid_until": valid_until, "data": bitsets.to_bytes()},
    )
