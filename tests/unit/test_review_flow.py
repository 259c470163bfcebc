"""The review workflow in the domain (domain/review_flow.py, tasks.py, review_templates.py):
stages open in order, a rejection opens the plant's answers, a resubmission resumes where the
customer's comments point, checklists and permissions are enforced, and a random walk of the
lifecycle never leaves a running review with no open stage or two."""

from __future__ import annotations

import contextlib
from datetime import timedelta

import pytest
from builders import NOW, a_ready_world
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from firstarticle.domain import model, readiness
from firstarticle.domain.access import Role
from firstarticle.domain.errors import GuardFailedError, ValidationError
from firstarticle.domain.events import Event
from firstarticle.domain.lifecycle import FaiAction, FaiStatus, actions_from
from firstarticle.domain.review_flow import ReviewSubject, advance, open_review_task, react
from firstarticle.domain.review_templates import (
    DEFAULT_TEMPLATE,
    ChecklistItem,
    ReviewTemplate,
    Stage,
    TaskKind,
    template_from_document,
)
from firstarticle.domain.signatures import SignatureRequiredError
from firstarticle.domain.tasks import (
    Answer,
    ChecklistAnswer,
    ChecklistIncompleteError,
    ChecklistItemUnknownError,
    Task,
    TaskClosedError,
    TaskNotPermittedError,
    TaskStatus,
)
from firstarticle.services.review_hook import template_for

QUALITY = {Role.QUALITY_ENGINEER}
TEMPLATE = ReviewTemplate(
    customer_id="c-1",
    version=3,
    id="t-3",
    stages=(
        Stage("quality", "Quality review", "quality", forms=frozenset({1, 2})),
        Stage("engineering", "Engineering review", "engineering", forms=frozenset({3})),
        Stage("program", "Program release", "program", guards=FaiAction.SUBMIT, required=False),
    ),
)


class Fai:
    """An FAI moved by the domain's lifecycle, with its tasks following every commit."""

    def __init__(self, template: ReviewTemplate = TEMPLATE) -> None:
        world = a_ready_world()
        self.fai = world.fai
        self.world = world
        self.template = template
        self.tasks: list[Task] = []
        self.clock = NOW

    def subject(self) -> ReviewSubject:
        f = self.fai
        return ReviewSubject(f.site_id, f.id, f.status, f.submission_attempt)

    def commit(self, events: list[Event]) -> list[Event]:
        out = react(self.subject(), self.template, self.tasks, events, actor="x", at=self.clock)
        self.tasks += out.opened
        return out.events

    def blockers(self) -> list[readiness.Finding]:
        self.world.tasks[:] = self.tasks
        return readiness.blocking(readiness.evaluate(self.fai, self.world.ctx))

    def act(self, action: FaiAction, reason: str | None = "because") -> list[Event]:
        events = self.fai.apply(
            action, actor="x", at=self.clock, reason=reason, blocking_findings=self.blockers()
        )
        return self.commit(events)

    def reject(self, forms: list[int], requested_action: str | None = None) -> list[Event]:
        events = self.fai.apply(FaiAction.REJECT, actor="x", at=self.clock, reason="no")
        decision = {
            "outcome": "rejected",
            "attempt": self.fai.submission_attempt,
            "requested_action": requested_action,
            "forms_commented": forms,
        }
        events.append(
            Event(
                "fai.customer_decision_recorded",
                "first_article",
                self.fai.id,
                self.fai.site_id,
                "x",
                self.clock,
                {"customer_decision": (None, decision)},
            )
        )
        return self.commit(events)

    def finish_open_stage(self) -> Task:
        task = open_review_task(self.tasks)
        assert task is not None
        answers = {i.key: ChecklistAnswer(Answer.YES) for i in task.checklist}
        task.complete("q", set(Role), answers, self.clock)
        self.tasks += advance(
            self.subject(), self.template, self.tasks, actor="q", at=self.clock
        ).opened
        return task

    def open(self, kind: TaskKind = TaskKind.REVIEW) -> list[Task]:
        return [t for t in self.tasks if t.kind is kind and t.status.is_open]

    def to_review(self) -> None:
        self.act(FaiAction.REQUEST_REVIEW)  # the ready world's FAI is in progress

    def to_submitted(self) -> None:
        while open_review_task(self.tasks) is not None and self.open_stage_required():
            self.finish_open_stage()
        self.act(FaiAction.APPROVE_INTERNALLY)
        self.act(FaiAction.SUBMIT)

    def open_stage_required(self) -> bool:
        task = open_review_task(self.tasks)
        return task is not None and task.required


