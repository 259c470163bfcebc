"""Re-FAI triggers (AS9102 Rev C 4.6) and the team evaluation each one opens.

A trigger is a change after an FAI was approved that may call for a new full or partial FAI:
it carries the evidence that raised it (what changed, from what to what, and the record that
said so) and a fingerprint of that evidence, so that seeing the same change again raises
nothing new. Each trigger opens one :class:`Evaluation`, which moves only along
:data:`EVALUATION_TRANSITIONS` (open -> decided) and is decided with an outcome, a reason and
the signer. The two-year production lapse is measured here, in the site's local calendar.
"""

from __future__ import annotations

import calendar
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from firstarticle.domain.access import Role
from firstarticle.domain.characteristic_diff import CharacteristicDiff, CharacteristicSnapshot
from firstarticle.domain.errors import TransitionNotAllowedError, ValidationError
from firstarticle.domain.model import RoutingOperation, new_id, require_text

LAPSE_YEARS = 2
LAPSE_MONTHS = 12 * LAPSE_YEARS
# Quality, manufacturing and engineering: the team when the customer's workflow names none.
DEFAULT_TEAM: tuple[str, ...] = (
    Role.QUALITY_ENGINEER.value,
    Role.MANUFACTURING_ENGINEER.value,
    Role.DESIGN_ENGINEER.value,
)


class ReFaiTrigger(StrEnum):
    """Why an approved FAI may no longer cover its configuration (Rev C 4.6 items 1-6)."""

    DESIGN_CHANGE = "design_change"
    SOURCE_CHANGE = "source_change"
    PROCESS_CHANGE = "process_change"
    INSPECTION_METHOD_CHANGE = "inspection_method_change"
    TOOLING_CHANGE = "tooling_change"
    MATERIAL_CHANGE = "material_change"
    LOCATION_CHANGE = "location_change"
    NC_PROGRAM_CHANGE = "nc_program_change"
    EVENT = "event"
    CORRECTIVE_ACTION = "corrective_action"
    PRODUCTION_LAPSE = "production_lapse"

    @property
    def label(self) -> str:
        """The trigger in words, as Form 1 field 14 names it."""
        return _LABELS[self]


_LABELS: Mapping[ReFaiTrigger, str] = {
    ReFaiTrigger.DESIGN_CHANGE: "Design change",
    ReFaiTrigger.SOURCE_CHANGE: "Change of manufacturing source",
    ReFaiTrigger.PROCESS_CHANGE: "Change of manufacturing process",
    ReFaiTrigger.INSPECTION_METHOD_CHANGE: "Change of inspection method",
    ReFaiTrigger.TOOLING_CHANGE: "Change of tooling",
    ReFaiTrigger.MATERIAL_CHANGE: "Change of material",
    ReFaiTrigger.LOCATION_CHANGE: "Change of location",
    ReFaiTrigger.NC_PROGRAM_CHANGE: "Change of NC program",
    ReFaiTrigger.EVENT: "Natural or man-made event",
    ReFaiTrigger.CORRECTIVE_ACTION: "Corrective action",
    ReFaiTrigger.PRODUCTION_LAPSE: f"Lapse in production of {LAPSE_YEARS} years",
}


class EventNature(StrEnum):
    """What kind of event a person recorded (Rev C 4.6 item 4)."""

    NATURAL = "natural"
    MAN_MADE = "man_made"


class EvaluationStatus(StrEnum):
    """Where a trigger's evaluation stands."""

    OPEN = "open"
    DECIDED = "decided"


EVALUATION_TRANSITIONS: Mapping[EvaluationStatus, frozenset[EvaluationStatus]] = {
    EvaluationStatus.OPEN: frozenset({EvaluationStatus.DECIDED}),
    EvaluationStatus.DECIDED: frozenset(),
}


