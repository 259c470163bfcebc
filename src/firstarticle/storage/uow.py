"""The SQLAlchemy unit of work: one session, one transaction, typed errors."""

from __future__ import annotations

from typing import Self

import sqlalchemy as sa
from sqlalchemy import exc
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from firstarticle.domain.errors import ConflictError, DomainError, ValidationError
from firstarticle.ports import StorageUnavailableError
from firstarticle.storage import repositories as repos
from firstarticle.storage.channels import SqlChannelStore
from firstarticle.storage.gate_reader import SqlGateReader
from firstarticle.storage.identity import SqlIdentityStore, SqlSignatureRepository
from firstarticle.storage.outbox import SqlOutbox
from firstarticle.storage.packages import SqlSubmissionPackages
from firstarticle.storage.result_imports import SqlResultImportStore
from firstarticle.storage.review import SqlReviewStore
from firstarticle.storage.triggers import SqlTriggerStore


def translate(error: Exception) -> DomainError | None:
    """Map a database error onto the domain's typed errors (None when it is a bug)."""
    if isinstance(error, StaleDataError):
        return ConflictError("The record was changed by someone else; reload and try again.")
    if isinstance(error, exc.IntegrityError):
        return ConflictError(
            "The change conflicts with an existing record.",
            detail=str(error.orig).splitlines()[0] if error.orig else None,
        )
    if isinstance(error, exc.DataError):
        # Values the checks above the database let through but a column refuses.
        return ValidationError("A value does not fit what the database stores.")
    if isinstance(error, exc.OperationalError | exc.InterfaceError | exc.TimeoutError):
        return StorageUnavailableError("The database is unavailable or did not answer in time.")
    if isinstance(error, exc.DBAPIError) and error.connection_invalidated:
        return StorageUnavailableError("The database connection was lost.")
    return None


class SqlUnitOfWork:
    """Repositories over one session; nothing is written unless :meth:`commit` succeeds."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self.session_factory = session_factory

    def __enter__(self) -> Self:
        self.session = self.session_factory()
        self.sites = repos.SqlSiteRepository(self.session)
        self.customers = repos.SqlCustomerRepository(self.session)
        self.parts = repos.SqlPartRepository(self.session)
        self.work_orders = repos.SqlWorkOrderRepository(self.session)
        self.first_articles = repos.SqlFirstArticleRepository(self.session)
        self.audit = repos.SqlAuditLog(self.session)
        self.holds = repos.SqlHoldRepository(self.session)
        self.gate_log = repos.SqlGateLog(self.session)
        self.idempotency = repos.SqlIdempotencyStore(self.session)
        self.sync_cursors = repos.SqlSyncCursors(self.session)
        self.gate_reader = SqlGateReader(self.session)
        self.result_imports = SqlResultImportStore(self.session)
        self.identity = SqlIdentityStore(self.session)
        self.signatures = SqlSignatureRepository(self.session)
        self.packages = SqlSubmissionPackages(self.session)
        self.review = SqlReviewStore(self.session)
        self.channels = SqlChannelStore(self.session)
        self.outbox = SqlOutbox(self.session)
        self.triggers = SqlTriggerStore(self.session)
        return self

    def __exit__(self, exc_type: object, error: object, tb: object) -> None:
        # close() ends an uncommitted transaction without expiring what was loaded, so the
        # objects a read returns stay usable; after an error we roll back explicitly.
        try:
            if error is not None:
                self.session.rollback()
        except exc.SQLAlchemyError:
            pass  # the original error is the one worth reporting
        finally:
            self.session.close()
        if isinstance(error, exc.SQLAlchemyError):
            translated = translate(error)
            if translated is not None:
                raise translated from error

    def commit(self) -> None:
        """Write everything done in this unit, or raise a typed error and write nothing."""
        try:
            self.session.commit()
        except exc.SQLAlchemyError as error:
            translated = translate(error)
            if translated is None:
                raise
            raise translated from error

    def rollback(self) -> None:
        """Discard everything done in this unit."""
        self.session.rollback()

    def check(self) -> None:
        """Raise unless the database answers a trivial query."""
        self.session.execute(sa.text("SELECT 1"))