def test_entering_review_opens_the_first_stage_only():
    """One task, for the first stage's role, due its hours later, from the template's version."""
    fai = Fai()
    fai.to_review()
    (task,) = fai.open()
    assert (task.stage_key, task.role, task.template_version) == ("quality", "quality", 3)
    assert task.due_at == NOW + timedelta(hours=48)


def test_each_stage_opens_when_the_one_before_is_done():
    """Quality, then engineering, then the stage guarding submit, which does not stand in
    the way of internal approval."""
    fai = Fai()
    fai.to_review()
    assert fai.finish_open_stage().stage_key == "quality"
    assert [t.stage_key for t in fai.open()] == ["engineering"]
    fai.finish_open_stage()
    assert [t.stage_key for t in fai.open()] == ["program"]
    fai.act(FaiAction.APPROVE_INTERNALLY)
    assert [t.stage_key for t in fai.open()] == ["program"]


def test_internal_approval_past_an_advisory_stage_opens_the_next_stage():
    """An advisory stage left open is closed by the approval it guards; the next one opens."""
    advisory = ReviewTemplate(
        "c-1",
        1,
        (Stage("look", "Look", "quality", required=False), TEMPLATE.stages[2]),
        id="t-a",
    )
    fai = Fai(advisory)
    fai.to_review()
    fai.act(FaiAction.APPROVE_INTERNALLY)
    assert [t.stage_key for t in fai.open()] == ["program"]


def test_an_open_required_stage_blocks_internal_approval_with_a_finding_naming_it():
    """The guard refuses internal approval while the quality stage is open."""
    fai = Fai()
    fai.to_review()
    with pytest.raises(GuardFailedError) as refused:
        fai.act(FaiAction.APPROVE_INTERNALLY)
    findings = refused.value.details["findings"]
    assert {f.rule for f in findings} == {"REVIEW_TASK_OPEN"}
    assert findings[0].records[0].id == fai.open()[0].id


def test_advisory_stages_block_nothing_and_close_when_their_action_is_taken():
    """The default template's stage is shown but an FAI is approved past it."""
    fai = Fai(DEFAULT_TEMPLATE)
    fai.to_review()
    (task,) = fai.open()
    assert not task.required
    fai.act(FaiAction.APPROVE_INTERNALLY)
    assert task.status is TaskStatus.CANCELLED
    assert fai.open() == []


def test_a_rejection_opens_rework_and_resubmission_and_containment_when_asked():
    """Rework for engineering, resubmission for quality, containment only when requested."""
    fai = Fai()
    fai.to_review()
    fai.to_submitted()
    events = fai.reject([3], "containment")
    kinds = {t.kind: t for t in fai.tasks if t.status.is_open}
    assert set(kinds) == {TaskKind.REWORK, TaskKind.RESUBMISSION, TaskKind.CONTAINMENT}
    assert kinds[TaskKind.REWORK].role == "engineering"
    assert kinds[TaskKind.RESUBMISSION].attempt == 2
    created = [e for e in events if e.action == "task.created"]
    assert len(created) == 3
    assert {"first_article_id", "kind", "role", "assignee", "due_at"} <= set(created[0].changes)


def test_a_rejection_without_containment_opens_no_containment_task():
    """No containment asked, no containment task."""
    fai = Fai()
    fai.to_review()
    fai.to_submitted()
    fai.reject([1])
    assert fai.open(TaskKind.CONTAINMENT) == []


def test_resubmission_resumes_at_the_first_stage_the_comments_concern():
    """Comments on Form 3 resume at engineering, not at quality."""
    fai = Fai()
    fai.to_review()
    fai.to_submitted()
    fai.reject([3])
    fai.act(FaiAction.REWORK)
    fai.act(FaiAction.REQUEST_REVIEW)
    assert [t.stage_key for t in fai.open()] == ["engineering"]
    assert fai.open()[0].attempt == 2
    fai.act(FaiAction.RETURN_TO_WORK)
    assert fai.open() == []


def test_a_template_that_says_restart_starts_again_from_the_first_stage():
    """restart_on_resubmission ignores which forms were commented."""
    restart = ReviewTemplate("c-1", 4, TEMPLATE.stages, restart_on_resubmission=True, id="t-4")
    fai = Fai(restart)
    fai.to_review()
    fai.to_submitted()
    fai.reject([3])
    fai.act(FaiAction.REWORK)
    fai.act(FaiAction.REQUEST_REVIEW)
    assert [t.stage_key for t in fai.open()] == ["quality"]


