"""The composition root: picks the adapters and wires the services."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from argon2 import PasswordHasher as Argon2Hasher
from sqlalchemy.orm import Session, sessionmaker

from firstarticle.access.oidc import OidcClient
from firstarticle.access.secrets import Argon2Passwords
from firstarticle.config import Settings, get_settings
from firstarticle.domain.access import Principal, Role
from firstarticle.domain.errors import DomainError, ValidationError
from firstarticle.domain.mirror import SourceSystem
from firstarticle.domain.operations import Check, DatabaseFacts, InstallationFacts, assess
from firstarticle.integrations.feeds import HttpRecordFeed, InMemoryRecordFeed
from firstarticle.integrations.inspection.formats import file_formats
from firstarticle.integrations.notify.wiring import retry_policy, senders
from firstarticle.ports import Clock, FileFormats, Progress, RecordFeed, UnitOfWork
from firstarticle.services import PrincipalCache, SecurityPolicy, ServiceContext, SystemClock
from firstarticle.services import audit as audit_service
from firstarticle.services.outbox import Delivery
from firstarticle.storage import diagnostics
from firstarticle.storage.backup import BackupReport, RestoreReport, backup, restore
from firstarticle.storage.db import PoolLimits, make_engine, make_session_factory
from firstarticle.storage.uow import SqlUnitOfWork, translate


@dataclass
class Application:
    """Everything a process needs to serve requests: settings, database, service contexts."""

    settings: Settings
    engine: sa.Engine
    session_factory: sessionmaker[Session]
    clock: Clock
    memory_feeds: dict[SourceSystem, InMemoryRecordFeed] = field(default_factory=dict)
    security: SecurityPolicy = field(default_factory=SecurityPolicy)
    passwords: Argon2Passwords = field(default_factory=Argon2Passwords)
    oidc_client: OidcClient | None = None
    files: FileFormats = field(default_factory=file_formats)
    notify: Delivery | None = None  # built at first use; tests may set their own
    principals: PrincipalCache | None = None  # bearer tokens' principals (build() sets it)

    def oidc(self) -> OidcClient | None:
        """The OpenID Connect client when single sign-on is configured, else None."""
        s = self.settings
        if self.oidc_client is None and s.oidc_issuer:
            if not (s.oidc_client_id and s.oidc_client_secret and s.oidc_redirect_uri):
                raise ValidationError(
                    "OpenID Connect needs FIRSTARTICLE_OIDC_CLIENT_ID, _CLIENT_SECRET and "
                    "_REDIRECT_URI besides _ISSUER.",
                    field="oidc",
                )
            self.oidc_client = OidcClient(
                issuer=s.oidc_issuer,
                client_id=s.oidc_client_id,
                client_secret=s.oidc_client_secret,
                redirect_uri=s.oidc_redirect_uri,
            )
        return self.oidc_client

    @staticmethod
    def translate_error(error: Exception) -> DomainError | None:
        """Map an error escaping the storage adapter onto a typed error (None: a bug)."""
        return translate(error)

    def feed(self, source: SourceSystem) -> RecordFeed:
        """The configured feed of ``source``: HTTP, or in memory for ``memory://``."""
        url = getattr(self.settings, f"{source.value}_url")
        if not url:
            raise ValidationError(
                f"No {source.value.upper()} feed is configured; set "
                f"FIRSTARTICLE_{source.value.upper()}_URL.",
                field=f"{source.value}_url",
            )
        if url.startswith("memory://"):
            return self.memory_feeds.setdefault(source, InMemoryRecordFeed({}))
        return HttpRecordFeed(url, self.settings.feed_token)

    def backup(self, out: Path, progress: Progress | None = None) -> BackupReport:
        """A consistent archive of the whole database (see storage/backup.py)."""
        return backup(self.engine, out, progress=progress)

    def restore(self, archive: Path, progress: Progress | None = None) -> RestoreReport:
        """Restore an archive into this (empty, migrated) database, all or nothing."""
        return restore(self.engine, archive, progress=progress)

    def readiness(self) -> tuple[str | None, str | None]:
        """(database revision, package head); raises what the driver raises when away."""
        with self.engine.connect() as connection:
            return diagnostics.schema_revision(connection), diagnostics.head_revision()

    def audit_length(self) -> int:
        """Entries in the audit chain (for /metrics)."""
        return self.inspect_database().audit_length

    def inspect_database(self) -> DatabaseFacts:
        """Durability settings, schema revision, server time and audit length."""
        return diagnostics.database_facts(self.engine)

    def doctor(self, *, verify_audit: bool = True) -> list[Check]:
        """Every installation check (domain/operations.py), reading the database once."""
        facts = self.inspect_database()
        verdict = audit_service.verify_chain(self.context("doctor")) if verify_audit else None
        s = self.settings
        return assess(
            InstallationFacts(
                database=facts,
                process_time=self.clock.now(),
                time_zone=str(datetime.now().astimezone().tzinfo),
                audit_ok=None if verdict is None else verdict.ok,
                audit_problem=None
                if verdict is None or verdict.ok
                else f"entry {verdict.first_bad_position}: {verdict.problem}",
                integrations={
                    "plm_feed": bool(s.plm_url),
                    "erp_feed": bool(s.erp_url),
                    "qms_feed": bool(s.qms_url),
                    "oidc": bool(s.oidc_issuer),
                    "metrics_token": bool(s.metrics_token),
                },
            )
        )

    def delivery(self) -> Delivery:
        """The outbox worker's ports and rules (see integrations/notify/wiring.py)."""
        if self.notify is None:
            s = self.settings
            mailer, webhooks = senders(s)
            self.notify = Delivery(
                mailer,
                webhooks,
                retry_policy(s),
                batch=s.outbox_batch,
                send_timeout_seconds=max(s.smtp_timeout_seconds, s.webhook_timeout_seconds),
            )
        return self.notify

    def uow(self) -> UnitOfWork:
        """A new unit of work on this application's database."""
        return SqlUnitOfWork(self.session_factory)

    def context(self, principal: Principal | str, request_id: str | None = None) -> ServiceContext:
        """A service context acting for ``principal``.

        A bare name gives a trusted in-process principal (demo loader, host maintenance,
        tests); requests always come with an authenticated one.
        """
        factory: Callable[[], UnitOfWork] = self.uow
        if isinstance(principal, str):
            principal = Principal.trusted(principal)
        s = self.settings
        return ServiceContext(
            uow_factory=factory,
            principal=principal,
            clock=self.clock,
            request_id=request_id,
            page_size_max=s.page_size_max,
            page_size_default=s.page_size_default,
            gate_deadline_seconds=s.gate_deadline_seconds,
            security=self.security,
            passwords=self.passwords,
            files=self.files,
            public_url=s.public_url,
            principals=self.principals,
        )


