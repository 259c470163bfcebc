"""How a customer decides on FAIs: the record of authority, its buy-off mode and entry paths.

A customer's channel configuration is versioned: every change is a new
:class:`ChannelConfiguration` with the next version number, never an edit. A customer without
one is read through :func:`derived_configuration` (version 0) from the fields it always had.
Which ways into firstarticle an authority allows is the data table :data:`PATHS_ALLOWED`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from firstarticle.domain.errors import ConflictError, ValidationError
from firstarticle.domain.model import Customer, CustomerChannel, FormRevision, new_id, require_text


class Authority(StrEnum):
    """The record of authority for the customer's approval."""

    PORTAL = "portal"
    CUSTOMER_QMS = "customer_qms"
    SOURCE_INSPECTION = "source_inspection"
    EMAIL_PACKAGE = "email_package"
    FIRSTARTICLE = "firstarticle"


class BuyOffMode(StrEnum):
    """What a submission means for the customer's buy-off."""

    NONE = "none"  # done on submission
    ONE_STEP = "one_step"  # pending buy-off until the customer decides
    DELEGATED = "delegated"  # the plant's submission counts as buy-off

    @property
    def submission_approves(self) -> bool:
        """True when submitting completes the approval (no customer decision awaited)."""
        return self is not BuyOffMode.ONE_STEP


class EntryPath(StrEnum):
    """How a customer decision enters firstarticle."""

    INTEGRATION = "integration"  # the customer's system calls with a token
    TRANSCRIPTION = "transcription"  # a person copies it with evidence, a second one verifies
    SIGNATURE = "signature"  # the customer representative signs field 24 in firstarticle
    DELEGATED = "delegated"  # the plant's own submission, where the buy-off mode says so


_A, _E = Authority, EntryPath
# The paths each authority may allow; a configuration chooses among them (default: all).
PATHS_ALLOWED: Mapping[Authority, frozenset[EntryPath]] = {
    _A.CUSTOMER_QMS: frozenset({_E.INTEGRATION, _E.TRANSCRIPTION}),
    _A.PORTAL: frozenset({_E.TRANSCRIPTION}),
    _A.EMAIL_PACKAGE: frozenset({_E.TRANSCRIPTION}),
    _A.SOURCE_INSPECTION: frozenset({_E.TRANSCRIPTION}),
    _A.FIRSTARTICLE: frozenset({_E.SIGNATURE}),
}
# The authority a customer's legacy channel field names, and back.
AUTHORITY_OF_CHANNEL: Mapping[CustomerChannel, Authority] = {
    CustomerChannel.PORTAL: _A.PORTAL,
    CustomerChannel.QMS: _A.CUSTOMER_QMS,
    CustomerChannel.SOURCE_INSPECTION: _A.SOURCE_INSPECTION,
    CustomerChannel.EMAIL_PACKAGE: _A.EMAIL_PACKAGE,
}
CHANNEL_OF_AUTHORITY: Mapping[Authority, CustomerChannel] = {
    a: c for c, a in AUTHORITY_OF_CHANNEL.items()
}
del _A, _E


class ChannelPathNotAllowedError(ConflictError):
    """The customer's channel does not take decisions by this path."""

    code = "channel_path_not_allowed"


class UnknownCustomerPersonError(ValidationError):
    """The decision names a person the customer's channel configuration does not know."""

    code = "unknown_customer_person"


@dataclass(frozen=True)
class CustomerPerson:
    """Someone at the customer who may decide on FAIs."""

    customer_person_id: str  # the customer's own id for the person
    name: str
    email: str | None = None
    # The firstarticle account of a customer representative who signs (path "signature").
    username: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {
            "customer_person_id": self.customer_person_id,
            "name": self.name,
            "email": self.email,
            "username": self.username,
        }


