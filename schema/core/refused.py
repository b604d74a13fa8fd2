"""Mutations refused before any resolver ran (a variable of the wrong type, a failed check of
the document) are attempts too: each root field gets its audit row, like a refusal in a payload."""

from __future__ import annotations

from collections.abc import AsyncIterator

from graphql import FieldNode, GraphQLError, get_operation_ast
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from hub.audit import service as audit
from hub.db import transaction, utcnow
from schema.context import Context

MAX_ROWS = 10


def _refusal(errors: list[GraphQLError]) -> str:
    code = (errors[0].extensions or {}).get("code")
    return str(code) if code else "INVALID_REQUEST"


class AuditRefusedMutations(SchemaExtension):
    async def on_operation(self) -> AsyncIterator[None]:
        yield
        execution = self.execution_context
        document, context = execution.graphql_document, execution.context
        if document is None or not isinstance(context, Context):
            return
        operation = get_operation_ast(document, execution.operation_name)
        if operation is None or operation.operation.value != OperationType.MUTATION.value:
            return
        result = execution.result
        errors = execution.pre_execution_errors or (
            result.errors if result is not None and result.data is None else None
        )
        if not errors or any(error.path for error in errors):
            return
        named = operation.selection_set.selections
        fields = list(dict.fromkeys(n.name.value for n in named if isinstance(n, FieldNode)))
        # A document of a thousand aliases is one attempt: a few rows say it.
        now = utcnow()
        async with transaction(context.sessionmaker) as session:
            for field in fields[:MAX_ROWS]:
                audit.record(
                    session=session,
                    actor=context.actor,
                    operation=field,
                    target=None,
                    outcome=_refusal(errors),
                    at=now,
                    detail={"message": errors[0].message[:500]},
                )
