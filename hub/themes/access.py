"""Who sets up a theme of the month: the city platform (any token reads the themes)."""

from __future__ import annotations

from hub.auth.actors import Actor, Role
from hub.auth.policy import PermissionDeniedError


def require_theme_setup(actor: Actor) -> None:
    """每月一题 is set up by the city platform."""
    if actor.role is not Role.CITY_PLATFORM:
        raise PermissionDeniedError("only the city platform sets up a theme of the month")
