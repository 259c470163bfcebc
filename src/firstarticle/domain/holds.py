"""Holds, their two-person overrides, and the policy of the shipment / production gate.

Pure rules: which holds apply to a question, whether an override counts, and what the gate
answers given the facts the service read. Anything the gate cannot establish is a deny.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from firstarticle.domain.errors import ConflictError, ValidationError
from firstarticle.domain.lifecycle import FaiStatus
from firstarticle.domain.model import new_id, require_text

# An override is a stop-gap, not a policy: past this it needs a new pair of signatures.
MAX_OVERRIDE_DURATION = timedelta(days=30)


class HoldKind(StrEnum):
    """What a hold stops."""

    SHIPMENT = "shipment"
    PRODUCTION = "production"
    CONTAINMENT = "containment"

    def stops(self, question: GateKind) -> bool:
        """True when a hold of this kind stops a gate question of ``question`` kind."""
        if self is HoldKind.CONTAINMENT:
            return True  # contained product neither ships nor moves on
        return self.value == question.value


class HoldSource(StrEnum):
    """Who or what placed a hold."""

    FAI_REQUIRED = "fai_required"
    CUSTOMER_CONTAINMENT = "customer_containment"
    MANUAL = "manual"
    REFAI_EVALUATION = "refai_evaluation"  # a re-FAI trigger's evaluation is not yet decided


class HoldStatus(StrEnum):
    """A hold is active until the lifecycle releases it."""

    ACTIVE = "active"
    RELEASED = "released"


class GateKind(StrEnum):
    """The question ERP or the shop floor asks."""

    SHIPMENT = "shipment"
    PRODUCTION = "production"


@dataclass(eq=False)
class HoldOverride:
    """A time-boxed exception to a hold, signed by two different authorized people."""

    site_id: str
    hold_id: str
    reason: str
    expires_at: datetime
    requested_by: str
    requested_at: datetime
    serial_numbers: list[str] = field(default_factory=list)
    lots: list[str] = field(default_factory=list)
    second_signer: str | None = None
    second_signed_at: datetime | None = None
    revoked_by: str | None = None
    revoked_at: datetime | None = None
    id: str = field(default_factory=new_id)

    def sign(self, signer: str, at: datetime) -> None:
        """Add the second signature; the requester cannot sign twice."""
        if self.second_signer is not None:
            raise ConflictError("The override already has both signatures.")
        if signer == self.requested_by:
            raise ValidationError(
                "An override needs a second, different person to sign.", field="signer"
            )
        if at >= self.expires_at:
            raise ValidationError("The override has already expired.", field="expires_at")
        self.second_signer, self.second_signed_at = signer, at

    def is_effective(self, at: datetime) -> bool:
        """Counts only with two different signers, before expiry, and unrevoked."""
        return (
            self.second_signer is not None
            and self.second_signer != self.requested_by
            and self.revoked_at is None
            and at < self.expires_at
        )

    def covers(self, q: GateQuestion) -> bool:
        """True when the override reaches everything asked (an unscoped one covers the hold)."""
        if not self.serial_numbers and not self.lots:
            return True
        if not q.serial_numbers and q.lot is None:
            return False  # the question is about the whole configuration; this is narrower
        serials_ok = all(s in self.serial_numbers for s in q.serial_numbers) or (
            bool(q.serial_lots) and all(lot in self.lots for lot in q.serial_lots)
        )
        return serials_ok and (q.lot is None or q.lot in self.lots)


@dataclass(eq=False)
class Hold:
    """A stop on a part revision at a site, optionally narrowed to customer, WO, serials, lots."""

    site_id: str
    kind: HoldKind
    source: HoldSource
    part_revision_id: str
    reason: str
    placed_by: str
    placed_at: datetime
    customer_id: str | None = None
    work_order_id: str | None = None
    serial_numbers: list[str] = field(default_factory=list)
    lots: list[str] = field(default_factory=list)
    first_article_id: str | None = None
    status: HoldStatus = HoldStatus.ACTIVE
    released_by: str | None = None
    released_at: datetime | None = None
    release_reason: str | None = None
    overrides: list[HoldOverride] = field(default_factory=list)
    id: str = field(default_factory=new_id)

    def __post_init__(self) -> None:
        self.reason = require_text(self.reason, "reason")

    @property
    def is_active(self) -> bool:
        """True until released."""
        return self.status is HoldStatus.ACTIVE

    def applies_to(self, q: GateQuestion) -> bool:
        """True when this active hold stops the question asked."""
        if not self.is_active or not self.kind.stops(q.kind):
            return False
        if self.site_id != q.site_id or self.part_revision_id != q.part_revision_id:
            return False
        if self.customer_id is not None and self.customer_id != q.customer_id:
            return False
        if (
            self.work_order_id is not None
            and q.work_order_ids
            and self.work_order_id not in q.work_order_ids
        ):
            return False
        if self.serial_numbers or self.lots:
            hit_serial = any(s in self.serial_numbers for s in q.serial_numbers)
            hit_lot = bool(self.lots) and (
                q.lot in self.lots or any(lot in self.lots for lot in q.serial_lots)
            )
            return hit_serial or hit_lot
        return True

    def overridden_for(self, q: GateQuestion, at: datetime) -> HoldOverride | None:
        """The effective override that lets ``q`` through this hold, if any."""
        return next(
            (o for o in self.overrides if o.is_effective(at) and o.covers(q)),
            None,
        )

    def release(self, by: str, at: datetime, reason: str) -> None:
        """Release the hold (the lifecycle does this when the FAI is approved)."""
        if not self.is_active:
            raise ConflictError("The hold is already released.", hold_id=self.id)
        self.status = HoldStatus.RELEASED
        self.released_by, self.released_at = by, at
        self.release_reason = require_text(reason, "reason")

    def request_override(
        self,
        *,
        requested_by: str,
        at: datetime,
        reason: str,
        expires_at: datetime,
        serial_numbers: Iterable[str] = (),
        lots: Iterable[str] = (),
    ) -> HoldOverride:
        """Open an override with its first signature; it counts once a second person signs."""
        if not self.is_active:
            raise ConflictError("A released hold needs no override.", hold_id=self.id)
        if expires_at <= at:
            raise ValidationError("An override needs an expiry in the future.", field="expires_at")
        if expires_at - at > MAX_OVERRIDE_DURATION:
            raise ValidationError(
                f"An override may last at most {MAX_OVERRIDE_DURATION.days} days.",
                field="expires_at",
            )
        override = HoldOverride(
            self.site_id,
            self.id,
            require_text(reason, "reason"),
            expires_at,
            requested_by,
            at,
            list(serial_numbers),
            list(lots),
        )
        self.overrides.append(override)
        return override


@dataclass(frozen=True)
class GateQuestion:
    """What the caller asked, resolved to ids where the records are known."""

    kind: GateKind
    site_id: str
    customer_id: str
    part_revision_id: str
    serial_numbers: tuple[str, ...] = ()
    lot: str | None = None
    work_order_ids: tuple[str, ...] = ()
    # Lots the asked serials were built in, so a hold on a lot stops its serials.
    serial_lots: tuple[str, ...] = ()


@dataclass(eq=False)
class RevisionOrder:
    """A customer's word that its order ``purchase_order`` calls for a part revision the
    engineering definition no longer allows: product built against that order to that
    revision may still ship to it (never be produced)."""

    customer_id: str
    part_revision_id: str
    purchase_order: str
    reason: str
    granted_by: str
    granted_at: datetime
    withdrawn_by: str | None = None
    withdrawn_at: datetime | None = None
    id: str = field(default_factory=new_id)

    def __post_init__(self) -> None:
        self.purchase_order = require_text(self.purchase_order, "purchase_order")
        self.reason = require_text(self.reason, "reason")

    @property
    def in_force(self) -> bool:
        """True until withdrawn."""
        return self.withdrawn_at is None

    def withdraw(self, by: str, at: datetime) -> None:
        """Withdraw the order's allowance; the gate denies its shipments from now on."""
        if not self.in_force:
            raise ConflictError("The revision order is already withdrawn.", order_id=self.id)
        self.withdrawn_by, self.withdrawn_at = by, at


