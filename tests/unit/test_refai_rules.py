"""Re-FAI triggers: evidence and fingerprints, the evaluation's one decision, the two-year
lapse on the site's calendar, and the delta a partial FAI starts with."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firstarticle.domain.characteristic_diff import diff_characteristics
from firstarticle.domain.errors import ValidationError
from firstarticle.domain.model import (
    Characteristic,
    CharacteristicDesignator,
    CharacteristicType,
    RoutingOperation,
)
from firstarticle.domain.triggers import (
    DEFAULT_TEAM,
    EVALUATION_TRANSITIONS,
    Evaluation,
    EvaluationDecidedError,
    EvaluationOutcome,
    EvaluationStatus,
    ReFaiTrigger,
    Trigger,
    TriggerEvidence,
    delta_of,
    fingerprint,
    is_lapsed,
    lapse_ends,
    lapse_months,
    routing_changes,
    team_of,
)
from firstarticle.domain.values import Requirement

AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def evidence(after: str = "D") -> TriggerEvidence:
    return TriggerEvidence("part revision released", "C", after, "part_revision", "rev-1")


def test_every_trigger_kind_of_as9102_is_named() -> None:
    """The eleven kinds of Rev C 4.6, each with a label for field 14."""
    assert {k.value for k in ReFaiTrigger} == {
        "design_change",
        "source_change",
        "process_change",
        "inspection_method_change",
        "tooling_change",
        "material_change",
        "location_change",
        "nc_program_change",
        "event",
        "corrective_action",
        "production_lapse",
    }
    assert all(k.label for k in ReFaiTrigger)


def test_the_same_change_has_the_same_fingerprint_and_another_change_another() -> None:
    """The fingerprint depends on the change only: kind, configuration and evidence."""
    kind = ReFaiTrigger.DESIGN_CHANGE
    first = fingerprint(kind, "site", "rev", evidence())
    assert first == fingerprint(kind, "site", "rev", evidence())
    assert first != fingerprint(kind, "site", "rev", evidence("E"))
    assert first != fingerprint(kind, "other-site", "rev", evidence())
    assert first != fingerprint(ReFaiTrigger.SOURCE_CHANGE, "site", "rev", evidence())


def test_a_trigger_keeps_its_evidence_and_names_it_in_field_14() -> None:
    """The reason a partial FAI states names the trigger kind and the change."""
    trigger = Trigger.raise_(
        site_id="s",
        kind=ReFaiTrigger.DESIGN_CHANGE,
        part_revision_id="r",
        evidence=evidence(),
        by="plm",
        at=AT,
    )
    assert trigger.evidence == evidence()
    assert trigger.field14_reason == "Design change: part revision released (C -> D)"


def test_an_evaluation_is_decided_once_with_a_reason() -> None:
    """open -> decided; a second decision is refused with a stable code."""
    assert EVALUATION_TRANSITIONS[EvaluationStatus.DECIDED] == frozenset()
    evaluation = Evaluation("s", "t", list(DEFAULT_TEAM), AT)
    with pytest.raises(ValidationError):
        evaluation.decide(EvaluationOutcome.PARTIAL, "  ", "q.manager", AT)
    assert evaluation.status is EvaluationStatus.OPEN
    evaluation.decide(EvaluationOutcome.PARTIAL, "Two tolerances changed", "q.manager", AT)
    assert (evaluation.status, evaluation.outcome, evaluation.decided_by) == (
        EvaluationStatus.DECIDED,
        EvaluationOutcome.PARTIAL,
        "q.manager",
    )
    with pytest.raises(EvaluationDecidedError) as refused:
        evaluation.decide(EvaluationOutcome.NONE, "changed my mind", "q.other", AT)
    assert refused.value.code == "evaluation_decided"


def test_the_team_defaults_to_quality_manufacturing_and_engineering() -> None:
    """No roles named: the default team; named roles keep their order, once each."""
    assert team_of(None) == ["quality_engineer", "manufacturing_engineer", "design_engineer"]
    assert team_of(["quality", "special_process", "quality"]) == ["quality", "special_process"]


# --- the two-year lapse --------------------------------------------------------------------


ZONES = ["America/New_York", "Europe/Berlin", "Asia/Tokyo", "Australia/Sydney"]


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize(
    "last_local",
    [
        datetime(2024, 1, 15, 10, 0),  # winter to winter
        datetime(2024, 7, 1, 23, 30),  # summer to summer, late evening (UTC date differs)
        datetime(2024, 2, 29, 8, 0),  # a leap day
    ],
)
def test_the_lapse_boundary_is_two_calendar_years_on_the_site_clock(
    zone: str, last_local: datetime
) -> None:
    """2 years minus a minute: no lapse; exactly and a minute later: lapsed."""
    tz = ZoneInfo(zone)
    last = last_local.replace(tzinfo=tz)
    day = 28 if (last_local.month, last_local.day) == (2, 29) else last_local.day
    exactly = last_local.replace(year=last_local.year + 2, day=day, tzinfo=tz)
    assert lapse_ends(last, zone) == exactly.astimezone(UTC)
    assert not is_lapsed(last, exactly - MINUTE, zone)
    assert is_lapsed(last, exactly, zone)
    assert is_lapsed(last, exactly + MINUTE, zone)


@given(
    start=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1)),
    months=st.integers(min_value=1, max_value=24),
    zone=st.sampled_from(ZONES),
)
def test_a_customers_shorter_lapse_ends_on_the_same_wall_time_months_later(
    start: datetime, months: int, zone: str
) -> None:
    """Whatever the start, the lapse of ``months`` ends at the same local wall time in the
    month ``months`` later, on the same day or that month's last day when it has fewer."""
    tz = ZoneInfo(zone)
    last = start.replace(tzinfo=tz)
    ends = lapse_ends(last, zone, months).astimezone(tz)
    assert (ends.year * 12 + ends.month) - (last.year * 12 + last.month) == months
    assert ends.day == min(last.day, calendar.monthrange(ends.year, ends.month)[1])
    wall = ends.replace(hour=last.hour, minute=last.minute, second=last.second, fold=0)
    if wall.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == wall.replace(tzinfo=None):
        # The same wall time, wherever that time exists (not in a spring-forward gap).
        assert (ends.hour, ends.minute, ends.second) == (last.hour, last.minute, last.second)


