"""The web application for people: server-rendered pages under /web on the same services,
session and CSRF protection as the API. Every asset is served from /web/static by the
application itself (no CDN: plants with ITAR data often run without internet access)."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from firstarticle.web import admin, fai, holds, pages, parts, uploads
from firstarticle.web.session import HERE, SignInRequiredError, to_sign_in


def install(app: FastAPI) -> None:
    """Mount the pages, their static assets, and the sign-in redirect on ``app``."""
    app.include_router(pages.router)
    app.include_router(fai.router)
    app.include_router(holds.router)
    app.include_router(parts.router)
    app.include_router(uploads.router)
    app.include_router(admin.router)
    app.mount("/web/static", StaticFiles(directory=HERE / "static"), name="web-static")

    @app.exception_handler(SignInRequiredError)
    async def on_sign_in_required(request: Request, error: SignInRequiredError) -> Response:
        return to_sign_in(request, error.reason)

    @app.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        return RedirectResponse("/web/", status_code=303)
