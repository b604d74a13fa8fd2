"""Typed domain errors; each carries the stable code clients see in ``UserError.code``."""

from __future__ import annotations


class DomainError(Exception):
    code = "ERROR"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class ConflictError(Exception):
    """A concurrent transaction won a race on a unique key; the work, run again, sees its result."""


class NotFoundError(DomainError):
    code = "NOT_FOUND"


class OutsideCityError(DomainError):
    code = "OUTSIDE_CITY"


class InvalidGeometryError(DomainError):
    code = "INVALID_GEOMETRY"


class GeographyNotLoadedError(DomainError):
    code = "GEOGRAPHY_NOT_LOADED"