class EvaluationOutcome(StrEnum):
    """What the team decided: no new FAI, a partial (delta) FAI, or a new full FAI."""

    NONE = "none"
    PARTIAL = "partial"
    FULL = "full"


class ResultBeforeChangeError(ValidationError):
    """A result of an FAI a re-FAI trigger opened was measured before the change: it cannot
    come from product made after it."""

    code = "result_before_change"


def require_after_change(measured_at: datetime, changed_at: datetime | None) -> None:
    """Refuse a measurement older than the change that opened the FAI, naming both times."""
    if changed_at is not None and measured_at < changed_at:
        raise ResultBeforeChangeError(
            f"Measured {measured_at.isoformat()}, before the change of "
            f"{changed_at.isoformat()} that opened this FAI: results come from product made "
            "after the change.",
            field="measured_at",
            measured_at=measured_at.isoformat(),
            changed_at=changed_at.isoformat(),
        )


class EvaluationDecidedError(TransitionNotAllowedError):
    """The evaluation is decided already; a decision is never changed."""

    code = "evaluation_decided"


@dataclass(frozen=True)
class TriggerEvidence:
    """What raised a trigger: what changed, from and to what, and the record that said so."""

    what: str
    before: str | None
    after: str | None
    source_record_type: str
    source_record_id: str


def fingerprint(
    kind: ReFaiTrigger,
    site_id: str,
    part_revision_id: str,
    evidence: TriggerEvidence,
    customer_id: str | None = None,
    identity: str | None = None,
) -> str:
    """A stable digest of the change: equal for the same change however often it is seen.

    ``identity`` replaces the evidence where the same change shows in several records (a
    production lapse is one lapse whatever work order restarts it).
    """
    payload = {
        "kind": kind.value,
        "site": site_id,
        "revision": part_revision_id,
        "customer": customer_id,
        "change": identity
        if identity is not None
        else [
            evidence.what,
            evidence.before,
            evidence.after,
            evidence.source_record_type,
            evidence.source_record_id,
        ],
    }
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(eq=False)
class Trigger:
    """A re-FAI trigger on one configuration (part revision, at a site, for a customer)."""

    site_id: str
    kind: ReFaiTrigger
    part_revision_id: str
    what: str
    before: str | None
    after: str | None
    source_record_type: str
    source_record_id: str
    fingerprint: str
    raised_by: str
    raised_at: datetime
    customer_id: str | None = None
    baseline_first_article_id: str | None = None
    id: str = field(default_factory=new_id)
    # When the change took effect: results of an FAI it opens must be measured after it.
    changed_at: datetime | None = None
    # The balloons a partial FAI for this trigger starts with, when the change names them
    # (the characteristics a changed routing operation produces); None: from elsewhere.
    affected_balloons: list[str] | None = None

    @classmethod
    def raise_(
        cls,
        *,
        site_id: str,
        kind: ReFaiTrigger,
        part_revision_id: str,
        evidence: TriggerEvidence,
        by: str,
        at: datetime,
        customer_id: str | None = None,
        baseline_first_article_id: str | None = None,
        identity: str | None = None,
        changed_at: datetime | None = None,
        affected_balloons: Sequence[str] | None = None,
    ) -> Trigger:
        """A new trigger with its evidence and fingerprint (see :func:`fingerprint`)."""
        return cls(
            site_id=site_id,
            kind=kind,
            part_revision_id=part_revision_id,
            what=require_text(evidence.what, "what"),
            before=evidence.before,
            after=evidence.after,
            source_record_type=evidence.source_record_type,
            source_record_id=evidence.source_record_id,
            fingerprint=fingerprint(
                kind, site_id, part_revision_id, evidence, customer_id, identity
            ),
            raised_by=by,
            raised_at=at,
            customer_id=customer_id,
            baseline_first_article_id=baseline_first_article_id,
            changed_at=changed_at or at,
            affected_balloons=sorted(affected_balloons) if affected_balloons is not None else None,
        )

    @property
    def evidence(self) -> TriggerEvidence:
        """The evidence the trigger was raised on."""
        return TriggerEvidence(
            self.what, self.before, self.after, self.source_record_type, self.source_record_id
        )

    @property
    def field14_reason(self) -> str:
        """The reason a new FAI states in Form 1 field 14, naming this trigger."""
        change = ""
        if self.before is not None or self.after is not None:
            change = f" ({self.before or '-'} -> {self.after or '-'})"
        return f"{self.kind.label}: {self.what}{change}"


