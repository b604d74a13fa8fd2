"""The WebSocket protocol's light queue and flag keep asyncio.Queue's and asyncio.Event's word:
messages in order, none lost to a getter cancelled after it was woken."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

import pytest

from hub.events.frames import Flag, Inbox


def finished(step: Coroutine[Any, Any, Any]) -> object:
    """Resume ``step`` once more; what it returned."""
    with pytest.raises(StopIteration) as stop:
        step.send(None)
    return stop.value.value


async def test_messages_come_out_in_order_to_a_getter_that_waited_and_to_later_ones() -> None:
    inbox = Inbox()
    assert inbox.empty()
    getter = inbox.get()
    assert isinstance(getter.send(None), asyncio.Future)  # it waits: nothing queued
    inbox.put_nowait("a")
    inbox.put_nowait("b")
    assert not inbox.empty()
    assert finished(getter) == "a"
    assert await inbox.get() == "b"
    assert inbox.empty()


async def test_a_getter_cancelled_after_it_was_woken_leaves_the_message_to_the_next() -> None:
    inbox = Inbox()
    first, second = inbox.get(), inbox.get()
    first.send(None)
    second.send(None)
    inbox.put_nowait("m")  # wakes the first
    with pytest.raises(asyncio.CancelledError):
        first.throw(asyncio.CancelledError())
    assert finished(second) == "m"
    assert inbox.empty()


async def test_a_cancelled_getter_takes_nothing() -> None:
    inbox = Inbox()
    getter = inbox.get()
    getter.send(None)
    with pytest.raises(asyncio.CancelledError):
        getter.throw(asyncio.CancelledError())
    inbox.put_nowait("m")
    assert await inbox.get() == "m"


async def test_the_flag_lets_waiters_through_once_set() -> None:
    flag = Flag(value=True)
    await flag.wait()
    flag.clear()
    assert not flag.is_set()
    waiting = asyncio.ensure_future(flag.wait())
    other = asyncio.ensure_future(flag.wait())
    other.cancel()  # one waiter leaving stops no other
    flag.set()
    await waiting
    assert flag.is_set()
