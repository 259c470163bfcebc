"""How a model file states a characteristic's tolerance, kept so that it can be written back.

A QIF file types each characteristic (``Diameter``, ``Position``, ``PointProfile``, ...) and
states its tolerance in that type's terms: a size by nominal and tolerance or by limits, a
geometric tolerance by the rows of its feature control frame, each with its zone, material
condition and datum reference frame. The import turns that into a Form 3 requirement (text,
nominal, limits); a :class:`DesignTolerance` keeps what the requirement does not, so that the
QIF Results export can write the same typed characteristic. Words are QIF's own (``MAXIMUM``,
``DiametricalZone``, ``XAXIS``); numbers are in the characteristic's units.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any


@dataclass(frozen=True, slots=True)
class DatumReference:
    """One datum of a frame: ``A``, or a common datum ``A-B`` (several labels), each label
    with its material modifier (``MAXIMUM``, ``LEAST``; None for none)."""

    labels: tuple[str, ...]
    modifiers: tuple[str | None, ...]


@dataclass(frozen=True, slots=True)
class FrameRow:
    """One row of a feature control frame: the zone, its shape, the material condition and
    the datum reference frame, datums in precedence order."""

    zone: Decimal | None
    zone_shape: str | None = None
    material_condition: str | None = None
    datums: tuple[DatumReference, ...] = ()


@dataclass(frozen=True, slots=True)
class DesignTolerance:
    """What a typed QIF characteristic states beyond the Form 3 requirement.

    ``rows``: a geometric tolerance's frame (empty for a size). ``defined_as_limit``: a size
    given by its limits rather than nominal and tolerance. ``outer_disposition``: the part of
    a profile zone outside the profile. ``dimension_type`` (``BASIC`` / ``REF``) and
    ``non_tolerance`` (``MEASURED`` / ``SET``): an untoleranced dimension. ``direction``: a
    coordinate's axis; ``analysis_mode``: how a distance or angle between features is taken.
    """

    rows: tuple[FrameRow, ...] = ()
    defined_as_limit: bool = False
    outer_disposition: Decimal | None = None
    dimension_type: str | None = None
    non_tolerance: str | None = None
    direction: str | None = None
    analysis_mode: str | None = None

    def as_json(self) -> dict[str, Any]:
        """Plain JSON data (decimals as their exact text); :meth:`from_json` reads it back."""
        return {
            "rows": [
                {
                    "zone": _text(row.zone),
                    "zone_shape": row.zone_shape,
                    "material_condition": row.material_condition,
                    "datums": [
                        {"labels": list(d.labels), "modifiers": list(d.modifiers)}
                        for d in row.datums
                    ],
                }
                for row in self.rows
            ],
            "defined_as_limit": self.defined_as_limit,
            "outer_disposition": _text(self.outer_disposition),
            "dimension_type": self.dimension_type,
            "non_tolerance": self.non_tolerance,
            "direction": self.direction,
            "analysis_mode": self.analysis_mode,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DesignTolerance:
        """The record :meth:`as_json` wrote."""
        return cls(
            rows=tuple(
                FrameRow(
                    zone=_decimal(row["zone"]),
                    zone_shape=row["zone_shape"],
                    material_condition=row["material_condition"],
                    datums=tuple(
                        DatumReference(tuple(d["labels"]), tuple(d["modifiers"]))
                        for d in row["datums"]
                    ),
                )
                for row in data["rows"]
            ),
            defined_as_limit=bool(data["defined_as_limit"]),
            outer_disposition=_decimal(data["outer_disposition"]),
            dimension_type=data["dimension_type"],
            non_tolerance=data["non_tolerance"],
            direction=data["direction"],
            analysis_mode=data["analysis_mode"],
        )


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _decimal(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)