@dataclass(eq=False)
class Evaluation:
    """The multi-disciplinary evaluation a trigger opens; decided once, with a reason."""

    site_id: str
    trigger_id: str
    team: list[str]
    opened_at: datetime
    hold_id: str | None = None
    status: EvaluationStatus = EvaluationStatus.OPEN
    outcome: EvaluationOutcome | None = None
    reason: str | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    first_article_id: str | None = None
    id: str = field(default_factory=new_id)

    def decide(self, outcome: EvaluationOutcome, reason: str, signer: str, at: datetime) -> None:
        """Record the team's decision; refused when already decided or without a reason."""
        if EvaluationStatus.DECIDED not in EVALUATION_TRANSITIONS[self.status]:
            raise EvaluationDecidedError(
                f"The evaluation was decided {self.outcome} by {self.decided_by}.",
                evaluation_id=self.id,
            )
        self.reason = require_text(reason, "reason")
        self.outcome, self.decided_by, self.decided_at = outcome, signer, at
        self.status = EvaluationStatus.DECIDED


# --- the two-year production lapse -------------------------------------------------------------


def site_zone(timezone: str) -> ZoneInfo:
    """The site's time zone, or ValidationError when the name is unknown."""
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValidationError(f"Unknown time zone {timezone!r}.", field="timezone") from error


def lapse_months(customer_months: int | None) -> int:
    """The production lapse that calls for an evaluation: AS9102's two years, or the shorter
    one a customer's rules set (a customer may add triggers, never remove the standard's)."""
    if customer_months is None:
        return LAPSE_MONTHS
    if not 1 <= customer_months <= LAPSE_MONTHS:
        raise ValidationError(
            f"A customer's lapse is 1 to {LAPSE_MONTHS} months (AS9102 asks for two years at "
            "most).",
            field="lapse_months",
        )
    return customer_months


def lapse_ends(last_production: datetime, timezone: str, months: int = LAPSE_MONTHS) -> datetime:
    """The instant (UTC) ``months`` calendar months (two years unless a customer asks for
    less) after ``last_production`` on the site's clock.

    The same local wall time that many months later, so daylight-saving differences between
    the two dates do not move it; a day the later month lacks (February 29, a 31st) ends on
    that month's last day (the earlier reading, so that an evaluation is never late).
    """
    if last_production.tzinfo is None:
        raise ValidationError("The last production time needs a time zone.", field="at")
    local = last_production.astimezone(site_zone(timezone))
    year, month = divmod(local.month - 1 + months, 12)
    year, month = local.year + year, month + 1
    day = min(local.day, calendar.monthrange(year, month)[1])
    later = local.replace(year=year, month=month, day=day)
    return later.astimezone(UTC)


def is_lapsed(
    last_production: datetime, start: datetime, timezone: str, months: int = LAPSE_MONTHS
) -> bool:
    """True when ``start`` is ``months`` (two years unless a customer asks for less) or more
    after ``last_production`` on the site's calendar."""
    if start.tzinfo is None:
        raise ValidationError("The work order's start needs a time zone.", field="starts_at")
    return start.astimezone(UTC) >= lapse_ends(last_production, timezone, months)


# --- routing changes ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RoutingChange:
    """One difference between the routing an approved FAI was built to and a newer one."""

    kind: ReFaiTrigger
    sequence: int
    what: str
    before: str | None
    after: str | None
    #: The characteristics the operation produces, before and after the change: what a
    #: partial FAI re-inspects.
    balloons: frozenset[str] = frozenset()


