"""One FAI as every FAI use case loads, shows, records and commits it.

These are the steps the use cases of first_articles, fai_package, fai_results, fai_lifecycle
and signatures share, public so that each of them takes the same ones: :func:`load_fai`
checks the caller (permission, site, customer, technical data) before anything is read,
:func:`detail_of` computes the forms and readiness (never stored), :func:`commit_fai`
touches the FAI, writes the audit entries and commits in the caller's unit of work.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from firstarticle.domain import model, readiness
from firstarticle.domain.access import Permission
from firstarticle.domain.errors import NotFoundError, ValidationError
from firstarticle.domain.events import Event
from firstarticle.domain.forms import Form1, Form3Line, build_form1, build_form3
from firstarticle.domain.lifecycle import FaiAction, actions_from
from firstarticle.ports import UnitOfWork
from firstarticle.services import (
    ServiceContext,
    allowed,
    found,
    record,
    require_technical,
)
from firstarticle.services.review_hook import follow_lifecycle


@dataclass(frozen=True)
class FirstArticleDetail:
    """An FAI with its forms, readiness findings and the actions open to it now."""

    fai: model.FirstArticle
    part: model.Part
    revision: model.PartRevision
    work_order: model.WorkOrder
    site: model.Site
    customer: model.Customer | None
    form1: Form1
    form3: list[Form3Line]
    findings: list[readiness.Finding]
    actions: tuple[FaiAction, ...]
    evidence: tuple[model.EvidenceLink, ...] = ()


@dataclass
class LoadedFai:
    """An FAI loaded for one use case: the record, what readiness reads, its site and customer."""

    fai: model.FirstArticle
    context: readiness.ReadinessContext
    site: model.Site
    customer: model.Customer | None
    # Evidence whose own label the caller may not receive is left out of every view.
    hidden_evidence: frozenset[str] = frozenset()
    # The characteristic rules' facts as the database read them (an FAI loaded without its
    # lines); None: readiness reads the loaded Form 3 and results.
    facts: readiness.CharacteristicFacts | None = None

    def findings(self) -> list[readiness.Finding]:
        """The FAI's readiness findings, computed now."""
        return readiness.evaluate(self.fai, self.context, self.facts)

    @cached_property
    def characteristic_index(
        self,
    ) -> tuple[dict[str, model.Characteristic], dict[str, list[model.Characteristic]]]:
        """The revision's characteristics by id and by balloon, built once per request."""
        by_id: dict[str, model.Characteristic] = {}
        by_balloon: dict[str, list[model.Characteristic]] = {}
        for c in self.context.revision.characteristics:
            by_id[c.id] = c
            by_balloon.setdefault(c.balloon, []).append(c)
        return by_id, by_balloon


def load_fai(
    uow: UnitOfWork,
    ctx: ServiceContext,
    fai_id: str,
    permission: Permission,
    *,
    lines: bool = True,
) -> LoadedFai:
    """The FAI and what its forms need, if the caller holds ``permission``, works at its site,
    may see its customer and may receive its part's technical data; else an error that does
    not reveal whether it exists.

    ``lines=False`` is for readiness alone: a full FAI's Form 3, results and the revision's
    characteristics stay in the database, which reads the characteristic rules' facts (W3).
    A partial FAI is loaded whole (its delta rules read them). Nothing may then load the FAI
    again whole in the same unit of work.
    """
    allowed(ctx, permission)
    if not lines:
        lines = uow.first_articles.scope_of(fai_id) is model.FaiScope.PARTIAL
    fai = found(uow.first_articles.get(fai_id, lines=lines), "First article", fai_id)
    ctx.principal.require_site(fai.site_id, "first article")
    if not ctx.principal.sees_customer(fai.customer_id):
        raise NotFoundError("No such first article.", record="first article")
    return assemble_fai(uow, ctx, fai, lines=lines)