def build(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    bind: sa.Engine | sa.Connection | None = None,
) -> Application:
    """Wire the application; ``bind`` lets tests run everything inside one transaction."""
    settings = settings or get_settings()
    engine = make_engine(
        settings.database_url,
        timeout_seconds=settings.database_timeout_seconds,
        pool=PoolLimits(
            size=settings.database_pool_size,
            overflow=settings.database_pool_overflow,
            checkout_seconds=settings.database_pool_checkout_seconds,
        ),
    )
    session_factory = make_session_factory(
        bind if bind is not None else engine,
        **(
            {"join_transaction_mode": "create_savepoint"} if isinstance(bind, sa.Connection) else {}
        ),
    )
    security = SecurityPolicy(
        session_idle=timedelta(minutes=settings.session_idle_minutes),
        session_absolute=timedelta(hours=settings.session_absolute_hours),
        token_days_default=settings.token_days_default,
        token_days_max=settings.token_days_max,
        failed_attempts_max=settings.failed_attempts_max,
        failed_attempts_window=timedelta(minutes=settings.failed_attempts_window_minutes),
        sign_in_failures_per_address=settings.sign_in_failures_per_address,
        sign_in_failures_per_account=settings.sign_in_failures_per_account,
        signing_nonce_lifetime=timedelta(minutes=settings.signing_nonce_minutes),
        totp_required_roles=frozenset(
            Role(r.strip()) for r in settings.totp_required_roles.split(",") if r.strip()
        ),
    )
    passwords = Argon2Passwords(
        Argon2Hasher(
            time_cost=settings.argon2_time_cost,
            memory_cost=settings.argon2_memory_kib,
            parallelism=settings.argon2_parallelism,
        )
    )
    return Application(
        settings,
        engine,
        session_factory,
        clock or SystemClock(),
        security=security,
        passwords=passwords,
        principals=PrincipalCache(settings.token_cache_seconds),
    )


def alembic_config(url: str) -> Config:
    """An Alembic configuration pointing at the packaged migrations and ``url``."""
    config = Config()
    config.set_main_option("script_location", str(diagnostics.MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade_database(url: str, revision: str = "head") -> None:
    """Bring the database schema to ``revision`` (idempotent)."""
    command.upgrade(alembic_config(url), revision)
