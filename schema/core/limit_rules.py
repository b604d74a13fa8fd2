"""The limits enforced on every operation: a strawberry extension and the validation rules it adds.

``QueryLimitsExtension`` parses within the size and token limits (``parsing``), adds to
graphql-core's validation a rule judging each operation's measurement (``measurement``) and the
introspection rules, and drops field suggestions when they would spell out a hidden schema.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    ValidationContext,
    ValidationRule,
)
from graphql.validation.rules.max_introspection_depth_rule import MaxIntrospectionDepthRule
from graphql.validation.validate import ValidationAbortedError
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

from schema.core.limits import SATURATED, LimitExceededError, QueryLimits
from schema.core.measurement import INTROSPECTION_ROOT_FIELDS, Measurement, measure
from schema.core.parsing import parse_within_limits

__all__ = ["QueryLimitsExtension"]

_SUGGESTION = " Did you mean "
# Query texts whose document passed every rule that reads the document alone, per process.
VALID_DOCUMENTS = 512
_Key = tuple[GraphQLSchema, str | None, bool]
MAX_VALIDATION_ERRORS = 100  # graphql-core's ``validate``: then it aborts, saying so
_ABORTED = "Too many validation errors, error limit reached. Validation aborted."


class QueryLimitsExtension(SchemaExtension):
    """Parse within the size and token limits, validate within the others, hide suggestions."""

    def __init__(self, limits: QueryLimits) -> None:
        self.limits = limits

    def on_operation(self) -> Iterator[None]:
        yield
        if self.limits.hide_suggestions:
            _hide_suggestions(getattr(self.execution_context.result, "errors", None) or [])

    def on_validate(self) -> Iterator[None]:
        """graphql-core's rules, with its introspection depth rule swapped for a coded one, and
        the operation's limits, which read its variables too.

        A front end sends the same few texts again and again: a text whose document passed the
        rules that read the document alone is remembered, and then only the limits are judged
        again. A document with any error is validated whole, each time, as graphql-core does.
        """
        context = self.execution_context
        document = context.graphql_document
        if document is None or context.pre_execution_errors is not None:
            yield
            return
        schema = context.schema._schema
        variables = context.variables or {}
        key = (schema, context.query, self.limits.introspection)
        if context.query is not None and self._valid.get(key) is document:
            self._valid.move_to_end(key)
            # Only the limits, judged directly: what ``validate`` with the limits' rule alone
            # would find, without the visitors and a rule class made per operation (reference
            # cycles each, left for the collector with every socket's subscribe).
            errors = _limit_errors(schema, document, self.limits, variables, context.operation_name)
            if len(errors) > MAX_VALIDATION_ERRORS:
                errors[MAX_VALIDATION_ERRORS:] = [ValidationAbortedError(_ABORTED)]
            context.pre_execution_errors = errors
        else:
            limits = _operation_limits_rule(self.limits, variables, context.operation_name)
            rules = (
                *(
                    rule
                    for rule in context.validation_rules
                    if rule is not MaxIntrospectionDepthRule
                ),
                CodedMaxIntrospectionDepthRule
                if self.limits.introspection
                else NoIntrospectionRule,
            )
            errors = validate_document(schema, document, (*rules, limits))
            if not errors and context.query is not None:
                self._remember(key, document)
            elif self.limits.hide_suggestions:
                # Here, not only once the operation is done: a socket sends these at once.
                _hide_suggestions(errors)
            context.pre_execution_errors = errors
        yield

    _valid: ClassVar[OrderedDict[_Key, DocumentNode]] = OrderedDict()

    @classmethod
    def _remember(cls, key: _Key, document: DocumentNode) -> None:
        cls._valid[key] = document
        if len(cls._valid) > VALID_DOCUMENTS:
            cls._valid.popitem(last=False)

    def on_parse(self) -> Iterator[None]:
        """Parse here, within the limits; strawberry then skips its own unlimited parse.

        A plain syntax error is left for strawberry's parse to report in its usual way.
        """
        context = self.execution_context
        if context.graphql_document is None and context.query is not None:
            context.graphql_document = parse_within_limits(context.query, self.limits)
        yield


def _operation_limits_rule(
    limits: QueryLimits, variables: Mapping[str, Any], operation_name: str | None
) -> type[ValidationRule]:
    class OperationLimitsRule(ValidationRule):
        """Depth, aliases, directives and cost of the operation(s) to run."""

        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            errors = _limit_errors(
                context.schema, context.document, limits, variables, operation_name
            )
            for error in errors:
                self.report_error(error)

    return OperationLimitsRule


def _limit_errors(
    schema: GraphQLSchema,
    document: DocumentNode,
    limits: QueryLimits,
    variables: Mapping[str, Any],
    operation_name: str | None,
) -> list[GraphQLError]:
    """The limits' errors of the operation named (else of every operation) in ``document``."""
    operations = [
        definition
        for definition in document.definitions
        if isinstance(definition, OperationDefinitionNode)
    ]
    named = [op for op in operations if op.name and op.name.value == operation_name]
    errors: list[GraphQLError] = []
    for operation in named or operations:
        try:
            found = measure(schema, document, operation, limits, variables)
        except RecursionError:
            errors.append(
                LimitExceededError(
                    "QUERY_TOO_COMPLEX",
                    "The operation nests fragments too deeply to be analysed.",
                    limits.max_cost,
                    SATURATED,
                    operation,
                )
            )
            continue
        errors.extend(_errors(found, limits, operation))
    return errors


