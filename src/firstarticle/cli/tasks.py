"""Review tasks at the command line: inboxes, completion, reassignment, comments, escalation,
customers' review templates and sites' role leads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from firstarticle.cli.common import command, ctx, out, print_json, signer, usage_error
from firstarticle.domain.tasks import Answer, ChecklistAnswer
from firstarticle.services import review_admin, tasks
from firstarticle.services.tasks import TaskView

tasks_app = typer.Typer(help="Review tasks: inboxes, completion, escalation.", no_args_is_help=True)
template_app = typer.Typer(help="Customers' review workflow templates.", no_args_is_help=True)
lead_app = typer.Typer(help="Each site's role leads (overdue tasks escalate to them).")
tasks_app.add_typer(template_app, name="template")
tasks_app.add_typer(lead_app, name="lead")


def _row(view: TaskView) -> dict[str, Any]:
    t = view.task
    return {
        "id": t.id,
        "fair_identifier": view.fair_identifier,
        "kind": t.kind.value,
        "name": t.name or t.kind.value,
        "role": t.role,
        "assignee": t.assignee,
        "status": t.status.value,
        "due_at": t.due_at.isoformat(),
        "required": t.required,
        "signature_required": t.signature_required,
        "checklist": [
            {
                "key": i.key,
                "text": i.text,
                "answer": t.answers[i.key].answer.value if i.key in t.answers else None,
            }
            for i in t.checklist
        ],
        "notes": t.notes,
    }


def _print(view: TaskView, as_json: bool) -> None:
    if as_json:
        print_json(_row(view))
        return
    t = view.task
    out.print(
        f"{t.id}  {view.fair_identifier}  {t.label}  {t.status.value}  "
        f"due {t.due_at:%Y-%m-%d %H:%M} UTC  assignee {t.assignee or '-'}",
        highlight=False,
    )
    for item in t.checklist:
        answer = t.answers.get(item.key)
        out.print(f"  [{answer.answer.value if answer else ' '}] {item.key}: {item.text}")


@tasks_app.command("inbox")
@command
def inbox(
    role: Annotated[str | None, typer.Option(help="A role's inbox instead of yours")] = None,
    all_open: Annotated[bool, typer.Option("--all", help="Every open task you may see")] = False,
    overdue: Annotated[bool, typer.Option(help="Only tasks past their due time")] = False,
    limit: int = 50,
    offset: int = 0,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Open tasks, due first: yours (assigned to --as USER), a role's, or all."""
    page = tasks.inbox(
        ctx(),
        mine=role is None and not all_open,
        role=role,
        overdue=overdue,
        limit=limit,
        offset=offset,
    )
    if as_json:
        print_json({"items": [_row(v) for v in page.items], "total": page.total})
        return
    table = Table("task", "FAIR", "what", "role", "assignee", "due (UTC)", "required")
    for v in page.items:
        t = v.task
        table.add_row(
            t.id,
            v.fair_identifier,
            t.name or t.kind.value,
            t.role,
            t.assignee or "-",
            f"{t.due_at:%Y-%m-%d %H:%M}",
            "yes" if t.required else "no",
        )
    out.print(table)
    out.print(f"{len(page.items)} of {page.total}")


