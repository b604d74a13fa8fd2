"""``hub token``: a JWT for a role, with codes the database holds."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from hub.auth.actors import Role
from hub.auth.tokens import mint
from hub.config import get_settings
from hub.db import create_engine
from hub.departments.models import Department
from hub.geo.models import Grid, Jurisdiction


def token(
    role: Annotated[Role, typer.Option(help="The actor's role.", case_sensitive=False)],
    jurisdiction: Annotated[str | None, typer.Option(help="Jurisdiction code.")] = None,
    department: Annotated[str | None, typer.Option(help="Department code.")] = None,
    sub: Annotated[str | None, typer.Option(help="Subject (who); derived if omitted.")] = None,
    ttl_minutes: Annotated[int | None, typer.Option(min=1, help="Lifetime.")] = None,
) -> None:
    """Print a JWT signed with the configured secret."""
    problem = _claims_problem(role, jurisdiction, department) or _unknown_code(
        jurisdiction, department
    )
    if problem:
        raise typer.BadParameter(problem)
    if role is Role.DEPARTMENT and sub is None:
        sub = f"department:{department}"  # each department its own subject
    ttl = dt.timedelta(minutes=ttl_minutes) if ttl_minutes else None
    typer.echo(
        mint(
            get_settings(),
            role=role,
            sub=sub,
            jurisdiction=jurisdiction,
            department=department,
            ttl=ttl,
        )
    )


# The jurisdiction level each role acts at (its code's length), for tokens minted here.
_JURISDICTION_LENGTHS = {
    Role.DISTRICT_PLATFORM: (6,),
    Role.STREET_OFFICE: (9,),
    Role.GRID_WORKER: (15,),
}


def _claims_problem(role: Role, jurisdiction: str | None, department: str | None) -> str | None:
    lengths = _JURISDICTION_LENGTHS.get(role)
    if lengths and not jurisdiction:
        return f"a {role.value} token needs --jurisdiction"
    valid = jurisdiction is None or (jurisdiction.isascii() and jurisdiction.isdigit())
    if not valid or (lengths and jurisdiction and len(jurisdiction) not in lengths):
        return f"--jurisdiction {jurisdiction!r} is not a {role.value}'s division code"
    if role is Role.DEPARTMENT and not department:
        return "a DEPARTMENT token needs --department (e.g. 110102.URBAN_MANAGEMENT)"
    return None


def _unknown_code(jurisdiction: str | None, department: str | None) -> str | None:
    """A code the database does not know would make a token that sees or does nothing."""
    if jurisdiction is None and department is None:
        return None
    url = get_settings().database_url
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and not Path(parsed.database or "").is_file():
        return f"no database at {parsed.database} to check the codes in (HUB_DATABASE_URL)"
    return asyncio.run(_unknown_in(url, jurisdiction, department))


async def _unknown_in(url: str, jurisdiction: str | None, department: str | None) -> str | None:
    parsed = make_url(url)
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            if jurisdiction is not None:
                table = Grid if len(jurisdiction) == 15 else Jurisdiction
                known = await connection.scalar(
                    select(table.code).where(table.code == jurisdiction)
                )
                if known is None:
                    return f"--jurisdiction {jurisdiction!r}: no such division in the hub"
            if department is not None:
                known = await connection.scalar(
                    select(Department.code).where(Department.code == department)
                )
                if known is None:
                    return f"--department {department!r}: no such department in the hub"
    except (DBAPIError, OSError) as error:
        return f"cannot read the codes from {parsed.render_as_string()}: run `hub init` ({error})"
    finally:
        await engine.dispose()
    return None
