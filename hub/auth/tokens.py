"""Bearer tokens (JWT): minting for ``hub token`` and turning a request's token into an Actor.

One kind of signature is accepted at a time, chosen by the settings:

* ``HUB_JWKS_URL`` -- RS256 tokens whose ``kid`` the identity provider's JWKS document lists
  (production: the provider rotates its keys, the hub follows).  The document is fetched with
  PyJWT's ``PyJWKClient`` and cached for ``JWKS_CACHE_SECONDS``; an unknown ``kid`` refetches it
  at most once per ``JWKS_REFETCH_COOLDOWN_SECONDS``, so forged ``kid`` values cannot make the
  hub hammer the provider.
* ``HUB_JWT_PUBLIC_KEY`` -- RS256 tokens signed with the private half of this PEM key.
* otherwise HS256 with ``HUB_JWT_SECRET`` -- the embedded default, what ``hub token`` and
  ``make demo`` mint.

Only that one algorithm is passed to PyJWT, so a production hub refuses HS256 tokens signed with
the (public) demo secret and tokens that use the RSA public key as an HMAC secret.  Expiry,
``nbf``, audience and issuer are checked for every kind.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import uuid
from dataclasses import dataclass
from typing import Any

import anyio.to_thread
import jwt
from cryptography.hazmat.primitives import serialization

from hub.auth.actors import ANONYMOUS, Actor, Role
from hub.config import Settings

HS256 = "HS256"
RS256 = "RS256"
ALGORITHM = HS256  # the embedded default's algorithm (kept for callers of the old name)

JWKS_CACHE_SECONDS = 300.0
JWKS_REFETCH_COOLDOWN_SECONDS = 30.0
JWKS_FETCH_TIMEOUT_SECONDS = 5.0


class InvalidTokenError(Exception):
    """The bearer token is malformed, expired, forged or names an unknown role."""


class SigningKeysUnavailableError(InvalidTokenError):
    """The identity provider's JWKS could not be fetched: the token cannot be checked now."""


@dataclass(frozen=True, slots=True)
class Authentication:
    """Who is acting, and a stable id of the token for per-token accounting (rate limits).

    ``token_id`` is ``"<sub>/<jti>"`` when the token has a ``jti`` and a digest of the token
    otherwise; ``None`` for anonymous requests.
    """

    actor: Actor
    token_id: str | None = None


ANONYMOUS_AUTHENTICATION = Authentication(actor=ANONYMOUS)


def mint(
    settings: Settings,
    *,
    role: Role,
    sub: str | None = None,
    jurisdiction: str | None = None,
    department: str | None = None,
    ttl: dt.timedelta | None = None,
    key_id: str | None = None,
) -> str:
    """A signed token carrying the claims API.md names (``sub role jurisdiction department``).

    Signed RS256 with ``HUB_JWT_PRIVATE_KEY`` when that is set (``key_id`` goes in the ``kid``
    header, for hubs that verify through a JWKS), HS256 with ``HUB_JWT_SECRET`` otherwise.
    """
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
    headers = {"kid": key_id} if key_id else None
    if settings.jwt_private_key:
        key = _private_key(settings.jwt_private_key)
        return jwt.encode(claims, key, algorithm=RS256, headers=headers)
    return jwt.encode(claims, settings.jwt_secret, algorithm=HS256, headers=headers)


def authenticate(settings: Settings, header: str | None) -> Authentication:
    """Verify an ``Authorization`` header value; none means anonymous.

    Blocks while the JWKS is (re)fetched: async callers use ``authenticate_async``.
    """
    if not header:
        return ANONYMOUS_AUTHENTICATION
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise InvalidTokenError("expected 'Authorization: Bearer <token>'")
    claims = _verified_claims(settings, token)
    actor = _actor(claims)
    jti = claims.get("jti")
    if isinstance(jti, str) and jti:
        token_id = f"{actor.sub}/{jti}"
    else:
        token_id = hashlib.sha256(token.encode()).hexdigest()
    return Authentication(actor=actor, token_id=token_id)


async def authenticate_async(settings: Settings, header: str | None) -> Authentication:
    """``authenticate`` without blocking the event loop on a JWKS fetch."""
    if settings.jwks_url and header:
        return await anyio.to_thread.run_sync(authenticate, settings, header)
    return authenticate(settings, header)


def actor_from_token(settings: Settings, token: str) -> Actor:
    """Verify signature, expiry, audience and issuer; return who is acting."""
    return _actor(_verified_claims(settings, token))


def actor_from_authorization(settings: Settings, header: str | None) -> Actor:
    """The actor for an ``Authorization`` header value; none means anonymous."""
    return authenticate(settings, header).actor


def _verified_claims(settings: Settings, token: str) -> dict[str, Any]:
    try:
        key, algorithm = _verification_key(settings, token)
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=[algorithm],
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            options={"require": ["exp", "sub", "role"]},
        )
    except jwt.PyJWKClientConnectionError as error:
        raise SigningKeysUnavailableError(f"signing keys unavailable: {error}") from error
    except (jwt.PyJWTError, ValueError) as error:
        raise InvalidTokenError(str(error) or "invalid token") from error
    return claims


def _verification_key(settings: Settings, token: str) -> tuple[Any, str]:
    if settings.jwks_url:
        return _jwks_client(settings.jwks_url).get_signing_key_from_jwt(token).key, RS256
    if settings.jwt_public_key:
        return _public_key(settings.jwt_public_key), RS256
    return settings.jwt_secret, HS256


def _actor(claims: dict[str, Any]) -> Actor:
    try:
        role = Role(claims["role"])
    except (ValueError, KeyError) as error:
        raise InvalidTokenError(str(error) or "invalid role") from error
    return Actor(
        sub=str(claims["sub"]),
        role=role,
        jurisdiction_code=_optional_str(claims.get("jurisdiction")),
        department_code=_optional_str(claims.get("department")),
    )


@functools.lru_cache(maxsize=8)
def _jwks_client(url: str) -> jwt.PyJWKClient:
    """One client (and so one cached key set) per JWKS URL for the life of the process."""
    return jwt.PyJWKClient(
        url,
        cache_jwk_set=True,
        lifespan=JWKS_CACHE_SECONDS,
        timeout=JWKS_FETCH_TIMEOUT_SECONDS,
        cooldown_duration=JWKS_REFETCH_COOLDOWN_SECONDS,
    )


@functools.lru_cache(maxsize=8)
def _public_key(pem: str) -> Any:
    """Parse a PEM key once, not on every request."""
    return serialization.load_pem_public_key(pem.encode())


@functools.lru_cache(maxsize=8)
def _private_key(pem: str) -> Any:
    return serialization.load_pem_private_key(pem.encode(), password=None)


def _optional_str(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidTokenError("jurisdiction and department claims must be strings")
    return value
