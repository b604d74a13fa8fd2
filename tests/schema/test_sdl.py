from pathlib import Path

from schema import schema

SDL = Path(__file__).parents[2] / "schema" / "schema.graphql"


def test_committed_sdl_matches_the_schema() -> None:
    # given the schema the hub serves, when printed, then it equals the committed contract
    assert SDL.read_text(encoding="utf-8") == schema.as_str() + "\n", (
        "schema/schema.graphql is stale: run `make schema` and commit the diff"
    )


def test_contract_names_exist() -> None:
    sdl = schema.as_str()
    for name in (
        "interface Node",
        "type Jurisdiction implements Node",
        "type Grid implements Node",
        "type Department implements Node",
        "type Category implements Node",
        "enum JurisdictionLevel",
        "enum DepartmentKind",
        "input GeoPointInput",
        "scalar GeoJSON",
        "totalCount: Int!",
    ):
        assert name in sdl, name
