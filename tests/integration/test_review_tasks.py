"""Review tasks on the database (SQLite and PostgreSQL): opened in the FAI's own transaction,
blocking what their stages guard, completed with a signature where asked, kept on the
template version the review started with, answered by rework after a rejection, escalated
once per overdue period, and all of it audited."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from plant import PASSWORD, a_plant, an_fai, as_, complete_results, decide, person, sign

from firstarticle.domain.access import Permission, Role
from firstarticle.domain.errors import ConflictError, GuardFailedError, ValidationError
from firstarticle.domain.events import Event
from firstarticle.domain.lifecycle import FaiAction
from firstarticle.domain.review_templates import TaskKind
from firstarticle.domain.signatures import SignatureMeaning, SignatureRequiredError
from firstarticle.domain.tasks import Answer, ChecklistAnswer, TaskStatus
from firstarticle.services import ServiceContext, first_articles, identity, review_admin, tasks
from firstarticle.services.fai_record import load_fai
from firstarticle.services.review_hook import follow_lifecycle

TEMPLATE: dict[str, Any] = {
    "stages": [
        {
            "key": "quality-review",
            "name": "Quality review",
            "role": "quality",
            "due_hours": 24,
            "forms": [1, 2],
            "signature_required": True,
            "checklist": [{"key": "traceability", "text": "Form 1 is traceable"}],
        },
        {"key": "engineering-review", "role": "engineering", "forms": [3]},
    ]
}
YES = {"traceability": ChecklistAnswer(Answer.YES, "checked against the traveler")}


@pytest.fixture
def plant(ctx: ServiceContext):
    built = a_plant(ctx)
    review_admin.set_template(ctx, built.customer.code, TEMPLATE)
    return built


def _in_review(ctx: ServiceContext, plant) -> str:
    fai_id = an_fai(ctx, plant).fai.id
    first_articles.transition(ctx, fai_id, FaiAction.START)
    complete_results(ctx, fai_id)
    sign(ctx, fai_id, SignatureMeaning.VERIFIED, "q.verifier")
    return fai_id


def _open(ctx: ServiceContext, fai_id: str):
    return [v.task for v in tasks.inbox(ctx, first_article_id=fai_id).items]


def _signed_completion(ctx: ServiceContext, task_id: str, username: str = "q.reviewer"):
    signer = ctx.as_principal(person(ctx, username))
    nonce, _ = identity.issue_signing_nonce(signer)
    return tasks.complete_task(signer, task_id, YES, tasks.Credentials(nonce, PASSWORD))


def _audit(ctx: ServiceContext, task_id: str) -> list[dict[str, Any]]:
    with ctx.uow_factory() as uow:
        return uow.audit.for_record("task", task_id)


def test_entering_review_opens_the_first_stage_in_the_same_transaction(ctx, plant):
    """The field 20 signature that moves the FAI into review also opens the quality task,
    audited with the contract's keys."""
    fai_id = _in_review(ctx, plant)
    (task,) = _open(ctx, fai_id)
    assert (task.stage_key, task.role, task.required) == ("quality-review", "quality", True)
    assert task.due_at == ctx.clock.now() + timedelta(hours=24)
    (created,) = _audit(ctx, task.id)
    assert created["action"] == "task.created"
    assert created["site_id"] == plant.site.id
    changes = created["changes"]
    assert changes["first_article_id"] == [None, fai_id]
    assert changes["kind"] == [None, "review"]
    assert changes["role"] == [None, "quality"]
    assert changes["assignee"] == [None, None]
    assert "due_at" in changes


def test_required_stages_block_field_22_until_done_with_their_signature(ctx, plant):
    """Internal approval is refused naming the open task and its checklist item; the stage
    needing a signature is refused without one; once both stages are done, field 22 signs."""
    fai_id = _in_review(ctx, plant)
    (task,) = _open(ctx, fai_id)
    with pytest.raises(GuardFailedError) as refused:
        sign(ctx, fai_id, SignatureMeaning.REVIEWED_APPROVED, "q.manager")
    rules = {(f.rule, f.records[0].id) for f in refused.value.details["findings"]}
    assert rules == {("REVIEW_TASK_OPEN", task.id), ("REVIEW_CHECKLIST_UNANSWERED", task.id)}
    with pytest.raises(SignatureRequiredError):
        tasks.complete_task(as_(ctx, "q.reviewer"), task.id, YES)
    done = _signed_completion(ctx, task.id).task
    assert done.status is TaskStatus.DONE
    assert _audit(ctx, task.id)[-1]["changes"]["signed"] == [None, True]
    (engineering,) = _open(ctx, fai_id)
    assert engineering.stage_key == "engineering-review"
    tasks.complete_task(as_(ctx, "d.engineer"), engineering.id, {})
    detail = sign(ctx, fai_id, SignatureMeaning.REVIEWED_APPROVED, "q.manager")
    assert detail.fai.status.value == "internally_approved"


def test_a_running_review_keeps_its_template_version(ctx, plant):
    """A new template version set mid-review does not change the stages that follow."""
    fai_id = _in_review(ctx, plant)
    (task,) = _open(ctx, fai_id)
    review_admin.set_template(
        ctx, plant.customer.code, {"stages": [{"key": "only", "role": "program"}]}
    )
    assert review_admin.get_template(ctx, plant.customer.code).template.version == 2
    _signed_completion(ctx, task.id)
    (following,) = _open(ctx, fai_id)
    assert (following.stage_key, following.template_version) == ("engineering-review", 1)


