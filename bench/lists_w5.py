"""W5: the FAI list and the dashboard of one site, with filters, 50 rows a page, over the
generated data set, against one indexed SQL query for the same page.

The caller is a quality engineer of one site and a US person, as in a plant: the service
applies the site and export-control conditions a real person's list carries. The service
side includes turning rows into the API's summary objects; the baseline only fetches them.
"""

from __future__ import annotations

import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench import dataset
from bench.common import database_url, fresh_application, save
from firstarticle import bootstrap
from firstarticle.api.schemas import FirstArticleSummaryOut
from firstarticle.config import Settings
from firstarticle.domain.access import AuthorizationKind, Role
from firstarticle.domain.lifecycle import FaiStatus
from firstarticle.ports import FaiFilter
from firstarticle.services import ServiceContext, first_articles, identity, sign_in

PAGE = 50
# Set to reuse a data set the database already holds whole (load_s is then ~0).
KEEP_VARIABLE = "FIRSTARTICLE_BENCH_KEEP_DATA"
SIZES = (10, 50, 100)
t_fai = sa.table(
    "first_articles",
    *(
        sa.column(c)
        for c in (
            "id",
            "site_id",
            "fair_identifier",
            "part_revision_id",
            "work_order_id",
            "customer_id",
            "fai_type",
            "scope",
            "status",
            "submission_attempt",
            "created_at",
            "updated_at",
            "version",
        )
    ),
)


def _quality_engineer(app: Any, site_code: str) -> ServiceContext:
    """A signed-in quality engineer of one site, a US person."""
    admin = app.context("bench")
    with app.uow() as uow:
        known = uow.identity.by_username("w5.quality") is not None
    if not known:  # a kept data set already has the user
        identity.create_user(
            admin,
            username="w5.quality",
            printed_name="W5 Quality",
            roles=[Role.QUALITY_ENGINEER],
            sites=[site_code],
        )
        identity.add_authorization(
            admin, "w5.quality", kind=AuthorizationKind.US_PERSON, reason="W5 bench"
        )
    secret = sign_in.create_token(admin, "w5.quality", name="W5").secret
    return app.context(sign_in.authenticate_token(admin, secret))  # type: ignore[no-any-return]


def _p95(fn: Callable[[int], Any], offsets: list[int]) -> float:
    for offset in offsets[:5]:
        fn(offset)  # warm caches and the statement cache
    seconds = []
    for offset in offsets:
        start = time.perf_counter()
        fn(offset)
        seconds.append(time.perf_counter() - start)
    return statistics.quantiles(seconds, n=20)[18]


@contextmanager
def _counted(engine: sa.Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


def run(scale: str = "S", repeat: int = 200) -> dict[str, Any]:
    """Load the data set, then time the list and the dashboard against their baselines."""
    with tempfile.TemporaryDirectory() as tmp:
        url = database_url(Path(tmp) / "w5.db")
        started = time.perf_counter()
        kept = None
        if os.environ.get(KEEP_VARIABLE):
            app = bootstrap.build(Settings(database_url=url))
            kept = dataset.loaded(app.engine, dataset.SCALES[scale])
        if kept is None:
            app = fresh_application(url)
            plan = dataset.load(app.engine, dataset.SCALES[scale])
        else:
            plan = kept
        load_s = time.perf_counter() - started
        site_id = plan.site_ids[0]
        with app.engine.connect() as conn:
            site_code = conn.execute(
                sa.text("SELECT code FROM sites WHERE id = :id"), {"id": site_id}
            ).scalar_one()
            approved = conn.execute(
                sa.text("SELECT count(*) FROM first_articles WHERE site_id = :s AND status = :st"),
                {"s": site_id, "st": FaiStatus.APPROVED.value},
            ).scalar_one()
        ctx = _quality_engineer(app, site_code)
        rng = random.Random(5)
        pages = max(1, min(approved // PAGE, 200))
        offsets = [rng.randrange(pages) * PAGE for _ in range(repeat)]

        def service_page(offset: int, size: int = PAGE) -> list[Any]:
            page = first_articles.list_first_articles(
                ctx, site_id=site_id, status=FaiStatus.APPROVED, limit=size, offset=offset
            )
            return [FirstArticleSummaryOut.model_validate(f) for f in page.items]

        page_sql = (
            sa.select(t_fai)
            .where(t_fai.c.site_id == site_id, t_fai.c.status == FaiStatus.APPROVED.value)
            .order_by(t_fai.c.created_at.desc(), t_fai.c.id.desc())
            .limit(PAGE)
        )

        def baseline_page(offset: int) -> list[Any]:
            with app.engine.connect() as conn:
                return conn.execute(page_sql.offset(offset)).all()

        which = FaiFilter(site_id=site_id)
        counts_sql = (
            sa.select(t_fai.c.status, sa.func.count(), sa.func.min(t_fai.c.created_at))
            .where(t_fai.c.site_id == site_id)
            .group_by(t_fai.c.status)
        )

        def service_dashboard(_: int) -> Any:
            return first_articles.status_counts(ctx, which)

        def baseline_dashboard(_: int) -> Any:
            with app.engine.connect() as conn:
                return conn.execute(counts_sql).all()

        assert len(service_page(0)) == len(baseline_page(0))
        figures: dict[str, Any] = {
            "database": app.engine.dialect.name,
            "scale": scale,
            "load_s": load_s,
            "rows": plan.rows,
            "site_fais_approved": approved,
        }
        for name, service, baseline in (
            ("list", service_page, baseline_page),
            ("dashboard", service_dashboard, baseline_dashboard),
        ):
            s_p95, b_p95 = _p95(service, offsets), _p95(baseline, offsets)
            figures[name] = {
                "service_p95_ms": s_p95 * 1000,
                "baseline_p95_ms": b_p95 * 1000,
                "ratio": s_p95 / b_p95,
            }
        queries = {}
        for size in SIZES:
            with _counted(app.engine) as seen:
                service_page(PAGE, size)
            queries[str(size)] = len(seen)
        figures["list"]["queries_per_page"] = queries
        figures["list"]["queries_constant"] = len(set(queries.values())) == 1
        app.engine.dispose()
    for name in ("list", "dashboard"):
        f = figures[name]
        print(
            f"W5 {name} of one site over data set {scale} on {figures['database']}: p95 "
            f"{f['service_p95_ms']:.2f} ms, one indexed SQL query {f['baseline_p95_ms']:.2f} ms, "
            f"ratio {f['ratio']:.2f}x (goal <= 3x)"
        )
    print(f"W5 queries per list page by page size: {figures['list']['queries_per_page']}")
    save(f"w5_lists_{figures['database']}_{scale}", figures)
    return figures
