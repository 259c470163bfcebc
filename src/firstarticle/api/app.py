"""The FastAPI application: versioned routes under /api/v1, health and OpenAPI."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, FastAPI, Query
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import firstarticle
from firstarticle import web
from firstarticle.api import access as access_api
from firstarticle.api import characteristic_import as characteristic_import_api
from firstarticle.api import decisions as decisions_api
from firstarticle.api import forms as forms_api
from firstarticle.api import gate as gate_api
from firstarticle.api import mirror as mirror_api
from firstarticle.api import notifications as notifications_api
from firstarticle.api import observability, openapi, problems
from firstarticle.api import operations as operations_api
from firstarticle.api import result_import as result_import_api
from firstarticle.api import revision_orders as revision_orders_api
from firstarticle.api import schemas as s
from firstarticle.api import signatures as signatures_api
from firstarticle.api import tasks as tasks_api
from firstarticle.api import triggers as triggers_api
from firstarticle.api.deps import Ctx, Limit, Offset
from firstarticle.bootstrap import Application
from firstarticle.domain import model
from firstarticle.domain.holds import HoldStatus
from firstarticle.domain.lifecycle import FaiStatus
from firstarticle.ports import FaiSort, Page
from firstarticle.services import catalog, fai_coverage, first_articles, holds, orders
from firstarticle.services.first_articles import FirstArticleDetail

API = "/api/v1"


def _page(page: Page[Any], out: type[s.Out]) -> dict[str, Any]:
    return {
        "items": [out.model_validate(i) for i in page.items],
        "total": page.total,
        "limit": page.limit,
        "offset": page.offset,
    }


FORM3_INLINE = 200  # Form 3 lines carried in an FAI's detail; the rest are paged


def fai_out(d: FirstArticleDetail) -> s.FirstArticleOut:
    """The API view of an FAI, bounded: at most FORM3_INLINE Form 3 lines (an assembly FAI
    has thousands, each with every serial's results); the rest at .../form3, paged."""
    f = d.fai
    return s.FirstArticleOut(
        **s.FirstArticleSummaryOut.model_validate(f).model_dump(),
        status_label=f.status.label,
        reason=f.reason,
        superseded_by_id=f.superseded_by_id,
        form1=s.Form1Out.model_validate(d.form1),
        form2=[s.Form2RowOut.model_validate(r) for r in f.form2],
        form2_none_applies=[s.Form2StatementOut.model_validate(x) for x in f.form2_statements],
        form3=[s.Form3LineOut.model_validate(line) for line in d.form3[:FORM3_INLINE]],
        form3_total=len(d.form3),
        form3_inline=FORM3_INLINE,
        omitted=[s.OmissionOut.model_validate(o) for o in f.omissions],
        nonconformances=[s.NonconformanceOut.model_validate(n) for n in f.nonconformances],
        evidence=[s.EvidenceOut.model_validate(e) for e in d.evidence],
        decisions=[s.DecisionOut.model_validate(x) for x in f.decisions],
        ready=not any(x.blocking for x in d.findings),
        findings=[s.FindingOut.model_validate(x) for x in d.findings],
        allowed_actions=list(d.actions),
    )


router = APIRouter(prefix=API)


@router.post("/sites", status_code=201, response_model=s.SiteOut, tags=["sites"])
def create_site(body: s.SiteIn, ctx: Ctx) -> Any:
    return catalog.create_site(ctx, **body.model_dump())


@router.get("/sites", response_model=s.PageOut[s.SiteOut], tags=["sites"])
def list_sites(ctx: Ctx, limit: Limit = None, offset: Offset = None) -> Any:
    return _page(catalog.list_sites(ctx, limit, offset), s.SiteOut)


@router.get("/sites/{site_id}", response_model=s.SiteOut, tags=["sites"])
def get_site(site_id: str, ctx: Ctx) -> Any:
    return catalog.get_site(ctx, site_id)


@router.post("/customers", status_code=201, response_model=s.CustomerOut, tags=["customers"])
def create_customer(body: s.CustomerIn, ctx: Ctx) -> Any:
    return catalog.create_customer(ctx, **body.model_dump())


@router.get("/customers", response_model=s.PageOut[s.CustomerOut], tags=["customers"])
def list_customers(ctx: Ctx, limit: Limit = None, offset: Offset = None) -> Any:
    return _page(catalog.list_customers(ctx, limit, offset), s.CustomerOut)


@router.get("/customers/{customer_id}", response_model=s.CustomerOut, tags=["customers"])
def get_customer(customer_id: str, ctx: Ctx) -> Any:
    return catalog.get_customer(ctx, customer_id)


@router.post("/parts", status_code=201, response_model=s.PartOut, tags=["parts"])
def create_part(body: s.PartIn, ctx: Ctx) -> Any:
    return catalog.create_part(ctx, **body.model_dump())


@router.get("/parts", response_model=s.PageOut[s.PartOut], tags=["parts"])
def list_parts(ctx: Ctx, limit: Limit = None, offset: Offset = None) -> Any:
    return _page(catalog.list_parts(ctx, limit, offset), s.PartOut)


@router.get("/parts/{part_id}", response_model=s.PartOut, tags=["parts"])
def get_part(part_id: str, ctx: Ctx) -> Any:
    return catalog.get_part(ctx, part_id)


@router.post(
    "/parts/{part_id}/revisions", status_code=201, response_model=s.RevisionOut, tags=["parts"]
)
def add_revision(part_id: str, body: s.RevisionIn, ctx: Ctx) -> Any:
    drawings = [catalog.DrawingSpec(**d.model_dump()) for d in body.drawings]
    return catalog.add_revision(
        ctx, part_id, revision=body.revision, drawings=drawings, status=body.status
    )


@router.get("/revisions/{revision_id}", response_model=s.RevisionOut, tags=["parts"])
def get_revision(revision_id: str, ctx: Ctx) -> Any:
    return catalog.get_revision(ctx, revision_id)


@router.post(
    "/revisions/{revision_id}/characteristics",
    status_code=201,
    response_model=list[s.CharacteristicOut],
    tags=["parts"],
)
def add_characteristics(revision_id: str, body: s.CharacteristicsIn, ctx: Ctx) -> Any:
    by_drawing: dict[str, list[catalog.CharacteristicSpec]] = {}
    for c in body.characteristics:
        fields = c.model_dump(exclude={"drawing_number"})
        by_drawing.setdefault(c.drawing_number, []).append(catalog.CharacteristicSpec(**fields))
    if len(by_drawing) > 1:
        from firstarticle.domain.errors import ValidationError

        raise ValidationError(
            "Add the characteristics of one drawing per request.", field="drawing_number"
        )
    ((drawing, specs),) = by_drawing.items()
    return catalog.add_characteristics(ctx, revision_id, drawing, specs)


@router.post("/work-orders", status_code=201, response_model=s.WorkOrderOut, tags=["work orders"])
def create_work_order(body: s.WorkOrderIn, ctx: Ctx) -> Any:
    data = body.model_dump(exclude={"operations"})
    ops = [orders.OperationSpec(**o.model_dump()) for o in body.operations]
    return orders.create_work_order(ctx, operations=ops, **data)


@router.get("/work-orders", response_model=s.PageOut[s.WorkOrderOut], tags=["work orders"])
def list_work_orders(
    ctx: Ctx, site_id: str | None = None, limit: Limit = None, offset: Offset = None
) -> Any:
    return _page(orders.list_work_orders(ctx, site_id, limit, offset), s.WorkOrderOut)


@router.get("/work-orders/{work_order_id}", response_model=s.WorkOrderOut, tags=["work orders"])
def get_work_order(work_order_id: str, ctx: Ctx) -> Any:
    return orders.get_work_order(ctx, work_order_id)


@router.post(
    "/work-orders/{work_order_id}/serials",
    status_code=201,
    response_model=list[s.SerialOut],
    tags=["work orders"],
)
def add_serials(work_order_id: str, body: s.SerialsIn, ctx: Ctx) -> Any:
    return orders.add_serials(ctx, work_order_id, body.serial_numbers, body.lot)


FAI = "/first-articles/{fai_id}"
FaiOut = s.FirstArticleOut


@router.post("/first-articles", status_code=201, response_model=FaiOut, tags=["first articles"])
def create_first_article(body: s.FirstArticleIn, ctx: Ctx) -> Any:
    return fai_out(first_articles.create_first_article(ctx, **body.model_dump()))


@router.get(
    "/first-articles", response_model=s.PageOut[s.FirstArticleSummaryOut], tags=["first articles"]
)
def list_first_articles(
    ctx: Ctx,
    site_id: Annotated[str | None, Query(max_length=64)] = None,
    status: FaiStatus | None = None,
    part_revision_id: Annotated[str | None, Query(max_length=64)] = None,
    part_id: Annotated[str | None, Query(max_length=64)] = None,
    customer_id: Annotated[str | None, Query(max_length=64)] = None,
    program: Annotated[str | None, Query(max_length=64)] = None,
    sort: FaiSort = FaiSort.CREATED,
    order: Annotated[Literal["asc", "desc"], Query(description="Sort direction.")] = "desc",
    limit: Limit = None,
    offset: Offset = None,
) -> Any:
    """FAIs the caller may see, filtered; sorted by ``sort`` then id, so pages are stable."""
    page = first_articles.list_first_articles(
        ctx,
        site_id=site_id,
        status=status,
        part_revision_id=part_revision_id,
        part_id=part_id,
        customer_id=customer_id,
        program=program,
        sort=sort,
        descending=order == "desc",
        limit=limit,
        offset=offset,
    )
    return _page(page, s.FirstArticleSummaryOut)


@router.get(
    "/first-articles/by-fair/{fair_identifier}", response_model=FaiOut, tags=["first articles"]
)
def get_by_fair(fair_identifier: str, ctx: Ctx) -> Any:
    return fai_out(first_articles.first_article_by_fair(ctx, fair_identifier))


@router.get(FAI, response_model=FaiOut, tags=["first articles"])
def get_first_article(fai_id: str, ctx: Ctx) -> Any:
    return fai_out(first_articles.get_first_article(ctx, fai_id))


@router.patch(FAI, response_model=FaiOut, tags=["first articles"])
def update_first_article(fai_id: str, body: s.FirstArticlePatch, ctx: Ctx) -> Any:
    changes = body.model_dump(exclude_unset=True, exclude={"expected_version"})
    return fai_out(first_articles.update_first_article(ctx, fai_id, changes, body.expected_version))


@router.get(FAI + "/readiness", response_model=s.ReadinessOut, tags=["first articles"])
def readiness(fai_id: str, ctx: Ctx) -> Any:
    detail = first_articles.get_first_article(ctx, fai_id)
    blocking = sum(1 for f in detail.findings if f.blocking)
    return s.ReadinessOut(
        first_article_id=detail.fai.id,
        fair_identifier=detail.fai.fair_identifier,
        ready=blocking == 0,
        blocking=blocking,
        warnings=len(detail.findings) - blocking,
        findings=[s.FindingOut.model_validate(f) for f in detail.findings],
    )


@router.get(FAI + "/audit", response_model=s.PageOut[s.AuditEntryOut], tags=["first articles"])
def audit(fai_id: str, ctx: Ctx, limit: Limit = None, offset: Offset = None) -> Any:
    """The FAI's audit trail in chain order, a page at a time."""
    page = first_articles.audit_trail_page(ctx, fai_id, limit, offset)
    return {"items": page.items, "total": page.total, "limit": page.limit, "offset": page.offset}


@router.post(FAI + "/index", status_code=201, response_model=FaiOut, tags=["first articles"])
def add_index_entry(fai_id: str, body: s.IndexEntryIn, ctx: Ctx) -> Any:
    return fai_out(first_articles.add_index_entry(ctx, fai_id, **body.model_dump()))


@router.post(
    FAI + "/index/from-bom",
    response_model=FaiOut,
    tags=["first articles"],
)
def rebuild_index_from_bom(fai_id: str, ctx: Ctx) -> Any:
    """Rebuild the assembly's index (Form 1 fields 15-18) from its revision's bill of
    materials, each FAIR found now; entries keyed in by hand for parts the BOM does not list
    are kept."""
    return fai_out(first_articles.rebuild_index_from_bom(ctx, fai_id))


@router.post(FAI + "/form2", status_code=201, response_model=FaiOut, tags=["first articles"])
def add_form2_row(fai_id: str, body: s.Form2RowIn, ctx: Ctx) -> Any:
    return fai_out(first_articles.add_form2_row(ctx, fai_id, **body.model_dump()))


@router.get(FAI + "/form3", response_model=s.PageOut[s.Form3LineOut], tags=["first articles"])
def form3_lines(fai_id: str, ctx: Ctx, limit: Limit = None, offset: Offset = None) -> Any:
    """Form 3 lines in balloon order, each with every serial's results, a page at a time."""
    size, start = ctx.page(limit, offset)
    lines = first_articles.get_first_article(ctx, fai_id).form3
    return {
        "items": [s.Form3LineOut.model_validate(x) for x in lines[start : start + size]],
        "total": len(lines),
        "limit": size,
        "offset": start,
    }


@router.patch(FAI + "/form3/{balloon}", response_model=FaiOut, tags=["first articles"])
def update_form3_row(fai_id: str, balloon: str, body: s.Form3RowIn, ctx: Ctx) -> Any:
    return fai_out(first_articles.update_form3_row(ctx, fai_id, balloon, **body.model_dump()))


@router.post(FAI + "/form3", status_code=201, response_model=FaiOut, tags=["first articles"])
def add_to_scope(fai_id: str, body: s.ScopeIn, ctx: Ctx) -> Any:
    return fai_out(first_articles.add_to_scope(ctx, fai_id, body.balloons))


@router.post(FAI + "/units", status_code=201, response_model=FaiOut, tags=["first articles"])
def add_units(fai_id: str, body: s.UnitsIn, ctx: Ctx) -> Any:
    return fai_out(first_articles.add_units(ctx, fai_id, body.serial_numbers))


@router.post(FAI + "/results", status_code=201, response_model=FaiOut, tags=["first articles"])
def record_results(fai_id: str, body: s.ResultsIn, ctx: Ctx) -> Any:
    inputs = [first_articles.ResultInput(**r.model_dump()) for r in body.results]
    first_articles.record_results(ctx, fai_id, inputs)
    return fai_out(first_articles.get_first_article(ctx, fai_id))


@router.post(
    FAI + "/results/{result_id}/verification", response_model=FaiOut, tags=["first articles"]
)
def verify_result(fai_id: str, result_id: str, ctx: Ctx) -> Any:
    return fai_out(first_articles.verify_result(ctx, fai_id, result_id))


@router.post(
    FAI + "/results/{result_id}/disagreement-resolution",
    response_model=FaiOut,
    tags=["first articles"],
)
def resolve_verdict_disagreement(fai_id: str, result_id: str, body: s.ReasonIn, ctx: Ctx) -> Any:
    """Settle a result whose file verdict differs from the computed one, saying why."""
    return fai_out(first_articles.resolve_verdict_disagreement(ctx, fai_id, result_id, body.reason))


@router.post(
    FAI + "/form2-statements", status_code=201, response_model=FaiOut, tags=["first articles"]
)
def state_none_applies(fai_id: str, body: s.Form2StatementIn, ctx: Ctx) -> Any:
    """State, under your name, that no Form 2 entry of a category applies."""
    return fai_out(fai_coverage.state_none_applies(ctx, fai_id, **body.model_dump()))


@router.post(
    FAI + "/form2-statements/{kind}/withdrawal", response_model=FaiOut, tags=["first articles"]
)
def withdraw_none_applies(
    fai_id: str, kind: model.Form2Kind, body: s.RevocationIn, ctx: Ctx
) -> Any:
    """Take back a 'none applies' statement."""
    return fai_out(fai_coverage.withdraw_none_applies(ctx, fai_id, kind=kind, reason=body.reason))


@router.post(FAI + "/omissions", status_code=201, response_model=FaiOut, tags=["first articles"])
def omit_characteristic(fai_id: str, body: s.OmissionIn, ctx: Ctx) -> Any:
    """Leave a characteristic the revision diff marks out of a partial FAI, with the reason."""
    return fai_out(fai_coverage.omit_characteristic(ctx, fai_id, **body.model_dump()))


@router.post(
    FAI + "/nonconformances", status_code=201, response_model=FaiOut, tags=["first articles"]
)
def link_nonconformance(fai_id: str, body: s.NonconformanceIn, ctx: Ctx) -> Any:
    return fai_out(first_articles.link_nonconformance(ctx, fai_id, **body.model_dump()))


@router.patch(FAI + "/nonconformances/{nc_id}", response_model=FaiOut, tags=["first articles"])
def update_nonconformance(fai_id: str, nc_id: str, body: s.NonconformanceUpdateIn, ctx: Ctx) -> Any:
    return fai_out(first_articles.update_nonconformance(ctx, fai_id, nc_id, **body.model_dump()))


@router.post(FAI + "/evidence", status_code=201, response_model=FaiOut, tags=["first articles"])
def add_evidence(fai_id: str, body: s.EvidenceIn, ctx: Ctx) -> Any:
    return fai_out(first_articles.add_evidence(ctx, fai_id, **body.model_dump()))


@router.post(FAI + "/transitions", response_model=FaiOut, tags=["first articles"])
def transition(fai_id: str, body: s.TransitionIn, ctx: Ctx) -> Any:
    return fai_out(
        first_articles.transition(
            ctx, fai_id, body.action, reason=body.reason, superseded_by=body.superseded_by
        )
    )


@router.post("/holds", status_code=201, response_model=s.HoldOut, tags=["holds"])
def place_hold(body: s.HoldIn, ctx: Ctx) -> Any:
    return holds.place_hold(ctx, **body.model_dump())


@router.get("/holds", response_model=s.PageOut[s.HoldOut], tags=["holds"])
def list_holds(
    ctx: Ctx,
    site_id: str | None = None,
    status: HoldStatus | None = None,
    limit: Limit = None,
    offset: Offset = None,
) -> Any:
    return _page(
        holds.list_holds(ctx, site_id=site_id, status=status, limit=limit, offset=offset), s.HoldOut
    )


@router.get("/holds/{hold_id}", response_model=s.HoldOut, tags=["holds"])
def get_hold(hold_id: str, ctx: Ctx) -> Any:
    return holds.get_hold(ctx, hold_id)


@router.post(
    "/holds/{hold_id}/overrides", status_code=201, response_model=s.OverrideOut, tags=["holds"]
)
def request_override(hold_id: str, body: s.OverrideIn, ctx: Ctx) -> Any:
    return holds.request_override(ctx, hold_id, **body.model_dump())


@router.post(
    "/holds/{hold_id}/overrides/{override_id}/revocation",
    response_model=s.OverrideOut,
    tags=["holds"],
)
def revoke_override(hold_id: str, override_id: str, body: s.RevocationIn, ctx: Ctx) -> Any:
    return holds.revoke_override(ctx, hold_id, override_id, body.reason)


class RequestIdMiddleware:
    """Give every request an id (the caller's X-Request-ID if sane) and echo it back.

    Plain ASGI rather than BaseHTTPMiddleware, which costs a task and a stream per request.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = Headers(scope=scope).get("x-request-id", "")
        rid = incoming if 0 < len(incoming) <= 64 and incoming.isprintable() else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = rid

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)["X-Request-ID"] = rid
            await send(message)

        await self.app(scope, receive, send_with_id)


def create_app(application: Application) -> FastAPI:
    """The HTTP application over ``application``'s database and services."""
    app = FastAPI(
        title="firstarticle",
        version=firstarticle.__version__,
        description="AS9102 First Article Inspection coordination: records, readiness, "
        "lifecycle and the shipment gate.",
        openapi_url="/openapi.json",
        docs_url=None,  # served by openapi.install_docs, with local assets
        redoc_url=None,
    )
    app.state.application = application
    problems.install(app, application.translate_error)

    app.add_middleware(RequestIdMiddleware)
    app.add_middleware(observability.RequestLogMiddleware)  # outermost: times everything

    app.include_router(operations_api.router)
    app.include_router(access_api.router)
    app.include_router(router)
    # --- routers of the import features (one line each) ---
    app.include_router(mirror_api.router)
    app.include_router(characteristic_import_api.router)
    app.include_router(result_import_api.router)
    app.include_router(signatures_api.router)
    app.include_router(forms_api.router)
    app.include_router(gate_api.router)
    app.include_router(revision_orders_api.router)
    app.include_router(tasks_api.router)
    app.include_router(decisions_api.router)
    app.include_router(notifications_api.router)
    app.include_router(triggers_api.router)
    app.openapi = lambda: openapi.document(app)  # type: ignore[method-assign]
    openapi.install_docs(app)
    web.install(app)  # the pages for people under /web
    return app
