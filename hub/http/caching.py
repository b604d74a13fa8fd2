"""Validators for GET queries, so browsers and proxies can cache public reference data.

A GET query answered without errors carries a weak ``ETag`` (a digest of the body: weak, since
compression changes the bytes, not the meaning) and ``Cache-Control``. Without a token the answer
can only be public reference data, so shared caches may keep it ``max_age`` seconds; with a
token it is the caller's own (``private, no-cache``: revalidate every time). ``If-None-Match``
with the current tag is answered ``304 Not Modified`` without a body.
"""

from __future__ import annotations

import hashlib

from starlette.requests import Request
from starlette.responses import Response

__all__ = ["conditional"]


def conditional(request: Request, response: Response, *, max_age: int) -> Response:
    """Add ``ETag``/``Cache-Control`` to a successful GET answer, or turn it into a 304."""
    tag = 'W/"' + hashlib.blake2b(response.body, digest_size=16).hexdigest() + '"'
    public = "authorization" not in request.headers
    headers = {
        "ETag": tag,
        "Cache-Control": f"public, max-age={max_age}" if public else "private, no-cache",
        "Vary": "Accept, Authorization",
    }
    if tag in _tags(request.headers.get("if-none-match", "")):
        return Response(status_code=304, headers=headers)
    response.headers.update(headers)
    return response


def _tags(header: str) -> set[str]:
    """The entity tags of an ``If-None-Match`` header; strong and weak forms match alike."""
    tags = {part.strip() for part in header.split(",") if part.strip()}
    return tags | {f"W/{tag}" for tag in tags if not tag.startswith("W/")}
