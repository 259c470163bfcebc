"""The gate's engineering-definition rule, alone: only a current revision may move or ship."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from firstarticle.domain.holds import (
    CoveringFai,
    Decision,
    DefinitionState,
    GateKind,
    GateQuestion,
    decide,
)
from firstarticle.domain.lifecycle import FaiStatus

QUESTION = GateQuestion(GateKind.PRODUCTION, "site", "customer", "rev-c", ("SN1",))
APPROVED = CoveringFai("fai-1", "FAIR-1", FaiStatus.APPROVED)


def answer(definition: DefinitionState) -> tuple[Decision, set[str]]:
    decision, reasons = decide(
        QUESTION,
        requires_fai=True,
        ships_on_conditional=False,
        fais=[APPROVED],
        holds=[],
        at=datetime(2026, 12, 4, tzinfo=UTC),
        definition=definition,
    )
    return decision, {r.code for r in reasons}


def test_a_current_revision_with_an_approved_fai_is_allowed() -> None:
    """The control case: released, nothing later, approved FAI."""
    assert answer(DefinitionState.CURRENT) == (Decision.ALLOW, {"fai_approved"})


@pytest.mark.parametrize(
    ("state", "code"),
    [
        (DefinitionState.SUPERSEDED, "revision_superseded"),
        (DefinitionState.OBSOLETE, "revision_obsolete"),
        (DefinitionState.NOT_RELEASED, "revision_not_released"),
    ],
)
def test_any_other_state_of_the_definition_is_a_deny_with_its_code(
    state: DefinitionState, code: str
) -> None:
    """Superseded, obsolete or unreleased: deny, whatever the FAI says."""
    decision, codes = answer(state)
    assert decision is Decision.DENY
    assert code in codes
