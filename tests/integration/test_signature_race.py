"""C1 for signatures: two people sign the same meaning on the same FAI at the same moment,
each on their own connection, with real commits on PostgreSQL. One signature stands; the
other signer gets ConflictError (409), never a 5xx and never a second valid signature.

The data is committed, so every name carries a random suffix and no other test sees it.
``FIRSTARTICLE_SIGNATURE_RACES`` changes the number of pairs (500 by default).
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime

import pytest
from plant import a_plant, an_fai, complete_results

from firstarticle import bootstrap
from firstarticle.api.problems import STATUS_BY_ERROR
from firstarticle.config import Settings
from firstarticle.domain import model
from firstarticle.domain.access import AuthMethod, AuthorizationKind, Role
from firstarticle.domain.errors import ConflictError, DomainError
from firstarticle.domain.events import Event
from firstarticle.domain.lifecycle import FaiAction, FaiStatus
from firstarticle.domain.signatures import SignatureMeaning
from firstarticle.services import ServiceContext, created, first_articles, identity, record
from firstarticle.services import signatures as sig

pytestmark = [pytest.mark.postgres_only, pytest.mark.requirement("C1")]

PAIRS = int(os.environ.get("FIRSTARTICLE_SIGNATURE_RACES", "500"))
PASSWORD = "correct horse battery staple"
# What the database says when it settles the race (translated by the unit of work).
UNIQUE_INDEX = "The change conflicts with an existing record."
VERSION_COLUMN = "The record was changed by someone else; reload and try again."


class WallClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@pytest.fixture
def committed_application(database_url: str, is_postgres: bool) -> bootstrap.Application:
    """An application whose writes really commit, for races between connections."""
    if not is_postgres:
        pytest.skip("concurrency between connections is tested on PostgreSQL")
    settings = Settings(
        database_url=database_url,
        argon2_time_cost=1,
        argon2_memory_kib=1024,
        argon2_parallelism=1,
    )
    application = bootstrap.build(settings, clock=WallClock())
    yield application
    application.engine.dispose()


def _signer(ctx: ServiceContext, username: str) -> ServiceContext:
    identity.create_user(
        ctx,
        username=username,
        printed_name=username.upper(),
        roles=[Role.QUALITY_ENGINEER],
        all_sites=True,
        password=PASSWORD,
    )
    identity.add_authorization(
        ctx, username, kind=AuthorizationKind.US_PERSON, reason="race test signer"
    )
    return ctx.as_principal(identity.get_user(ctx, username).principal(AuthMethod.PASSWORD_SESSION))


def _fai_ready_to_verify(ctx: ServiceContext, plant) -> str:
    """One FAI in progress with complete results, built through the services."""
    fai_id = an_fai(ctx, plant).fai.id
    first_articles.transition(ctx, fai_id, FaiAction.START)
    complete_results(ctx, fai_id)
    return fai_id


def _copies(app: bootstrap.Application, ctx: ServiceContext, template_id: str, n: int) -> list[str]:
    """``n`` FAIs like the template (same scope, units, Form 2 and results), built from domain
    objects in one transaction with their audit entries: a bulk builder, since hundreds of
    FAIs through the services one request at a time take minutes."""
    now = ctx.clock.now()
    with app.uow() as uow:
        template = uow.first_articles.get(template_id)
        assert template is not None
        revision = uow.parts.revision(template.part_revision_id)
        work_order = uow.work_orders.get(template.work_order_id)
        assert revision is not None
        assert work_order is not None
        characteristics = {c.id: c for c in revision.characteristics}
        serials = {s.id: s for s in work_order.serials}
        events: list[Event] = []
        ids = []
        for i in range(n):
            fai = model.FirstArticle(
                site_id=template.site_id,
                fair_identifier=f"{template.fair_identifier}-R{i:04d}",
                part_revision_id=template.part_revision_id,
                work_order_id=template.work_order_id,
                fai_type=template.fai_type,
                scope=template.scope,
                reason=template.reason,
                customer_id=template.customer_id,
                supplier_code=template.supplier_code,
                purchase_order=template.purchase_order,
                created_at=now,
                updated_at=now,
            )
            fai.add_many_to_scope([characteristics[r.characteristic_id] for r in template.form3])
            for unit in template.units:
                fai.add_unit(serials[unit.serial_id])
            events += fai.apply(FaiAction.START, actor=ctx.actor, at=now)
            for statement in template.form2_statements:
                fai.state_none_applies(statement.kind, statement.reason, statement.stated_by, now)
            copied = [
                model.InspectionResult(
                    site_id=fai.site_id,
                    first_article_id=fai.id,
                    characteristic_id=r.characteristic_id,
                    source=r.source,
                    recorded_by=r.recorded_by,
                    recorded_at=now,
                    measured_at=r.measured_at,
                    value=r.value,
                    units=r.units,
                    attribute=r.attribute,
                    serial_id=r.serial_id,
                    operator=r.operator,
                    device=r.device,
                    verified_by=r.verified_by,
                    verified_at=now if r.verified_by else None,
                )
                for r in template.results
            ]
            events += fai.record_results(
                [(r, characteristics[r.characteristic_id]) for r in copied], ctx.actor
            )
            uow.first_articles.add(fai)
            events.append(
                created(
                    ctx,
                    "first_article",
                    fai.id,
                    fai.site_id,
                    {"fair_identifier": fai.fair_identifier, "copied_from": template_id},
                )
            )
            ids.append(fai.id)
        record(uow, ctx, events)
        uow.commit()
    return ids


def _status(error: BaseException) -> int:
    if isinstance(error, DomainError):
        return next((s for cls, s in STATUS_BY_ERROR if isinstance(error, cls)), 400)
    return 500


def test_concurrent_signatures_of_one_meaning_leave_one_and_refuse_the_other(
    committed_application, figure
):
    app = committed_application
    ctx = app.context("signature.race")
    suffix = uuid.uuid4().hex[:8]
    code = "S" + suffix.upper()
    plant = a_plant(ctx, code=code, part_number=f"SIGRACE-{code}")
    signers = [_signer(ctx, f"race.{side}.{suffix}") for side in ("a", "b")]

    started = time.monotonic()
    template = _fai_ready_to_verify(ctx, plant)
    fai_ids = [template, *_copies(app, ctx, template, PAIRS - 1)]
    built = time.monotonic() - started

    barrier = threading.Barrier(2, timeout=60)
    outcomes: list[list[tuple[str, BaseException | None]]] = [[] for _ in signers]

    def race(side: int) -> None:
        me = signers[side]
        for fai_id in fai_ids:
            nonce, _expires = identity.issue_signing_nonce(me)
            barrier.wait()
            try:
                sig.sign_first_article(
                    me, fai_id, SignatureMeaning.VERIFIED, nonce=nonce, password=PASSWORD
                )
            except BaseException as error:  # every failure is counted, none escapes
                outcomes[side].append((fai_id, error))
            else:
                outcomes[side].append((fai_id, None))

    started = time.monotonic()
    threads = [threading.Thread(target=race, args=(side,)) for side in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    raced = time.monotonic() - started
    assert all(len(o) == PAIRS for o in outcomes), "a racer stopped early"

    wins: Counter[str] = Counter()
    losers: list[BaseException] = []
    for side in outcomes:
        for fai_id, error in side:
            if error is None:
                wins[fai_id] += 1
            else:
                losers.append(error)
    server_errors = [e for e in losers if _status(e) >= 500]
    unexpected = [e for e in losers if not isinstance(e, ConflictError)]
    by_index = sum(1 for e in losers if str(e) == UNIQUE_INDEX)
    by_version = sum(1 for e in losers if str(e) == VERSION_COLUMN)
    by_check = len(losers) - len(unexpected) - by_index - by_version

    with app.uow() as uow:
        stored = uow.signatures.for_records("first_article", fai_ids)
        statuses = Counter(uow.first_articles.get(i).status for i in fai_ids)  # type: ignore[union-attr]
    valid = Counter(s.record_id for s in stored if s.valid and s.meaning.value == "verified")
    duplicates = sum(n - 1 for n in valid.values() if n > 1)
    unsigned = sum(1 for i in fai_ids if valid[i] == 0)

    print(
        f"\nsignature races: {PAIRS} pairs (built in {built:.1f}s, raced in {raced:.1f}s); "
        f"successes {sum(wins.values())}, duplicates {duplicates}, unsigned {unsigned}, "
        f"losers {len(losers)} (ConflictError {len(losers) - len(unexpected)}: settled at "
        f"commit by the unique index {by_index} and the version column {by_version}, "
        f"before it by the signature check {by_check}), "
        f"5xx {len(server_errors)}, unexpected {len(unexpected)}"
    )
    figure("C1", f"duplicate signatures over {PAIRS} barrier races", duplicates, "0")
    figure("C1", "5xx among the losers", len(server_errors), "0")
    assert server_errors == []
    assert unexpected == [], {type(e).__name__: str(e) for e in unexpected}
    assert duplicates == 0
    assert all(wins[i] == 1 for i in fai_ids)
    assert len(losers) == PAIRS
    assert unsigned == 0
    assert statuses == Counter({FaiStatus.PENDING_INTERNAL_REVIEW: PAIRS})
