"""What a request's JSON may hold, checked once before anything recurses into it.

The GraphQL layer, the database drivers and the hub's own code walk variables recursively and
encode strings as UTF-8; a value nested a thousand levels deep, a NUL (PostgreSQL cannot store
it) or a lone UTF-16 surrogate (no UTF-8 encoding exists) would fail deep inside them. This walk
is iterative, so the nesting itself cannot exhaust the stack, and stops at the first problem.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_JSON_DEPTH = 32


@dataclass(frozen=True, slots=True)
class InputProblem:
    code: str
    message: str


def _text_problem(text: str) -> InputProblem | None:
    if text.isascii():
        return (
            InputProblem("NUL_CHARACTER", "NUL characters (U+0000) are not accepted.")
            if "\x00" in text
            else None
        )
    if "\x00" in text:
        return InputProblem("NUL_CHARACTER", "NUL characters (U+0000) are not accepted.")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        unit = ord(text[error.start])
        return InputProblem(
            "LONE_SURROGATE",
            f"A string holds a lone UTF-16 surrogate (\\u{unit:04x}), which is not a character; "
            "send the character itself, or both halves of its surrogate pair.",
        )
    return None


def inspect_json(value: object, max_depth: int = MAX_JSON_DEPTH) -> InputProblem | None:
    """The first problem in a decoded JSON value (keys included), or None."""
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            problem = _text_problem(item)
            if problem is not None:
                return problem
        elif isinstance(item, dict | list):
            if depth > max_depth:
                return InputProblem(
                    "JSON_TOO_DEEP",
                    f"The JSON is nested more than {max_depth} levels deep; "
                    "send flatter values (a GeoJSON polygon needs 4 levels).",
                )
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return None


def inspect_text(text: str) -> InputProblem | None:
    """The first problem in a GraphQL document's text (escapes included), or None."""
    if "\\u0000" in text:
        return InputProblem("NUL_CHARACTER", "NUL characters (U+0000) are not accepted.")
    return _text_problem(text)
