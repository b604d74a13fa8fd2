"""Fields that answer straight from the row a type wraps (``self.row.<attribute>``)."""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import Any, TypeVar

import strawberry
from graphql import GraphQLObjectType, GraphQLSchema
from strawberry.schema.schema_converter import GraphQLCoreConverter

_ROW_ATTRIBUTE = "_hub_row_attribute"
DIRECT = "_hub_direct_resolver"
_SCALAR_ARGUMENTS = "_hub_scalar_arguments"
F = TypeVar("F", bound=Callable[..., Any])


def from_row(attribute: str, annotation: object, **options: Any) -> Any:
    """A field answering ``self.row.<attribute>``, of GraphQL type ``annotation``.

    ``options`` go to ``strawberry.field`` (``description``, ``name`` ...).  The field keeps its
    place among the type's other fields, as a resolver method would.
    """
    read = attrgetter(f"row.{attribute}")

    def resolve(self: Any) -> Any:
        return read(self)

    resolve.__annotations__ = {"return": annotation}
    resolve.__qualname__ = resolve.__name__ = attribute
    setattr(resolve, _ROW_ATTRIBUTE, attribute)
    return strawberry.field(resolver=resolve, **options)


def answered_first_by(find: Callable[[Any, Any], Any]) -> Callable[[F], F]:
    """Mark an async field resolver ``(self, info)`` whose answer ``find(self, context)`` may
    already hold (from the process's reference rows, ``hub.reference``); None means it does
    not, and the resolver runs.

    ``resolve_rows_directly`` hands graphql-core the combination as the field's resolver: a
    found answer is returned at once, not awaited through strawberry.
    """

    def mark(resolver: F) -> F:
        def resolve(source: Any, info: Any) -> Any:
            found = find(source, info.context)
            return found if found is not None else resolver(source, info)

        setattr(resolver, DIRECT, resolve)
        return resolver

    return mark


def scalar_arguments(resolver: F) -> F:
    """Mark a resolver ``(self, info, **arguments)`` whose arguments (if any) are all plain
    scalars (``Int``, ``String``, ``Boolean``) named alike in GraphQL and Python, and which
    reads no more of ``info`` than its ``context``: graphql-core's coerced values are what
    strawberry would pass, so ``resolve_rows_directly`` lets graphql-core call it without
    strawberry's per-call ``Info`` and argument conversion."""

    def resolve(source: Any, info: Any, **arguments: Any) -> Any:
        return resolver(source, info, **arguments)

    setattr(resolver, DIRECT, resolve)
    setattr(resolver, _SCALAR_ARGUMENTS, True)
    return resolver


def resolve_rows_directly(schema: GraphQLSchema) -> int:
    """Let graphql-core read every ``from_row`` field itself: ``row.<attribute>`` of the source
    (and answer every field marked ``answered_first_by`` from what the process holds).

    Strawberry runs a field with a resolver through its own wrapper (an ``Info`` object, the
    arguments parsed, field extensions chained) on every resolve; a list page reads thousands of
    such fields. They take no arguments and have no permissions or field extensions, so the
    plain read is the same answer; a schema extension's ``resolve`` hook (graphql-core
    middleware) would still wrap it. Returns how many fields now read directly.
    """
    count = 0
    for graphql_type in schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType):
            continue
        for field in graphql_type.fields.values():
            definition = (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
            if definition is None:
                continue
            function = getattr(getattr(definition, "base_resolver", None), "wrapped_func", None)
            attribute = getattr(function, _ROW_ATTRIBUTE, None)
            direct = getattr(function, DIRECT, None)
            if attribute is None and direct is None:
                continue
            if definition.extensions:
                continue
            if definition.arguments and not getattr(function, _SCALAR_ARGUMENTS, False):
                continue
            if getattr(definition, "permission_classes", None):
                continue
            field.resolve = _reader(attribute) if attribute is not None else direct
            count += 1
    return count


def _reader(attribute: str) -> Any:
    read = attrgetter(f"row.{attribute}")

    def resolve(source: Any, _info: Any) -> Any:
        return read(source)

    return resolve
