"""Settings, read once from the environment (prefix ``HUB_``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SQLITE_PATH = Path("var") / "hub.sqlite3"


class Settings(BaseSettings):
    """Everything the hub reads from its environment.

    The embedded default is a SQLite file and an in-process event bus; production sets
    ``HUB_DATABASE_URL`` to PostgreSQL and ``HUB_REDIS_URL`` to Redis.
    """

    model_config = SettingsConfigDict(env_prefix="HUB_", frozen=True, extra="ignore")

    database_url: str = Field(
        default=f"sqlite+aiosqlite:///{DEFAULT_SQLITE_PATH}",
        description="SQLAlchemy async URL: sqlite+aiosqlite:///path or postgresql+asyncpg://…",
    )
    redis_url: str | None = Field(default=None, description="Redis for fan-out; none = in-process")
    jwt_secret: str = Field(
        default="change-me-embedded-demo-secret-0123456789",
        min_length=32,
        description="HS256 secret for the embedded default (at least 32 bytes)",
    )
    pii_key: str | None = Field(
        default=None,
        description="Fernet key for reporter contacts; derived from the JWT secret if unset",
    )
    case_deadlines: str | None = Field(
        default=None,
        description="JSON overrides of respond/resolve minutes per priority or category",
    )
    jwt_issuer: str = "beijing-hub"
    jwt_audience: str = "beijing-hub"
    token_ttl_minutes: int = Field(default=12 * 60, ge=1)
    db_pool_size: int = Field(default=10, ge=1)
    db_echo: bool = False
    max_page_size: int = Field(default=100, ge=1, le=100)
    default_page_size: int = Field(default=20, ge=1, le=100)
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    graphiql: bool = True


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, parsed once."""
    return Settings()
