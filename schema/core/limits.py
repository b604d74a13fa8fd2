"""Limits no query can break: size, tokens, depth, aliases, directives, cost, introspection.

Every refusal is a GraphQL request error (the HTTP endpoint answers 400 with
``application/graphql-response+json``) whose ``extensions.code`` names the limit, with the limit
and the measured value beside it::

    {"message": "The operation is 12 levels deep; at most 10 are allowed.",
     "extensions": {"code": "QUERY_TOO_DEEP", "limit": 10, "value": 12}}

Two stages, cheapest first:

* **Parsing** (``QueryLimitsExtension.on_parse``): the ``query`` string's length is checked
  before anything reads it, then the document is parsed with graphql-core's
  ``max_lexical_tokens``, which aborts a token flood as soon as the limit is passed instead of
  building its AST.
* **Validation** (a rule run with graphql-core's own): one pass over the operation measures its
  depth, aliases, directives and estimated cost, expanding fragment spreads with memoisation --
  each fragment is measured once, so a fragment bomb (fragments spreading others twice, 2^n
  expansions) costs linear time to measure and is refused for its exponential estimate.

The cost estimate is the number of fields the operation would resolve: every field costs 1,
times the length of every list it sits in.  A connection's ``edges``/``nodes`` are as long as its
``first`` argument (a literal, a variable's value, the argument's default, clamped to the page
maximum); any other list is assumed ``list_cost_estimate`` long.  ``__schema``/``__type``
subtrees are left to the introspection limits (graphql-core's ``MaxIntrospectionDepthRule``, or
refused outright when introspection is off).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    ASTValidationRule,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLList,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLSyntaxError,
    InlineFragmentNode,
    IntValueNode,
    Node,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    VariableNode,
    get_named_type,
    get_nullable_type,
    parse,
)
from graphql.language import Lexer, Source, TokenKind
from graphql.validation.rules.max_introspection_depth_rule import MaxIntrospectionDepthRule
from strawberry.extensions import SchemaExtension

from hub.config import Settings

__all__ = [
    "LimitExceededError",
    "QueryLimits",
    "QueryLimitsExtension",
    "count_tokens",
    "measure",
]

INTROSPECTION_ROOT_FIELDS = frozenset({"__schema", "__type"})
_SATURATED = 10**15  # measurements stop growing here: far above any limit, still a small int
_SUGGESTION = " Did you mean "


@dataclass(frozen=True)
class QueryLimits:
    """The limits of one schema; ``from_settings`` reads them from ``HUB_*`` settings."""

    max_query_length: int = 15_000
    max_tokens: int = 1000
    max_depth: int = 10
    max_aliases: int = 30
    max_directives: int = 50
    max_cost: int = 5000
    list_cost_estimate: int = 20
    default_page_size: int = 20
    max_page_size: int = 100
    introspection: bool = True
    field_suggestions: bool = True

    @classmethod
    def from_settings(cls, settings: Settings) -> QueryLimits:
        return cls(
            max_query_length=settings.max_query_length,
            max_tokens=settings.max_tokens,
            max_depth=settings.max_query_depth,
            max_aliases=settings.max_aliases,
            max_directives=settings.max_directives,
            max_cost=settings.max_cost,
            list_cost_estimate=settings.list_cost_estimate,
            default_page_size=settings.default_page_size,
            max_page_size=settings.max_page_size,
            introspection=settings.introspection,
            field_suggestions=settings.field_suggestions,
        )

    @property
    def hide_suggestions(self) -> bool:
        """Suggestions would leak the schema that disabled introspection hides."""
        return not (self.field_suggestions and self.introspection)

    def parse_options(self) -> dict[str, Any]:
        """graphql-core ``parse`` options that stop a parse at these limits (uncoded errors)."""
        return {
            "max_source_length": self.max_query_length,
            "max_lexical_tokens": self.max_tokens,
        }

    def extensions(self) -> list[Callable[[], SchemaExtension]]:
        """Strawberry extension factories enforcing these limits (one instance per request)."""
        return [lambda: QueryLimitsExtension(self)]


class LimitExceededError(GraphQLError):
    """A document over one of the limits; ``extensions``: ``code``, ``limit``, ``value``."""

    def __init__(
        self, code: str, message: str, limit: int, value: int | None, nodes: Node | None = None
    ) -> None:
        extensions: dict[str, Any] = {"code": code, "limit": limit}
        if value is not None:
            extensions["value"] = min(value, _SATURATED)
        super().__init__(message, nodes, extensions=extensions)


class QueryLimitsExtension(SchemaExtension):
    """Parse within the size and token limits, validate within the others, hide suggestions."""

    def __init__(self, limits: QueryLimits) -> None:
        self.limits = limits

    def on_operation(self) -> Iterator[None]:
        yield
        if self.limits.hide_suggestions:
            _hide_suggestions(getattr(self.execution_context.result, "errors", None) or [])

    def on_validate(self) -> Iterator[None]:
        """graphql-core's rules, with its introspection depth rule swapped for a coded one."""
        context = self.execution_context
        rules = context.validation_rules
        context.validation_rules = (
            *(rule for rule in rules if rule is not MaxIntrospectionDepthRule),
            *_validation_rules(self.limits, context.variables or {}, context.operation_name),
        )
        yield
        # The limits rule is a class made for this operation: a subscription's context lives
        # for hours, and should not keep it.
        context.validation_rules = rules

    def on_parse(self) -> Iterator[None]:
        """Parse here, within the limits; strawberry then skips its own unlimited parse.

        A plain syntax error is left for strawberry's parse to report in its usual way.
        """
        context = self.execution_context
        if context.graphql_document is None and context.query is not None:
            context.graphql_document = parse_within_limits(context.query, self.limits)
        yield


