"""The API plus two baseline routes, served together for W1: the same stack, the same database.

- ``GET /bench/serials/{site_id}/{serial_id}``: one indexed primary-key read (reported);
- ``POST /bench/receipts/{site_id}/{serial_id}``: the same read plus one durable insert of a row
  shaped like a gate decision, committed: the least work a recorded decision needs (the goal's
  baseline).
"""

from __future__ import annotations

import json
import os
import sys
import uuid
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
import uvicorn
from fastapi import FastAPI, Request
from starlette.concurrency import run_in_threadpool

from firstarticle import bootstrap
from firstarticle.api.app import create_app
from firstarticle.config import Settings
from firstarticle.storage import orm

URL_VARIABLE = "FIRSTARTICLE_BENCH_SERVER_URL"
receipts = sa.Table(
    "bench_receipts",
    sa.MetaData(),
    *(c._copy() for c in orm.gate_decisions.columns),
    sa.Index("ix_bench_receipts_site_at", "site_id", "at"),
)


def build(url: str) -> FastAPI:
    """The firstarticle app with the two baseline routes added."""
    application = bootstrap.build(Settings(database_url=url))
    receipts.create(application.engine, checkfirst=True)
    app = create_app(application)
    serials = orm.serial_numbers

    def number_of(conn: sa.Connection, site_id: str, serial_id: str) -> str | None:
        return conn.execute(
            sa.select(serials.c.number).where(
                serials.c.site_id == site_id, serials.c.id == serial_id
            )
        ).scalar_one_or_none()

    @app.get("/bench/serials/{site_id}/{serial_id}")
    def baseline(site_id: str, serial_id: str) -> dict[str, str | None]:
        with application.engine.connect() as conn:
            return {"number": number_of(conn, site_id, serial_id)}

    @app.post("/bench/receipts/{site_id}/{serial_id}")
    async def durable(site_id: str, serial_id: str, request: Request) -> dict[str, Any]:
        question = json.loads(await request.body() or b"{}")

        def write() -> dict[str, Any]:
            with application.engine.begin() as conn:
                number = number_of(conn, site_id, serial_id)
                conn.execute(
                    receipts.insert().values(
                        site_id=site_id,
                        id=str(uuid.uuid4()),
                        part_revision_id=None,
                        at=datetime.now(UTC),
                        kind="shipment",
                        decision="allow" if number else "deny",
                        caller="demo-erp",
                        request=question,
                        reasons=[],
                        data_version={"serial": number},
                    )
                )
            return {"number": number}

        return await run_in_threadpool(write)

    return app


def from_environment() -> FastAPI:
    """For ``uvicorn --workers N``: each worker builds the app from the environment."""
    return build(os.environ[URL_VARIABLE])


if __name__ == "__main__":
    url, port = sys.argv[1], int(sys.argv[2])
    workers = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    if workers == 1:
        uvicorn.run(build(url), host="127.0.0.1", port=port, log_level="warning", access_log=False)
    else:
        os.environ[URL_VARIABLE] = url
        uvicorn.run(
            "bench.gate_server:from_environment",
            factory=True,
            workers=workers,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            access_log=False,
        )
