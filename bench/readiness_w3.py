"""W3: readiness of an assembly FAI with 5,000 characteristics, 20 sub-assembly FAIs, 200 NCs,
against one SQL aggregate over the same rows; and 50,000 characteristics against 5,000."""

from __future__ import annotations

import random
import tempfile
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench.common import database_url, fresh_application, save, timed
from firstarticle import bootstrap
from firstarticle.domain import model
from firstarticle.domain.lifecycle import FaiStatus
from firstarticle.domain.values import Requirement
from firstarticle.services import fai_coverage, first_articles
from firstarticle.storage import orm

NOW = datetime(2026, 11, 1, tzinfo=UTC)


def build_assembly(
    app: bootstrap.Application, n_chars: int, *, children: int = 20, ncs: int = 200, seed: int = 3
) -> str:
    """An assembly FAI of ``n_chars`` characteristics, each with a result; returns its id."""
    rng = random.Random(seed)
    tag = f"{n_chars}"
    site = model.Site(code=f"B{tag}"[:16], name=f"Bench {tag}")
    customer = model.Customer(code=f"BC{tag}", name="Bench customer")
    part = model.Part(number=f"ASM-{tag}", name="Bench assembly")
    rev = model.PartRevision(part.id, "A", released_at=NOW)
    part.revisions.append(rev)
    drawing = model.Drawing(rev.id, f"ASM-{tag}", "A")
    rev.drawings.append(drawing)
    for i in range(1, n_chars + 1):
        nominal = Decimal(rng.randrange(100, 100000)) / 100
        drawing.characteristics.append(
            model.Characteristic(
                drawing.id,
                str(i),
                model.CharacteristicType.DIMENSIONAL,
                Requirement.toleranced(nominal, Decimal("0.05"), Decimal("-0.05"), "mm"),
            )
        )
    wo = model.WorkOrder(site.id, f"WO-{tag}", rev.id, 1, customer.id)
    serial = wo.add_serial("S1")
    fai = model.FirstArticle(
        site.id,
        f"FAIR-B-{tag}",
        rev.id,
        wo.id,
        model.FaiType.ASSEMBLY,
        model.FaiScope.FULL,
        "bench",
        customer_id=customer.id,
        created_at=NOW,
        updated_at=NOW,
        status=FaiStatus.IN_PROGRESS,
    )
    fai.add_unit(serial)
    fai.add_many_to_scope(drawing.characteristics)
    for c in drawing.characteristics:
        fai.results.append(
            model.InspectionResult(
                site.id,
                fai.id,
                c.id,
                model.ResultSource.DEVICE_IMPORT,
                "bench",
                NOW,
                NOW,
                value=c.requirement.nominal,
                units="mm",
                serial_id=serial.id,
            )
        )
    for k in range(ncs):
        c = drawing.characteristics[k % n_chars]
        fai.nonconformances.append(
            model.NonconformanceLink(
                site.id,
                fai.id,
                model.NonconformanceKind.NONCONFORMANCE,
                f"NC-{tag}-{k}",
                model.NonconformanceStatus.CLOSED,
                model.Disposition.REWORK,
                None,
                [c.id],
            )
        )
    child_objects: list[object] = []
    child_parts: list[model.Part] = []
    child_fais: list[model.FirstArticle] = []
    for j in range(children):
        child_part = model.Part(number=f"SUB-{tag}-{j}", name="Sub-assembly")
        child_rev = model.PartRevision(child_part.id, "A", released_at=NOW)
        child_part.revisions.append(child_rev)
        child_rev.drawings.append(model.Drawing(child_rev.id, f"SUB-{tag}-{j}", "A"))
        child_wo = model.WorkOrder(site.id, f"WO-{tag}-{j}", child_rev.id, 1, customer.id)
        child = model.FirstArticle(
            site.id,
            f"FAIR-B-{tag}-{j}",
            child_rev.id,
            child_wo.id,
            model.FaiType.DETAIL,
            model.FaiScope.FULL,
            "bench",
            customer_id=customer.id,
            created_at=NOW,
            updated_at=NOW,
            status=FaiStatus.APPROVED,
        )
        fai.index.append(
            model.IndexEntry(
                site.id,
                fai.id,
                child_part.number,
                "Sub-assembly",
                model.IndexPartType.SUB_ASSEMBLY,
                "A",
                child.fair_identifier,
            )
        )
        child_parts.append(child_part)
        child_objects.append(child_wo)
        child_fais.append(child)
    with app.uow() as uow:
        session = uow.session  # type: ignore[attr-defined]
        session.add_all([site, customer, part, *child_parts])
        session.flush()
        # Work orders first: FAIs refer to them by key, with no relationship to order the flush.
        session.add(wo)
        session.add_all(child_objects)
        session.flush()
        session.add_all(child_fais)
        session.add(fai)
        uow.commit()
    if app.engine.dialect.name == "postgresql":
        # Autovacuum would do this soon after a real load; plans need the statistics.
        with app.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("ANALYZE"))
    return fai.id


