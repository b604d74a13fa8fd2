"""The hub's one error vocabulary (``ErrorCode``) and the typed domain errors that carry it.

Every code a client can be shown is a member of ``ErrorCode``: in a mutation payload's
``errors { code errorCode }`` (a ``DomainError`` the mutation refused with), or in a GraphQL
error's ``extensions.code`` (a refused query, subscription or request).  The values are the
codes' names, so ``UserError.code`` (a String) and ``UserError.errorCode`` (the GraphQL enum
``ErrorCode``) always agree; docs/API.md lists them all, and a test holds the two together.

Domains raise ``DomainError`` subclasses (their own, or the shared ones below); the schema
translates them in one place (``schema.core.errors``).
"""

from __future__ import annotations

import enum
from typing import ClassVar


class ErrorCode(enum.StrEnum):
    # The request and the input
    INVALID_INPUT = "INVALID_INPUT"
    INVALID_ARGUMENT = "INVALID_ARGUMENT"
    INVALID_CURSOR = "INVALID_CURSOR"
    INVALID_PAGE_SIZE = "INVALID_PAGE_SIZE"
    INVALID_DATETIME = "INVALID_DATETIME"
    INVALID_PERIOD = "INVALID_PERIOD"
    INVALID_LEVEL = "INVALID_LEVEL"
    INVALID_MONTH = "INVALID_MONTH"
    INVALID_SCHEDULE = "INVALID_SCHEDULE"
    INVALID_REQUEST = "INVALID_REQUEST"
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
    BODY_TOO_LARGE = "BODY_TOO_LARGE"
    UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE"
    TOO_LONG = "TOO_LONG"
    SEARCH_TOO_LONG = "SEARCH_TOO_LONG"
    TOO_MANY_IDS = "TOO_MANY_IDS"
    NUL_CHARACTER = "NUL_CHARACTER"
    LONE_SURROGATE = "LONE_SURROGATE"
    JSON_TOO_DEEP = "JSON_TOO_DEEP"
    # Who is asking
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    # What is named
    NOT_FOUND = "NOT_FOUND"
    UNKNOWN_JURISDICTION = "UNKNOWN_JURISDICTION"
    UNKNOWN_DEPARTMENT = "UNKNOWN_DEPARTMENT"
    UNKNOWN_CATEGORY = "UNKNOWN_CATEGORY"
    UNKNOWN_REFERENCE = "UNKNOWN_REFERENCE"
    DUPLICATE_REFERENCE = "DUPLICATE_REFERENCE"
    # Places
    OUTSIDE_CITY = "OUTSIDE_CITY"
    INVALID_GEOMETRY = "INVALID_GEOMETRY"
    ADDRESS_NOT_LOCATED = "ADDRESS_NOT_LOCATED"
    GEOGRAPHY_NOT_LOADED = "GEOGRAPHY_NOT_LOADED"
    FOOTPRINT_TOO_LARGE = "FOOTPRINT_TOO_LARGE"
    OUTSIDE_SCOPE = "OUTSIDE_SCOPE"
    # Cases and whistles: the lifecycle's rules
    ILLEGAL_TRANSITION = "ILLEGAL_TRANSITION"
    REASON_REQUIRED = "REASON_REQUIRED"
    RETURN_RULED = "RETURN_RULED"
    EXTENSION_TOO_LATE = "EXTENSION_TOO_LATE"
    INVALID_EXTENSION = "INVALID_EXTENSION"
    ALREADY_OVERDUE = "ALREADY_OVERDUE"
    NOT_OVERDUE = "NOT_OVERDUE"
    CROSS_DISTRICT_MERGE = "CROSS_DISTRICT_MERGE"
    PARTIES_OUTSTANDING = "PARTIES_OUTSTANDING"
    NOT_EVALUATED = "NOT_EVALUATED"
    # Monthly themes
    EMPTY_THEME = "EMPTY_THEME"
    THEME_EXISTS = "THEME_EXISTS"
    # Integrations: adapters' records, webhooks, Open311 keys
    REJECTED = "REJECTED"
    NO_DEPARTMENT = "NO_DEPARTMENT"
    STATUS_REGRESSION = "STATUS_REGRESSION"
    WEBHOOK_URL_REFUSED = "WEBHOOK_URL_REFUSED"
    CONNECTION_RUNNING = "CONNECTION_RUNNING"
    INVALID_KEY = "INVALID_KEY"
    BAD_REQUEST = "BAD_REQUEST"
    # Query limits
    QUERY_TOO_LARGE = "QUERY_TOO_LARGE"
    TOO_MANY_TOKENS = "TOO_MANY_TOKENS"
    QUERY_TOO_DEEP = "QUERY_TOO_DEEP"
    QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"
    TOO_MANY_ALIASES = "TOO_MANY_ALIASES"
    TOO_MANY_DIRECTIVES = "TOO_MANY_DIRECTIVES"
    INTROSPECTION_DISABLED = "INTROSPECTION_DISABLED"
    INTROSPECTION_TOO_DEEP = "INTROSPECTION_TOO_DEEP"
    # Transport and the process
    WEBSOCKET_ONLY = "WEBSOCKET_ONLY"
    SUBSCRIPTIONS_ONLY = "SUBSCRIPTIONS_ONLY"
    SUBSCRIBER_TOO_SLOW = "SUBSCRIBER_TOO_SLOW"
    RATE_LIMITED = "RATE_LIMITED"
    TIMEOUT = "TIMEOUT"
    INTERNAL = "INTERNAL"


class DomainError(Exception):
    """An expected refusal, with the code the client is shown; subclasses set ``code``."""

    code: ClassVar[ErrorCode]

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class ConflictError(Exception):
    """A concurrent transaction won a race on a unique key; the work, run again, sees its result."""


class NotFoundError(DomainError):
    code = ErrorCode.NOT_FOUND


class InvalidInputError(DomainError):
    code = ErrorCode.INVALID_INPUT


class InvalidArgumentError(DomainError):
    """A query argument out of its range (``first``, ``last``, ``bottomCount`` ...)."""

    code = ErrorCode.INVALID_ARGUMENT


class TooManyIdsError(DomainError):
    code = ErrorCode.TOO_MANY_IDS


class SearchTooLongError(DomainError):
    code = ErrorCode.SEARCH_TOO_LONG


class UnauthenticatedError(DomainError):
    """The operation needs a token and none (or the anonymous one) came."""

    code = ErrorCode.UNAUTHENTICATED


class UnknownJurisdictionError(DomainError):
    code = ErrorCode.UNKNOWN_JURISDICTION


class UnknownDepartmentError(DomainError):
    code = ErrorCode.UNKNOWN_DEPARTMENT


class IllegalTransitionError(DomainError):
    """A case or whistle asked to move where its lifecycle does not go from its status."""

    code = ErrorCode.ILLEGAL_TRANSITION


class OutsideCityError(DomainError):
    code = ErrorCode.OUTSIDE_CITY


class InvalidGeometryError(DomainError):
    code = ErrorCode.INVALID_GEOMETRY


class GeographyNotLoadedError(DomainError):
    code = ErrorCode.GEOGRAPHY_NOT_LOADED


class InvalidPeriodError(DomainError):
    """A ``from``/``to`` period without a time zone offset, or ending before it starts."""

    code = ErrorCode.INVALID_PERIOD


class InvalidLevelError(DomainError):
    """A jurisdiction level where the figures are not kept (rankings: districts, streets)."""

    code = ErrorCode.INVALID_LEVEL
