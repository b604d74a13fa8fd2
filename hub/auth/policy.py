"""Who may do what, across domains: the actor's scope and the refusal every rule raises.

Each domain keeps its own rules beside its queries (``hub.cases.access``,
``hub.whistles.access``): the SQL predicate and the row check side by side. Resolvers and
services never test roles themselves; they ask those modules. A refusal to act on something the
actor cannot see is reported as NOT_FOUND, so refusals never reveal existence.
"""

from __future__ import annotations

from hub.auth.actors import Actor, Role
from hub.errors import DomainError, ErrorCode


class PermissionDeniedError(DomainError):
    code = ErrorCode.FORBIDDEN


def scope_prefix(actor: Actor) -> str:
    """The code prefix of the actor's jurisdiction (a grid code is its own prefix)."""
    code = actor.jurisdiction_code or ""
    if len(code) == 6 and code.endswith("0000"):
        return code[:2]
    return code


def within_scope(actor: Actor, code: str | None) -> bool:
    prefix = scope_prefix(actor)
    return bool(prefix) and code is not None and code.startswith(prefix)


def may_read_adapter_runs(actor: Actor) -> bool:
    """Adapter runs and their quarantine (raw records hold PII) are for the platforms."""
    return actor.role in (Role.CITY_PLATFORM, Role.DISTRICT_PLATFORM)


def may_read_audit(actor: Actor) -> bool:
    """The audit log is the city platform's."""
    return actor.role is Role.CITY_PLATFORM
