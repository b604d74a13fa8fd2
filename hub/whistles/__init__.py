"""Whistles (吹哨报到): a street office summons departments, which must report on site.

``sweep_overdue`` and ``load_whistle_stories`` are this domain's hooks for the sweeper and the
demo; they are imported on first use, so that importing the models stays light.
"""

from __future__ import annotations

import importlib
from typing import Any

HOOKS = {
    "sweep_overdue": "hub.whistles.service",
    "load_whistle_stories": "hub.whistles.stories",
}

__all__ = sorted(HOOKS)


def __getattr__(name: str) -> Any:
    if name in HOOKS:
        return getattr(importlib.import_module(HOOKS[name]), name)
    raise AttributeError(f"module 'hub.whistles' has no attribute {name!r}")
