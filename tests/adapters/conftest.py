"""Fixtures for the adapter tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.adapters.support import execute
from tests.conftest import MUTABLE_TABLES, HubServer

COMMUNITY = "110102020001"  # a community of 广安门外街道, Xicheng


@pytest.fixture
async def reference_rows(hub_server: HubServer) -> AsyncIterator[None]:
    """Leave the reference tables as found: remove the pilot grids and departments tests add."""
    yield
    await execute(
        hub_server.settings.database_url,
        *(f'DELETE FROM "{table}"' for table in MUTABLE_TABLES),
        f"DELETE FROM grid WHERE code LIKE '{COMMUNITY}9%'",
        "DELETE FROM department WHERE code LIKE '%.PILOT_%'",
        "DELETE FROM responsibility WHERE (category_code = 'TREE_CARE' AND level = 'SUBDISTRICT')"
        " OR (category_code = 'PREPAID_CARD' AND department_kind = 'CIVIL_AFFAIRS')",
    )
