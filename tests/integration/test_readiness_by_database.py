"""Readiness read by the database (W3) finds exactly what readiness over the whole loaded FAI
finds: for random results (values inside, on, just past and far past their limits, in the
requirement's units or in inches, attribute verdicts, re-measurements, manual entries,
stated verdicts resolved or not, missing ones), random NCs and several serials."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from plant import Spec, bracket_specs

from firstarticle.domain import model
from firstarticle.domain.access import Permission
from firstarticle.domain.values import AttributeResult
from firstarticle.services import catalog, first_articles, orders
from firstarticle.services.fai_record import load_fai

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
_codes = itertools.count()

SPECS = [
    bracket_specs()[0],  # bore 1: 25.00 ±0.05 mm
    Spec(
        "2",
        model.CharacteristicType.DIMENSIONAL,
        nominal=Decimal("-0.5"),
        upper_tolerance=Decimal("0.5"),
        lower_tolerance=Decimal("-0.5"),
        units="mm",
    ),
    Spec("3", model.CharacteristicType.DIMENSIONAL, upper_limit=Decimal("0.010"), units="in"),
    Spec(
        "4",
        model.CharacteristicType.DIMENSIONAL,
        nominal=Decimal("12.7"),
        upper_tolerance=Decimal("0"),
        lower_tolerance=Decimal("0"),
        units="mm",
        designator=model.CharacteristicDesignator.BASIC,
    ),
    Spec("5", model.CharacteristicType.NOTE, requirement="Break all sharp edges"),
]

# Values around the limits of balloons 1-3: inside, on, a hair past, far past.
VALUES = {
    "1": [
        "25.00",
        "24.95",
        "25.05",
        "25.0500000000001",
        "24.9499999999999",
        "26",
        "774.30999999999995",
    ],
    "2": ["-1.0", "0.0", "-1.000114", "0.0000000001", "-0.5"],
    "3": ["0.010", "0.0100001", "0.254", "-3"],
    "4": ["12.7", "12.8"],
}

result_kind = st.sampled_from(["value", "inch", "attribute", "none"])


@st.composite
def results_of(draw, balloon: str):
    """Zero to three results of one characteristic for one serial."""
    out = []
    for _ in range(draw(st.integers(0, 3))):
        # A note is verified by an attribute verdict only (the services refuse a value).
        kind = "attribute" if balloon == "5" else draw(result_kind)
        if kind == "none":
            continue
        out.append(
            {
                "kind": kind,
                "value": draw(st.sampled_from(VALUES.get(balloon, ["1"]))),
                "attribute": draw(st.sampled_from(list(AttributeResult))),
                "minutes": draw(st.integers(0, 2)),  # ties happen
                "manual": draw(st.booleans()),
                "verified": draw(st.booleans()),
                "stated": draw(st.sampled_from([None, "PASS", "FAIL"])),
                "resolved": draw(st.booleans()),
            }
        )
    return out


plans = st.fixed_dictionaries(
    {
        "serials": st.integers(0, 2),
        "results": st.fixed_dictionaries(
            {b.balloon: st.lists(results_of(b.balloon), min_size=2, max_size=2) for b in SPECS}
        ),
        "nc_on": st.sets(st.sampled_from([b.balloon for b in SPECS]), max_size=2),
        "off_form3": st.sets(st.sampled_from([b.balloon for b in SPECS]), max_size=1),
        # A result, or a Form 3 line, on a characteristic of another revision of the part.
        "foreign": st.sampled_from([None, "result", "form3"]),
    }
)


def _build(ctx, plan) -> str:
    code = f"R{next(_codes):05d}"
    site = catalog.create_site(ctx, code=code, name="Readiness plant")
    part = catalog.create_part(ctx, number=f"RD-{code}", name="Bracket")
    revision = catalog.add_revision(
        ctx, part.id, revision="A", drawings=[catalog.DrawingSpec(f"D-{code}", "A")]
    )
    catalog.add_characteristics(ctx, revision.id, f"D-{code}", SPECS)
    serials = [f"S{n}" for n in range(plan["serials"])]
    wo = orders.create_work_order(
        ctx,
        site_id=site.id,
        number=f"WO-{code}",
        part_revision_id=revision.id,
        quantity=max(1, len(serials)),
        serial_numbers=serials,
    )
    fai_id = first_articles.create_first_article(
        ctx,
        work_order_id=wo.id,
        fai_type=model.FaiType.DETAIL,
        scope=model.FaiScope.FULL,
        reason="New part",
    ).fai.id
    by_balloon = {c.balloon: c for c in catalog.get_revision(ctx, revision.id).characteristics}
    stranger = None
    if plan.get("foreign"):
        other = catalog.add_revision(
            ctx, part.id, revision="B", drawings=[catalog.DrawingSpec(f"E-{code}", "B")]
        )
        catalog.add_characteristics(ctx, other.id, f"E-{code}", [bracket_specs()[0]])
        (stranger,) = catalog.get_revision(ctx, other.id).characteristics
    with ctx.uow_factory() as uow:
        fai = uow.first_articles.get(fai_id)
        left_out = {by_balloon[b].id for b in plan["off_form3"]}
        fai.form3 = [row for row in fai.form3 if row.characteristic_id not in left_out]
        units = [u.serial_id for u in fai.units] or [None]
        for balloon, per_serial in plan["results"].items():
            c = by_balloon[balloon]
            for serial_id, results in zip(units, per_serial, strict=False):
                for r in results:
                    value = Decimal(r["value"]) if r["kind"] in {"value", "inch"} else None
                    fai.results.append(
                        model.InspectionResult(
                            fai.site_id,
                            fai.id,
                            c.id,
                            model.ResultSource.MANUAL_ENTRY
                            if r["manual"]
                            else model.ResultSource.FILE_IMPORT,
                            "q.engineer",
                            T0,
                            T0 + timedelta(minutes=r["minutes"]),
                            value=value,
                            units=("in" if r["kind"] == "inch" else c.requirement.units or "mm")
                            if value is not None
                            else None,
                            attribute=None if value is not None else r["attribute"],
                            serial_id=serial_id,
                            verified_by="second.inspector" if r["verified"] else None,
                            stated_status=r["stated"],
                            disagreement_reason="Checked again" if r["resolved"] else None,
                        )
                    )
        if stranger is not None and plan["foreign"] == "form3":
            fai.form3.append(model.Form3Row(fai.site_id, fai.id, stranger.id))
        elif stranger is not None:
            fai.results.append(
                model.InspectionResult(
                    fai.site_id,
                    fai.id,
                    stranger.id,
                    model.ResultSource.FILE_IMPORT,
                    "q.engineer",
                    T0,
                    T0,
                    value=Decimal("25.00"),
                    units="mm",
                    serial_id=units[0],
                )
            )
        for n, balloon in enumerate(sorted(plan["nc_on"])):
            fai.nonconformances.append(
                model.NonconformanceLink(
                    fai.site_id,
                    fai.id,
                    model.NonconformanceKind.NONCONFORMANCE,
                    f"NC-{code}-{n}",
                    characteristic_ids=[by_balloon[balloon].id],
                )
            )
        uow.commit()
    return fai_id


def _shown(findings):
    return sorted((f.rule, f.severity.value, f.message, f.records) for f in findings)


@pytest.mark.requirement("W3")
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plan=plans)
def test_readiness_read_by_the_database_finds_what_the_whole_fai_shows(ctx, plan):
    fai_id = _build(ctx, plan)
    with ctx.uow_factory() as uow:
        whole = load_fai(uow, ctx, fai_id, Permission.READ).findings()
    by_database = first_articles.evaluate_readiness(ctx, fai_id)
    for rule in sorted({f.rule for f in whole if f.rule.startswith(("RESULT", "CHAR"))}):
        event(rule)  # --hypothesis-show-statistics: how often each rule was exercised
    assert _shown(by_database) == _shown(whole)


def test_a_clean_fai_reads_no_characteristic_whole(ctx):
    """Every result inside its limits, every serial measured: the database names no
    characteristic to check in Python."""
    plan = {
        "serials": 1,
        "results": {
            "1": [[_ok("25.00")], []],
            "2": [[_ok("-0.5")], []],
            "3": [[_ok("0.005")], []],
            "4": [[], []],
            "5": [[_ok("1") | {"kind": "attribute", "attribute": AttributeResult.ACCEPT}], []],
        },
        "nc_on": set(),
        "off_form3": set(),
        "foreign": None,
    }
    fai_id = _build(ctx, plan)
    with ctx.uow_factory() as uow:
        loaded = load_fai(uow, ctx, fai_id, Permission.READ, lines=False)
    assert loaded.facts is not None
    # Only the note's attribute verdict is looked at; the measured ones are cleared by SQL.
    assert [c.balloon for c, _ in loaded.facts.checked] == ["5"]
    assert loaded.facts.has_form3
    assert not [f for f in loaded.findings() if f.rule.startswith(("RESULT", "CHAR"))]


def _ok(value: str) -> dict:
    return {
        "kind": "value",
        "value": value,
        "attribute": AttributeResult.ACCEPT,
        "minutes": 0,
        "manual": False,
        "verified": False,
        "stated": "PASS",
        "resolved": False,
    }
