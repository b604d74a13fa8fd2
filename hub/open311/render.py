"""Answers in the spec's two formats, JSON and XML, and its error list."""

from __future__ import annotations

import json
from typing import Any
from xml.etree import ElementTree

from starlette.responses import Response

FORMATS = {"json": "application/json", "xml": "text/xml"}
# The element a list's items are written as in XML, named after the list.
ITEM_TAGS = {
    "services": "service",
    "service_requests": "request",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "errors": "error",
}


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _element(tag: str, value: Any) -> ElementTree.Element:
    element = ElementTree.Element(tag)
    if isinstance(value, dict):
        for key, inner in value.items():
            element.append(_element(key, inner))
    elif isinstance(value, list):
        for inner in value:
            element.append(_element(ITEM_TAGS.get(tag, "item"), inner))
    elif value is not None:
        element.text = _text(value)
    return element


def answer(fmt: str, root: str, body: Any, status: int = 200) -> Response:
    """``body`` as JSON, or as XML under ``root`` (a list's items named after ``root``)."""
    if fmt == "xml":
        document = ElementTree.tostring(_element(root, body), encoding="unicode")
        return Response(
            '<?xml version="1.0" encoding="utf-8"?>' + document,
            status,
            media_type=FORMATS["xml"],
        )
    return Response(
        json.dumps(body, ensure_ascii=False, separators=(",", ":")),
        status,
        media_type=FORMATS["json"],
    )


def error(fmt: str, status: int, description: str) -> Response:
    """The spec's error format: a list of ``{code, description}``."""
    fmt = fmt if fmt in FORMATS else "json"
    return answer(fmt, "errors", [{"code": status, "description": description}], status)
