"""The demo's review workflow: Aero Prime's template with required stages, and the review
people complete before the quality manager signs field 22."""

from __future__ import annotations

from typing import Any

from firstarticle.domain.lifecycle import FaiAction
from firstarticle.domain.review_templates import TaskKind
from firstarticle.domain.tasks import Answer, ChecklistAnswer
from firstarticle.services import ServiceContext, review_admin, tasks

# Aero Prime's review: quality then engineering must be done before internal approval; the
# program manager's look before submission is advisory.
AERO_PRIME_REVIEW: dict[str, Any] = {
    "restart_on_resubmission": False,
    "stages": [
        {
            "key": "quality-review",
            "name": "Quality review of the FAIR",
            "role": "quality",
            "due_hours": 24,
            "forms": [1, 2],
            "checklist": [
                {"key": "traceability", "text": "Form 1 names the work order, serials and PO"},
                {"key": "sources", "text": "Special processes come from approved sources"},
            ],
        },
        {
            "key": "engineering-review",
            "name": "Engineering review of Form 3",
            "role": "engineering",
            "due_hours": 48,
            "forms": [3],
            "checklist": [
                {"key": "requirements", "text": "Form 3 requirements match the released drawing"}
            ],
        },
        {
            "key": "program-release",
            "name": "Program release for submission",
            "role": "program",
            "due_hours": 24,
            "guards": "submit",
            "forms": [1],
            "required": False,
        },
    ],
}
# Who completes each role's demo tasks.
REVIEWERS = {"quality": "m.keller", "engineering": "k.wright", "program": "p.adams"}


# Site -> role -> the lead overdue tasks escalate to.
ROLE_LEADS = {
    "WCH": {"quality": "m.keller", "engineering": "k.wright"},
    "TLS": {"quality": "m.keller", "engineering": "a.moreau"},
}


def set_up(ctx: ServiceContext, customer_code: str) -> None:
    """Give the customer its review template; set the sites' role leads."""
    review_admin.set_template(ctx, customer_code, AERO_PRIME_REVIEW)
    for site, leads in ROLE_LEADS.items():
        for role, username in leads.items():
            review_admin.set_role_lead(ctx, site, role, username)


def complete_review(ctx: ServiceContext, fai_id: str, as_person: Any) -> None:
    """Complete the FAI's open required review tasks guarding internal approval, answering
    every checklist item yes, each as the demo reviewer of its role (``as_person(username)``
    gives that person's context)."""
    for _ in range(10):  # a template has a handful of stages; never loop for ever
        page = tasks.inbox(ctx, first_article_id=fai_id)
        due = [
            v.task
            for v in page.items
            if v.task.kind is TaskKind.REVIEW
            and v.task.required
            and v.task.guards is FaiAction.APPROVE_INTERNALLY
        ]
        if not due:
            return
        task = due[0]
        answers = {i.key: ChecklistAnswer(Answer.YES) for i in task.checklist}
        tasks.complete_task(as_person(REVIEWERS.get(task.role, "m.keller")), task.id, answers)
