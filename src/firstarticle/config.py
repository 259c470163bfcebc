"""Settings read from ``FIRSTARTICLE_*`` environment variables."""

from __future__ import annotations

from functools import lru_cache

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
    database_timeout_seconds: float = Field(default=5.0, gt=0)
    gate_deadline_seconds: float = Field(
        default=2.0, gt=0, description="An allow slower than this becomes a deny."
    )

    plm_url: str | None = Field(default=None, description="PLM record feed (HTTP base URL).")
    erp_url: str | None = Field(default=None, description="ERP record feed (HTTP base URL).")
    qms_url: str | None = Field(default=None, description="QMS record feed (HTTP base URL).")
    feed_token: str | None = Field(default=None, description="Bearer token for the feeds.")

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
