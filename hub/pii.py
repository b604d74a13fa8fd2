"""Reporter contacts (PII): encrypted at rest, shown masked except to roles that need them."""

from __future__ import annotations

import base64
import hashlib
import re
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from hub.config import Settings


def _fernet(settings: Settings) -> MultiFernet:
    return _fernet_for(settings.pii_key, settings.jwt_secret)


@lru_cache(maxsize=8)
def _fernet_for(pii_key: str | None, jwt_secret: str) -> MultiFernet:
    """The first of ``HUB_PII_KEY``'s comma-separated keys encrypts; every key decrypts.

    The key derived from the JWT secret (the embedded default's) always decrypts too, so a
    deployment that started without ``HUB_PII_KEY`` moves to one with ``hub pii rotate``.
    """
    keys = [Fernet(key.strip().encode()) for key in (pii_key or "").split(",") if key.strip()]
    digest = hashlib.sha256(b"hub-pii:" + jwt_secret.encode()).digest()
    return MultiFernet([*keys, Fernet(base64.urlsafe_b64encode(digest))])


def rotate(settings: Settings, stored: bytes) -> bytes | None:
    """``stored`` encrypted again with the current key; None if no configured key reads it."""
    try:
        return _fernet(settings).rotate(stored)
    except InvalidToken:
        return None


def protect(settings: Settings, contact: str | None) -> bytes | None:
    if contact is None or not contact.strip():
        return None
    return _fernet(settings).encrypt(contact.strip().encode())


def reveal(settings: Settings, stored: bytes | None) -> str | None:
    if stored is None:
        return None
    try:
        return _fernet(settings).decrypt(stored).decode()
    except InvalidToken:
        return None


_PHONE = re.compile(r"^\+?\d{7,15}$")


def mask(contact: str | None) -> str | None:
    """``13812341234`` → ``138****1234``; anything else keeps its first and last characters."""
    if contact is None:
        return None
    compact = contact.replace(" ", "").replace("-", "")
    if _PHONE.match(compact):
        return f"{compact[:3]}{'*' * max(len(compact) - 7, 4)}{compact[-4:]}"
    if len(contact) <= 2:
        return "*" * len(contact)
    return f"{contact[0]}{'*' * (len(contact) - 2)}{contact[-1]}"
