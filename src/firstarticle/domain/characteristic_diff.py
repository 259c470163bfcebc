"""What changed between two characteristic lists: the delta a partial FAI must cover.

AS9102 Rev C 4.6 asks for an evaluation of a new full or partial FAI when the engineering
definition changes; a partial FAI then lists the changed and affected characteristics. This
module compares the characteristic lists of two part revisions (or drawings) and says which
characteristics were added, removed or changed, and in what.

Matching: a characteristic of the older list and one of the newer are the same when both
carry a source item (the QIF QPId or item id they were imported from) and it is equal;
characteristics without a source item on either side are matched by drawing and balloon.
Two characteristics that both have a source item but different ones are never the same, even
under the same balloon: the model says they are different items.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from firstarticle.domain.forms import natural_key
from firstarticle.domain.model import Characteristic


class ChangedField(StrEnum):
    """What about a characteristic changed; the first four change the design."""

    REQUIREMENT = "requirement"
    LIMITS = "limits"
    TYPE = "type"
    DESIGNATOR = "designator"
    REFERENCE_LOCATION = "reference_location"
    BALLOON = "balloon"

    @property
    def affects_design(self) -> bool:
        """True when the change is one of the engineering definition, not of its labels."""
        return self in _DESIGN_FIELDS


_DESIGN_FIELDS = frozenset(
    {ChangedField.REQUIREMENT, ChangedField.LIMITS, ChangedField.TYPE, ChangedField.DESIGNATOR}
)


class MatchedBy(StrEnum):
    """How an older and a newer characteristic were recognized as the same."""

    SOURCE_ITEM = "source_item"
    BALLOON = "balloon"


@dataclass(frozen=True)
class CharacteristicSnapshot:
    """A characteristic as the diff shows it, independent of the records it came from."""

    characteristic_id: str
    drawing: str | None
    balloon: str
    ctype: str
    requirement: str
    nominal: Decimal | None
    lower_limit: Decimal | None
    upper_limit: Decimal | None
    units: str | None
    designator: str | None
    reference_location: str | None
    source_item: str | None

    @classmethod
    def of(cls, c: Characteristic, drawing: str | None = None) -> CharacteristicSnapshot:
        """The snapshot of ``c``, on the drawing numbered ``drawing`` when given."""
        r = c.requirement
        return cls(
            characteristic_id=c.id,
            drawing=drawing,
            balloon=c.balloon,
            ctype=c.ctype.value,
            requirement=r.text,
            nominal=r.nominal,
            lower_limit=r.lower_limit,
            upper_limit=r.upper_limit,
            units=r.units,
            designator=c.designator.value if c.designator is not None else None,
            reference_location=c.reference_location,
            source_item=c.source_item,
        )

    @property
    def limits_text(self) -> str | None:
        """The limits in one string (``24.85 .. 25.15 mm``), None for a text requirement."""
        if self.lower_limit is None and self.upper_limit is None:
            return None
        low = "" if self.lower_limit is None else str(self.lower_limit)
        high = "" if self.upper_limit is None else str(self.upper_limit)
        return f"{low} .. {high} {self.units or ''}".strip()


@dataclass(frozen=True)
class FieldChange:
    """One field of a characteristic, before and after."""

    field: ChangedField
    before: str | None
    after: str | None


@dataclass(frozen=True)
class ChangedCharacteristic:
    """A characteristic present in both lists whose definition or labels differ."""

    before: CharacteristicSnapshot
    after: CharacteristicSnapshot
    matched_by: MatchedBy
    changes: tuple[FieldChange, ...]

    @property
    def fields(self) -> tuple[ChangedField, ...]:
        """The fields that changed, in a fixed order."""
        return tuple(c.field for c in self.changes)

    @property
    def affects_design(self) -> bool:
        """True when the requirement, limits, type or designator changed."""
        return any(c.field.affects_design for c in self.changes)


@dataclass(frozen=True)
class CharacteristicDiff:
    """The difference between an older and a newer characteristic list."""

    added: tuple[CharacteristicSnapshot, ...]
    removed: tuple[CharacteristicSnapshot, ...]
    changed: tuple[ChangedCharacteristic, ...]
    unchanged: int

    @property
    def is_empty(self) -> bool:
        """True when both lists define the same characteristics the same way."""
        return not (self.added or self.removed or self.changed)

    @property
    def affects_design(self) -> bool:
        """True when the engineering definition changed: the trigger of Rev C 4.6 item 1.

        A renumbered balloon or a moved reference location alone does not.
        """
        return bool(self.added or self.removed or any(c.affects_design for c in self.changed))

    @property
    def balloons_to_reinspect(self) -> tuple[str, ...]:
        """Balloons of the newer list a partial FAI covers at least: added and redefined."""
        balloons = [a.balloon for a in self.added]
        balloons += [c.after.balloon for c in self.changed if c.affects_design]
        return tuple(sorted(set(balloons), key=natural_key))


def diff_characteristics(
    before: Sequence[Characteristic],
    after: Sequence[Characteristic],
    drawing_numbers: Mapping[str, str] | None = None,
) -> CharacteristicDiff:
    """Compare two characteristic lists; see the module for how they are matched.

    ``drawing_numbers`` maps drawing ids to drawing numbers, so that balloons are compared
    per drawing number when a revision has several drawings; without it balloons are
    compared as they are. Results come in the newer list's order (removed: the older's).
    """
    numbers = drawing_numbers or {}
    old = [CharacteristicSnapshot.of(c, numbers.get(c.drawing_id)) for c in before]
    new = [CharacteristicSnapshot.of(c, numbers.get(c.drawing_id)) for c in after]
    pairs: dict[int, tuple[CharacteristicSnapshot, MatchedBy]] = {}
    taken: set[str] = set()
    # First the strong key: the same source item (QPId or id) on both sides.
    old_by_item = {s.source_item: s for s in old if s.source_item}
    for index, snapshot in enumerate(new):
        twin = old_by_item.get(snapshot.source_item or "")
        if twin is not None and twin.characteristic_id not in taken:
            pairs[index] = (twin, MatchedBy.SOURCE_ITEM)
            taken.add(twin.characteristic_id)
    # Then the balloon, where at most one side knows its source item.
    old_by_place = {(s.drawing, s.balloon): s for s in old if s.characteristic_id not in taken}
    for index, snapshot in enumerate(new):
        if index in pairs:
            continue
        twin = old_by_place.get((snapshot.drawing, snapshot.balloon))
        if (
            twin is not None
            and twin.characteristic_id not in taken
            and not (twin.source_item and snapshot.source_item)
        ):
            pairs[index] = (twin, MatchedBy.BALLOON)
            taken.add(twin.characteristic_id)
    added = [s for i, s in enumerate(new) if i not in pairs]
    matched = [(pairs[i][0], s, pairs[i][1]) for i, s in enumerate(new) if i in pairs]
    removed = tuple(s for s in old if s.characteristic_id not in taken)
    changed: list[ChangedCharacteristic] = []
    for older, newer, how in matched:
        changes = _changes(older, newer)
        if changes:
            changed.append(ChangedCharacteristic(older, newer, how, changes))
    return CharacteristicDiff(
        added=tuple(added),
        removed=removed,
        changed=tuple(changed),
        unchanged=len(matched) - len(changed),
    )


def _changes(a: CharacteristicSnapshot, b: CharacteristicSnapshot) -> tuple[FieldChange, ...]:
    found: list[FieldChange] = []
    if a.requirement != b.requirement:
        found.append(FieldChange(ChangedField.REQUIREMENT, a.requirement, b.requirement))
    # Decimals compare by value: 0.25 and 0.250 are the same limit.
    if (a.nominal, a.lower_limit, a.upper_limit) != (b.nominal, b.lower_limit, b.upper_limit) or (
        a.units != b.units
    ):
        found.append(FieldChange(ChangedField.LIMITS, a.limits_text, b.limits_text))
    if a.ctype != b.ctype:
        found.append(FieldChange(ChangedField.TYPE, a.ctype, b.ctype))
    if a.designator != b.designator:
        found.append(FieldChange(ChangedField.DESIGNATOR, a.designator, b.designator))
    if a.reference_location != b.reference_location:
        found.append(
            FieldChange(ChangedField.REFERENCE_LOCATION, a.reference_location, b.reference_location)
        )
    if (a.drawing, a.balloon) != (b.drawing, b.balloon):
        found.append(FieldChange(ChangedField.BALLOON, a.balloon, b.balloon))
    return tuple(found)