@functools.lru_cache(maxsize=512)
def _parse(query: str, max_tokens: int) -> DocumentNode:
    """Front ends send the same few documents over and over: each text is parsed once (the
    document is only read afterwards, as strawberry's own parser cache assumes). Failures are
    not kept."""
    return parse(query, max_lexical_tokens=max_tokens)


def parse_within_limits(query: str, limits: QueryLimits) -> DocumentNode | None:
    """Parse ``query``; raise ``LimitExceededError`` over a limit, ``None`` on a syntax error."""
    if len(query) > limits.max_query_length:
        raise LimitExceededError(
            "QUERY_TOO_LARGE",
            f"The query is {len(query)} characters long; at most {limits.max_query_length}"
            " are allowed. Send long values as variables.",
            limits.max_query_length,
            len(query),
        )
    try:
        return _parse(query, limits.max_tokens)
    except GraphQLSyntaxError:
        # Over a limit, or an ordinary mistake?  Only this failing path lexes the query again.
        tokens, nesting = _lex(query, stop_after=limits.max_tokens + 1)
        if tokens > limits.max_tokens:
            raise LimitExceededError(
                "TOO_MANY_TOKENS",
                f"The query has more than {limits.max_tokens} tokens, the most allowed."
                " Send long values as variables.",
                limits.max_tokens,
                None,  # counting stopped one past the limit
            ) from None
        if nesting > limits.max_depth + 1:  # too deep for the parser's recursion, say
            raise LimitExceededError(
                "QUERY_TOO_DEEP",
                f"The query nests braces {nesting} levels deep; fields may nest at most"
                f" {limits.max_depth} levels.",
                limits.max_depth,
                None,
            ) from None
        return None


def count_tokens(query: str, stop_after: int | None = None) -> int:
    """Lexical tokens of ``query`` (comments excluded), counting stops at ``stop_after``.

    Counting stops early at a lexical error too: such a document is a syntax error, not a
    flood, whatever its length.
    """
    return _lex(query, stop_after)[0]


def _lex(query: str, stop_after: int | None = None) -> tuple[int, int]:
    """Token count and deepest ``{`` nesting of ``query``, up to ``stop_after`` tokens."""
    lexer = Lexer(Source(query))
    count = depth = deepest = 0
    try:
        while (kind := lexer.advance().kind) is not TokenKind.EOF:
            count += 1
            if kind is TokenKind.BRACE_L:
                depth += 1
                deepest = max(deepest, depth)
            elif kind is TokenKind.BRACE_R:
                depth -= 1
            if stop_after is not None and count >= stop_after:
                break
    except GraphQLSyntaxError:
        pass
    return count, deepest


