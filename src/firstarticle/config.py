"""Settings read from ``FIRSTARTICLE_*`` environment variables."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything an operator can configure; defaults run on a fresh machine with no server."""

    model_config = SettingsConfigDict(env_prefix="FIRSTARTICLE_", extra="ignore")

    database_url: str = Field(
        default="sqlite:///firstarticle.db",
        description="SQLAlchemy URL; a SQLite file in the working directory by default.",
    )
    demo: bool = Field(default=False, description="Load the demo plant at start if empty.")
    page_size_max: int = Field(default=200, ge=1, le=1000)
    page_size_default: int = Field(default=50, ge=1, le=1000)
    database_timeout_seconds: float = Field(
        default=5.0, gt=0, description="Connect and statement timeout of the database."
    )
    database_pool_size: int = Field(
        default=5, ge=1, le=200, description="Connections a server process keeps open."
    )
    database_pool_overflow: int = Field(
        default=10, ge=0, le=200, description="Extra connections it may open under load."
    )
    database_pool_checkout_seconds: float = Field(
        default=2.0,
        gt=0,
        le=60,
        description="How long a request waits for a free connection before it is refused.",
    )
    gate_deadline_seconds: float = Field(
        default=2.0, gt=0, description="An allow slower than this becomes a deny."
    )

    plm_url: str | None = Field(default=None, description="PLM record feed (HTTP base URL).")
    erp_url: str | None = Field(default=None, description="ERP record feed (HTTP base URL).")
    qms_url: str | None = Field(default=None, description="QMS record feed (HTTP base URL).")
    feed_token: str | None = Field(default=None, description="Bearer token for the feeds.")

    session_idle_minutes: int = Field(default=30, ge=1, le=24 * 60)
    session_absolute_hours: int = Field(default=12, ge=1, le=7 * 24)
    cookie_secure: bool = Field(
        default=True,
        description="Send the session cookie over HTTPS only; turn off only for plain-HTTP "
        "development on localhost.",
    )
    token_days_default: int = Field(default=90, ge=1, le=3650)
    token_days_max: int = Field(default=365, ge=1, le=3650)
    token_cache_seconds: float = Field(
        default=5.0,
        ge=0,
        le=60,
        description="How long a bearer token's principal is reused without reading the "
        "database (0: never). Changes to people and tokens made by this process take effect "
        "at once; those made by another process within this bound.",
    )
    failed_attempts_max: int = Field(
        default=5, ge=1, le=100, description="Failed logins (or signings) per account and window."
    )
    failed_attempts_window_minutes: int = Field(default=15, ge=1, le=24 * 60)
    sign_in_failures_per_address: int = Field(
        default=20,
        ge=1,
        le=1000,
        description="Failed sign-ins from one address per window before it waits; the wait "
        "doubles while the address keeps failing (password spraying).",
    )
    sign_in_failures_per_account: int = Field(
        default=50,
        ge=1,
        le=1000,
        description="Failed sign-ins on one account per window before the account waits; "
        "kept well above the per-address limit so that one address cannot lock a person out.",
    )
    signing_nonce_minutes: int = Field(default=5, ge=1, le=60)
    totp_required_roles: str = Field(
        default="",
        description="Comma-separated roles whose users must use a TOTP second factor, "
        "e.g. 'administrator,quality_engineer'.",
    )
    argon2_time_cost: int = Field(default=3, ge=1)
    argon2_memory_kib: int = Field(default=65536, ge=8)
    argon2_parallelism: int = Field(default=4, ge=1)

    oidc_issuer: str | None = Field(default=None, description="OpenID Connect issuer URL.")
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = None
    oidc_redirect_uri: str | None = Field(
        default=None,
        description="This service's callback, e.g. https://fai.example/auth/oidc/callback",
    )

    audit_checkpoint_file: str | None = Field(
        default=None,
        description="Where 'serve' appends audit chain checkpoints (outside the database).",
    )
    audit_checkpoint_minutes: int = Field(default=60, ge=1, le=7 * 24 * 60)
    log_format: Literal["auto", "json", "text"] = Field(
        default="auto",
        description="'json' (one object per line), 'text', or 'auto': text at a terminal.",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    metrics_allow_cidrs: str = Field(
        default="127.0.0.0/8,::1/128",
        description="Comma-separated address ranges that may scrape /metrics without a token.",
    )
    metrics_token: str | None = Field(
        default=None, description="A bearer token that lets a scraper read /metrics from anywhere."
    )

    public_url: str = Field(
        default="http://127.0.0.1:8000",
        description="This service's address as people reach it; links in notifications use it.",
    )
    smtp_host: str | None = Field(default=None, description="SMTP server for notifications.")
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_starttls: bool = Field(default=True, description="Upgrade the SMTP connection to TLS.")
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_password_file: str | None = Field(
        default=None, description="A file holding the SMTP password (wins over _PASSWORD)."
    )
    smtp_from: str = Field(default="firstarticle@localhost", description="Sender address.")
    smtp_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    notify_transport: Literal["network", "memory"] = Field(
        default="network",
        description="'memory' keeps notifications in the process instead of sending them "
        "(tests, demonstrations).",
    )
    outbox_worker: bool = Field(
        default=True, description="'serve' delivers the outbox in a background thread."
    )
    outbox_base_seconds: float = Field(default=30.0, gt=0, description="First retry delay.")
    outbox_cap_seconds: float = Field(default=3600.0, gt=0, description="Longest retry delay.")
    outbox_max_attempts: int = Field(default=10, ge=1, le=100)
    outbox_lease_seconds: float = Field(
        default=120.0, gt=0, description="How long a worker holds a message it is sending."
    )
    outbox_poll_seconds: float = Field(default=2.0, gt=0, description="Idle wait between polls.")
    outbox_batch: int = Field(default=20, ge=1, le=1000, description="Messages per claim.")

    def smtp_secret(self) -> str | None:
        """The SMTP password: from _PASSWORD_FILE (trailing newline dropped), else _PASSWORD."""
        if self.smtp_password_file:
            with open(self.smtp_password_file, encoding="utf-8") as handle:
                return handle.read().rstrip("\r\n")
        return self.smtp_password

    @field_validator("database_url")
    @classmethod
    def _use_psycopg3(cls, url: str) -> str:
        # Plain postgresql:// URLs would pick psycopg2, which we do not install.
        for prefix in ("postgresql://", "postgres://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url[len(prefix) :]
        return url


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
