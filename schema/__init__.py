"""The hub's GraphQL face: one schema over cases, whistles, grids, departments, jurisdictions."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaskErrors, SchemaExtension
from strawberry.schema.config import StrawberryConfig

from hub.config import Settings, get_settings
from hub.errors import DomainError, ErrorCode
from hub.observability.tracing import recording
from schema.adapters.types import AdapterRun
from schema.cases.types import Case
from schema.core.errors import PublicError, public_error
from schema.core.limit_rules import QueryLimitsExtension
from schema.core.limits import QueryLimits
from schema.core.observability import OperationMetrics
from schema.core.refused import AuditRefusedMutations
from schema.core.relay import Node
from schema.core.rows import resolve_rows_directly
from schema.core.scalars import SCALARS
from schema.departments.types import Category, Department
from schema.geo.types import Grid, Jurisdiction
from schema.live.execution import STREAMING, SharedDocuments, SharedEventExecution
from schema.mutation import Mutation
from schema.query import Query
from schema.subscription import Subscription


def _visible(error: object) -> bool:
    """Only deliberate refusals (``PublicError``) and GraphQL's own errors reach clients unmasked.

    GraphQL's own errors have no original error, or a GraphQLError one: graphql-core wraps
    its variable-coercion errors that way ("Variable '$n' of required type …").
    """
    original = getattr(error, "original_error", None)
    return original is None or isinstance(original, (PublicError, GraphQLError))


log = logging.getLogger("hub.graphql")


def _without_operation_hook(extension: type[SchemaExtension]) -> type[SchemaExtension]:
    """``extension`` with strawberry's default ``on_operation``, which strawberry skips."""
    return type(extension.__name__, (extension,), {"on_operation": SchemaExtension.on_operation})


_WITHOUT_OPERATION_HOOK: dict[type[SchemaExtension], type[SchemaExtension]] = {
    extension: _without_operation_hook(extension)
    for extension in (OperationMetrics, QueryLimitsExtension, AuditRefusedMutations)
}


class HubSchema(strawberry.Schema):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        resolve_rows_directly(self._schema)

    def get_extensions(self, sync: bool = False) -> list[SchemaExtension]:
        """The extensions for one operation; for a socket's subscription, without the
        ``on_operation`` hooks that would do nothing but wait for its end, hours later, each
        holding a suspended generator and its context managers per subscription: the limits'
        hiding of suggestions and the refused-mutation audit act on an answer the socket has
        sent already (or on mutations, which a socket refuses before this), and the metrics
        skip subscriptions, save for the span of a traced request."""
        extensions = super().get_extensions(sync)
        if STREAMING.get():
            traced = recording()
            for extension in extensions:
                idle = _WITHOUT_OPERATION_HOOK.get(type(extension))
                if idle is not None and not (traced and isinstance(extension, OperationMetrics)):
                    extension.__class__ = idle
        return extensions

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        """Mask unexpected faults in place, each logged under the id its client is shown.

        A client's syntax or validation error is not ours and is neither logged nor masked.
        Strawberry calls this for every error list before the response is built (MaskErrors
        stays as a backstop), and only here is the original exception still at hand.
        """
        for index, error in enumerate(errors):
            if isinstance(error.original_error, DomainError):
                errors[index] = _refusal(error, error.original_error)
            elif not _visible(error):
                errors[index] = _masked(error)


def _refusal(error: GraphQLError, refusal: DomainError) -> GraphQLError:
    """A domain refusal that reached a query resolver: coded, like a mutation's UserError."""
    public = public_error(refusal)
    return GraphQLError(
        refusal.message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=public,
        extensions=public.extensions,
    )


def _masked(error: GraphQLError) -> GraphQLError:
    """``Unexpected error.`` with ``extensions {code: INTERNAL, correlationId}``, logged."""
    correlation_id = getattr(error.original_error, "correlation_id", None) or uuid.uuid4().hex
    log.error(
        "unexpected error %s at %s",
        correlation_id,
        error.path,
        exc_info=error.original_error,
        extra={"correlation_id": correlation_id},
    )
    return GraphQLError(
        "Unexpected error.",
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions={"code": ErrorCode.INTERNAL, "correlationId": correlation_id},
    )


class FastMaskErrors(MaskErrors):
    """strawberry's MaskErrors, asking a result for its errors by attribute instead of an
    ``isinstance`` against a runtime-checkable Protocol, which took ~5% of the hub's time when
    one event goes out to thousands of sockets (BENCHMARKS.md). Overrides a private method:
    the SDL and masking tests catch a strawberry release that changes it."""

    def _process_result(self, result: object) -> None:
        errors = getattr(result, "errors", None)
        if errors:
            result.errors = self._process_errors(errors)  # type: ignore[attr-defined]


def build_schema(settings: Settings | None = None) -> strawberry.Schema:
    """The schema with the query limits of ``settings`` (the environment's by default)."""
    limits = QueryLimits.from_settings(settings or get_settings())
    return HubSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[Node, Jurisdiction, Grid, Department, Category, Case, AdapterRun],
        extensions=[
            SharedDocuments,
            OperationMetrics,
            lambda: QueryLimitsExtension(limits),
            AuditRefusedMutations,
            lambda: FastMaskErrors(should_mask_error=lambda error: not _visible(error)),
        ],
        config=StrawberryConfig(scalar_map=SCALARS),
        execution_context_class=SharedEventExecution,
    )


schema = build_schema()