@dataclass(frozen=True)
class Measurement:
    """What one operation asks for: depth in fields, aliases, directives, estimated cost."""

    depth: int = 0
    aliases: int = 0
    directives: int = 0
    cost: int = 0

    def __add__(self, other: Measurement) -> Measurement:
        return Measurement(
            depth=max(self.depth, other.depth),
            aliases=min(self.aliases + other.aliases, _SATURATED),
            directives=min(self.directives + other.directives, _SATURATED),
            cost=min(self.cost + other.cost, _SATURATED),
        )


def measure(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    limits: QueryLimits,
    variables: Mapping[str, Any] | None = None,
) -> Measurement:
    """Measure one operation of a document (fragments expanded, each measured once)."""
    return _Measurer(schema, document, operation, limits, variables or {}).operation()


class _Measurer:
    def __init__(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        limits: QueryLimits,
        variables: Mapping[str, Any],
    ) -> None:
        self.schema = schema
        self.operation_node = operation
        self.limits = limits
        self.variables = variables
        self.fragments = {
            definition.name.value: definition
            for definition in document.definitions
            if isinstance(definition, FragmentDefinitionNode)
        }
        self.memo: dict[tuple[str, int | None], Measurement] = {}
        self.in_progress: set[str] = set()

    def operation(self) -> Measurement:
        root = self.schema.get_root_type(self.operation_node.operation)
        own = Measurement(directives=len(self.operation_node.directives or ()))
        if root is None:
            return own
        return own + self.selection_set(self.operation_node.selection_set, root, None, 0)

    def selection_set(
        self,
        selection_set: SelectionSetNode,
        parent: GraphQLNamedType,
        page: int | None,
        depth: int,
    ) -> Measurement:
        """Depth is relative (levels below), the rest summed; ``page`` sizes connection lists."""
        total = Measurement()
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self.field(selection, parent, page, depth)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                scope = self.schema.get_type(condition.name.value) if condition else parent
                own = Measurement(directives=len(selection.directives or ()))
                total += own + self.selection_set(
                    selection.selection_set, scope or parent, page, depth
                )
            elif isinstance(selection, FragmentSpreadNode):
                total += self.spread(selection, parent, page, depth)
        return total

    def field(
        self, node: FieldNode, parent: GraphQLNamedType, page: int | None, depth: int
    ) -> Measurement:
        if node.name.value in INTROSPECTION_ROOT_FIELDS:
            return Measurement()  # measured by the introspection rules instead
        own = Measurement(
            depth=1,
            aliases=1 if node.alias else 0,
            directives=len(node.directives or ()),
            cost=1,
        )
        fields = getattr(parent, "fields", None)
        definition = fields.get(node.name.value) if isinstance(fields, Mapping) else None
        if definition is None or node.selection_set is None:
            return own
        if depth + 1 > self.limits.max_depth:
            return own  # already too deep: measuring deeper cannot change the verdict
        named = get_named_type(definition.type)
        size = 1
        if isinstance(get_nullable_type(definition.type), GraphQLList):
            size = page if page is not None else self.list_size(parent.name, node, definition)
        inner_page = self.page_size(node, definition.args) if _is_connection(named) else None
        inner = self.selection_set(node.selection_set, named, inner_page, depth + 1)
        return Measurement(
            depth=1 + inner.depth,
            aliases=min(own.aliases + inner.aliases, _SATURATED),
            directives=min(own.directives + inner.directives, _SATURATED),
            cost=min(1 + size * inner.cost, _SATURATED),
        )

    def spread(
        self, node: FragmentSpreadNode, parent: GraphQLNamedType, page: int | None, depth: int
    ) -> Measurement:
        own = Measurement(directives=len(node.directives or ()))
        name = node.name.value
        fragment = self.fragments.get(name)
        if fragment is None or name in self.in_progress:
            return own  # unknown fragments and cycles are graphql-core's errors to report
        key = (name, page)
        if key not in self.memo:
            self.in_progress.add(name)
            try:
                scope = self.schema.get_type(fragment.type_condition.name.value) or parent
                self.memo[key] = Measurement(
                    directives=len(fragment.directives or ())
                ) + self.selection_set(fragment.selection_set, scope, page, depth)
            finally:
                self.in_progress.discard(name)
        return own + self.memo[key]

    def list_size(self, parent: str, node: FieldNode, definition: Any) -> int:
        """A plain list's length: its ``last`` argument, else its known bound, else the
        configured estimate."""
        bound = LIST_BOUNDS.get((parent, node.name.value), self.limits.list_cost_estimate)
        argument = next((arg for arg in node.arguments or () if arg.name.value == "last"), None)
        if argument is not None and "last" in definition.args:
            value = self._value(argument.value)
            if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
                return min(value, bound)
        return bound

    def page_size(self, node: FieldNode, arguments: Mapping[str, Any]) -> int:
        """The connection's ``first``: literal, variable, default; clamped to the page maximum."""
        value: object = None
        argument = next((arg for arg in node.arguments or () if arg.name.value == "first"), None)
        if argument is not None:
            value = self._value(argument.value)
        if value is None and "first" in arguments:
            value = arguments["first"].default_value
        if not isinstance(value, int) or isinstance(value, bool):
            value = self.limits.default_page_size if argument is None else self.limits.max_page_size
        return max(0, min(value, self.limits.max_page_size))

    def _value(self, value_node: object) -> object:
        if isinstance(value_node, IntValueNode):
            return int(value_node.value)
        if isinstance(value_node, VariableNode):
            name = value_node.name.value
            if name in self.variables:
                return self.variables[name]
            for definition in self.operation_node.variable_definitions or ():
                default = definition.default_value
                if definition.variable.name.value == name and isinstance(default, IntValueNode):
                    return int(default.value)
        return None


