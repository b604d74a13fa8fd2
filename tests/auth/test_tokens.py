"""Production tokens: RS256 with a PEM public key or a JWKS, and the HS256 default beside them.

Forged, expired, tampered and wrong-audience HS256 tokens are covered in ``tests/test_app.py``;
these tests cover the asymmetric kinds and the ways they must not be confused with HS256.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
import pydantic
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from hub.app import create_app
from hub.auth.actors import Role
from hub.auth.tokens import (
    InvalidTokenError,
    SigningKeysUnavailableError,
    actor_from_authorization,
    actor_from_token,
    authenticate,
    mint,
)
from hub.config import Settings
from tests.support.databases import closed_port
from tests.support.server import serve_in_thread

ME = {"query": "{ me { sub role } }"}


@dataclass(frozen=True)
class KeyPair:
    private_pem: str
    public_pem: str

    @classmethod
    def generate(cls) -> KeyPair:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        private_pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        public_pem = (
            key.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )
        return cls(private_pem, public_pem)

    def jwk(self, kid: str) -> dict[str, Any]:
        public_key = serialization.load_pem_public_key(self.public_pem.encode())
        jwk: dict[str, Any] = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(public_key))
        return {**jwk, "kid": kid, "use": "sig", "alg": "RS256"}


@pytest.fixture(scope="module")
def keys() -> KeyPair:
    return KeyPair.generate()


@pytest.fixture(scope="module")
def other_keys() -> KeyPair:
    return KeyPair.generate()


def rs256(settings: Settings, keys: KeyPair) -> Settings:
    """Settings of a hub that verifies RS256 with ``keys`` (and mints with them)."""
    return settings.model_copy(
        update={"jwt_public_key": keys.public_pem, "jwt_private_key": keys.private_pem}
    )


def claims(settings: Settings, **override: Any) -> dict[str, Any]:
    now = dt.datetime.now(dt.UTC)
    return {
        "sub": "officer-9",
        "role": "STREET_OFFICE",
        "jurisdiction": "110102020",
        "iat": now,
        "exp": now + dt.timedelta(minutes=5),
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        **override,
    }


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hs256_signed_with(secret: bytes, payload: dict[str, Any]) -> str:
    """An HS256 token made by hand: PyJWT refuses to use a PEM key as an HMAC secret."""
    header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64(json.dumps(payload, default=lambda value: int(value.timestamp())).encode())
    signature = hmac.new(secret, f"{header}.{body}".encode(), hashlib.sha256).digest()
    return f"{header}.{body}.{b64(signature)}"


# -- RS256 with a PEM public key -----------------------------------------------------------------


def test_rs256_tokens_minted_with_the_private_key_verify(settings: Settings, keys: KeyPair) -> None:
    production = rs256(settings, keys)
    token = mint(
        production, role=Role.DEPARTMENT, sub="dept-1", department="110102.URBAN_MANAGEMENT"
    )
    assert jwt.get_unverified_header(token)["alg"] == "RS256"
    actor = actor_from_token(production, token)
    assert (actor.sub, actor.role, actor.department_code) == (
        "dept-1",
        Role.DEPARTMENT,
        "110102.URBAN_MANAGEMENT",
    )
    verified_only = production.model_copy(update={"jwt_private_key": None})
    assert actor_from_authorization(verified_only, f"Bearer {token}") == actor


def test_the_token_id_is_sub_and_jti(settings: Settings) -> None:
    token = mint(settings, role=Role.OBSERVER, sub="watcher")
    authentication = authenticate(settings, f"Bearer {token}")
    jti = jwt.decode(token, options={"verify_signature": False})["jti"]
    assert authentication.token_id == f"watcher/{jti}"
    without_jti = jwt.encode(claims(settings), settings.jwt_secret, algorithm="HS256")
    assert authenticate(settings, f"Bearer {without_jti}").token_id == (
        hashlib.sha256(without_jti.encode()).hexdigest()
    )
    assert authenticate(settings, None).token_id is None


@pytest.mark.parametrize(
    "forge",
    [
        "hs256-with-the-demo-secret",
        "hs256-with-the-public-key-as-secret",
        "signed-by-another-key",
        "expired",
        "wrong-issuer",
        "not-yet-valid",
        "alg-none",
    ],
)
def test_a_production_hub_refuses_what_it_did_not_issue(
    settings: Settings, keys: KeyPair, other_keys: KeyPair, forge: str
) -> None:
    production = rs256(settings, keys).model_copy(update={"jwt_private_key": None})
    payload = claims(production)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=10)
    token = {
        "hs256-with-the-demo-secret": lambda: mint(settings, role=Role.CITY_PLATFORM),
        "hs256-with-the-public-key-as-secret": lambda: hs256_signed_with(
            keys.public_pem.encode(), payload
        ),
        "signed-by-another-key": lambda: jwt.encode(payload, other_keys.private_pem, "RS256"),
        "expired": lambda: jwt.encode(
            {**payload, "exp": dt.datetime.now(dt.UTC) - dt.timedelta(minutes=2)},
            keys.private_pem,
            "RS256",
        ),
        "wrong-issuer": lambda: jwt.encode(
            {**payload, "iss": "someone-else"}, keys.private_pem, "RS256"
        ),
        "not-yet-valid": lambda: jwt.encode({**payload, "nbf": later}, keys.private_pem, "RS256"),
        "alg-none": lambda: jwt.encode(payload, None, algorithm="none"),
    }[forge]()
    with pytest.raises(InvalidTokenError):
        actor_from_token(production, token)


def test_bad_key_settings_are_refused_at_start_up(settings: Settings, keys: KeyPair) -> None:
    base = settings.model_dump()
    both = {"jwt_public_key": keys.public_pem, "jwks_url": "https://idp.example/jwks.json"}
    with pytest.raises(pydantic.ValidationError, match="not both"):
        Settings.model_validate({**base, **both})
    with pytest.raises(pydantic.ValidationError):
        Settings.model_validate({**base, "jwt_public_key": "not a key"})
    with pytest.raises(pydantic.ValidationError):
        Settings.model_validate({**base, "jwt_private_key": keys.public_pem})
    assert Settings.model_validate({**base, "jwt_public_key": keys.public_pem}).jwt_public_key


async def test_rs256_over_http(settings: Settings, keys: KeyPair) -> None:
    production = rs256(settings, keys)
    with serve_in_thread(create_app(production)) as url:
        async with httpx.AsyncClient(base_url=url) as client:
            good = await client.post(
                "/graphql",
                json=ME,
                headers={"Authorization": f"Bearer {mint(production, role=Role.HOTLINE)}"},
            )
            demo = await client.post(
                "/graphql",
                json=ME,
                headers={"Authorization": f"Bearer {mint(settings, role=Role.HOTLINE)}"},
            )
    assert good.status_code == 200
    assert good.json()["data"]["me"]["role"] == "HOTLINE"
    assert demo.status_code == 401
    assert demo.headers["www-authenticate"].startswith("Bearer")


# -- RS256 through a JWKS ------------------------------------------------------------------------


class JWKSServer:
    """A tiny identity provider: serves a JWKS document and counts the fetches."""

    def __init__(self, keys: dict[str, KeyPair]) -> None:
        self.keys = keys
        self.fetches = 0
        self._lock = threading.Lock()

    def app(self) -> Starlette:
        async def jwks(_: Request) -> JSONResponse:
            with self._lock:
                self.fetches += 1
            return JSONResponse({"keys": [pair.jwk(kid) for kid, pair in self.keys.items()]})

        return Starlette(routes=[Route("/.well-known/jwks.json", jwks)])


@pytest.fixture
def identity_provider(keys: KeyPair) -> Iterator[tuple[str, JWKSServer]]:
    server = JWKSServer({"key-2026": keys})
    with serve_in_thread(server.app()) as url:
        yield f"{url}/.well-known/jwks.json", server


def idp_token(settings: Settings, keys: KeyPair, kid: str | None, **override: Any) -> str:
    headers = {"kid": kid} if kid else None
    return jwt.encode(claims(settings, **override), keys.private_pem, "RS256", headers=headers)


async def test_jwks_tokens_verify_over_http_and_the_key_set_is_cached(
    settings: Settings,
    keys: KeyPair,
    other_keys: KeyPair,
    identity_provider: tuple[str, JWKSServer],
) -> None:
    jwks_url, idp = identity_provider
    production = settings.model_copy(update={"jwks_url": jwks_url})
    with serve_in_thread(create_app(production)) as url:
        async with httpx.AsyncClient(base_url=url) as client:

            async def me(token: str) -> httpx.Response:
                return await client.post(
                    "/graphql", json=ME, headers={"Authorization": f"Bearer {token}"}
                )

            answers = [await me(idp_token(production, keys, "key-2026")) for _ in range(3)]
            fetches_for_three_requests = idp.fetches
            unknown_kid = await me(idp_token(production, keys, "key-1999"))
            no_kid = await me(idp_token(production, keys, None))
            wrong_key = await me(idp_token(production, other_keys, "key-2026"))
            wrong_audience = await me(idp_token(production, keys, "key-2026", aud="elsewhere"))
            demo = await me(mint(settings, role=Role.CITY_PLATFORM))
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert answers[0].json()["data"]["me"] == {"sub": "officer-9", "role": "STREET_OFFICE"}
    assert fetches_for_three_requests == 1, "the key set is fetched once and cached"
    for refused in (unknown_kid, no_kid, wrong_key, wrong_audience, demo):
        assert refused.status_code == 401, refused.text


async def test_an_unreachable_identity_provider_is_a_503(settings: Settings, keys: KeyPair) -> None:
    production = settings.model_copy(
        update={"jwks_url": f"http://127.0.0.1:{closed_port()}/.well-known/jwks.json"}
    )
    token = idp_token(production, keys, "key-2026")
    with pytest.raises(SigningKeysUnavailableError):
        actor_from_token(production, token)
    with serve_in_thread(create_app(production)) as url:
        async with httpx.AsyncClient(base_url=url) as client:
            response = await client.post(
                "/graphql", json=ME, headers={"Authorization": f"Bearer {token}"}
            )
            anonymous = await client.post("/graphql", json=ME)
    assert response.status_code == 503
    assert response.headers["retry-after"] == "30"
    assert "signing keys unavailable" in response.json()["errors"][0]["message"]
    assert anonymous.json() == {"data": {"me": None}}
