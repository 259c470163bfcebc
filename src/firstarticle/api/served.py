"""The app a server process serves: wired from FIRSTARTICLE_* settings in each worker."""

from __future__ import annotations

from fastapi import FastAPI

from firstarticle import bootstrap
from firstarticle.api.app import create_app


def app_from_settings() -> FastAPI:
    """A fresh application for this worker process (uvicorn's ``factory=True``)."""
    return create_app(bootstrap.build())