# How long the short lists the schema keeps as plain lists are, at the city's scale: what a
# case or whistle really holds (a case is dispatched to a few departments, its timeline is a
# dozen steps or so), so a page of them is priced as it costs.
LIST_BOUNDS: dict[tuple[str, str], int] = {
    ("Case", "dispatches"): 4,
    ("Case", "events"): 12,
    ("Case", "jurisdictionsCrossed"): 3,
    ("Case", "externalRefs"): 2,
    ("Whistle", "events"): 12,
    # A whistle is blown on a case or a few and summons a handful of parties (the seed
    # stories: one case, two to four parties), so a board's page of 100 whistles with each
    # one's places and summons' states is priced near the ~3,000 fields it resolves.
    ("Whistle", "cases"): 3,
    ("Whistle", "summons"): 8,
    ("Jurisdiction", "ancestors"): 3,
}


def _is_connection(named: GraphQLNamedType) -> bool:
    return (
        isinstance(named, GraphQLObjectType)
        and "edges" in named.fields
        and "pageInfo" in named.fields
    )


def _validation_rules(
    limits: QueryLimits, variables: Mapping[str, Any], operation_name: str | None
) -> tuple[type[ASTValidationRule], ...]:
    rules: list[type[ASTValidationRule]] = [
        _operation_limits_rule(limits, variables, operation_name)
    ]
    rules.append(CodedMaxIntrospectionDepthRule if limits.introspection else NoIntrospectionRule)
    return tuple(rules)


def _operation_limits_rule(
    limits: QueryLimits, variables: Mapping[str, Any], operation_name: str | None
) -> type[ValidationRule]:
    class OperationLimitsRule(ValidationRule):
        """Depth, aliases, directives and cost of the operation(s) to run."""

        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            document = context.document
            operations = [
                definition
                for definition in document.definitions
                if isinstance(definition, OperationDefinitionNode)
            ]
            named = [op for op in operations if op.name and op.name.value == operation_name]
            for operation in named or operations:
                self.check(context, document, operation)

        def check(
            self,
            context: ValidationContext,
            document: DocumentNode,
            operation: OperationDefinitionNode,
        ) -> None:
            try:
                found = measure(context.schema, document, operation, limits, variables)
            except RecursionError:
                self.report_error(
                    LimitExceededError(
                        "QUERY_TOO_COMPLEX",
                        "The operation nests fragments too deeply to be analysed.",
                        limits.max_cost,
                        _SATURATED,
                        operation,
                    )
                )
                return
            for error in _errors(found, limits, operation):
                self.report_error(error)

    return OperationLimitsRule


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
    if found.aliases > limits.max_aliases:
        yield LimitExceededError(
            "TOO_MANY_ALIASES",
            f"The operation uses {found.aliases} aliases; at most {limits.max_aliases}"
            " are allowed.",
            limits.max_aliases,
            found.aliases,
            operation,
        )
    if found.directives > limits.max_directives:
        yield LimitExceededError(
            "TOO_MANY_DIRECTIVES",
            f"The operation uses {found.directives} directives; at most"
            f" {limits.max_directives} are allowed.",
            limits.max_directives,
            found.directives,
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
