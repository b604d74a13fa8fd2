"""GraphQL over HTTP for the hub: a thin Starlette endpoint around ``strawberry.Schema.execute``.

Why not strawberry's own HTTP view: it answers GraphQL parse and validation errors with status 200
and cannot tell ``application/graphql-response+json`` from ``application/json``, so it fails the
GraphQL-over-HTTP spec audits of the reference ``graphql-http`` suite.  This endpoint implements
the spec's status codes and content negotiation and leaves everything GraphQL to strawberry
(parsing, validation, execution, extensions, ``Schema.process_errors``).  What a request
carries is read in ``graphql_request``, what it is answered is shaped in ``graphql_response``.

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
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import strawberry
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import Receive, Scope, Send
from strawberry.exceptions import MissingQueryError
from strawberry.http.ides import get_graphql_ide_html
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types.graphql import OperationType

from hub.http.caching import conditional
from hub.http.graphql_request import (
    GraphQLParams,
    JSONObject,
    RequestRejected,
    count_operations,
    decode_json,
    params_from_query_string,
    read_body,
)
from hub.http.graphql_response import (
    Outcome,
    disallowed_operation,
    error_response,
    is_request_error,
    json_response,
    operation_not_found_message,
    request_error,
    result_body,
    status_for,
    timed_out,
)
from hub.http.negotiation import (
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

_GET_OPERATIONS = frozenset({OperationType.QUERY})
_POST_OPERATIONS = frozenset({OperationType.QUERY, OperationType.MUTATION})


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
            return error_response(405, message, JSON, {"Allow": "GET, POST"})
        accept = request.headers.get("accept")
        if self._wants_ide(request, accept):
            return HTMLResponse(self._ide_html, headers=self._ide_headers)
        media_type = choose_response_type(accept)
        if media_type is None:
            message = f"No media type in Accept: {accept} can be produced; accept {JSON}."
            return error_response(406, message, JSON)
        try:
            return await self._dispatch(request, media_type)
        except RequestRejected as rejection:
            return error_response(
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
        params = params_from_query_string(request)
        outcome = await self._execute(params, context, _GET_OPERATIONS)
        response = json_response(outcome.body, status_for(outcome, media_type), media_type)
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
        payload = decode_json(await read_body(request, self.max_body_bytes))
        if isinstance(payload, list):
            return await self._handle_batch(payload, context, media_type)
        params = GraphQLParams.from_payload(payload)
        outcome = await self._execute(params, context, _POST_OPERATIONS)
        return json_response(outcome.body, status_for(outcome, media_type), media_type)

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
        return json_response(bodies, 200, media_type)

    async def _execute(
        self, params: GraphQLParams, context: object, allowed: frozenset[OperationType]
    ) -> Outcome:
        """Execute with strawberry and sort the result into request error or execution result."""
        if params.operation_name is None and count_operations(params.query, self.parse_options) > 1:
            return request_error(
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
            outcome = timed_out(self.timeout_seconds or 0.0)
            if self.on_refused is not None:  # a mutation cut short is an attempt on record too
                message = outcome.body["errors"][0]["message"]
                await self.on_refused(
                    context, RequestRejected(200, message, code="TIMEOUT", query=params.query)
                )
            return outcome
        except InvalidOperationTypeError as exc:
            return disallowed_operation(exc, allowed)
        except CannotGetOperationTypeError as exc:
            return request_error(operation_not_found_message(exc))
        except MissingQueryError:
            return request_error("The GraphQL document is empty.")
        if is_request_error(result):
            return Outcome(result_body(result, include_data=False), request_error=True)
        return Outcome(result_body(result, include_data=True), request_error=False)