def routing_changes(
    before: Sequence[RoutingOperation], after: Sequence[RoutingOperation]
) -> list[RoutingChange]:
    """What changed, operation by operation (matched by sequence), in sequence order: a new
    supplier is a source change; a renamed, added or removed operation or another work centre
    is a process change; another tooling, material, NC program or inspection method is a
    change of that kind. Each change carries the balloons the operation produces (before
    and after): what a partial FAI re-inspects."""
    old = {op.sequence: op for op in before}
    new = {op.sequence: op for op in after}
    found: list[RoutingChange] = []
    for sequence in sorted(old.keys() | new.keys()):
        a, b = old.get(sequence), new.get(sequence)
        produced = frozenset((a.balloons if a else []) + (b.balloons if b else []))
        if a is None or b is None:
            found.append(
                RoutingChange(
                    ReFaiTrigger.PROCESS_CHANGE,
                    sequence,
                    f"Operation {sequence} {'added' if a is None else 'removed'}",
                    a.name if a else None,
                    b.name if b else None,
                    produced,
                )
            )
            continue
        label = f"Operation {sequence} {b.name}"
        if a.name != b.name:
            found.append(
                RoutingChange(
                    ReFaiTrigger.PROCESS_CHANGE, sequence, label, a.name, b.name, produced
                )
            )
        if a.work_center != b.work_center:
            found.append(
                RoutingChange(
                    ReFaiTrigger.PROCESS_CHANGE,
                    sequence,
                    f"{label}: work centre",
                    a.work_center,
                    b.work_center,
                    produced,
                )
            )
        if a.supplier != b.supplier:
            found.append(
                RoutingChange(
                    ReFaiTrigger.SOURCE_CHANGE,
                    sequence,
                    f"{label}: supplier",
                    a.supplier,
                    b.supplier,
                    produced,
                )
            )
        for name, (kind, words) in MADE_WITH_TRIGGERS.items():
            was, now = getattr(a, name), getattr(b, name)
            if was != now:
                found.append(RoutingChange(kind, sequence, f"{label}: {words}", was, now, produced))
    return found


# A routing operation's field -> the trigger its change raises, and the field in words.
MADE_WITH_TRIGGERS: Mapping[str, tuple[ReFaiTrigger, str]] = {
    "tooling": (ReFaiTrigger.TOOLING_CHANGE, "tooling"),
    "material": (ReFaiTrigger.MATERIAL_CHANGE, "material"),
    "nc_program": (ReFaiTrigger.NC_PROGRAM_CHANGE, "NC program"),
    "inspection_method": (ReFaiTrigger.INSPECTION_METHOD_CHANGE, "inspection method"),
}


# --- the characteristics a partial FAI starts with ---------------------------------------------


@dataclass(frozen=True)
class Delta:
    """What a design change asks a partial FAI to cover (added and redefined), and what it
    removed (listed, never inspected)."""

    affected: tuple[CharacteristicSnapshot, ...]
    removed: tuple[CharacteristicSnapshot, ...]

    @property
    def affected_ids(self) -> frozenset[str]:
        """Ids of the newer revision's affected characteristics."""
        return frozenset(s.characteristic_id for s in self.affected)


def delta_of(diff: CharacteristicDiff) -> Delta:
    """The delta of a revision diff: added plus design-changed, and removed apart."""
    changed = [c.after for c in diff.changed if c.affects_design]
    return Delta(tuple(diff.added) + tuple(changed), tuple(diff.removed))


def team_of(roles: Sequence[str] | None) -> list[str]:
    """The evaluating team: the roles given (deduplicated, in order), else the default."""
    team = [r.strip() for r in roles or () if r and r.strip()]
    return list(dict.fromkeys(team)) or list(DEFAULT_TEAM)
