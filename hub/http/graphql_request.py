"""What a GraphQL-over-HTTP request carries, read and checked before anything executes it.

The body (size, UTF-8, JSON) or the GET query string, the four parameters' types, and how many
operations the document holds.  Every refusal is a ``RequestRejected``, so every early exit of
the endpoint produces the same spec-shaped error body.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import GraphQLError, OperationDefinitionNode, parse
from starlette.requests import ClientDisconnect, Request

from hub.http.inputs import inspect_json, inspect_text

__all__ = ["GraphQLParams", "JSONObject", "RequestRejected"]

JSONObject = dict[str, Any]

PARSED_DOCUMENTS = 512  # document texts whose operation count is kept


class RequestRejected(Exception):  # noqa: N818 -- a rejection is an outcome, not a bug
    """Stop handling a request and answer ``status_code`` with ``{"errors":[{"message":...}]}``.

    Raised by context factories (bad or missing credentials, throttling) and internally for
    HTTP-level request errors (malformed JSON, wrong content type, oversized body), so every
    early exit produces the same spec-shaped error body.
    """

    def __init__(
        self,
        status_code: int,
        message: str,
        headers: Mapping[str, str] | None = None,
        *,
        code: str | None = None,
        query: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message
        self.headers: dict[str, str] = dict(headers or {})
        self.code = code
        self.query = query  # the document, when the request got as far as naming one


@dataclass(frozen=True)
class GraphQLParams:
    """The four GraphQL-over-HTTP request parameters, already type-checked."""

    query: str
    variables: JSONObject | None = None
    operation_name: str | None = None
    extensions: JSONObject | None = None

    @classmethod
    def from_payload(cls, payload: object) -> GraphQLParams:
        """Validate a decoded request body; shape errors are 400 for every media type."""
        if not isinstance(payload, dict):
            raise RequestRejected(400, "The request body must be a JSON object.")
        query = payload.get("query")
        if query is None:
            raise RequestRejected(400, 'The "query" parameter is missing.')
        if not isinstance(query, str):
            raise RequestRejected(400, 'The "query" parameter must be a string.')
        try:
            operation_name = payload.get("operationName")
            if operation_name is not None and not isinstance(operation_name, str):
                raise RequestRejected(
                    400, 'The "operationName" parameter must be a string or null.'
                )
            params = cls(
                query=query,
                variables=_optional_map(payload, "variables"),
                operation_name=operation_name,
                extensions=_optional_map(payload, "extensions"),
            )
            problem = (
                inspect_text(query)
                or inspect_json(params.variables)
                or inspect_json(params.extensions)
            )
            if problem is not None:
                # Refused up front, the same on every backend, before anything walks the values.
                raise RequestRejected(400, problem.message, code=problem.code)
        except RequestRejected as rejection:
            rejection.query = query if inspect_text(query) is None else None
            raise
        return params


def _optional_map(payload: JSONObject, key: str) -> JSONObject | None:
    value = payload.get(key)
    if value is not None and not isinstance(value, dict):
        raise RequestRejected(400, f'The "{key}" parameter must be a map (JSON object) or null.')
    return value


def params_from_query_string(request: Request) -> GraphQLParams:
    """GET parameters: ``variables`` and ``extensions`` are URL-encoded JSON strings."""
    query_params = request.query_params
    payload: JSONObject = {
        "query": query_params.get("query"),
        "operationName": query_params.get("operationName") or None,
    }
    for key in ("variables", "extensions"):
        raw = query_params.get(key)
        try:
            payload[key] = json.loads(raw, parse_constant=_reject_constant) if raw else None
        except (ValueError, RecursionError) as exc:
            raise RequestRejected(400, f'The "{key}" parameter is not valid JSON: {exc}') from exc
    return GraphQLParams.from_payload(payload)


def decode_json(body: bytes) -> object:
    """Decode a UTF-8 JSON body; every failure is a 400 for both response media types."""
    if not body.strip():
        raise RequestRejected(400, "The request body is empty; expected a JSON object.")
    try:
        return json.loads(body.decode("utf-8"), parse_constant=_reject_constant)
    except UnicodeDecodeError as exc:
        raise RequestRejected(400, "The request body is not valid UTF-8.") from exc
    except (ValueError, RecursionError) as exc:
        raise RequestRejected(400, f"The request body is not valid JSON: {exc}") from exc


def _reject_constant(name: str) -> object:
    """``NaN``/``Infinity`` are not JSON; Python accepts them unless told otherwise."""
    raise ValueError(f"{name} is not a JSON value")


def _too_large(limit: int) -> RequestRejected:
    return RequestRejected(413, f"The request body is larger than {limit} bytes.")


async def read_body(request: Request, max_bytes: int) -> bytes:
    """Read the body, refusing (413) as soon as it exceeds ``max_bytes``.

    ``Content-Length`` is checked first so honest clients are refused before any upload;
    the streamed count catches chunked bodies and lying headers.
    """
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > max_bytes:
        raise _too_large(max_bytes)
    body = bytearray()
    try:
        async for chunk in request.stream():
            body += chunk
            if len(body) > max_bytes:
                raise _too_large(max_bytes)
    except ClientDisconnect as exc:
        raise RequestRejected(400, "The client disconnected while sending the body.") from exc
    return bytes(body)


def count_operations(query: str, parse_options: Mapping[str, Any]) -> int:
    """Count the operations of a document, 0 when it does not parse (within ``parse_options``).

    Strawberry runs the first operation when ``operationName`` is absent, but GraphQL's
    ``GetOperation()`` makes that a request error as soon as there are several: running the
    wrong one (say a mutation placed first) silently is worse than parsing twice.  Syntax errors
    are left to strawberry, which reports them with its error processing.  Front ends send the
    same few documents over and over: the count is kept per document text.
    """
    return _operations_in(query, tuple(sorted(parse_options.items())))


@functools.lru_cache(maxsize=PARSED_DOCUMENTS)
def _operations_in(query: str, parse_options: tuple[tuple[str, Any], ...]) -> int:
    try:
        document = parse(query, no_location=True, **dict(parse_options))
    except GraphQLError:
        return 0
    return sum(isinstance(node, OperationDefinitionNode) for node in document.definitions)