BASELINE = sa.text("""
SELECT count(f.id) AS accounted,
       count(r.id) AS with_result,
       (SELECT count(*) FROM nonconformance_links n
         WHERE n.site_id = :site AND n.first_article_id = :fai
           AND n.status <> 'closed') AS open_ncs,
       (SELECT count(*) FROM index_entries i
          JOIN first_articles c ON c.fair_identifier = i.fair_identifier
         WHERE i.site_id = :site AND i.first_article_id = :fai AND c.status <> 'approved')
         AS unapproved_children
  FROM form3_rows f
  LEFT JOIN inspection_results r
    ON r.site_id = f.site_id AND r.first_article_id = f.first_article_id
   AND r.characteristic_id = f.characteristic_id
 WHERE f.site_id = :site AND f.first_article_id = :fai
""")


def measure(app: bootstrap.Application, fai_id: str, repeat: int) -> dict[str, Any]:
    """Median seconds of readiness through the service, and of the SQL baseline."""
    ctx = app.context("bench")
    site_id = (
        app.engine.connect()
        .execute(sa.select(orm.first_articles.c.site_id).where(orm.first_articles.c.id == fai_id))
        .scalar_one()
    )
    findings = first_articles.evaluate_readiness(ctx, fai_id)
    assert not [f for f in findings if f.blocking], findings[:3]

    def baseline() -> None:
        with app.engine.connect() as conn:
            conn.execute(BASELINE, {"site": site_id, "fai": fai_id}).one()

    service = timed(lambda: first_articles.evaluate_readiness(ctx, fai_id), repeat)
    base = timed(baseline, repeat * 3)
    return {
        "service_s": service.median,
        "baseline_s": base.median,
        "ratio": service.median / base.median,
    }


def run(sizes: tuple[int, ...] = (5_000, 50_000), repeat: int = 5) -> dict[str, Any]:
    """Build each size in a fresh database and report the ratios."""
    with tempfile.TemporaryDirectory() as tmp:
        url = database_url(Path(tmp) / "w3.db")
        app = fresh_application(url)
        figures: dict[str, Any] = {"database": app.engine.dialect.name}
        for n in sizes:
            fai_id = build_assembly(app, n)
            for kind in model.Form2Kind:
                # A full FAI accounts for each Form 2 category; this assembly has none.
                fai_coverage.state_none_applies(
                    app.context("bench"), fai_id, kind=kind, reason="None in the bench assembly"
                )
            figures[str(n)] = measure(app, fai_id, repeat if n <= 5_000 else max(2, repeat // 2))
            print(
                f"W3 {n:>6} characteristics: readiness {figures[str(n)]['service_s']:.3f} s, "
                f"SQL aggregate {figures[str(n)]['baseline_s']:.4f} s, "
                f"ratio {figures[str(n)]['ratio']:.1f}x (goal <= 3x)"
            )
        if len(sizes) == 2:
            small, large = (figures[str(n)]["service_s"] for n in sizes)
            figures["scaling"] = large / small
            print(f"W3 scaling {sizes[1]} / {sizes[0]}: {large / small:.1f}x (goal <= 12x)")
        app.engine.dispose()
    save("w3_readiness", figures)
    return figures
