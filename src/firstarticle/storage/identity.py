"""Storage of people, their credentials and signatures, and the visibility filter in SQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from firstarticle.domain.access import ApiToken, BrowserSession, User, Visibility
from firstarticle.domain.signatures import Signature
from firstarticle.ports import Page
from firstarticle.storage import orm


def label_condition(
    visible: Visibility, regime: sa.ColumnElement[Any], category: sa.ColumnElement[Any]
) -> sa.ColumnElement[bool]:
    """SQL that is true for the export labels ``visible`` lets its caller receive."""
    if visible.everything:
        return sa.true()
    conditions: list[sa.ColumnElement[bool]] = [regime.in_([r.value for r in visible.regimes])]
    conditions += [sa.and_(regime == r.value, category == c) for r, c in sorted(visible.pairs)]
    return sa.or_(*conditions)


def revision_label_condition(
    visible: Visibility, part_revision_id: sa.ColumnElement[Any]
) -> sa.ColumnElement[bool]:
    """True when the caller may receive the technical data of ``part_revision_id``: the
    part's label and the revision's own label, where it has one, both allow it."""
    if visible.everything:
        return sa.true()
    r, p = orm.part_revisions, orm.parts
    visible_revisions = (
        sa.select(r.c.id)
        .join(p, p.c.id == r.c.part_id)
        .where(
            label_condition(visible, p.c.export_regime, p.c.export_category),
            sa.or_(
                r.c.export_regime.is_(None),
                label_condition(visible, r.c.export_regime, r.c.export_category),
            ),
        )
    )
    return part_revision_id.in_(visible_revisions)


def site_condition(visible: Visibility, site_id: sa.ColumnElement[Any]) -> sa.ColumnElement[bool]:
    """True for the sites the caller works at."""
    if visible.site_ids is None:
        return sa.true()
    return site_id.in_(sorted(visible.site_ids))


class SqlIdentityStore:
    """Users, tokens, sessions, failed attempts and signing nonces."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, item: User | ApiToken | BrowserSession) -> None:
        self.session.add(item)

    def user(self, user_id: str) -> User | None:
        return self.session.get(User, user_id)

    def by_username(self, username: str) -> User | None:
        stmt = sa.select(User).where(orm.users.c.username == username.strip().lower())
        return self.session.scalars(stmt).one_or_none()

    def by_oidc(self, issuer: str, subject: str) -> User | None:
        u = orm.users
        stmt = sa.select(User).where(u.c.oidc_issuer == issuer, u.c.oidc_subject == subject)
        return self.session.scalars(stmt).one_or_none()

    def by_email(self, email: str) -> list[User]:
        stmt = sa.select(User).where(sa.func.lower(orm.users.c.email) == email.lower())
        return list(self.session.scalars(stmt))

    def users(self, limit: int, offset: int) -> Page[User]:
        stmt = sa.select(User).order_by(orm.users.c.username)
        total = self.session.scalar(sa.select(sa.func.count()).select_from(orm.users))
        items = list(self.session.scalars(stmt.limit(limit).offset(offset)))
        return Page(items=items, total=int(total or 0), limit=limit, offset=offset)

    def token_by_digest(self, token_sha256: str) -> ApiToken | None:
        stmt = sa.select(ApiToken).where(orm.api_tokens.c.token_sha256 == token_sha256)
        return self.session.scalars(stmt).one_or_none()

    def token_with_user(self, token_sha256: str) -> tuple[ApiToken, User] | None:
        """The token and its user in one statement (every API call of a system asks this)."""
        t = orm.api_tokens
        row = self.session.execute(
            sa.select(ApiToken, User)
            .join(User, orm.users.c.id == t.c.user_id)
            .where(t.c.token_sha256 == token_sha256)
        ).one_or_none()
        return (row[0], row[1]) if row is not None else None

    def token(self, token_id: str) -> ApiToken | None:
        return self.session.get(ApiToken, token_id)

    def tokens_of(self, user_id: str) -> list[ApiToken]:
        t = orm.api_tokens
        stmt = sa.select(ApiToken).where(t.c.user_id == user_id).order_by(t.c.created_at, t.c.id)
        return list(self.session.scalars(stmt))

    def session_by_digest(self, session_sha256: str) -> BrowserSession | None:
        s = orm.browser_sessions
        stmt = sa.select(BrowserSession).where(s.c.session_sha256 == session_sha256)
        return self.session.scalars(stmt).one_or_none()

    def sessions_of(self, user_id: str) -> list[BrowserSession]:
        s = orm.browser_sessions
        stmt = sa.select(BrowserSession).where(s.c.user_id == user_id, s.c.ended_at.is_(None))
        return list(self.session.scalars(stmt))

    def add_failure(self, username: str, kind: str, at: datetime) -> None:
        self.session.execute(
            sa.insert(orm.auth_failures).values(username=username, kind=kind, at=at)
        )

    def failures_since(self, username: str, kind: str, since: datetime) -> int:
        f = orm.auth_failures
        count = self.session.scalar(
            sa.select(sa.func.count()).where(
                f.c.username == username, f.c.kind == kind, f.c.at > since
            )
        )
        return int(count or 0)

    def add_nonce(
        self, nonce_sha256: str, user_id: str, at: datetime, expires_at: datetime
    ) -> None:
        self.session.execute(
            sa.insert(orm.signing_nonces).values(
                nonce_sha256=nonce_sha256, user_id=user_id, created_at=at, expires_at=expires_at
            )
        )

    def take_nonce(self, nonce_sha256: str, user_id: str, at: datetime) -> bool:
        """Mark the nonce used; True only for the first taker of a live nonce of ``user_id``."""
        n = orm.signing_nonces
        result = self.session.execute(
            sa.update(n)
            .where(
                n.c.nonce_sha256 == nonce_sha256,
                n.c.user_id == user_id,
                n.c.used_at.is_(None),
                n.c.expires_at > at,
            )
            .values(used_at=at)
        )
        return bool(getattr(result, "rowcount", 0) == 1)


class SqlSignatureRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, signature: Signature) -> None:
        self.session.add(signature)

    def for_record(self, record_type: str, record_id: str) -> list[Signature]:
        s = orm.signatures
        stmt = (
            sa.select(Signature)
            .where(s.c.record_type == record_type, s.c.record_id == record_id)
            .order_by(s.c.signed_at, s.c.id)
        )
        return list(self.session.scalars(stmt))

    def for_records(self, record_type: str, record_ids: Sequence[str]) -> list[Signature]:
        s = orm.signatures
        stmt = (
            sa.select(Signature)
            .where(s.c.record_type == record_type, s.c.record_id.in_(list(record_ids)))
            .order_by(s.c.signed_at, s.c.id)
        )
        return list(self.session.scalars(stmt))