@dataclass(frozen=True)
class ChannelConfiguration:
    """One version of how a customer (optionally for one program) decides on FAIs."""

    customer_id: str
    version: int
    authority: Authority
    buy_off: BuyOffMode
    form_revision: FormRevision
    ships_while_conditional: bool
    people: tuple[CustomerPerson, ...]
    entry_paths: frozenset[EntryPath]
    program: str = ""  # "" applies to every program without its own configuration
    portal_name: str | None = None
    conditions_meaning: str | None = None
    set_by: str | None = None
    set_at: datetime | None = None
    reason: str | None = None
    id: str | None = field(default_factory=new_id)

    def require_path(self, path: EntryPath) -> None:
        """Raise ChannelPathNotAllowedError, naming the authority, unless ``path`` is open."""
        if path not in self.entry_paths:
            where = self.authority.value + (f" ({self.portal_name})" if self.portal_name else "")
            allowed = ", ".join(sorted(p.value for p in self.entry_paths)) or "none"
            raise ChannelPathNotAllowedError(
                f"The customer's decisions come from {where}; the path '{path.value}' is not "
                f"allowed (allowed: {allowed}).",
                authority=self.authority.value,
                path=path.value,
                allowed_paths=sorted(p.value for p in self.entry_paths),
            )

    def person(self, customer_person_id: str) -> CustomerPerson:
        """The configured person with the customer's id ``customer_person_id``, or raise."""
        for person in self.people:
            if person.customer_person_id == customer_person_id:
                return person
        raise UnknownCustomerPersonError(
            f"The customer's channel configuration (version {self.version}) names no person "
            f"'{customer_person_id}'.",
            field="customer_person_id",
            version=self.version,
        )

    def person_with_account(self, username: str) -> CustomerPerson:
        """The configured person who signs in as ``username``, or raise."""
        for person in self.people:
            if person.username == username:
                return person
        raise UnknownCustomerPersonError(
            f"The customer's channel configuration (version {self.version}) names no "
            f"representative with the account '{username}'.",
            field="username",
            version=self.version,
        )


def configure(
    customer_id: str,
    version: int,
    *,
    authority: Authority,
    buy_off: BuyOffMode,
    form_revision: FormRevision,
    ships_while_conditional: bool,
    people: Iterable[CustomerPerson],
    entry_paths: Iterable[EntryPath] | None = None,
    program: str | None = None,
    portal_name: str | None = None,
    conditions_meaning: str | None = None,
    set_by: str,
    set_at: datetime,
    reason: str | None = None,
) -> ChannelConfiguration:
    """A new configuration version, checked: the paths are among those the authority allows
    (all of them when none are given), a portal is named, people are named once each."""
    possible = PATHS_ALLOWED[authority]
    paths = possible if entry_paths is None else frozenset(entry_paths)
    if not paths:
        raise ValidationError("Allow at least one entry path.", field="entry_paths")
    if not paths <= possible:
        raise ValidationError(
            f"{authority.value} allows only "
            f"{', '.join(sorted(p.value for p in possible))} as entry paths.",
            field="entry_paths",
        )
    if authority is Authority.PORTAL:
        portal_name = require_text(portal_name, "portal_name")
    checked = tuple(
        CustomerPerson(
            require_text(p.customer_person_id, "customer_person_id"),
            require_text(p.name, "name"),
            p.email.strip() if p.email and p.email.strip() else None,
            p.username.strip() if p.username and p.username.strip() else None,
        )
        for p in people
    )
    ids = [p.customer_person_id for p in checked]
    if len(set(ids)) != len(ids):
        raise ValidationError("A customer person is named twice.", field="people")
    return ChannelConfiguration(
        customer_id=customer_id,
        version=version,
        authority=authority,
        buy_off=buy_off,
        form_revision=form_revision,
        ships_while_conditional=ships_while_conditional,
        people=checked,
        entry_paths=paths,
        program=(program or "").strip(),
        portal_name=portal_name,
        conditions_meaning=(conditions_meaning or "").strip() or None,
        set_by=set_by,
        set_at=set_at,
        reason=reason,
    )


def derived_configuration(customer: Customer) -> ChannelConfiguration:
    """Version 0: what a customer without a configuration has always meant (one-step buy-off
    through its channel field, no people named, so nobody's decision is taken but the
    plant's own under delegated modes)."""
    authority = AUTHORITY_OF_CHANNEL[customer.channel]
    return ChannelConfiguration(
        customer_id=customer.id,
        version=0,
        authority=authority,
        buy_off=BuyOffMode.ONE_STEP,
        form_revision=customer.form_revision,
        ships_while_conditional=customer.ships_on_conditional_acceptance,
        people=(),
        entry_paths=PATHS_ALLOWED[authority],
        id=None,
    )