class Decision(StrEnum):
    """The gate's answer."""

    ALLOW = "allow"
    DENY = "deny"


@dataclass(frozen=True)
class Reason:
    """Why the gate answered as it did; ``code`` is stable for programs."""

    code: str
    message: str
    record_type: str | None = None
    record_id: str | None = None


@dataclass(frozen=True)
class CoveringFai:
    """An FAI that could cover the configuration, with what the gate needs to know of it:
    its open NCs, the router its work order was built to, and whether the customer's channel
    recorded an approving decision for its current submission."""

    id: str
    fair_identifier: str
    status: FaiStatus
    open_nonconformances: tuple[str, ...] = ()
    router: str | None = None
    customer_approved: bool = True
    #: For a partial (delta) FAI: the FAIR it builds on, and that FAIR's status (None when
    #: it is not found). A partial covers only together with a baseline that still covers.
    baseline: str | None = None
    baseline_status: FaiStatus | None = None
    #: The re-FAI trigger that opened the FAI (``corrective_action``, ...), if one did.
    refai_trigger: str | None = None


@dataclass(frozen=True)
class OpenNonconformance:
    """An open NC of an FAI, with the characteristics it concerns."""

    first_article_id: str
    number: str
    characteristic_ids: frozenset[str]


def cleared_by_corrective_partials(
    fais: Sequence[CoveringFai],
    ncs: Sequence[OpenNonconformance],
    form3: Mapping[str, frozenset[str]],
) -> dict[tuple[str, str], str]:
    """The open NCs of covering FAIs that an approved corrective-action partial FAI cleared:
    (FAI id, NC number) -> the partial's FAIR identifier.

    A partial opened by a corrective action re-inspects the characteristics the NC named on
    product made after the correction; once it covers (approved, its baseline still covering),
    an NC of its baseline whose every characteristic is on the partial's Form 3 no longer stops
    the product. An NC naming no characteristic is never cleared this way: nothing says what
    the partial would have to re-inspect. The partial's own NCs count as any FAI's.
    """
    by_fair = {f.fair_identifier: f for f in fais}
    cleared: dict[tuple[str, str], str] = {}
    for partial in fais:
        if partial.refai_trigger != "corrective_action" or partial.baseline not in by_fair:
            continue
        baseline = by_fair[partial.baseline]
        covered = form3.get(partial.id, frozenset())
        for nc in ncs:
            if (
                nc.first_article_id == baseline.id
                and nc.characteristic_ids
                and nc.characteristic_ids <= covered
            ):
                cleared[(baseline.id, nc.number)] = partial.fair_identifier
    return cleared


