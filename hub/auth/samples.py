"""The demo's sample identities: printed by ``hub demo`` and offered in its GraphiQL page."""

from __future__ import annotations

from hub.auth.actors import Role
from hub.auth.tokens import mint
from hub.config import Settings

SAMPLE_TOKENS: list[tuple[str, Role, str | None, str | None]] = [
    ("city platform", Role.CITY_PLATFORM, "110000", None),
    ("Xicheng district platform", Role.DISTRICT_PLATFORM, "110102", None),
    ("Guangwai street office (Xicheng)", Role.STREET_OFFICE, "110102020", None),
    ("Xicheng urban management", Role.DEPARTMENT, "110102", "110102.URBAN_MANAGEMENT"),
    ("12345 hotline", Role.HOTLINE, "110000", None),
    ("observer", Role.OBSERVER, "110000", None),
]


def sample_tokens(settings: Settings) -> list[tuple[str, Role, str]]:
    """(label, role, token) for each sample identity, signed with the configured key."""
    return [
        (label, role, mint(settings, role=role, jurisdiction=code, department=department))
        for label, role, code, department in SAMPLE_TOKENS
    ]