def test_resubmitting_closes_the_resubmission_task_and_approval_the_rework():
    """Submitting attempt 2 closes the resubmission task as done; approval cancels rework."""
    fai = Fai()
    fai.to_review()
    fai.to_submitted()
    fai.reject([3])
    fai.act(FaiAction.REWORK)
    fai.act(FaiAction.REQUEST_REVIEW)
    fai.to_submitted()
    (resubmission,) = [t for t in fai.tasks if t.kind is TaskKind.RESUBMISSION]
    assert resubmission.status is TaskStatus.DONE
    fai.act(FaiAction.APPROVE, None)
    assert all(not t.status.is_open for t in fai.tasks)


def test_cancelling_the_fai_cancels_every_open_task():
    """Nothing stays open on a cancelled FAI."""
    fai = Fai()
    fai.to_review()
    fai.act(FaiAction.CANCEL)
    assert [t for t in fai.tasks if t.status.is_open] == []


def _task(*keys: str, signed: bool = False) -> Task:
    stage = Stage(
        "q",
        "Quality",
        "quality",
        checklist=tuple(ChecklistItem(k, f"Is {k} right?") for k in keys),
        signature_required=signed,
    )
    return Task.for_stage(
        stage, 0, site_id="s", first_article_id="f", template=("t", 1), attempt=1, cycle=1,
        actor="x", at=NOW,
    )  # fmt: skip


def test_completing_someone_elses_task_without_its_role_is_refused():
    """An operator who is not the assignee cannot complete a quality task."""
    task = _task()
    with pytest.raises(TaskNotPermittedError) as refused:
        task.complete("t.brandt", {Role.OPERATOR}, {}, NOW)
    assert refused.value.code == "task_not_permitted"
    assert task.status is TaskStatus.OPEN


def test_the_assignee_completes_a_task_of_a_role_they_do_not_hold():
    """Assignment is enough: the assignee works the task."""
    task = _task()
    task.assignee = "t.brandt"
    task.complete("t.brandt", {Role.OPERATOR}, {}, NOW)
    assert task.status is TaskStatus.DONE


def test_an_answer_to_an_unknown_item_and_an_unanswered_item_are_refused():
    """Unknown keys and missing answers change nothing."""
    task = _task("drawing", "material")
    with pytest.raises(ChecklistItemUnknownError):
        task.complete("q", QUALITY, {"colour": ChecklistAnswer(Answer.YES)}, NOW)
    with pytest.raises(ChecklistIncompleteError):
        task.complete("q", QUALITY, {"drawing": ChecklistAnswer(Answer.NO, "rev B")}, NOW)
    assert task.answers == {}
    assert task.status is TaskStatus.OPEN


def test_a_stage_needing_a_signature_is_not_completed_without_one():
    """SignatureRequiredError; done once signed."""
    task = _task(signed=True)
    with pytest.raises(SignatureRequiredError):
        task.complete("q", QUALITY, {}, NOW)
    task.complete("q", QUALITY, {}, NOW, signed=True)
    assert task.status is TaskStatus.DONE


def test_a_closed_task_does_not_move_again():
    """Done is terminal (the transition table has no edge out of it)."""
    task = _task()
    task.complete("q", QUALITY, {}, NOW)
    with pytest.raises(TaskClosedError):
        task.complete("q", QUALITY, {}, NOW)


def test_escalation_happens_once_per_overdue_period():
    """Due at 48 h: escalated at 49 h, not again at 60 h, again at 97 h."""
    task = _task()
    assert task.escalate("lead", "x", NOW + timedelta(hours=47)) == []
    assert len(task.escalate("lead", "x", NOW + timedelta(hours=49))) == 1
    assert task.escalate("lead", "x", NOW + timedelta(hours=60)) == []
    (event,) = task.escalate("lead", "x", NOW + timedelta(hours=97))
    assert event.changes["escalated_to"] == (None, "lead")


def test_a_template_document_round_trips_and_bad_ones_name_the_field():
    """document() reads back the same; an unknown guard or form is a ValidationError."""
    again = template_from_document(
        TEMPLATE.document(), customer_id="c-1", version=5, created_by="x", created_at=NOW
    )
    assert again.stages == TEMPLATE.stages
    for stage in ({"key": "a", "role": "quality", "guards": "approve"},
                  {"key": "a", "role": "quality", "forms": [4]},
                  {"key": "a", "role": ""}):  # fmt: skip
        with pytest.raises(ValidationError):
            template_from_document(
                {"stages": [stage]}, customer_id="c", version=1, created_by="x", created_at=NOW
            )


