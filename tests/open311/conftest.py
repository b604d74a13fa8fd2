"""The spec's own JSON schemas, and keys issued through the real CLI."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

SCHEMAS = Path(__file__).parent / "schemas"


@cache
def _registry() -> Registry[Any]:
    resources = [
        (path.name, Resource(json.loads(path.read_text()), specification=DRAFT4))
        for path in SCHEMAS.glob("*.json")
    ]
    return Registry().with_resources(resources)


def _schema(name: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((SCHEMAS / name).read_text())
    return schema


def validate(body: Any, name: str) -> None:
    """Validate ``body`` against ``name`` (a file, or ``swagger.json#Definition`` as a list)."""
    if "#" in name:
        definitions = _schema("swagger.json")["definitions"]
        schema: dict[str, Any] = {"type": "array", "items": definitions[name.split("#")[1]]}
    else:
        schema = _schema(name)
    Draft4Validator(schema, registry=_registry(), format_checker=FormatChecker()).validate(body)
