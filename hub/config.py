"""Settings, read once from the environment (prefix ``HUB_``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SQLITE_PATH = Path("var") / "hub.sqlite3"


# Public (it is in the source): fine for a demo on loopback, refused by `hub serve` elsewhere.
DEMO_JWT_SECRET = "change-me-embedded-demo-secret-0123456789"


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
        default=DEMO_JWT_SECRET,
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
    whistle_report_minutes: str | None = Field(
        default=None,
        description='JSON report-in windows per whistle kind, e.g. {"EMERGENCY": 30} (minutes)',
    )
    ranking_weights: str | None = Field(
        default=None, description='JSON weights, e.g. {"response": 0.1, "resolution": 0.45, …}'
    )
    assessment_bottom: str = Field(
        default="10%",
        pattern=r"^\d+(\.\d+)?%$|^\d+$",
        description='The units named at the monthly review: a count ("3") or a share ("10%")',
    )
    sweep_interval_seconds: float = Field(
        default=60.0, ge=0, description="How often each process sweeps for overdue work; 0 = never"
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
    graphiql_demo_tokens: bool = Field(
        default=False, description="offer the demo's sample tokens in GraphiQL (hub demo)"
    )

    # Operation (README "Watching it").
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["text", "json"] = "text"
    otlp_endpoint: str | None = Field(
        default=None, description="OTLP/HTTP collector (http://host:4318): traces go there"
    )
    otlp_service_name: str = Field(default="beijing-hub", description="traces' service.name")
    otlp_sample_ratio: float = Field(
        default=1.0, ge=0, le=1, description="share of requests traced (without a traceparent)"
    )

    # Browsers and caches (README "Browsers on other origins").
    cors_origins: str = Field(
        default="", description="comma-separated origins allowed to call from a browser"
    )
    compress_min_bytes: int = Field(
        default=1024, ge=0, description="responses at least this large are gzip/brotli-encoded"
    )
    reference_max_age_seconds: int = Field(
        default=60, ge=0, description="Cache-Control max-age of anonymous GET queries"
    )

    # Production tokens (README "Identity"): RS256, verified with a PEM key or the IdP's JWKS.
    jwt_public_key: str | None = Field(
        default=None, description="PEM RSA public key: accept only RS256 tokens it verifies"
    )
    jwks_url: str | None = Field(
        default=None, description="JWKS URL of the identity provider: accept only RS256 tokens"
    )
    jwt_private_key: str | None = Field(
        default=None, description="PEM RSA private key for `hub token` to mint RS256 tokens"
    )

    # Limits no query can break (README "Limits").
    max_query_length: int = Field(default=15_000, ge=100, description="characters of `query`")
    max_tokens: int = Field(default=1000, ge=10, description="lexical tokens of `query`")
    max_query_depth: int = Field(default=10, ge=1, le=100)
    max_aliases: int = Field(default=30, ge=0)
    max_directives: int = Field(default=50, ge=0)
    max_cost: int = Field(default=5000, ge=1, description="estimated fields resolved")
    list_cost_estimate: int = Field(default=20, ge=1, description="assumed length of a list")
    introspection: bool = True
    field_suggestions: bool = True
    request_timeout_seconds: float = Field(default=10.0, gt=0)
    http_header_timeout_seconds: float = Field(
        default=10.0, gt=0, description="for a request's line and headers, from its first byte"
    )
    http_body_timeout_seconds: float = Field(
        default=30.0, gt=0, description="for a request's whole body, after its headers"
    )
    batching: bool = False
    max_batch_size: int = Field(default=10, ge=1, le=100)
    rate_limit_per_minute: int = Field(default=1200, ge=0, description="per token; 0 = off")
    rate_limit_anonymous_per_minute: int = Field(
        default=600, ge=0, description="per client address without a valid token; 0 = off"
    )
    rate_limit_prefix: str = Field(default="hub:ratelimit:", description="Redis key prefix")

    # Live subscriptions (README "Subscriptions"): the event tables are the outbox.
    events_channel: str = Field(default="hub:events", description="Redis pub/sub channel")
    events_poll_seconds: float = Field(
        default=1.0, gt=0, description="each process reads new events this often regardless"
    )
    events_gap_timeout_seconds: float = Field(
        default=60.0, gt=0, description="longest hold behind an uncommitted lower event id"
    )
    ws_init_timeout_seconds: float = Field(default=5.0, gt=0, description="connection_init")
    ws_ping_seconds: float = Field(default=15.0, gt=0, description="server ping interval")
    ws_pong_timeout_seconds: float = Field(default=10.0, gt=0)
    ws_max_subscriptions: int = Field(default=20, ge=1, description="per socket")
    ws_max_sockets_per_token: int = Field(default=10, ge=1)
    ws_max_queued_events: int = Field(
        default=1000, ge=1, description="a subscriber further behind is told to resume"
    )

    # Webhooks out (README "Webhooks"): every process delivers for the webhooks it leases.
    webhook_allow_hosts: str | None = Field(
        default=None, description="hosts or CIDR ranges receivers may be on despite being private"
    )
    webhook_max_attempts: int = Field(default=8, ge=1, description="then the delivery is DEAD")
    webhook_retry_seconds: float = Field(
        default=5.0, gt=0, description="the first retry's delay; it doubles after each failure"
    )
    webhook_max_retry_seconds: float = Field(default=3600.0, gt=0)
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, description="per delivery")
    webhook_lease_seconds: float = Field(
        default=30.0, gt=0, description="a dead process's webhooks are taken over after this"
    )
    webhook_poll_seconds: float = Field(default=1.0, gt=0)
    webhooks_enabled: bool = Field(default=True, description="this process delivers webhooks")

    # Standing connections (README "Standing connections"): every process may run them.
    connections_enabled: bool = Field(default=True, description="this process runs connections")
    connection_poll_seconds: float = Field(default=1.0, gt=0, description="looks for due runs")
    connection_lease_seconds: float = Field(
        default=60.0, gt=0, description="a dead runner's connection is due again after this"
    )
    connection_retry_seconds: float = Field(
        default=30.0, gt=0, description="the first retry after a failure; doubles each time"
    )
    connection_max_retry_seconds: float = Field(default=3600.0, gt=0)
    connection_max_running: int = Field(default=4, ge=1, description="runs at once per process")

    @field_validator("log_level", "log_format", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @property
    def allowed_origins(self) -> list[str]:
        return [
            origin.strip().rstrip("/") for origin in self.cors_origins.split(",") if origin.strip()
        ]

    @model_validator(mode="after")
    def _one_token_verifier(self) -> Settings:
        if self.jwt_public_key and self.jwks_url:
            raise ValueError("set HUB_JWT_PUBLIC_KEY or HUB_JWKS_URL, not both")
        if self.jwt_public_key and not isinstance(
            serialization.load_pem_public_key(self.jwt_public_key.encode()), rsa.RSAPublicKey
        ):
            raise ValueError("HUB_JWT_PUBLIC_KEY must be an RSA public key (PEM)")
        if self.jwt_private_key and not isinstance(
            serialization.load_pem_private_key(self.jwt_private_key.encode(), password=None),
            rsa.RSAPrivateKey,
        ):
            raise ValueError("HUB_JWT_PRIVATE_KEY must be an unencrypted RSA private key (PEM)")
        return self


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, parsed once."""
    return Settings()