@dataclass(frozen=True)
class BuildRecord:
    """Where an asked serial or lot was built: its work order, the router that order followed
    and the customer order it was built against."""

    item: str  # "serial SN-1" or "lot L-7", as messages name it
    work_order_id: str
    work_order_number: str
    router: str | None = None
    purchase_order: str | None = None


def covering_statuses(ships_on_conditional: bool) -> frozenset[FaiStatus]:
    """FAI statuses that let product through: approved, or conditionally accepted where the
    customer's configuration allows shipment (production may then move on too)."""
    if ships_on_conditional:
        return frozenset({FaiStatus.APPROVED, FaiStatus.CONDITIONALLY_ACCEPTED})
    return frozenset({FaiStatus.APPROVED})


class DefinitionState(StrEnum):
    """Whether the engineering definition still allows a part revision, as PLM says."""

    CURRENT = "current"  # released, and no later revision released
    SUPERSEDED = "superseded"  # released, but a later revision has been released since
    OBSOLETE = "obsolete"  # PLM made it obsolete
    NOT_RELEASED = "not_released"  # still in work


_DEFINITION_REASONS = {
    DefinitionState.SUPERSEDED: (
        "revision_superseded",
        "A later revision of this part has been released; this revision is superseded.",
    ),
    DefinitionState.OBSOLETE: ("revision_obsolete", "PLM has made this revision obsolete."),
    DefinitionState.NOT_RELEASED: ("revision_not_released", "This revision is not released."),
}


def decide(
    q: GateQuestion,
    *,
    requires_fai: bool,
    ships_on_conditional: bool,
    fais: Sequence[CoveringFai],
    holds: Sequence[Hold],
    at: datetime,
    definition: DefinitionState = DefinitionState.CURRENT,
    built_on: Sequence[BuildRecord] = (),
    revision_orders: frozenset[str] = frozenset(),
    cleared: Mapping[tuple[str, str], str] | None = None,
) -> tuple[Decision, list[Reason]]:
    """Allow only when the engineering definition still allows the revision, an FAI the
    customer approved covers the configuration the product was built to, and no hold or open
    NC applies. Every rule is a row of docs/gate-rules.md.

    A superseded or obsolete revision is a deny for production; for shipment it is a deny
    unless every asked serial or lot was built against a customer order (``revision_orders``,
    purchase order numbers) that the customer recorded as calling for this revision. An open
    NC in ``cleared`` (see :func:`cleared_by_corrective_partials`) does not stop the product.
    """
    reasons: list[Reason] = []
    allow_reasons: list[Reason] = []
    reasons += _definition_rule(q, definition, built_on, revision_orders, allow_reasons)
    # A signed override of the FAI-required hold is the two-person decision to ship before
    # approval (journey 7): it waives the missing approval for what it covers, nothing more.
    fai_waived = False
    for hold in holds:
        if not hold.applies_to(q):
            continue
        override = hold.overridden_for(q, at)
        if override is None:
            reasons.append(
                Reason(
                    "hold_active",
                    f"{hold.kind.value.capitalize()} hold: {hold.reason}",
                    "hold",
                    hold.id,
                )
            )
            continue
        fai_waived = fai_waived or hold.source is HoldSource.FAI_REQUIRED
        allow_reasons.append(
            Reason(
                "hold_overridden",
                f"{hold.kind.value.capitalize()} hold overridden until "
                f"{override.expires_at.isoformat()} ({override.requested_by} and "
                f"{override.second_signer}): {override.reason}",
                "hold_override",
                override.id,
            )
        )
    if requires_fai:
        statuses = covering_statuses(ships_on_conditional)
        approved = [f for f in fais if f.status in statuses and f.customer_approved]
        # A partial FAI inspected only what changed: it covers with its baseline, never alone.
        covering = [f for f in approved if f.baseline is None or f.baseline_status in statuses]
        if not covering and not fai_waived:
            orphans = [f for f in approved if f not in covering]
            reasons.append(_baseline_gone(orphans) if orphans else _no_covering_fai(fais, statuses))
        for fai in covering:
            for number in fai.open_nonconformances:
                by = (cleared or {}).get((fai.id, number))
                if by is not None:
                    allow_reasons.append(
                        Reason(
                            "nonconformance_cleared",
                            f"Nonconformance {number} on {fai.fair_identifier} is cleared by "
                            f"the corrective-action partial FAI {by}.",
                            "first_article",
                            fai.id,
                        )
                    )
                    continue
                reasons.append(
                    Reason(
                        "open_nonconformance",
                        f"Nonconformance {number} on {fai.fair_identifier} is open.",
                        "first_article",
                        fai.id,
                    )
                )
            allow_reasons.append(
                Reason(
                    "fai_approved",
                    f"{fai.fair_identifier} is {fai.status.value}.",
                    "first_article",
                    fai.id,
                )
            )
        if covering:
            reasons += _work_order_rule(covering, built_on)
    else:
        allow_reasons.append(Reason("fai_not_required", "The customer requires no FAI."))
    if reasons:
        return Decision.DENY, reasons
    return Decision.ALLOW, allow_reasons