@tasks_app.command("show")
@command
def show(task_id: str, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """One task with its checklist."""
    _print(tasks.get_task(ctx(), task_id), as_json)


def _answers(pairs: list[str]) -> dict[str, ChecklistAnswer]:
    answers = {}
    for pair in pairs:
        key, sep, rest = pair.partition("=")
        value, _, comment = rest.partition(":")
        try:
            answer = Answer(value.strip().lower().replace("n.a.", "na"))
        except ValueError:
            usage_error(f"--answer is KEY=yes|no|na[:comment], not {pair!r}")
        if not sep or not key.strip():
            usage_error(f"--answer is KEY=yes|no|na[:comment], not {pair!r}")
        answers[key.strip()] = ChecklistAnswer(answer, comment.strip() or None)
    return answers


@tasks_app.command("complete")
@command
def complete(
    task_id: str,
    answer: Annotated[
        list[str] | None, typer.Option(help="KEY=yes|no|na[:comment], repeatable")
    ] = None,
    sign: Annotated[bool, typer.Option(help="Sign electronically (asks the password)")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Answer the checklist and mark the task done."""
    answers = _answers(answer or [])
    if sign:
        person, nonce, password = signer()
        view = tasks.complete_task(person, task_id, answers, tasks.Credentials(nonce, password))
    else:
        view = tasks.complete_task(ctx(), task_id, answers)
    _print(view, as_json)


@tasks_app.command("reassign")
@command
def reassign(
    task_id: str,
    assignee: Annotated[str, typer.Argument(help="Username, or '-' for the role's inbox")],
    reason: Annotated[str, typer.Option(help="Why")],
) -> None:
    """Give a task to someone else, with a reason."""
    view = tasks.reassign_task(ctx(), task_id, None if assignee == "-" else assignee, reason)
    _print(view, False)


@tasks_app.command("comment")
@command
def comment(task_id: str, text: str) -> None:
    """Add a comment to a task."""
    _print(tasks.comment_task(ctx(), task_id, text), False)


@tasks_app.command("escalate")
@command
def escalate(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Escalate overdue tasks to their role's lead (once per overdue period; run it from a
    timer)."""
    report = review_admin.escalate_overdue(ctx())
    if as_json:
        print_json(
            {
                "escalated": [{"task": t.id, "lead": lead} for t, lead in report.escalated],
                "without_lead": [{"task": t.id, "role": t.role} for t in report.without_lead],
            }
        )
        return
    for task, lead in report.escalated:
        out.print(f"escalated {task.id} ({task.label}) to {lead}", highlight=False)
    for task in report.without_lead:
        out.print(f"no lead for role {task.role}: {task.id} stays overdue", highlight=False)
    out.print(f"{len(report.escalated)} escalated")


@template_app.command("show")
@command
def template_show(customer: str, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """The review template new reviews of CUSTOMER (code or id) follow."""
    view = review_admin.get_template(ctx(), customer)
    document = view.template.document()
    if as_json:
        print_json({"version": view.template.version, "is_default": view.is_default, **document})
        return
    which = "built-in default" if view.is_default else f"version {view.template.version}"
    out.print(f"{view.customer.code}: {which}", highlight=False)
    for i, stage in enumerate(view.template.stages, 1):
        out.print(
            f"  {i}. {stage.name} ({stage.role}) due {stage.due_hours} h, "
            f"{'required' if stage.required else 'advisory'}, guards {stage.guards.value}, "
            f"forms {sorted(stage.forms)}, {len(stage.checklist)} checklist item(s)"
            + (", signed" if stage.signature_required else ""),
            highlight=False,
        )


@template_app.command("set")
@command
def template_set(
    customer: str,
    file: Annotated[Path, typer.Option("--file", help="The template as JSON")],
) -> None:
    """Store a new template version for CUSTOMER; running reviews keep theirs."""
    try:
        document = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        usage_error(f"cannot read {file}: {error}")
    view = review_admin.set_template(ctx(), customer, document)
    out.print(
        f"{view.customer.code}: review template version {view.template.version} "
        f"({len(view.template.stages)} stages)",
        highlight=False,
    )


@lead_app.command("set")
@command
def lead_set(site: str, role: str, username: str) -> None:
    """Make USERNAME the lead of ROLE at SITE."""
    leads = review_admin.set_role_lead(ctx(), site, role, username)
    out.print(f"{role}: {leads[role.strip().lower()]}", highlight=False)


@lead_app.command("list")
@command
def lead_list(site: str) -> None:
    """The role leads of SITE."""
    for role, username in review_admin.role_leads(ctx(), site).items():
        out.print(f"{role}: {username}", highlight=False)


__all__ = ["tasks_app"]
