"""A customer's channel configuration: which paths each authority allows, as data; who may
decide; version 0 derived from a customer that has none."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from firstarticle.domain import channels as ch
from firstarticle.domain.channels import Authority, BuyOffMode, EntryPath
from firstarticle.domain.errors import ValidationError
from firstarticle.domain.model import Customer, CustomerChannel, FormRevision

AT = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
DANA = ch.CustomerPerson("AP-Q-1042", "Dana Whitfield", "d.whitfield@aeroprime.example")


def a_configuration(authority: Authority, **overrides: object) -> ch.ChannelConfiguration:
    values: dict[str, object] = {
        "authority": authority,
        "buy_off": BuyOffMode.ONE_STEP,
        "form_revision": FormRevision.C,
        "ships_while_conditional": False,
        "people": [DANA],
        "portal_name": "Net-Inspect" if authority is Authority.PORTAL else None,
        "set_by": "admin",
        "set_at": AT,
    }
    values.update(overrides)
    return ch.configure("customer-1", 1, **values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("authority", "paths"),
    [
        (Authority.CUSTOMER_QMS, {EntryPath.INTEGRATION, EntryPath.TRANSCRIPTION}),
        (Authority.PORTAL, {EntryPath.TRANSCRIPTION}),
        (Authority.EMAIL_PACKAGE, {EntryPath.TRANSCRIPTION}),
        (Authority.SOURCE_INSPECTION, {EntryPath.TRANSCRIPTION}),
        (Authority.FIRSTARTICLE, {EntryPath.SIGNATURE}),
    ],
)
def test_each_authority_allows_its_paths_by_default(authority, paths):
    """Without entry paths given, a configuration opens exactly what its authority allows."""
    assert ch.PATHS_ALLOWED[authority] == paths
    assert a_configuration(authority).entry_paths == paths


def test_a_path_the_authority_does_not_allow_cannot_be_configured():
    """A portal never takes an integration call, whatever the configuration says."""
    with pytest.raises(ValidationError) as refused:
        a_configuration(Authority.PORTAL, entry_paths=[EntryPath.INTEGRATION])
    assert refused.value.details["field"] == "entry_paths"


def test_a_qms_customer_may_narrow_its_paths_to_the_integration():
    """A configuration may allow fewer paths than the authority could."""
    config = a_configuration(Authority.CUSTOMER_QMS, entry_paths=[EntryPath.INTEGRATION])
    config.require_path(EntryPath.INTEGRATION)
    with pytest.raises(ch.ChannelPathNotAllowedError) as refused:
        config.require_path(EntryPath.TRANSCRIPTION)
    assert refused.value.code == "channel_path_not_allowed"
    assert refused.value.details["authority"] == "customer_qms"


def test_a_refused_path_names_the_channel_that_holds_the_authority():
    """The error says where the decision must come from."""
    config = a_configuration(Authority.PORTAL)
    with pytest.raises(ch.ChannelPathNotAllowedError) as refused:
        config.require_path(EntryPath.SIGNATURE)
    assert "Net-Inspect" in refused.value.message
    assert refused.value.details["allowed_paths"] == ["transcription"]


def test_a_portal_is_named():
    """The record of authority 'portal' names which portal."""
    with pytest.raises(ValidationError):
        a_configuration(Authority.PORTAL, portal_name=" ")


def test_only_the_people_the_configuration_knows_may_decide():
    """A person is found by the customer's own id; anyone else is refused with a code."""
    config = a_configuration(Authority.PORTAL)
    assert config.person("AP-Q-1042") == DANA
    with pytest.raises(ch.UnknownCustomerPersonError) as refused:
        config.person("AP-Q-9999")
    assert refused.value.code == "unknown_customer_person"


def test_a_person_is_named_once():
    """Two entries with the same customer id are refused."""
    with pytest.raises(ValidationError):
        a_configuration(Authority.PORTAL, people=[DANA, DANA])


def test_a_representative_is_found_by_the_account_they_sign_with():
    """Path (c) matches the signer's account with a configured person."""
    rep = ch.CustomerPerson("AP-Q-1077", "Chris Lee", None, "c.lee")
    config = a_configuration(Authority.FIRSTARTICLE, people=[DANA, rep])
    assert config.person_with_account("c.lee") == rep
    with pytest.raises(ch.UnknownCustomerPersonError):
        config.person_with_account("d.whitfield")


@pytest.mark.parametrize(
    ("channel", "authority"),
    [
        (CustomerChannel.PORTAL, Authority.PORTAL),
        (CustomerChannel.QMS, Authority.CUSTOMER_QMS),
        (CustomerChannel.SOURCE_INSPECTION, Authority.SOURCE_INSPECTION),
        (CustomerChannel.EMAIL_PACKAGE, Authority.EMAIL_PACKAGE),
    ],
)
def test_a_customer_without_configuration_reads_as_version_0(channel, authority):
    """Version 0 keeps what the customer's fields said and names nobody who may decide."""
    customer = Customer(
        "OD",
        "Orbital Dynamics",
        channel=channel,
        ships_on_conditional_acceptance=True,
        form_revision=FormRevision.B,
    )
    config = ch.derived_configuration(customer)
    assert (config.version, config.authority, config.form_revision) == (0, authority, "B")
    assert config.ships_while_conditional is True
    assert config.buy_off is BuyOffMode.ONE_STEP
    assert config.people == ()
    assert config.entry_paths == ch.PATHS_ALLOWED[authority]


@pytest.mark.parametrize(
    ("mode", "approves"),
    [(BuyOffMode.NONE, True), (BuyOffMode.DELEGATED, True), (BuyOffMode.ONE_STEP, False)],
)
def test_only_one_step_buy_off_waits_for_the_customer(mode, approves):
    """No buy-off and delegated buy-off complete the approval on submission."""
    assert mode.submission_approves is approves
