"""One error vocabulary: every code the hub gives is an ``ErrorCode``, in the SDL and documented."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import adapters
import hub
import schema as schema_package
from hub.errors import DomainError, ErrorCode
from tests.cases.factories import Actors
from tests.conftest import GraphQLClient, HubServer

ROOT = Path(__file__).parents[2]
API = ROOT / "docs" / "API.md"
SDL = ROOT / "schema" / "schema.graphql"

# Where a code is spelt in the source as a string: a coded error's extensions, an error
# class's ``code``, the first argument of the refusals the HTTP layer and the limits build.
LITERAL_CODES = re.compile(
    r"""(?:"code":\s*|\bcode\s*=\s*|(?:PublicError|InputProblem|LimitExceededError|RequestRejected)\(\s*)"([A-Z][A-Z_]+)\"""",
)


def _all_modules() -> None:
    for package in (hub, schema_package, adapters):
        for module in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
            if not module.name.endswith("__main__"):
                importlib.import_module(module.name)


def _subclasses(cls: type) -> set[type]:
    found = set(cls.__subclasses__())
    for sub in list(found):
        found |= _subclasses(sub)
    return found


def test_every_domain_error_carries_a_member_of_the_vocabulary() -> None:
    _all_modules()
    errors = _subclasses(DomainError)
    assert len(errors) > 30
    for error in errors:
        assert isinstance(error.code, ErrorCode), f"{error.__qualname__}.code is {error.code!r}"


def test_no_code_is_spelt_outside_the_vocabulary() -> None:
    # every code written as a string anywhere in the hub is one of ErrorCode's values
    spelt: dict[str, str] = {}
    for path in sorted((ROOT / "hub").rglob("*.py")) + sorted((ROOT / "schema").rglob("*.py")):
        for code in LITERAL_CODES.findall(path.read_text(encoding="utf-8")):
            spelt.setdefault(code, str(path.relative_to(ROOT)))
    for path in sorted((ROOT / "adapters").rglob("*.py")):
        for code in LITERAL_CODES.findall(path.read_text(encoding="utf-8")):
            spelt.setdefault(code, str(path.relative_to(ROOT)))
    assert "UNKNOWN_JURISDICTION" not in spelt  # the schema raises domain errors, not literals
    unknown = {code: where for code, where in spelt.items() if code not in ErrorCode.__members__}
    assert unknown == {}


def test_the_schema_raises_no_literal_code() -> None:
    for path in (ROOT / "schema").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r'PublicError\(\s*"', text), path


def test_the_enum_is_in_the_sdl_and_every_code_is_documented() -> None:
    sdl = SDL.read_text(encoding="utf-8")
    block = re.search(r"enum ErrorCode \{\n(.*?)\n\}", sdl, re.S)
    assert block is not None
    assert [line.strip() for line in block.group(1).splitlines()] == list(ErrorCode)
    assert "errorCode: ErrorCode!" in sdl
    assert "code: String!" in sdl
    table = API.read_text(encoding="utf-8").split("## Error codes", 1)[1]
    documented = re.findall(r"^\| `([A-Z_]+)` \|", table, re.M)
    assert sorted(documented) == sorted(ErrorCode)


@pytest.mark.usefixtures("clean")
async def test_a_refusal_shows_its_code_as_string_and_enum(
    gql: GraphQLClient, hub_server: HubServer
) -> None:
    city = Actors(hub_server).city
    # given a mutation on a case that does not exist
    data = await gql.execute(
        """mutation { respondToCase(input: { caseNumber: "C-000000-20260101-000001" }) {
            case { number } errors { code errorCode message field } } }""",
        token=city,
    )
    # then the payload's error carries the same code as a string and as the enum
    [error] = data["respondToCase"]["errors"]
    assert error["code"] == error["errorCode"] == "NOT_FOUND"
    assert error["field"] == "caseNumber"
    # and a query refused for the same reason names it in extensions.code
    response = await gql.post(
        '{ cases(filter: { jurisdictionCode: "12345" }) { totalCount } }', token=city
    )
    assert response.status_code == 200
    assert response.json()["errors"][0]["extensions"]["code"] == "UNKNOWN_JURISDICTION"
