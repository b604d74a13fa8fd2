"""Relay plumbing: global ids, the Node interface and generic connections."""

from __future__ import annotations

import base64
import binascii
import enum
from collections.abc import Callable
from typing import Generic, TypeVar

import strawberry

from hub.pagination import COUNT_CAP, Page, encode_cursor

T = TypeVar("T")
R = TypeVar("R")


class InvalidGlobalIdError(ValueError):
    """An id that is not one of ours."""


def to_global_id(type_name: str, key: str | int) -> strawberry.ID:
    return strawberry.ID(base64.urlsafe_b64encode(f"{type_name}:{key}".encode()).decode())


def from_global_id(global_id: str) -> tuple[str, str]:
    try:
        decoded = base64.urlsafe_b64decode(global_id.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as error:
        raise InvalidGlobalIdError(f"not a valid id: {global_id!r}") from error
    type_name, sep, key = decoded.partition(":")
    if not sep or not type_name or not key:
        raise InvalidGlobalIdError(f"not a valid id: {global_id!r}")
    return type_name, key


MAX_ROW_ID = 2**63 - 1  # PostgreSQL's BIGINT


def row_id(key: str) -> int | None:
    """A row id from a global id's key: ASCII digits within 64 bits; None for anything else."""
    if key.isascii() and key.isdigit() and len(key) <= len(str(MAX_ROW_ID)):
        value = int(key)
        return value if value <= MAX_ROW_ID else None
    return None


@strawberry.interface(description="An object with a global id (Relay).")
class Node:
    @strawberry.field(description="Globally unique, opaque id; pass it to `node(id:)`.")
    def id(self) -> strawberry.ID:
        return to_global_id(type(self).__name__, self.node_key())

    def node_key(self) -> str | int:
        raise NotImplementedError


@strawberry.type(description="Where a page stands in its list (Relay).")
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.enum(description="How far a count can be trusted.")
class CountPrecision(enum.Enum):
    EXACT = "EXACT"
    AT_LEAST = "AT_LEAST"


@strawberry.type(description="A page of a list that can grow (Relay connection).")
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo
    total_count: int = strawberry.field(
        description=f"Items in the whole list, not the page: exact up to {COUNT_CAP:,}, "
        "past it that many (see totalCountPrecision). Counted only when selected."
    )
    total_count_precision: CountPrecision = strawberry.field(
        description="EXACT, or AT_LEAST when the list holds more than totalCount says."
    )

    @strawberry.field(description="The page's nodes without edges.")
    def nodes(self) -> list[T]:
        return [edge.node for edge in self.edges]


def connection_from_page(
    page: Page[R], wrap: Callable[[R], T], *, has_previous: bool = False
) -> Connection[T]:
    edges = [Edge(cursor=encode_cursor(key), node=wrap(row)) for key, row in page.items]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=page.has_next,
            has_previous_page=has_previous,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        total_count=page.total or 0,
        total_count_precision=CountPrecision.EXACT if page.total_exact else CountPrecision.AT_LEAST,
    )
