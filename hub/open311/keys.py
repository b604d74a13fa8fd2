"""API keys of the client systems that file requests: issued, revoked and checked here."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hub.auth.actors import Actor, Role
from hub.errors import DomainError, ErrorCode
from hub.geo.models import Jurisdiction
from hub.open311.models import Open311Key

KEY_PREFIX = "o311_"


class KeyRefusedError(DomainError):
    code = ErrorCode.INVALID_KEY


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def actor_of(row: Open311Key) -> Actor:
    """A key acts as the platform of its jurisdiction: the city's, a district's, a street's."""
    code = row.jurisdiction_code
    role = (
        Role.CITY_PLATFORM
        if code == "110000"
        else Role.DISTRICT_PLATFORM
        if len(code) == 6
        else Role.STREET_OFFICE
    )
    return Actor(sub=f"open311:{row.name}", role=role, jurisdiction_code=code)


async def create(
    *, session: AsyncSession, name: str, jurisdiction_code: str, now: dt.datetime
) -> str:
    """Issue a key for the client system ``name``; the key itself is shown only here."""
    name = name.strip()
    if not name or len(name) > 100:
        raise KeyRefusedError("a key needs a name of 1-100 characters", field="name")
    if await session.scalar(select(Open311Key.id).where(Open311Key.name == name)) is not None:
        raise KeyRefusedError(f"a key named {name!r} exists already", field="name")
    place = await session.get(Jurisdiction, jurisdiction_code)
    if place is None or len(jurisdiction_code) > 9:
        raise KeyRefusedError(
            f"no city, district or street office {jurisdiction_code!r}", field="jurisdiction"
        )
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    session.add(
        Open311Key(
            name=name, digest=_digest(key), jurisdiction_code=jurisdiction_code, created_at=now
        )
    )
    return key


async def revoke(*, session: AsyncSession, key: str, now: dt.datetime) -> bool:
    """Revoke a key (given whole, or by its client system's name); False if none was live."""
    result = await session.execute(
        update(Open311Key)
        .where(
            (Open311Key.digest == _digest(key)) | (Open311Key.name == key),
            Open311Key.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    return bool(getattr(result, "rowcount", 0))


async def authenticate(*, session: AsyncSession, key: str | None) -> Actor | None:
    """The actor a live key stands for, else None."""
    if not key or not key.startswith(KEY_PREFIX) or len(key) > 200:
        return None
    row = await session.scalar(
        select(Open311Key).where(Open311Key.digest == _digest(key), Open311Key.revoked_at.is_(None))
    )
    return actor_of(row) if row is not None else None