def assemble_fai(
    uow: UnitOfWork,
    ctx: ServiceContext,
    fai: model.FirstArticle,
    *,
    check_labels: bool = True,
    lines: bool = True,
) -> LoadedFai:
    """What the forms and readiness of ``fai`` need. ``check_labels`` off skips the caller's
    technical-data check: only for work the system does on an FAI it already holds (signature
    re-checks inside a mirror update), never to answer a caller. ``lines`` as for
    :func:`load_fai`."""
    revision = found(
        uow.parts.revision(fai.part_revision_id, characteristics=lines),
        "Part revision",
        fai.part_revision_id,
    )
    part = found(uow.parts.header(revision.part_id), "Part", revision.part_id)
    if check_labels:
        require_technical(ctx, part, revision, "first article")
    work_order = found(uow.work_orders.get(fai.work_order_id), "Work order", fai.work_order_id)
    # Read without lines, the characteristics stay in the database with the facts about them.
    characteristics: dict[str, model.Characteristic] = {}
    if lines:
        characteristics = {c.id: c for c in revision.characteristics}
        strays = [r.characteristic_id for r in fai.results + fai.form3]
        missing = [cid for cid in strays if cid not in characteristics]
        characteristics.update(uow.parts.characteristics(missing))
    statuses = uow.first_articles.statuses(
        [e.fair_identifier for e in fai.index if e.fair_identifier]
    )
    site = found(uow.sites.get(fai.site_id), "Site", fai.site_id)
    customer = uow.customers.get(fai.customer_id) if fai.customer_id else None
    hidden = frozenset(
        e.id
        for e in fai.evidence
        if not ctx.principal.may_receive(e.export_classification, ctx.clock.now())
    )
    baseline = baseline_of(uow, fai)
    drawings = revision.drawings + (baseline.drawings if baseline else [])
    context = readiness.ReadinessContext(
        part,
        revision,
        work_order,
        characteristics,
        statuses,
        baseline=baseline,
        drawing_numbers={d.id: d.number for d in drawings},
        tasks=uow.review.tasks_of(fai.site_id, fai.id),
    )
    facts = None if lines else uow.first_articles.characteristic_facts(fai, revision)
    return LoadedFai(fai, context, site, customer, hidden, facts)


def baseline_of(uow: UnitOfWork, fai: model.FirstArticle) -> model.PartRevision | None:
    """A partial FAI's baseline revision with its characteristics (None: not known)."""
    if fai.scope is not model.FaiScope.PARTIAL:
        return None
    header = uow.parts.revision_by_number(
        fai.baseline_part_number or "", fai.baseline_part_revision or ""
    )
    return uow.parts.revision(header.id) if header else None


def detail_of(loaded: LoadedFai) -> FirstArticleDetail:
    """The FAI with its forms, readiness findings and open actions, computed now."""
    c = loaded.context
    return FirstArticleDetail(
        fai=loaded.fai,
        part=c.part,
        revision=c.revision,
        work_order=c.work_order,
        site=loaded.site,
        customer=loaded.customer,
        form1=build_form1(
            loaded.fai,
            part=c.part,
            revision=c.revision,
            work_order=c.work_order,
            site=loaded.site,
            characteristics=c.characteristics,
        ),
        form3=build_form3(loaded.fai, c.characteristics),
        findings=readiness.evaluate(loaded.fai, c),
        actions=actions_from(loaded.fai.status),
        evidence=tuple(e for e in loaded.fai.evidence if e.id not in loaded.hidden_evidence),
    )


def fai_event(
    ctx: ServiceContext,
    fai: model.FirstArticle,
    action: str,
    changes: dict[str, tuple[Any, Any]],
    reason: str | None = None,
) -> Event:
    """The audit event of a change to ``fai``, by the caller, now."""
    return Event(
        action=action,
        record_type="first_article",
        record_id=fai.id,
        site_id=fai.site_id,
        actor=ctx.actor,
        at=ctx.clock.now(),
        changes=changes,
        reason=reason,
    )


def characteristic_of(loaded: LoadedFai, key: str) -> model.Characteristic:
    """Resolve a balloon number or characteristic id within the FAI's revision."""
    by_id, by_balloon = loaded.characteristic_index
    if key in by_id:
        return by_id[key]
    matches = by_balloon.get(key, [])
    if len(matches) > 1:
        raise ValidationError(
            f"Balloon {key} is on several drawings; give the characteristic id.",
            field="balloon",
        )
    return found(
        matches[0] if matches else None,
        "Characteristic",
        f"balloon {key} of rev {loaded.context.revision.revision}",
    )


def commit_fai(
    uow: UnitOfWork, ctx: ServiceContext, loaded: LoadedFai, events: list[Event]
) -> FirstArticleDetail:
    """Touch the FAI, open and close the tasks its lifecycle events ask for, write the audit
    trail, commit; the FAI as it now stands."""
    loaded.fai.touch(ctx.clock.now())
    events = [*events, *follow_lifecycle(uow, ctx, loaded.fai, loaded.context.tasks, events)]
    record(uow, ctx, events)
    uow.commit()
    return detail_of(loaded)


def commit_change(
    uow: UnitOfWork,
    ctx: ServiceContext,
    loaded: LoadedFai,
    action: str,
    changes: dict[str, tuple[Any, Any]],
    reason: str | None = None,
) -> FirstArticleDetail:
    """Commit one change of the loaded FAI with its audit event (see :func:`commit_fai`)."""
    return commit_fai(uow, ctx, loaded, [fai_event(ctx, loaded.fai, action, changes, reason)])
