"""GraphQL over HTTP for the hub: a thin Starlette endpoint around ``strawberry.Schema.execute``.

Why not strawberry's own HTTP view: it answers GraphQL parse and validation errors with status 200
and cannot tell ``application/graphql-response+json`` from ``application/json``, so it fails the
GraphQL-over-HTTP spec audits of the reference ``graphql-http`` suite.  This endpoint implements
the spec's status codes and content negotiation and leaves everything GraphQL to strawberry
(parsing, validation, execution, extensions, ``Schema.process_errors``).

Mounting -- an instance is a plain ASGI application, so Starlette's ``Route`` mounts it as is::

    from starlette.applications import Starlette
    from starlette.routing import Route

    endpoint = GraphQLHTTPEndpoint(schema, context_factory=build_context)
    app = Starlette(routes=[Route("/graphql", endpoint, methods=["GET", "POST"])])

``endpoint.handle`` is the same thing as a ``Request -> Response`` coroutine, for callers (or
middleware) that want the response object.  WebSocket traffic is not handled here: mount
strawberry's ASGI view for it on a ``WebSocketRoute``.

The context factory runs before the body is read, so it is the place to authenticate: raise
``RequestRejected(401, "...", {"WWW-Authenticate": "Bearer"})`` and the client gets that status and
``{"errors": [{"message": "..."}]}`` without the hub parsing the request body at all.
"""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import strawberry
from graphql import GraphQLError, OperationDefinitionNode, parse
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, Response
from starlette.types import Receive, Scope, Send
from strawberry.exceptions import MissingQueryError
from strawberry.http.ides import get_graphql_ide_html
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types.execution import ExecutionResult, PreExecutionError
from strawberry.types.graphql import OperationType

from hub.http.caching import conditional
from hub.http.inputs import inspect_json, inspect_text
from hub.http.negotiation import (
    GRAPHQL_RESPONSE_JSON,
    JSON,
    accepts_html,
    choose_response_type,
    request_content_type_problem,
)

__all__ = [
    "ContextFactory",
    "GraphQLHTTPEndpoint",
    "GraphQLParams",
    "OnRefused",
    "OnUnauthenticated",
    "RequestRejected",
]

ContextFactory = Callable[[Request], Awaitable[object]]
OnRefused = Callable[[object, "RequestRejected"], Awaitable[None]]
"""Told of each request refused after its context was built (to audit attempted mutations)."""
OnUnauthenticated = Callable[[Request, "RequestRejected"], Awaitable[None]]
"""Told of each request whose context factory refused it (a bad token): it has no context."""
JSONObject = dict[str, Any]

_GET_OPERATIONS = frozenset({OperationType.QUERY})
_POST_OPERATIONS = frozenset({OperationType.QUERY, OperationType.MUTATION})

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


@dataclass(frozen=True)
class _Outcome:
    """A GraphQL response body and whether it is a request error (no execution happened)."""

    body: JSONObject
    request_error: bool