def _definition_rule(
    q: GateQuestion,
    definition: DefinitionState,
    built_on: Sequence[BuildRecord],
    revision_orders: frozenset[str],
    allow_reasons: list[Reason],
) -> list[Reason]:
    if definition is DefinitionState.CURRENT:
        return []
    ordered = sorted({b.purchase_order for b in built_on if b.purchase_order})
    if (
        q.kind is GateKind.SHIPMENT
        and definition in {DefinitionState.SUPERSEDED, DefinitionState.OBSOLETE}
        and built_on
        and all(b.purchase_order in revision_orders for b in built_on)
    ):
        allow_reasons.append(
            Reason(
                "revision_ordered",
                f"The customer's order {', '.join(ordered)} calls for this revision, "
                f"which is {definition.value}.",
                "part_revision",
                q.part_revision_id,
            )
        )
        return []
    code, message = _DEFINITION_REASONS[definition]
    return [Reason(code, message, "part_revision", q.part_revision_id)]


def _no_covering_fai(fais: Sequence[CoveringFai], statuses: frozenset[FaiStatus]) -> Reason:
    """Why no FAI covers: the customer has not approved one that is with it, or none is."""
    awaiting = [
        f
        for f in fais
        if f.status in {FaiStatus.SUBMITTED, FaiStatus.CONDITIONALLY_ACCEPTED}
        or (f.status in statuses and not f.customer_approved)
    ]
    if awaiting:
        names = ", ".join(f"{f.fair_identifier} ({f.status.value})" for f in awaiting)
        return Reason(
            "customer_approval_missing",
            f"The customer's approval is missing: {names}.",
            "first_article",
            awaiting[0].id,
        )
    pending = ", ".join(f"{f.fair_identifier} ({f.status.value})" for f in fais)
    return Reason(
        "fai_not_approved",
        "No approved FAI covers this part revision for this customer at this site"
        + (f"; FAIs: {pending}." if pending else "."),
    )


def _baseline_gone(partials: Sequence[CoveringFai]) -> Reason:
    """Why approved partial FAIs do not cover: the FAIs they build on no longer do."""
    names = ", ".join(
        f"{f.fair_identifier} builds on {f.baseline} "
        f"({f.baseline_status.value if f.baseline_status else 'not found'})"
        for f in partials
    )
    return Reason(
        "partial_without_baseline",
        f"A partial FAI covers only with the approved FAI it builds on: {names}. "
        "A full FAI replaces them.",
        "first_article",
        partials[0].id,
    )


def _work_order_rule(
    covering: Sequence[CoveringFai], built_on: Sequence[BuildRecord]
) -> list[Reason]:
    """A serial or lot is covered only when its work order followed a router an approved FAI
    was built to: a process change needs its own FAI (AS9102 4.6)."""
    routers = {f.router for f in covering}
    return [
        Reason(
            "not_on_covering_work_order",
            f"{b.item[:1].upper() + b.item[1:]} was built on {b.work_order_number} to router "
            f"{b.router or '(none)'}; no approved FAI covers that router "
            f"({', '.join(sorted(r or '(none)' for r in routers))}).",
            "work_order",
            b.work_order_id,
        )
        for b in built_on
        if b.router not in routers
    ]
