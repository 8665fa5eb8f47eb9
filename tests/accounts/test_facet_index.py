"""The bitsets from which the lists count their facets (accounts.facet_index)."""

import random
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.cache import content_changed, content_versions
from accounts.facet_index import Bitsets, build_queue, store_bitsets, stored_bitsets


def _bitsets(size: int = 300, seed: int = 7) -> tuple[Bitsets, list[int], dict]:
    rng = random.Random(seed)
    ids = rng.sample(range(1, 10 * size), size)  # in the list's order, not by id
    kinds = {pk: rng.choice(["guidance", "tool", "report"]) for pk in ids}
    topics = [(pk, topic) for pk in ids for topic in rng.sample(["a", "b", "c", "d"], 2)]
    values = {"type": list(kinds.items()), "topic": topics}
    return Bitsets.build(ids, values, {"note": "x"}), ids, {"kinds": kinds, "topics": topics}


def test_counts_are_those_of_the_items_with_each_value():
    bitsets, _ids, data = _bitsets()
    assert bitsets.counts("type", bitsets.everything) == {
        kind: sum(1 for value in data["kinds"].values() if value == kind)
        for kind in ("guidance", "tool", "report")
    }
    # Within the items of topic "a": the types of those items only.
    with_a = {pk for pk, topic in data["topics"] if topic == "a"}
    counts = bitsets.counts("type", bitsets.mask("topic", "a"))
    assert sum(counts.values()) == len(with_a)
    assert counts["tool"] == sum(1 for pk in with_a if data["kinds"][pk] == "tool")
    assert bitsets.mask("topic", "no such value") == 0


def test_pages_come_in_the_lists_order_and_in_reverse():
    bitsets, ids, data = _bitsets()
    tools = [pk for pk in ids if data["kinds"][pk] == "tool"]
    mask = bitsets.mask("type", "tool")
    assert bitsets.ids_in_order(mask, 0, 10) == tools[:10]
    assert bitsets.ids_in_order(mask, 10, 20) == tools[10:20]
    assert bitsets.ids_in_order(mask, 0, 10, reverse=True) == tools[::-1][:10]
    assert bitsets.ids_in_order(mask, len(tools) - 3, len(tools) + 20) == tools[-3:]
    assert bitsets.ids_in_order(0, 0, 10) == []


def test_a_set_of_ids_becomes_a_bitset_and_unknown_ids_are_left_out():
    bitsets, ids, _data = _bitsets()
    chosen = ids[5:40:3]
    mask = bitsets.of_ids([*chosen, -1, 10**9])
    assert mask.bit_count() == len(chosen)
    assert bitsets.ids_in_order(mask, 0, 100) == chosen
    assert all(bitsets.holds(pk, mask) for pk in chosen)
    assert not bitsets.holds(ids[6], mask)
    assert not bitsets.holds(-1, bitsets.everything)


def test_bytes_give_back_the_same_bitsets():
    bitsets, ids, _data = _bitsets(size=2000)
    again = Bitsets.from_bytes(bitsets.to_bytes())
    assert list(again.ids) == ids
    assert again.masks == bitsets.masks
    assert again.meta == {"note": "x"}
    assert again.everything == bitsets.everything


def test_an_empty_list_has_no_items_and_no_counts():
    bitsets = Bitsets.build([], {"type": []})
    again = Bitsets.from_bytes(bitsets.to_bytes())
    assert again.everything == 0
    assert again.counts("type", again.everything) == {}


@pytest.mark.django_db
def test_stored_bitsets_hold_for_their_content_version_and_until_their_time():
    bitsets, _ids, _data = _bitsets()
    asked = []
    version = content_versions()["events"]
    store_bitsets("test", bitsets, version=version, valid_until=None)
    assert stored_bitsets("test", area="events", ask=lambda: asked.append(1)).masks == bitsets.masks
    assert asked == []
    content_changed("events")  # other content: not used, a new build asked for
    assert stored_bitsets("test", area="events", ask=lambda: asked.append(1)) is None
    assert asked == [1]

    version = content_versions()["events"]
    soon = timezone.now() + timedelta(hours=1)
    store_bitsets("test", bitsets, version=version, valid_until=soon)
    assert stored_bitsets("test", area="events", ask=lambda: asked.append(2)) is not None
    later = soon + timedelta(seconds=1)
    assert stored_bitsets("test", area="events", ask=lambda: asked.append(2), now=later) is None
    assert asked == [1, 2]
    # Never built: nothing to ask for (the services build them when they change the content).
    assert stored_bitsets("other", area="events", ask=lambda: asked.append(3)) is None
    assert asked == [1, 2]


class _Task:
    name = "test.build"

    def __init__(self, fails: bool = False):
        self.fails, self.queued = fails, 0

    def enqueue(self):
        if self.fails:
            raise ConnectionError("the queue is unreachable")
        self.queued += 1


def test_a_build_is_asked_for_at_most_once_a_minute():
    from django.core.cache import cache

    cache.clear()
    task = _Task()
    build_queue(task, once_a_minute="test:asked")
    build_queue(task, once_a_minute="test:asked")
    assert task.queued == 1
    build_queue(task)  # after a change of the content: always
    assert task.queued == 2


def test_a_queue_that_cannot_be_reached_is_logged_and_changes_nothing(caplog):
    build_queue(_Task(fails=True))
    assert "Could not queue a build of a list's bitsets (test.build)" in caplog.text
