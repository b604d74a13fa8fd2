"""Bearer tokens (JWT): minting for ``hub token`` and turning a request's token into an Actor."""

from __future__ import annotations

import datetime as dt
import uuid

import jwt

from hub.actors import ANONYMOUS, Actor, Role
from hub.config import Settings

ALGORITHM = "HS256"


class InvalidTokenError(Exception):
    """The bearer token is malformed, expired, forged or names an unknown role."""


def mint(
    settings: Settings,
    *,
    role: Role,
    sub: str | None = None,
    jurisdiction: str | None = None,
    department: str | None = None,
    ttl: dt.timedelta | None = None,
) -> str:
    """A signed token carrying the claims API.md names (``sub role jurisdiction department``)."""
    now = dt.datetime.now(dt.UTC)
    claims: dict[str, object] = {
        "sub": sub or f"{role.value.lower()}:{jurisdiction or department or 'any'}",
        "role": role.value,
        "iat": now,
        "nbf": now,
        "exp": now + (ttl or dt.timedelta(minutes=settings.token_ttl_minutes)),
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "jti": uuid.uuid4().hex,
    }
    if jurisdiction:
        claims["jurisdiction"] = jurisdiction
    if department:
        claims["department"] = department
    return jwt.encode(claims, settings.jwt_secret, algorithm=ALGORITHM)


def actor_from_token(settings: Settings, token: str) -> Actor:
    """Verify signature, expiry, audience and issuer; return who is acting."""
    try:
        claims = jwt.decode(
            token,
            settings.jwt_secret,
            algorithms=[ALGORITHM],
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            options={"require": ["exp", "sub", "role"]},
        )
        role = Role(claims["role"])
    except (jwt.PyJWTError, ValueError, KeyError) as error:
        raise InvalidTokenError(str(error) or "invalid token") from error
    return Actor(
        sub=str(claims["sub"]),
        role=role,
        jurisdiction_code=_optional_str(claims.get("jurisdiction")),
        department_code=_optional_str(claims.get("department")),
    )


def actor_from_authorization(settings: Settings, header: str | None) -> Actor:
    """The actor for an ``Authorization`` header value; none means anonymous."""
    if not header:
        return ANONYMOUS
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidTokenError("expected 'Authorization: Bearer <token>'")
    return actor_from_token(settings, token.strip())


def _optional_str(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidTokenError("jurisdiction and department claims must be strings")
    return value