def _errors(
    found: Measurement, limits: QueryLimits, operation: OperationDefinitionNode
) -> Iterator[LimitExceededError]:
    if found.depth > limits.max_depth:
        yield LimitExceededError(
            "QUERY_TOO_DEEP",
            f"The operation nests fields more than {limits.max_depth} levels deep,"
            " the most allowed.",
            limits.max_depth,
            None,  # measuring stops one level past the limit: the true depth is unknown
            operation,
        )
    counted = (
        ("TOO_MANY_ALIASES", "aliases", found.aliases, limits.max_aliases),
        ("TOO_MANY_DIRECTIVES", "directives", found.directives, limits.max_directives),
    )
    for code, what, value, limit in counted:
        if value > limit:
            yield LimitExceededError(
                code,
                f"The operation uses {value} {what}; at most {limit} are allowed.",
                limit,
                value,
                operation,
            )
    if found.cost > limits.max_cost:
        yield LimitExceededError(
            "QUERY_TOO_COMPLEX",
            f"The operation would resolve about {found.cost} fields; at most {limits.max_cost}"
            " are allowed. Ask for smaller pages (`first`) or fewer nested lists.",
            limits.max_cost,
            found.cost,
            operation,
        )


class NoIntrospectionRule(ValidationRule):
    """``__schema`` and ``__type`` are refused when introspection is off (``__typename`` is not)."""

    def enter_field(self, node: FieldNode, *_: object) -> None:
        if node.name.value in INTROSPECTION_ROOT_FIELDS:
            self.report_error(
                GraphQLError(
                    "Introspection is disabled on this hub.",
                    node,
                    extensions={"code": "INTROSPECTION_DISABLED"},
                )
            )


class CodedMaxIntrospectionDepthRule(MaxIntrospectionDepthRule):
    """graphql-core's guard against nested introspection, with an ``extensions.code``."""

    def report_error(self, error: GraphQLError) -> None:
        super().report_error(
            GraphQLError(error.message, error.nodes, extensions={"code": "INTROSPECTION_TOO_DEEP"})
        )


def _hide_suggestions(errors: list[GraphQLError]) -> None:
    """Drop graphql-core's "Did you mean …?" hints: they spell out the schema."""
    for error in errors:
        if error.original_error is None and _SUGGESTION in error.message:
            error.message = error.message.split(_SUGGESTION, 1)[0]
