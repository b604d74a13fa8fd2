"""What an operation asks for: its depth, aliases, directives and estimated cost, in one pass.

The cost estimate is the number of fields the operation would resolve: every field costs 1,
times the length of every list it sits in.  A connection's ``edges``/``nodes`` are as long as its
``first`` argument (a literal, a variable's value, the argument's default, clamped to the page
maximum); a plain list as long as ``LIST_BOUNDS`` says, else ``list_cost_estimate``.  Fragment
spreads are expanded with memoisation: each fragment is measured once, so a fragment bomb costs
linear time to measure.  ``__schema``/``__type`` subtrees are not measured (the introspection
rules in ``limit_rules`` see to them).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLList,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
)

from schema.core.limits import SATURATED, QueryLimits

__all__ = ["INTROSPECTION_ROOT_FIELDS", "LIST_BOUNDS", "Measurement", "measure"]

INTROSPECTION_ROOT_FIELDS = frozenset({"__schema", "__type"})


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
            aliases=min(self.aliases + other.aliases, SATURATED),
            directives=min(self.directives + other.directives, SATURATED),
            cost=min(self.cost + other.cost, SATURATED),
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
            aliases=min(own.aliases + inner.aliases, SATURATED),
            directives=min(own.directives + inner.directives, SATURATED),
            cost=min(1 + size * inner.cost, SATURATED),
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
