"""Export-control labels of technical data (ITAR with USML category, EAR with ECCN, EAR99,
not controlled); data nobody has classified yet is restricted."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from firstarticle.domain.errors import ValidationError


class ExportRegime(StrEnum):
    """The export-control label of technical data; RESTRICTED until someone classifies it."""

    RESTRICTED = "restricted"
    ITAR = "itar"
    EAR = "ear"
    EAR99 = "ear99"
    NOT_CONTROLLED = "not_controlled"

    @property
    def needs_category(self) -> bool:
        """ITAR needs a USML category, EAR an ECCN."""
        return self in (ExportRegime.ITAR, ExportRegime.EAR)


OPEN_REGIMES = frozenset({ExportRegime.EAR99, ExportRegime.NOT_CONTROLLED})


@dataclass(frozen=True)
class ExportClassification:
    """A label: regime plus USML category (ITAR) or ECCN (EAR)."""

    regime: ExportRegime = ExportRegime.RESTRICTED
    category: str | None = None

    def __post_init__(self) -> None:
        category = (self.category or "").strip().upper() or None
        if self.regime.needs_category and category is None:
            what = "USML category" if self.regime is ExportRegime.ITAR else "ECCN"
            raise ValidationError(
                f"An {self.regime.value.upper()} classification needs its {what}.",
                field="category",
            )
        if not self.regime.needs_category and category is not None:
            raise ValidationError(
                f"A {self.regime.value} classification takes no category.", field="category"
            )
        object.__setattr__(self, "category", category)

    @property
    def text(self) -> str:
        """The label as people read it, e.g. 'ITAR XIX' or 'EAR 9E003'."""
        head = self.regime.value.upper().replace("_", " ")
        return f"{head} {self.category}" if self.category else head


RESTRICTED = ExportClassification()