# --- any walk of the lifecycle -----------------------------------------------------------

STEPS = st.lists(
    st.one_of(
        st.sampled_from(list(FaiAction)),
        st.just("finish"),
        st.tuples(st.just("reject"), st.lists(st.sampled_from([1, 2, 3]), max_size=3)),
    ),
    max_size=40,
)


def _running(fai: Fai) -> bool:
    """True when a stage of the current cycle is still to be reviewed."""
    taken = {
        FaiStatus.PENDING_INTERNAL_REVIEW: frozenset(),
        FaiStatus.INTERNALLY_APPROVED: frozenset({FaiAction.APPROVE_INTERNALLY}),
    }.get(fai.fai.status)
    reviews = [t for t in fai.tasks if t.kind is TaskKind.REVIEW]
    if taken is None or not reviews:
        return False
    cycle = max(t.cycle for t in reviews)
    last = max(t.stage_index or 0 for t in reviews if t.cycle == cycle)
    return fai.template.stage_after(last + 1, taken) is not None


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=STEPS, restart=st.booleans())
def test_any_walk_keeps_one_open_task_per_running_review_and_none_after_cancel(steps, restart):
    """Whatever lifecycle events come, a running review has exactly one open stage task (none
    outside review), and a cancelled FAI has no open task."""
    template = ReviewTemplate("c-1", 1, TEMPLATE.stages, restart_on_resubmission=restart)
    fai = Fai(template)
    for step in steps:
        status = fai.fai.status
        if step == "finish":
            if open_review_task(fai.tasks) is not None:
                fai.finish_open_stage()
        elif isinstance(step, tuple):
            if FaiAction.REJECT in actions_from(status):
                fai.reject(step[1], "containment" if 3 in step[1] else None)
        elif step in actions_from(status) and step is not FaiAction.SUPERSEDE:
            # The readiness guard refusing (a required stage open) is part of the walk.
            with contextlib.suppress(GuardFailedError):
                fai.act(step)
        opened = [t for t in fai.tasks if t.kind is TaskKind.REVIEW and t.status.is_open]
        in_review = fai.fai.status in (
            FaiStatus.PENDING_INTERNAL_REVIEW,
            FaiStatus.INTERNALLY_APPROVED,
        )
        assert len(opened) <= 1
        if not in_review:
            assert opened == []
        elif not opened:
            assert not _running(fai), "a running review with no open stage"
        if fai.fai.status is FaiStatus.CANCELLED:
            assert [t for t in fai.tasks if t.status.is_open] == []


def test_the_default_template_is_advisory_throughout():
    """Customers without a template are never blocked by it."""
    assert all(not s.required for s in DEFAULT_TEMPLATE.stages)
    assert model.FirstArticle  # the builders' FAI is the domain's own


class FakeReviewStore:
    """The template half of the review store, in memory."""

    def __init__(self, *templates: ReviewTemplate) -> None:
        self.by_id = {t.id: t for t in templates}

    def template(self, customer_id: str, version: int | None = None) -> ReviewTemplate | None:
        mine = [t for t in self.by_id.values() if t.customer_id == customer_id]
        return max(mine, key=lambda t: t.version, default=None)

    def template_by_id(self, template_id: str) -> ReviewTemplate | None:
        return self.by_id.get(template_id)


class FakeUnitOfWork:
    def __init__(self, review: FakeReviewStore) -> None:
        self.review = review


def test_a_review_keeps_the_template_version_its_first_task_came_from():
    """With versions 3 and 4 stored, an FAI reviewed under 3 stays on 3; a new review takes
    4; an FAI of no customer takes the built-in default."""
    newer = ReviewTemplate("c-1", 4, (Stage("only", "Only", "program"),), id="t-4")
    uow = FakeUnitOfWork(FakeReviewStore(TEMPLATE, newer))
    running = Fai()
    running.fai.customer_id = "c-1"
    running.to_review()
    assert template_for(uow, running.fai, running.tasks) is TEMPLATE
    fresh = Fai()
    fresh.fai.customer_id = "c-1"
    assert template_for(uow, fresh.fai, []) is newer
    fresh.fai.customer_id = None
    assert template_for(uow, fresh.fai, []) is DEFAULT_TEMPLATE
