"""The web client fixture: the whole application, real sign-in, real CSRF."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from firstarticle import bootstrap
from firstarticle.api.app import create_app


@pytest.fixture
def web(application: bootstrap.Application) -> Iterator[TestClient]:
    """A browser-like client of the whole application (follows redirects, keeps cookies)."""
    with TestClient(create_app(application), raise_server_exceptions=True) as client:
        yield client
