"""Content negotiation on the ``Accept`` header for the GraphQL-over-HTTP endpoint.

The GraphQL over HTTP spec defines two response media types.  ``application/graphql-response+json``
is the modern one (its status codes tell request errors from execution results), and
``application/json`` is the legacy one that every client understands.  The rules for responses
encoded here are the ones the reference ``graphql-http`` audit suite checks:

* ``application/graphql-response+json`` wins whenever a client names it with the best quality;
* a missing ``Accept`` header, ``*/*`` and ``application/*`` mean ``application/json`` (the spec's
  recommendation for legacy clients, which send exactly those);
* nothing acceptable means ``406 Not Acceptable`` (decided by the caller when we return ``None``).

Starlette has no negotiation helper, and a full RFC 9110 implementation would be overkill for two
media types, so this is a small, strict-enough parser.
"""

from __future__ import annotations

from dataclasses import dataclass

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"
HTML = "text/html"

# Ordered by our preference when the client names several media types with equal quality.
SUPPORTED_RESPONSE_TYPES: tuple[str, ...] = (GRAPHQL_RESPONSE_JSON, JSON)


@dataclass(frozen=True)
class MediaRange:
    """One entry of an ``Accept`` header, e.g. ``application/*;q=0.5``."""

    type: str
    subtype: str
    quality: float

    def specificity(self, media_type: str) -> int:
        """How precisely this range matches ``media_type``: 2 exact, 1 ``type/*``, 0 ``*/*``.

        Returns -1 when it does not match at all.  The most specific matching range decides a
        media type's quality (RFC 9110 §12.5.1), so callers need the degree, not a boolean.
        """
        wanted_type, _, wanted_subtype = media_type.partition("/")
        if self.type == "*" and self.subtype == "*":
            return 0
        if self.type != wanted_type:
            return -1
        if self.subtype == "*":
            return 1
        return 2 if self.subtype == wanted_subtype else -1


def parse_accept(header: str) -> list[MediaRange]:
    """Parse an ``Accept`` header, skipping malformed entries instead of failing the request.

    Clients send odd headers (stray commas, bad ``q`` values); ignoring just the broken entry is
    kinder than rejecting the whole request and still lets a valid entry decide.
    """
    ranges: list[MediaRange] = []
    for entry in header.split(","):
        media, *params = (part.strip() for part in entry.split(";"))
        media_type, slash, subtype = media.lower().partition("/")
        if not slash or not media_type or not subtype:
            continue
        quality = _quality(params)
        if quality is not None:
            ranges.append(MediaRange(media_type, subtype, quality))
    return ranges


def _quality(params: list[str]) -> float | None:
    """Return the ``q`` parameter (default 1.0), or ``None`` when it is not a valid weight."""
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() != "q":
            continue
        try:
            quality = float(value.strip())
        except ValueError:
            return None
        return quality if 0.0 <= quality <= 1.0 else None
    return 1.0


def quality_of(ranges: list[MediaRange], media_type: str) -> tuple[float, int]:
    """Return ``(quality, specificity)`` of the most specific range matching ``media_type``.

    ``(0.0, -1)`` means the client did not mention the type at all.
    """
    best = (0.0, -1)
    for media_range in ranges:
        specificity = media_range.specificity(media_type)
        if specificity > best[1]:
            best = (media_range.quality, specificity)
    return best


def choose_response_type(accept: str | None) -> str | None:
    """Pick the response media type for ``accept``; ``None`` means respond 406.

    Ties are broken so that an explicit ``application/graphql-response+json`` beats
    ``application/json``, while wildcard-only matches fall back to ``application/json``, as the
    audits ``47DE`` (``*/*``) and ``80D8`` (no ``Accept``) require.
    """
    if accept is None or not accept.strip():
        return JSON
    ranges = parse_accept(accept)
    if not ranges:
        return JSON

    def rank(media_type: str) -> tuple[float, int, bool]:
        quality, specificity = quality_of(ranges, media_type)
        preferred = GRAPHQL_RESPONSE_JSON if specificity == 2 else JSON
        return quality, specificity, media_type == preferred

    best = max(SUPPORTED_RESPONSE_TYPES, key=rank)
    return best if rank(best)[0] > 0 else None


def accepts_html(accept: str | None) -> bool:
    """Tell whether the client explicitly asks for HTML, i.e. it is a browser wanting GraphiQL.

    Only an explicit ``text/html`` counts: ``*/*`` alone comes from scripts (curl, fetch) that
    want JSON errors, not an IDE page.
    """
    if not accept:
        return False
    quality, specificity = quality_of(parse_accept(accept), HTML)
    return specificity == 2 and quality > 0


def request_content_type_problem(content_type: str | None) -> str | None:
    """Say why a POST body's ``Content-Type`` is unsupported (415), or ``None`` when it is fine.

    The spec's only required request media type is ``application/json``, in UTF-8 (the default
    when no charset is given).  A message rather than an exception keeps this module free of the
    endpoint's error type.
    """
    media_type, *params = (content_type or "").split(";")
    if media_type.strip().lower() != JSON:
        return f"Unsupported Content-Type {content_type!r}; send {JSON}."
    for param in params:
        name, _, value = param.partition("=")
        charset = value.strip().strip('"').lower()
        if name.strip().lower() == "charset" and charset not in ("utf-8", "utf8"):
            return f"Unsupported charset {charset!r}; send utf-8."
    return None