@pytest.mark.parametrize(("months", "expected"), [(None, 24), (1, 1), (12, 12), (24, 24)])
def test_a_customer_may_shorten_the_lapse_never_lengthen_it(months, expected) -> None:
    assert lapse_months(months) == expected


@pytest.mark.parametrize("months", [0, 25, 36])
def test_a_lapse_outside_one_to_twenty_four_months_is_refused(months: int) -> None:
    with pytest.raises(ValidationError):
        lapse_months(months)


def test_a_leap_day_lapses_on_february_28_two_years_later() -> None:
    """Feb 29 2024 10:00 in Berlin: the two years end Feb 28 2026 10:00 local (09:00 UTC)."""
    last = datetime(2024, 2, 29, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    assert lapse_ends(last, "Europe/Berlin") == datetime(2026, 2, 28, 9, 0, tzinfo=UTC)
    assert not is_lapsed(last, datetime(2026, 2, 28, 8, 59, tzinfo=UTC), "Europe/Berlin")
    assert is_lapsed(last, datetime(2026, 2, 28, 9, 0, tzinfo=UTC), "Europe/Berlin")


def test_a_daylight_saving_difference_does_not_move_the_boundary() -> None:
    """New York, Mar 9 2024 10:00 EST (UTC-5); DST began Mar 8 in 2026, so the boundary is
    Mar 9 2026 10:00 EDT (14:00 UTC): 730 days minus one hour of elapsed time, not 730 days."""
    zone = "America/New_York"
    last = datetime(2024, 3, 9, 15, 0, tzinfo=UTC)  # 10:00 EST
    ends = lapse_ends(last, zone)
    assert ends == datetime(2026, 3, 9, 14, 0, tzinfo=UTC)
    assert is_lapsed(last, datetime(2026, 3, 9, 14, 0, tzinfo=UTC), zone)
    assert not is_lapsed(last, datetime(2026, 3, 9, 13, 59, tzinfo=UTC), zone)


def test_the_same_instants_lapse_differently_in_different_site_zones() -> None:
    """23:30 UTC on Jan 15 is Jan 16 in Tokyo and Jan 15 in New York; the local calendars
    agree on the elapsed time here, so both boundaries are the same instant two years on."""
    last = datetime(2024, 1, 15, 23, 30, tzinfo=UTC)
    for zone in ("Asia/Tokyo", "America/New_York"):
        assert lapse_ends(last, zone) == datetime(2026, 1, 15, 23, 30, tzinfo=UTC)


def test_naive_times_and_unknown_zones_are_refused() -> None:
    """A lapse needs real instants and a real zone."""
    with pytest.raises(ValidationError):
        lapse_ends(datetime(2024, 1, 1), "UTC")
    with pytest.raises(ValidationError):
        lapse_ends(AT, "Mars/Olympus_Mons")
    with pytest.raises(ValidationError):
        is_lapsed(AT, datetime(2027, 1, 1), "UTC")


# --- the delta -----------------------------------------------------------------------------


def a_char(
    balloon: str, nominal: int, zone: str | None = None, key: bool = False
) -> Characteristic:
    requirement = Requirement.toleranced(Decimal(nominal), Decimal("0.1"), Decimal("-0.1"), "mm")
    return Characteristic(
        "D1",
        balloon,
        CharacteristicType.DIMENSIONAL,
        requirement,
        sheet="1" if zone else None,
        zone=zone,
        designator=CharacteristicDesignator.KEY if key else None,
    )


# Each balloon of an older list is kept, moved on the drawing (a label, not the design),
# retoleranced or made key (the design), or removed; new balloons are added.
FATE = st.sampled_from(["kept", "moved", "retoleranced", "made_key", "removed"])
DESIGN_FATES = {"retoleranced", "made_key"}


@settings(max_examples=150, deadline=None)
@given(
    fates=st.lists(FATE, max_size=12),
    nominals=st.lists(st.integers(1, 500), min_size=12, max_size=12),
    added=st.integers(0, 5),
)
def test_the_delta_is_exactly_the_changed_set(
    fates: list[str], nominals: list[int], added: int
) -> None:
    """For random pairs of lists: affected = added + redefined, removed listed apart; nothing
    kept or only moved on the drawing appears in either."""
    before = [a_char(str(i + 1), nominals[i]) for i in range(len(fates))]
    after: list[Characteristic] = []
    expected_affected: set[str] = set()
    expected_removed: set[str] = set()
    for i, fate in enumerate(fates):
        balloon = str(i + 1)
        if fate == "removed":
            expected_removed.add(balloon)
            continue
        after.append(
            a_char(
                balloon,
                nominals[i] + (1 if fate == "retoleranced" else 0),
                zone="C4" if fate == "moved" else None,
                key=fate == "made_key",
            )
        )
        if fate in DESIGN_FATES:
            expected_affected.add(balloon)
    for j in range(added):
        balloon = f"N{j + 1}"
        after.append(a_char(balloon, 7))
        expected_affected.add(balloon)
    delta = delta_of(diff_characteristics(before, after))
    assert {s.balloon for s in delta.affected} == expected_affected
    assert len(delta.affected) == len(expected_affected)
    assert {s.balloon for s in delta.removed} == expected_removed
    assert delta.affected_ids <= {c.id for c in after}


# --- routing changes -----------------------------------------------------------------------


def op(
    sequence: int, name: str, work_center: str | None = None, supplier: str | None = None
) -> RoutingOperation:
    return RoutingOperation("s", "wo", sequence, name, work_center, False, supplier)


def test_a_heat_treat_moved_to_another_supplier_is_a_source_change() -> None:
    """Journey 4: operation 40 goes to another supplier: one source change naming both."""
    before = [op(10, "Mill", "HMC-4"), op(40, "Heat treat", None, "Therm Inc.")]
    after = [op(10, "Mill", "HMC-4"), op(40, "Heat treat", None, "Hot Works Ltd.")]
    [change] = routing_changes(before, after)
    assert (change.kind, change.sequence, change.before, change.after) == (
        ReFaiTrigger.SOURCE_CHANGE,
        40,
        "Therm Inc.",
        "Hot Works Ltd.",
    )


def test_work_centre_names_and_added_or_removed_operations_are_process_changes() -> None:
    """Another machine, a renamed step, a new step and a dropped one: four process changes."""
    before = [op(10, "Mill", "HMC-4"), op(20, "Deburr"), op(30, "Wash")]
    after = [op(10, "Mill", "HMC-7"), op(20, "Tumble deburr"), op(50, "Passivate")]
    changes = routing_changes(before, after)
    assert [(c.kind, c.sequence) for c in changes] == [
        (ReFaiTrigger.PROCESS_CHANGE, 10),
        (ReFaiTrigger.PROCESS_CHANGE, 20),
        (ReFaiTrigger.PROCESS_CHANGE, 30),
        (ReFaiTrigger.PROCESS_CHANGE, 50),
    ]
    assert routing_changes(before, before) == []


_MADE_WITH_KINDS = {
    "tooling": ReFaiTrigger.TOOLING_CHANGE,
    "material": ReFaiTrigger.MATERIAL_CHANGE,
    "nc_program": ReFaiTrigger.NC_PROGRAM_CHANGE,
    "inspection_method": ReFaiTrigger.INSPECTION_METHOD_CHANGE,
}
_VALUES = st.one_of(st.none(), st.sampled_from(["A", "B"]))


@given(
    before=st.fixed_dictionaries(dict.fromkeys(_MADE_WITH_KINDS, _VALUES)),
    after=st.fixed_dictionaries(dict.fromkeys(_MADE_WITH_KINDS, _VALUES)),
)
def test_each_changed_tool_material_program_or_method_is_exactly_one_change_of_its_kind(
    before: dict[str, str | None], after: dict[str, str | None]
) -> None:
    """Whatever changes between two runs of operation 20, each field that differs raises one
    change of its own kind with both values, and nothing else is raised."""
    was = RoutingOperation("s", "wo", 20, "5-axis mill", "HMC-4", **before)
    now = RoutingOperation("s", "wo", 20, "5-axis mill", "HMC-4", **after)
    changes = routing_changes([was], [now])
    expected = {
        (kind, before[name], after[name])
        for name, kind in _MADE_WITH_KINDS.items()
        if before[name] != after[name]
    }
    assert {(c.kind, c.before, c.after) for c in changes} == expected
    assert len(changes) == len(expected)
    assert all(c.sequence == 20 for c in changes)


_OPS = st.dictionaries(
    st.sampled_from([10, 20, 30, 40]),
    st.fixed_dictionaries(
        {
            "name": st.sampled_from(["Mill", "Turn"]),
            "work_center": st.sampled_from([None, "HMC-4", "HMC-7"]),
            "supplier": st.sampled_from([None, "Therm Inc.", "Hot Works Ltd."]),
            "nc_program": st.sampled_from([None, "P1", "P2"]),
            "balloons": st.lists(st.sampled_from(["1", "2", "3", "4", "5"]), max_size=3),
        }
    ),
    max_size=4,
)


def _routing(ops: dict[int, dict[str, object]]) -> list[RoutingOperation]:
    return [
        RoutingOperation(
            "s",
            "wo",
            sequence,
            str(op["name"]),
            op["work_center"],  # type: ignore[arg-type]
            False,
            op["supplier"],  # type: ignore[arg-type]
            nc_program=op["nc_program"],  # type: ignore[arg-type]
            balloons=list(op["balloons"]),  # type: ignore[call-overload]
        )
        for sequence, op in ops.items()
    ]


@given(before=_OPS, after=_OPS)
def test_the_affected_set_is_exactly_what_the_changed_operations_produce(
    before: dict[int, dict[str, object]], after: dict[int, dict[str, object]]
) -> None:
    """For random routings, the balloons the changes carry are exactly those the changed
    operations produce (before or after the change); an unchanged operation's are not."""
    compared = ("name", "work_center", "supplier", "nc_program")
    changed = {
        sequence
        for sequence in before.keys() | after.keys()
        if sequence not in before
        or sequence not in after
        or any(before[sequence][k] != after[sequence][k] for k in compared)
    }
    expected = {
        balloon
        for sequence in changed
        for side in (before, after)
        if sequence in side
        for balloon in side[sequence]["balloons"]  # type: ignore[attr-defined]
    }
    changes = routing_changes(_routing(before), _routing(after))
    assert {c.sequence for c in changes} == changed
    assert set().union(*(c.balloons for c in changes)) == expected
