"""Administering the review workflow: customers' templates, each site's role leads, and the
escalation of overdue tasks to those leads (:func:`escalate_overdue`, for the CLI or a timer).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from firstarticle.domain import model
from firstarticle.domain.access import Permission
from firstarticle.domain.errors import ValidationError
from firstarticle.domain.events import Event
from firstarticle.domain.review_templates import (
    DEFAULT_TEMPLATE,
    ReviewTemplate,
    holders_of,
    role_name,
    template_from_document,
)
from firstarticle.domain.tasks import Task
from firstarticle.ports import TaskFilter, UnitOfWork
from firstarticle.services import ServiceContext, allowed, found, record, visible

ESCALATION_BATCH = 200


@dataclass(frozen=True)
class TemplateView:
    """A customer's review template, or the built-in default it falls back on."""

    customer: model.Customer
    template: ReviewTemplate
    is_default: bool


def _customer(uow: UnitOfWork, key: str) -> model.Customer:
    customer = uow.customers.get(key) or uow.customers.by_code(key)
    return found(customer, "Customer", key)


def get_template(ctx: ServiceContext, customer: str) -> TemplateView:
    """The review template new reviews of ``customer`` (id or code) follow."""
    allowed(ctx, Permission.READ)
    with ctx.uow_factory() as uow:
        found_customer = _customer(uow, customer)
        if not ctx.principal.sees_customer(found_customer.id):
            found(None, "Customer", customer)
        template = uow.review.template(found_customer.id)
        return TemplateView(found_customer, template or DEFAULT_TEMPLATE, template is None)


def set_template(ctx: ServiceContext, customer: str, document: Any) -> TemplateView:
    """Store ``document`` as the customer's next template version; running reviews keep
    the version they started with."""
    allowed(ctx, Permission.CUSTOMER_MANAGE)
    with ctx.uow_factory() as uow:
        found_customer = _customer(uow, customer)
        latest = uow.review.template(found_customer.id)
        template = template_from_document(
            document,
            customer_id=found_customer.id,
            version=(latest.version + 1) if latest else 1,
            created_by=ctx.actor,
            created_at=ctx.clock.now(),
        )
        uow.review.add_template(template)
        stages = [s.key for s in template.stages]
        event = Event(
            "review_template.set",
            "review_template",
            template.id,
            None,
            ctx.actor,
            ctx.clock.now(),
            {
                "customer_id": (None, found_customer.id),
                "version": (latest.version if latest else None, template.version),
                "stages": (None, stages),
            },
        )
        record(uow, ctx, [event])
        uow.commit()
        return TemplateView(found_customer, template, False)


def check_worker(uow: UnitOfWork, site_id: str, role: str, username: str) -> str:
    """``username`` if that active user works at the site and, for a built-in task role,
    holds it; else ValidationError (NotFoundError for an unknown user)."""
    user = found(uow.identity.by_username(username), "User", username)
    if not user.active or not (user.all_sites or site_id in user.site_ids):
        raise ValidationError(f"{user.username} does not work at this site.", field="assignee")
    holders = holders_of(role)
    if holders and not user.roles & holders:
        raise ValidationError(
            f"{user.username} does not hold the role {role}.", field="assignee", role=role
        )
    return user.username


def _site(uow: UnitOfWork, ctx: ServiceContext, key: str) -> model.Site:
    site = found(uow.sites.get(key) or uow.sites.by_code(key), "Site", key)
    ctx.principal.require_site(site.id, "site")
    return site


def role_leads(ctx: ServiceContext, site: str) -> dict[str, str]:
    """The site's role -> lead username setting."""
    allowed(ctx, Permission.READ)
    with ctx.uow_factory() as uow:
        return uow.review.leads(_site(uow, ctx, site).id)


def set_role_lead(ctx: ServiceContext, site: str, role: str, username: str) -> dict[str, str]:
    """Make ``username`` the lead overdue tasks of ``role`` at ``site`` escalate to."""
    allowed(ctx, Permission.SITE_MANAGE)
    role = role_name(role)
    with ctx.uow_factory() as uow:
        found_site = _site(uow, ctx, site)
        lead = check_worker(uow, found_site.id, role, username)
        before = uow.review.leads(found_site.id).get(role)
        uow.review.set_lead(found_site.id, role, lead, ctx.actor, ctx.clock.now())
        event = Event(
            "role_lead.set",
            "site",
            found_site.id,
            found_site.id,
            ctx.actor,
            ctx.clock.now(),
            {f"lead.{role}": (before, lead)},
        )
        record(uow, ctx, [event])
        uow.commit()
        return uow.review.leads(found_site.id)


@dataclass(frozen=True)
class EscalationReport:
    """What one escalation run did: tasks escalated (with their lead), tasks overdue whose
    role has no lead at their site."""

    escalated: list[tuple[Task, str]]
    without_lead: list[Task]


def escalate_overdue(ctx: ServiceContext) -> EscalationReport:
    """Escalate every overdue open task the caller sees to its role's lead at its site, once
    per overdue period: running it again in the same period changes nothing."""
    allowed(ctx, Permission.SITE_MANAGE)
    now = ctx.clock.now()
    escalated: list[tuple[Task, str]] = []
    without: list[Task] = []
    with ctx.uow_factory() as uow:
        offset, events = 0, []
        leads: dict[str, dict[str, str]] = {}
        while True:
            page = uow.review.tasks(
                TaskFilter(due_before=now), ESCALATION_BATCH, offset, visible(ctx)
            )
            for task, _fair in page.items:
                if task.site_id not in leads:
                    leads[task.site_id] = uow.review.leads(task.site_id)
                lead = leads[task.site_id].get(task.role)
                if lead is None:
                    without.append(task)
                    continue
                changed = task.escalate(lead, ctx.actor, now)
                if changed:
                    uow.review.save_task(task)
                    events += changed
                    escalated.append((task, lead))
            offset += ESCALATION_BATCH
            if offset >= page.total:
                break
        record(uow, ctx, events)
        uow.commit()
    return EscalationReport(escalated, without)
