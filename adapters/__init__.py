"""Department systems behind one contract (``adapters.contract``), and their registry.

The built-in adapters are listed here by import path (imported only when used); any installed
package adds its own without touching the hub by declaring an entry point::

    [project.entry-points."hub.adapters"]
    my-system = "my_package.adapter:MySystemAdapter"
"""

from __future__ import annotations

from importlib import import_module, metadata
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from adapters.contract import Adapter

ENTRY_POINT_GROUP = "hub.adapters"

BUILT_IN: dict[str, str] = {
    "hotline-12345": "adapters.hotline:HotlineAdapter",
    "open311": "adapters.open311:Open311Adapter",
    "grids-geojson": "adapters.grids:GridsAdapter",
    "departments-csv": "adapters.departments:DepartmentsAdapter",
    "urban-management": "adapters.urban:UrbanManagementAdapter",
}

AdapterClass = type["Adapter[Any, Any, Any]"]


class UnknownAdapterError(LookupError):
    pass


def _load(target: str) -> AdapterClass:
    module, _, attribute = target.partition(":")
    found: AdapterClass = getattr(import_module(module), attribute)
    return found


def registered() -> dict[str, AdapterClass]:
    """Every adapter by name: the built-in ones, then those installed packages declare."""
    found = {name: _load(target) for name, target in BUILT_IN.items()}
    for entry in metadata.entry_points(group=ENTRY_POINT_GROUP):
        if entry.name not in found:
            found[entry.name] = entry.load()
    return found


def adapter_class(name: str) -> AdapterClass:
    adapters = registered()
    if name not in adapters:
        known = ", ".join(sorted(adapters))
        raise UnknownAdapterError(f"no adapter {name!r}; registered: {known}")
    return adapters[name]
