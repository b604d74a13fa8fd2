"""What the endpoint answers, with the status the GraphQL-over-HTTP spec gives each media type.

Strawberry's result is sorted into a request error (no execution happened: 400 under
``application/graphql-response+json``, 200 under ``application/json``) or an execution result
(always 200); the body is serialised once, without ASCII escapes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from graphql import GraphQLError
from starlette.responses import Response
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types.execution import ExecutionResult, PreExecutionError
from strawberry.types.graphql import OperationType

from hub.http.graphql_request import JSONObject, RequestRejected
from hub.http.negotiation import GRAPHQL_RESPONSE_JSON

__all__ = ["Outcome"]


@dataclass(frozen=True)
class Outcome:
    """A GraphQL response body and whether it is a request error (no execution happened)."""

    body: JSONObject
    request_error: bool


def is_request_error(result: ExecutionResult) -> bool:
    """Tell request errors from execution results (the spec's two kinds of GraphQL response).

    Parse and validation failures come back as ``PreExecutionError``.  Variable coercion fails
    inside graphql-core's ``execute``: it returns ``data: null`` with errors that have no
    ``path``, whereas field errors always carry the path of the failed field.
    """
    if isinstance(result, PreExecutionError):
        return True
    errors = result.errors or []
    return result.data is None and bool(errors) and all(error.path is None for error in errors)


def result_body(result: ExecutionResult, *, include_data: bool) -> JSONObject:
    body: JSONObject = {"data": result.data} if include_data else {}
    if result.errors:
        body["errors"] = [error.formatted for error in result.errors]
    if result.extensions:
        body["extensions"] = result.extensions
    return body


def request_error(message: str) -> Outcome:
    return Outcome({"errors": [GraphQLError(message).formatted]}, request_error=True)


def disallowed_operation(
    exc: InvalidOperationTypeError, allowed: frozenset[OperationType]
) -> Outcome:
    """Mutations over GET are a 405 (spec MUST); subscriptions belong on the WebSocket."""
    if exc.operation_type is OperationType.MUTATION and OperationType.MUTATION not in allowed:
        raise RequestRejected(405, exc.as_http_error_reason("GET"), {"Allow": "POST"})
    return request_error("Subscriptions are not served over HTTP; use the WebSocket endpoint.")


def timed_out(seconds: float) -> Outcome:
    """The operation was cancelled at its deadline: no data, one coded error (status 200).

    Not a request error -- the request was valid and execution began -- so it answers like an
    execution whose every field failed.  A mutation cut short may or may not have committed.
    """
    error = GraphQLError(
        f"The operation took longer than {seconds:g} s and was cancelled.",
        extensions={"code": "TIMEOUT", "timeoutSeconds": seconds},
    )
    return Outcome({"data": None, "errors": [error.formatted]}, request_error=False)


def operation_not_found_message(exc: CannotGetOperationTypeError) -> str:
    if exc.operation_name is not None:
        return exc.as_http_error_reason()
    return "The document contains no operation to run."


def status_for(outcome: Outcome, media_type: str) -> int:
    """Request errors: 400 with graphql-response+json, 200 with legacy application/json."""
    if outcome.request_error and media_type == GRAPHQL_RESPONSE_JSON:
        return 400
    return 200


def error_response(
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
    return json_response({"errors": [error]}, status_code, media_type, headers)


def json_response(
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
