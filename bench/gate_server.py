"""The API plus one baseline route, served together for W1: the same stack, the same database."""

from __future__ import annotations

import sys

import sqlalchemy as sa
import uvicorn
from fastapi import FastAPI

from firstarticle import bootstrap
from firstarticle.api.app import create_app
from firstarticle.config import Settings
from firstarticle.storage import orm


def build(url: str) -> FastAPI:
    """The firstarticle app with ``GET /bench/serials/{site_id}/{serial_id}`` added."""
    application = bootstrap.build(Settings(database_url=url))
    app = create_app(application)
    table = orm.serial_numbers

    @app.get("/bench/serials/{site_id}/{serial_id}")
    def baseline(site_id: str, serial_id: str) -> dict[str, str | None]:
        with application.engine.connect() as conn:
            number = conn.execute(
                sa.select(table.c.number).where(table.c.site_id == site_id, table.c.id == serial_id)
            ).scalar_one_or_none()
        return {"number": number}

    return app


if __name__ == "__main__":
    url, port = sys.argv[1], int(sys.argv[2])
    uvicorn.run(build(url), host="127.0.0.1", port=port, log_level="warning", access_log=False)