def _through_review(ctx: ServiceContext, fai_id: str) -> None:
    (quality,) = _open(ctx, fai_id)
    _signed_completion(ctx, quality.id)
    (engineering,) = _open(ctx, fai_id)
    tasks.complete_task(as_(ctx, "d.engineer"), engineering.id, {})
    sign(ctx, fai_id, SignatureMeaning.REVIEWED_APPROVED, "q.manager")
    first_articles.transition(as_(ctx, "q.manager"), fai_id, FaiAction.SUBMIT)


def test_a_rejection_with_containment_opens_rework_resubmission_and_containment(ctx, plant):
    """The customer's rejection asking containment opens the plant's three answers."""
    fai_id = _in_review(ctx, plant)
    _through_review(ctx, fai_id)
    decide(
        ctx,
        fai_id,
        "rejected",
        comments="Balloon 1 tolerance wrong",
        containment=True,
        containment_serial_numbers=["SN0001"],
    )
    opened = {t.kind: t for t in _open(ctx, fai_id)}
    assert set(opened) == {TaskKind.REWORK, TaskKind.RESUBMISSION, TaskKind.CONTAINMENT}
    assert {t.attempt for t in opened.values()} == {2}


def test_a_rejection_commenting_form_3_resumes_review_at_engineering(ctx, plant):
    """With the decision event of the contract (forms_commented [3]), the resubmitted FAI's
    review starts at the engineering stage; its quality stage is not asked again."""
    fai_id = _in_review(ctx, plant)
    _through_review(ctx, fai_id)
    decision = {
        "outcome": "rejected",
        "attempt": 1,
        "requested_action": "resubmission",
        "forms_commented": [3],
        "channel": "portal",
        "path": "transcription",
        "reference": None,
        "decision_id": "d-1",
    }
    with ctx.uow_factory() as uow:
        loaded = load_fai(uow, ctx, fai_id, Permission.READ)
        events = loaded.fai.apply(FaiAction.REJECT, actor="x", at=ctx.clock.now(), reason="no")
        events.append(
            Event(
                "fai.customer_decision_recorded",
                "first_article",
                fai_id,
                plant.site.id,
                "x",
                ctx.clock.now(),
                {"customer_decision": (None, decision)},
            )
        )
        follow_lifecycle(uow, ctx, loaded.fai, loaded.context.tasks, events)
        uow.commit()
    (resubmission,) = [t for t in _open(ctx, fai_id) if t.kind is TaskKind.RESUBMISSION]
    assert resubmission.forms == frozenset({3})
    first_articles.transition(ctx, fai_id, FaiAction.REWORK)
    sign(ctx, fai_id, SignatureMeaning.VERIFIED, "q.verifier")
    review = [t for t in _open(ctx, fai_id) if t.kind is TaskKind.REVIEW]
    assert [t.stage_key for t in review] == ["engineering-review"]


def test_cancelling_the_fai_cancels_its_open_tasks(ctx, plant):
    """A cancelled FAI leaves nothing in anyone's inbox."""
    fai_id = _in_review(ctx, plant)
    first_articles.transition(ctx, fai_id, FaiAction.CANCEL, reason="Order withdrawn")
    assert _open(ctx, fai_id) == []
    page = tasks.inbox(ctx, first_article_id=fai_id, status=TaskStatus.CANCELLED)
    assert page.total == 1


def test_overdue_tasks_escalate_to_the_role_lead_once_per_period(ctx, plant, clock):
    """Escalation names the site's quality lead, once; a second run in the period does nothing."""
    fai_id = _in_review(ctx, plant)
    lead = person(ctx, "q.lead").username  # a quality engineer of every site
    review_admin.set_role_lead(ctx, plant.site.code, "quality", lead)
    clock.current += timedelta(hours=25)
    report = review_admin.escalate_overdue(ctx)
    assert [(t.first_article_id, who) for t, who in report.escalated] == [(fai_id, lead)]
    assert review_admin.escalate_overdue(ctx).escalated == []
    (task,) = _open(ctx, fai_id)
    escalated = [e for e in _audit(ctx, task.id) if e["action"] == "task.escalated"]
    assert [e["changes"]["escalated_to"] for e in escalated] == [[None, lead]]


def test_reassignment_needs_a_reason_and_a_holder_of_the_role(ctx, plant):
    """An operator cannot take a quality task; a quality engineer can, audited with the
    reason; a writer holding a stale copy of the task cannot overwrite a newer change."""
    fai_id = _in_review(ctx, plant)
    (task,) = _open(ctx, fai_id)
    identity.create_user(
        ctx, username="t.operator", printed_name="T Operator", roles=[Role.OPERATOR],
        all_sites=True,
    )  # fmt: skip
    with pytest.raises(ValidationError):
        tasks.reassign_task(ctx, task.id, "t.operator", "cover")
    quality = person(ctx, "q.other").username
    view = tasks.reassign_task(ctx, task.id, quality, "Jorge is away")
    assert view.task.assignee == quality
    entry = _audit(ctx, task.id)[-1]
    assert (entry["action"], entry["reason"]) == ("task.reassigned", "Jorge is away")
    with ctx.uow_factory() as uow:
        stale = uow.review.task(task.id)
    tasks.comment_task(ctx, task.id, "Moved to Friday")
    stale.comment("meanwhile", "y", ctx.clock.now())
    with ctx.uow_factory() as uow, pytest.raises(ConflictError):
        uow.review.save_task(stale)
