"""The gate ERP and the shop floor ask before a part ships or moves on.

The gate's contract is an answer, allow or deny with reasons, within its deadline: never a
5xx, never a hang. So the route resolves its caller and runs the decision on a bounded pool
of gate workers and waits at most the deadline plus a margin; whatever the database does
(away, slow, out of connections), the caller gets a deny with a reason code in time.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from fastapi import APIRouter, Request

from firstarticle.api import observability
from firstarticle.api import schemas as s
from firstarticle.api.deps import Ctx, Limit, Offset, anonymous_context, get_app_state, get_context
from firstarticle.ports import StorageUnavailableError
from firstarticle.services import ServiceContext, gate

router = APIRouter(prefix="/api/v1", tags=["gate"])

# Time for a decision that met the deadline to record itself and come back.
MARGIN_SECONDS = 0.5


def workers_of(app: Any) -> ThreadPoolExecutor:
    """The application's gate workers, created at its first gate call: as many as the
    connections the process keeps open, so that deciding never opens and closes overflow
    connections (that churn cost W1 an eighth of its time); more callers queue and, past the
    deadline, are denied."""
    pool: ThreadPoolExecutor | None = getattr(app.state, "gate_workers", None)
    if pool is None:
        workers = app.state.application.settings.database_pool_size
        pool = app.state.gate_workers = ThreadPoolExecutor(workers, thread_name_prefix="gate")
    return pool


@router.post(
    "/gate/checks",
    response_model=s.GateCheckOut,
    responses={401: {"description": "No valid credentials (the database answered)."}},
)
async def gate_check(body: s.GateCheckIn, request: Request) -> Any:
    """Allow or deny, with reasons. Fails closed: anything unknown, failing or late is a deny
    with a reason code (``gate_unavailable``, ``gate_timeout``), answered within the deadline."""
    data = body.model_dump()
    data["serial_numbers"] = tuple(data["serial_numbers"])
    question = gate.GateRequest(**data)
    deadline = get_app_state(request).settings.gate_deadline_seconds + MARGIN_SECONDS
    # Awaited, not waited for on a second thread: one hop from the event loop to a gate
    # worker per question (profile of W1).
    decision: Future[gate.GateAnswer] = workers_of(request.app).submit(_decide, request, question)
    try:
        answer = await asyncio.wait_for(asyncio.wrap_future(decision), timeout=deadline)
    except TimeoutError:
        decision.cancel()  # if it has not started yet, it never will
        answer = gate.deny_unanswered(anonymous_context(request), question, "gate_timeout")
    observability.count_gate_decision(str(answer.decision), (r.code for r in answer.reasons))
    return s.GateCheckOut(
        decision=answer.decision,
        decision_id=answer.decision_id,
        at=answer.at,
        reasons=[s.GateReasonOut.model_validate(r) for r in answer.reasons],
    )


def _decide(request: Request, question: gate.GateRequest) -> gate.GateAnswer:
    """Authenticate and decide; a database that cannot say who asks means deny, not 503."""
    try:
        caller = _caller(request)
    except StorageUnavailableError:
        return gate.deny_unanswered(anonymous_context(request), question, "gate_unavailable")
    return gate.check(caller, question)


def _caller(request: Request) -> ServiceContext:
    # Resolved here rather than as a dependency, so that it runs within the deadline;
    # an override of get_context (tests) still applies.
    resolve = request.app.dependency_overrides.get(get_context, get_context)
    context: ServiceContext = resolve(request)
    return context


@router.get("/gate/decisions", response_model=s.PageOut[s.GateDecisionOut])
def gate_decisions(
    ctx: Ctx, site_id: str | None = None, limit: Limit = None, offset: Offset = None
) -> Any:
    """The gate decision log, newest first, as the caller may see it."""
    page = gate.list_decisions(ctx, site_id=site_id, limit=limit, offset=offset)
    return {"items": page.items, "total": page.total, "limit": page.limit, "offset": page.offset}
