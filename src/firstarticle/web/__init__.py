"""The web application for people: server-rendered pages under /web on the same services,
session and CSRF protection as the API. Every asset is served from /web/static by the
application itself (no CDN: plants with ITAR data often run without internet access).

The pages are an application of their own mounted at /web, so the API's route table, its
OpenAPI document and its problem+json handlers stay the API's.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from firstarticle.domain.errors import DomainError
from firstarticle.web import (
    admin,
    content,
    customers,
    fai,
    holds,
    pages,
    parts,
    tasks,
    triggers,
    uploads,
)
from firstarticle.web.session import HERE, SignInRequiredError, render, to_sign_in


def _pages(api: FastAPI) -> FastAPI:
    web = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    web.state.application = api.state.application
    for module in (pages, fai, content, uploads, holds, parts, tasks, triggers, customers, admin):
        web.include_router(module.router)
    web.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @web.exception_handler(SignInRequiredError)
    async def on_sign_in_required(request: Request, error: SignInRequiredError) -> Response:
        return to_sign_in(request, error.reason)

    @web.exception_handler(RequestValidationError)
    async def on_bad_address(request: Request, error: RequestValidationError) -> Response:
        where = ", ".join(str(e.get("loc", ("",))[-1]) for e in error.errors())
        problem = DomainError(f"This address has a value the page cannot use ({where}).")
        return render(request, "error.html", 422, error=problem, me=None)

    @web.exception_handler(StarletteHTTPException)
    async def on_http_error(request: Request, error: StarletteHTTPException) -> Response:
        text = "No such page." if error.status_code == 404 else str(error.detail)
        return render(request, "error.html", error.status_code, error=DomainError(text), me=None)

    return web


def install(app: FastAPI) -> None:
    """Mount the pages at /web on ``app`` (after its application state is set); / leads there."""

    async def home(request: Request) -> Response:
        return RedirectResponse("/web/", status_code=303)

    app.mount("/web", _pages(app))
    app.add_route("/", home, include_in_schema=False)