class GraphQLHTTPEndpoint:
    """Serve a strawberry schema over HTTP following the GraphQL over HTTP spec.

    Request errors (unparsable or invalid documents, bad variables, unknown operation) are
    answered 400 with ``application/graphql-response+json`` and 200 with ``application/json``,
    as the spec requires for each media type; executed operations are always 200, even when
    fields failed, because the body then carries partial ``data``.
    """

    def __init__(
        self,
        schema: strawberry.Schema,
        context_factory: ContextFactory,
        *,
        graphiql: bool = True,
        max_body_bytes: int = 1_048_576,
        allow_batching: bool = False,
        max_batch_size: int | None = None,
        timeout_seconds: float | None = None,
        parse_options: Mapping[str, Any] | None = None,
        cache_max_age: int | None = None,
        ide_html: str | None = None,
        ide_headers: Mapping[str, str] | None = None,
        on_refused: OnRefused | None = None,
        on_unauthenticated: OnUnauthenticated | None = None,
    ) -> None:
        """``timeout_seconds`` cancels an operation that runs longer (``TIMEOUT`` error);
        ``parse_options`` go to graphql-core's ``parse`` when the endpoint itself looks at a
        document (counting its operations), so that look stops at the schema's token limit too.
        ``cache_max_age`` gives successful GET answers validators (``hub.http.caching``);
        ``ide_html`` replaces strawberry's GraphiQL page (which loads from a CDN).
        """
        self.schema = schema
        self.context_factory = context_factory
        self.graphiql = graphiql
        self.max_body_bytes = max_body_bytes
        self.allow_batching = allow_batching
        self.max_batch_size = max_batch_size
        self.timeout_seconds = timeout_seconds
        self.parse_options = dict(parse_options or {})
        self.cache_max_age = cache_max_age
        self._ide_html = ide_html or (get_graphql_ide_html("graphiql") if graphiql else "")
        self._ide_headers = {"Vary": "Accept", **(ide_headers or {})}
        self.on_refused = on_refused
        self.on_unauthenticated = on_unauthenticated

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry point, so that ``Route("/graphql", endpoint)`` mounts the instance."""
        response = await self.handle(Request(scope, receive))
        await response(scope, receive, send)

    async def handle(self, request: Request) -> Response:
        """Answer one HTTP request (the ``Request -> Response`` form of the endpoint).

        Method, GraphiQL and ``Accept`` are settled before the context factory runs, so that
        the IDE page and 405/406 answers need no credentials.
        """
        if request.method not in ("GET", "HEAD", "POST"):
            message = f"Method {request.method} is not allowed."
            return _error_response(405, message, JSON, {"Allow": "GET, POST"})
        accept = request.headers.get("accept")
        if self._wants_ide(request, accept):
            return HTMLResponse(self._ide_html, headers=self._ide_headers)
        media_type = choose_response_type(accept)
        if media_type is None:
            message = f"No media type in Accept: {accept} can be produced; accept {JSON}."
            return _error_response(406, message, JSON)
        try:
            return await self._dispatch(request, media_type)
        except RequestRejected as rejection:
            return _error_response(
                rejection.status_code,
                rejection.message,
                media_type,
                rejection.headers,
                code=rejection.code,
            )

    async def _dispatch(self, request: Request, media_type: str) -> Response:
        """Build the context first: authentication fails before the body is even read."""
        try:
            context = await self.context_factory(request)
        except RequestRejected as rejection:
            if self.on_unauthenticated is not None:
                await self.on_unauthenticated(request, rejection)
            raise
        try:
            return await self._respond(request, context, media_type)
        except RequestRejected as rejection:
            if self.on_refused is not None:
                if rejection.query is None and request.method != "POST":
                    rejection.query = request.query_params.get("query")
                await self.on_refused(context, rejection)
            raise

    async def _respond(self, request: Request, context: object, media_type: str) -> Response:
        if request.method == "POST":
            return await self._handle_post(request, context, media_type)
        params = _params_from_query_string(request)
        outcome = await self._execute(params, context, _GET_OPERATIONS)
        response = _json_response(outcome.body, _status_for(outcome, media_type), media_type)
        if self.cache_max_age is None or "errors" in outcome.body:
            return response
        return conditional(request, response, max_age=self.cache_max_age)

    def _wants_ide(self, request: Request, accept: str | None) -> bool:
        """A browser GET without a query opens GraphiQL; scripts keep getting JSON errors."""
        return (
            self.graphiql
            and request.method in ("GET", "HEAD")
            and "query" not in request.query_params
            and accepts_html(accept)
        )

    async def _handle_post(self, request: Request, context: object, media_type: str) -> Response:
        content_type = request.headers.get("content-type")
        if (problem := request_content_type_problem(content_type)) is not None:
            raise RequestRejected(415, problem, {"Accept-Post": JSON})
        payload = _decode_json(await self._read_body(request))
        if isinstance(payload, list):
            return await self._handle_batch(payload, context, media_type)
        params = GraphQLParams.from_payload(payload)
        outcome = await self._execute(params, context, _POST_OPERATIONS)
        return _json_response(outcome.body, _status_for(outcome, media_type), media_type)

    async def _handle_batch(self, payload: list[Any], context: object, media_type: str) -> Response:
        """Run a batch sequentially (mutations keep their order); one bad entry fails alone.

        Batching is not part of the spec, so the batch answers 200 and each entry carries its
        own errors.
        """
        if not self.allow_batching:
            raise RequestRejected(
                400, "Batched requests (a JSON array body) are not enabled on this endpoint."
            )
        if not payload:
            raise RequestRejected(400, "A batch must contain at least one request.")
        if self.max_batch_size is not None and len(payload) > self.max_batch_size:
            raise RequestRejected(
                400, f"A batch may contain at most {self.max_batch_size} requests."
            )
        bodies: list[JSONObject] = []
        for entry in payload:
            try:
                params = GraphQLParams.from_payload(entry)
            except RequestRejected as rejection:
                error: JSONObject = {"message": rejection.message}
                if rejection.code is not None:
                    error["extensions"] = {"code": rejection.code}
                bodies.append({"errors": [error]})
                continue
            bodies.append((await self._execute(params, context, _POST_OPERATIONS)).body)
        return _json_response(bodies, 200, media_type)

    async def _read_body(self, request: Request) -> bytes:
        """Read the body, refusing (413) as soon as it exceeds ``max_body_bytes``.

        ``Content-Length`` is checked first so honest clients are refused before any upload;
        the streamed count catches chunked bodies and lying headers.
        """
        declared = request.headers.get("content-length", "")
        if declared.isascii() and declared.isdigit() and int(declared) > self.max_body_bytes:
            raise _too_large(self.max_body_bytes)
        body = bytearray()
        try:
            async for chunk in request.stream():
                body += chunk
                if len(body) > self.max_body_bytes:
                    raise _too_large(self.max_body_bytes)
        except ClientDisconnect as exc:
            raise RequestRejected(400, "The client disconnected while sending the body.") from exc
        return bytes(body)

    async def _execute(
        self, params: GraphQLParams, context: object, allowed: frozenset[OperationType]
    ) -> _Outcome:
        """Execute with strawberry and sort the result into request error or execution result."""
        if (
            params.operation_name is None
            and _count_operations(params.query, self.parse_options) > 1
        ):
            return _request_error(
                'The document contains several operations; "operationName" must name one.'
            )
        deadline = asyncio.timeout(self.timeout_seconds)
        try:
            async with deadline:
                result = await self.schema.execute(
                    params.query,
                    variable_values=params.variables,
                    context_value=context,
                    operation_name=params.operation_name,
                    allowed_operation_types=allowed,
                    operation_extensions=params.extensions,
                )
        except TimeoutError:
            if not deadline.expired():
                raise
            return _timed_out(self.timeout_seconds or 0.0)
        except InvalidOperationTypeError as exc:
            return _disallowed_operation(exc, allowed)
        except CannotGetOperationTypeError as exc:
            return _request_error(_operation_not_found_message(exc))
        except MissingQueryError:
            return _request_error("The GraphQL document is empty.")
        if _is_request_error(result):
            return _Outcome(_result_body(result, include_data=False), request_error=True)
        return _Outcome(_result_body(result, include_data=True), request_error=False)


def _params_from_query_string(request: Request) -> GraphQLParams:
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


def _decode_json(body: bytes) -> object:
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


def _is_request_error(result: ExecutionResult) -> bool:
    """Tell request errors from execution results (the spec's two kinds of GraphQL response).

    Parse and validation failures come back as ``PreExecutionError``.  Variable coercion fails
    inside graphql-core's ``execute``: it returns ``data: null`` with errors that have no
    ``path``, whereas field errors always carry the path of the failed field.
    """
    if isinstance(result, PreExecutionError):
        return True
    errors = result.errors or []
    return result.data is None and bool(errors) and all(error.path is None for error in errors)


def _result_body(result: ExecutionResult, *, include_data: bool) -> JSONObject:
    body: JSONObject = {"data": result.data} if include_data else {}
    if result.errors:
        body["errors"] = [error.formatted for error in result.errors]
    if result.extensions:
        body["extensions"] = result.extensions
    return body


def _request_error(message: str) -> _Outcome:
    return _Outcome({"errors": [GraphQLError(message).formatted]}, request_error=True)


def _disallowed_operation(
    exc: InvalidOperationTypeError, allowed: frozenset[OperationType]
) -> _Outcome:
    """Mutations over GET are a 405 (spec MUST); subscriptions belong on the WebSocket."""
    if exc.operation_type is OperationType.MUTATION and OperationType.MUTATION not in allowed:
        raise RequestRejected(405, exc.as_http_error_reason("GET"), {"Allow": "POST"})
    return _request_error("Subscriptions are not served over HTTP; use the WebSocket endpoint.")


def _count_operations(query: str, parse_options: Mapping[str, Any]) -> int:
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


def _timed_out(seconds: float) -> _Outcome:
    """The operation was cancelled at its deadline: no data, one coded error (status 200).

    Not a request error -- the request was valid and execution began -- so it answers like an
    execution whose every field failed.  A mutation cut short may or may not have committed.
    """
    error = GraphQLError(
        f"The operation took longer than {seconds:g} s and was cancelled.",
        extensions={"code": "TIMEOUT", "timeoutSeconds": seconds},
    )
    return _Outcome({"data": None, "errors": [error.formatted]}, request_error=False)


def _operation_not_found_message(exc: CannotGetOperationTypeError) -> str:
    if exc.operation_name is not None:
        return exc.as_http_error_reason()
    return "The document contains no operation to run."


def _status_for(outcome: _Outcome, media_type: str) -> int:
    """Request errors: 400 with graphql-response+json, 200 with legacy application/json."""
    if outcome.request_error and media_type == GRAPHQL_RESPONSE_JSON:
        return 400
    return 200


def _error_response(
    status_code: int,
    message: str,
    media_type: str,
    headers: Mapping[str, str] | None = None,
    *,
    code: str | None = None,
) -> Response:
    error: JSONObject = {"message": message}
    if code is not None:
        error["extensions"] = {"code": code}
    return _json_response({"errors": [error]}, status_code, media_type, headers)


def _json_response(
    body: JSONObject | list[JSONObject],
    status_code: int,
    media_type: str,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """Serialise without ASCII escapes: the hub's data is mostly Chinese text."""
    content = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Response(
        content,
        status_code=status_code,
        headers={"Vary": "Accept", **(headers or {})},
        media_type=f"{media_type}; charset=utf-8",
    )
