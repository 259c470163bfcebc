"""Who may do what, where, and on which technical data: roles, permissions, site scope and
export control, kept as data and decided by pure functions.

A caller is a :class:`Principal`. Services ask it for a permission (function level), for a
site (object level) and for an export label (technical data). A record the caller may not see
is reported as not found, so its existence does not leak.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from firstarticle.domain.classification import (
    OPEN_REGIMES,
    ExportClassification,
    ExportRegime,
)
from firstarticle.domain.errors import DomainError, NotFoundError, ValidationError
from firstarticle.domain.model import new_id


class ForbiddenError(DomainError):
    """The caller is known but lacks the permission for this action."""

    code = "forbidden"


class AuthenticationError(DomainError):
    """The caller could not be identified (missing, wrong, expired or revoked credentials)."""

    code = "authentication_required"


class TooManyAttemptsError(DomainError):
    """Too many failed logins or signing attempts on one account; try again later."""

    code = "too_many_attempts"


class Role(StrEnum):
    """What a person or a system does in the plant."""

    OPERATOR = "operator"
    INSPECTOR = "inspector"
    QUALITY_ENGINEER = "quality_engineer"
    MANUFACTURING_ENGINEER = "manufacturing_engineer"
    DESIGN_ENGINEER = "design_engineer"
    PROGRAM_MANAGER = "program_manager"
    SHIPPING = "shipping"
    CUSTOMER_REPRESENTATIVE = "customer_representative"
    AUDITOR = "auditor"
    ADMINISTRATOR = "administrator"
    SYSTEM_ERP = "system_erp"
    SYSTEM_PLM = "system_plm"
    SYSTEM_QMS = "system_qms"
    SYSTEM_INSPECTION = "system_inspection"

    @property
    def is_system(self) -> bool:
        """True for the roles of integration accounts (they authenticate by token only)."""
        return self.value.startswith("system_")


SYSTEM_ROLES = frozenset(r for r in Role if r.is_system)


class Permission(StrEnum):
    """One thing a caller may do; roles grant sets of them, tokens may narrow them."""

    READ = "read"
    SITE_MANAGE = "site.manage"
    CUSTOMER_MANAGE = "customer.manage"
    PART_MANAGE = "part.manage"
    PART_CLASSIFY = "part.classify"
    WORK_ORDER_MANAGE = "work_order.manage"
    FAI_CREATE = "fai.create"
    FAI_EDIT = "fai.edit"
    FAI_TRANSITION = "fai.transition"
    RESULT_RECORD = "result.record"
    RESULT_VERIFY = "result.verify"
    RESULT_IMPORT = "result.import"
    SIGN_VERIFIED = "sign.verified"
    SIGN_APPROVED = "sign.approved"
    SIGN_CUSTOMER = "sign.customer"
    CUSTOMER_DECISION_RECORD = "customer_decision.record"
    NONCONFORMANCE_DISPOSITION = "nonconformance.disposition"
    CUSTOMER_DECISION_INTEGRATE = "customer_decision.integrate"
    CHANNEL_MANAGE = "customer_channel.manage"
    HOLD_PLACE = "hold.place"
    OVERRIDE_REQUEST = "override.request"
    OVERRIDE_SIGN = "override.sign"
    OVERRIDE_REVOKE = "override.revoke"
    GATE_CHECK = "gate.check"
    GATE_READ = "gate.read"
    MIRROR_PLM = "mirror.plm"
    MIRROR_ERP = "mirror.erp"
    MIRROR_QMS = "mirror.qms"
    AUDIT_READ = "audit.read"
    AUDIT_ADMIN = "audit.admin"
    USER_MANAGE = "user.manage"
    NOTIFICATION_MANAGE = "notification.manage"
    REFAI_EVENT_RECORD = "refai.event_record"
    REFAI_DECIDE = "refai.decide"


_P = Permission
_QUALITY = frozenset(
    {
        _P.READ,
        _P.PART_MANAGE,
        _P.FAI_CREATE,
        _P.FAI_EDIT,
        _P.FAI_TRANSITION,
        _P.RESULT_RECORD,
        _P.RESULT_VERIFY,
        _P.RESULT_IMPORT,
        _P.SIGN_VERIFIED,
        _P.SIGN_APPROVED,
        _P.CUSTOMER_DECISION_RECORD,
        _P.NONCONFORMANCE_DISPOSITION,
        _P.CHANNEL_MANAGE,
        _P.HOLD_PLACE,
        _P.OVERRIDE_REQUEST,
        _P.OVERRIDE_SIGN,
        _P.OVERRIDE_REVOKE,
        _P.GATE_READ,
        _P.AUDIT_READ,
        _P.REFAI_EVENT_RECORD,
        _P.REFAI_DECIDE,
    }
)
ROLE_PERMISSIONS: Mapping[Role, frozenset[Permission]] = {
    Role.OPERATOR: frozenset({_P.READ, _P.RESULT_RECORD}),
    Role.INSPECTOR: frozenset(
        {_P.READ, _P.RESULT_RECORD, _P.RESULT_VERIFY, _P.RESULT_IMPORT, _P.FAI_EDIT}
    ),
    Role.QUALITY_ENGINEER: _QUALITY,
    Role.MANUFACTURING_ENGINEER: frozenset(
        {
            _P.READ,
            _P.FAI_CREATE,
            _P.FAI_EDIT,
            _P.RESULT_RECORD,
            _P.WORK_ORDER_MANAGE,
            _P.REFAI_EVENT_RECORD,
        }
    ),
    Role.DESIGN_ENGINEER: frozenset({_P.READ, _P.PART_MANAGE, _P.PART_CLASSIFY}),
    Role.PROGRAM_MANAGER: frozenset(
        {_P.READ, _P.OVERRIDE_REQUEST, _P.OVERRIDE_SIGN, _P.GATE_READ, _P.HOLD_PLACE}
    ),
    Role.SHIPPING: frozenset({_P.READ, _P.GATE_CHECK, _P.GATE_READ}),
    Role.CUSTOMER_REPRESENTATIVE: frozenset(
        {_P.READ, _P.SIGN_CUSTOMER, _P.CUSTOMER_DECISION_RECORD}
    ),
    Role.AUDITOR: frozenset({_P.READ, _P.AUDIT_READ, _P.GATE_READ}),
    Role.ADMINISTRATOR: frozenset(
        {
            _P.READ,
            _P.SITE_MANAGE,
            _P.CUSTOMER_MANAGE,
            _P.CHANNEL_MANAGE,
            _P.PART_CLASSIFY,
            _P.USER_MANAGE,
            _P.AUDIT_READ,
            _P.AUDIT_ADMIN,
            _P.GATE_READ,
            _P.NOTIFICATION_MANAGE,
        }
    ),
    Role.SYSTEM_ERP: frozenset(
        {_P.GATE_CHECK, _P.GATE_READ, _P.MIRROR_ERP, _P.CUSTOMER_MANAGE, _P.WORK_ORDER_MANAGE}
    ),
    Role.SYSTEM_PLM: frozenset({_P.MIRROR_PLM, _P.PART_MANAGE}),
    Role.SYSTEM_QMS: frozenset({_P.READ, _P.MIRROR_QMS, _P.CUSTOMER_DECISION_INTEGRATE}),
    Role.SYSTEM_INSPECTION: frozenset({_P.READ, _P.RESULT_IMPORT}),
}
del _P

# Permissions that act on the people themselves: a token never carries them.
NOT_DELEGABLE = frozenset({Permission.USER_MANAGE})
# Signing is a person's act: a token can never sign.
SIGNING = frozenset(
    {
        Permission.SIGN_VERIFIED,
        Permission.SIGN_APPROVED,
        Permission.SIGN_CUSTOMER,
        Permission.OVERRIDE_SIGN,
    }
)


def permissions_of(roles: Iterable[Role]) -> frozenset[Permission]:
    """Every permission the roles grant together."""
    granted: set[Permission] = set()
    for role in roles:
        granted |= ROLE_PERMISSIONS[role]
    return frozenset(granted)


# --- export control --------------------------------------------------------------------------


class AuthorizationKind(StrEnum):
    """How a person may receive controlled data."""

    US_PERSON = "us_person"
    LICENSE = "license"
    AGREEMENT = "agreement"


@dataclass(frozen=True)
class ExportAuthorization:
    """A person's authorization: US person status, or a license or agreement with an expiry.

    A license or agreement covers one regime and, when ``categories`` is not empty, only the
    USML categories or ECCNs it lists.
    """

    kind: AuthorizationKind
    regime: ExportRegime | None = None
    categories: frozenset[str] = frozenset()
    reference: str | None = None
    expires_on: date | None = None
    revoked: bool = False
    id: str = ""

    def __post_init__(self) -> None:
        if self.kind is not AuthorizationKind.US_PERSON:
            if self.regime not in (ExportRegime.ITAR, ExportRegime.EAR):
                raise ValidationError("A license or agreement covers ITAR or EAR.", field="regime")
            if self.expires_on is None:
                raise ValidationError("A license or agreement has an expiry.", field="expires_on")
            if not (self.reference or "").strip():
                raise ValidationError(
                    "A license or agreement needs its reference number.", field="reference"
                )
        object.__setattr__(
            self, "categories", frozenset(c.strip().upper() for c in self.categories if c.strip())
        )

    def valid_on(self, today: date) -> bool:
        """True when not revoked and not expired on ``today`` (the expiry day still counts)."""
        if self.revoked:
            return False
        return self.expires_on is None or today <= self.expires_on

    def covers(self, label: ExportClassification, today: date) -> bool:
        """True when this authorization lets its holder receive data labelled ``label``."""
        if not self.valid_on(today):
            return False
        if self.kind is AuthorizationKind.US_PERSON:
            return True
        if label.regime is not self.regime:
            return False
        return not self.categories or label.category in self.categories


def may_receive(
    authorizations: Iterable[ExportAuthorization], label: ExportClassification, today: date
) -> bool:
    """Whether someone holding ``authorizations`` may receive data labelled ``label``.

    Unclassified (restricted) data goes to US persons only; EAR99 and not controlled to
    anyone; ITAR and EAR to US persons and holders of a valid license or agreement covering
    the label's regime and category.
    """
    if label.regime in OPEN_REGIMES:
        return True
    if label.regime is ExportRegime.RESTRICTED:
        return any(
            a.kind is AuthorizationKind.US_PERSON and a.valid_on(today) for a in authorizations
        )
    return any(a.covers(label, today) for a in authorizations)


# --- the caller --------------------------------------------------------------------------------


class AuthMethod(StrEnum):
    """How the caller proved who it is."""

    PASSWORD_SESSION = "session"
    TOKEN = "token"
    OIDC_SESSION = "oidc"
    LOCAL = "local"


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: a user with roles, sites, export authorizations, and, for a
    token, the scopes that narrow what the roles grant.

    ``site_ids`` None means every site; ``customer_ids`` None means every customer.
    """

    user_id: str
    username: str
    printed_name: str
    roles: frozenset[Role]
    site_ids: frozenset[str] | None = frozenset()
    authorizations: tuple[ExportAuthorization, ...] = ()
    scopes: frozenset[Permission] | None = None
    customer_ids: frozenset[str] | None = None
    method: AuthMethod = AuthMethod.LOCAL
    permissions: frozenset[Permission] = field(init=False)

    def __post_init__(self) -> None:
        granted = permissions_of(self.roles)
        if self.scopes is not None:
            granted = granted & (self.scopes - NOT_DELEGABLE - SIGNING)
        object.__setattr__(self, "permissions", granted)

    @classmethod
    def trusted(cls, username: str, printed_name: str | None = None) -> Principal:
        """A caller inside the process with every permission, site and authorization.

        For the demo loader, host maintenance commands and tests of the services; never
        built from a request.
        """
        return cls(
            user_id=f"local:{username}",
            username=username,
            printed_name=printed_name or username,
            roles=frozenset(Role),
            site_ids=None,
            authorizations=(ExportAuthorization(AuthorizationKind.US_PERSON),),
        )

    def can(self, permission: Permission) -> bool:
        """True when the roles (narrowed by the token's scopes) grant ``permission``."""
        return permission in self.permissions

    def sees_site(self, site_id: str | None) -> bool:
        """True when the caller works at ``site_id`` (records of no site are shared)."""
        return site_id is None or self.site_ids is None or site_id in self.site_ids

    def sees_customer(self, customer_id: str | None) -> bool:
        """True unless the caller is limited to other customers' records."""
        return self.customer_ids is None or customer_id in self.customer_ids

    def may_receive(self, label: ExportClassification, today: date | datetime) -> bool:
        """True when the caller may receive technical data labelled ``label``."""
        day = today.date() if isinstance(today, datetime) else today
        return may_receive(self.authorizations, label, day)

    def require(self, permission: Permission, *, site_id: str | None = None) -> None:
        """Raise ForbiddenError without ``permission``, NotFoundError outside the site."""
        if not self.can(permission):
            raise ForbiddenError(
                f"{self.username} may not do this ({permission.value}).",
                permission=permission.value,
            )
        self.require_site(site_id)

    def require_site(self, site_id: str | None, what: str = "record") -> None:
        """Raise NotFoundError when the record belongs to a site the caller does not see."""
        if not self.sees_site(site_id):
            raise NotFoundError(f"No such {what}.", record=what)

    def require_label(
        self, label: ExportClassification, today: date | datetime, what: str = "record"
    ) -> None:
        """Raise NotFoundError when the caller may not receive data labelled ``label``."""
        if not self.may_receive(label, today):
            raise NotFoundError(f"No such {what}.", record=what)


# --- identities ---------------------------------------------------------------------------------

_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,99}$")


def check_username(username: str) -> str:
    """A username as stored: lower case, 2-100 of letters, digits and ``._@-``."""
    name = (username or "").strip().lower()
    if not _USERNAME.match(name):
        raise ValidationError(
            "A username is 2-100 characters: letters, digits, '.', '_', '@' or '-'.",
            field="username",
        )
    return name


@dataclass(eq=False)
class User:
    """A person or an integration account. Never deleted, so an id or a username is never
    reused (R12); leaving the plant disables it."""

    username: str
    printed_name: str
    roles: frozenset[Role]
    created_at: datetime
    created_by: str
    site_ids: frozenset[str] = frozenset()
    all_sites: bool = False
    customer_ids: frozenset[str] | None = None
    citizenships: frozenset[str] = frozenset()
    authorizations: tuple[ExportAuthorization, ...] = ()
    email: str | None = None
    password_hash: str | None = None
    totp_secret: str | None = None
    totp_last_step: int | None = None
    oidc_issuer: str | None = None
    oidc_subject: str | None = None
    active: bool = True
    disabled_at: datetime | None = None
    version: int = 1
    id: str = field(default_factory=new_id)

    def __post_init__(self) -> None:
        self.username = check_username(self.username)
        self.printed_name = (self.printed_name or "").strip()
        if not self.printed_name:
            raise ValidationError("A user needs a printed name.", field="printed_name")
        if not self.roles:
            raise ValidationError("A user needs at least one role.", field="roles")
        if self.is_system and self.roles - SYSTEM_ROLES:
            raise ValidationError("An integration account holds system roles only.", field="roles")
        self.citizenships = frozenset(c.strip().upper() for c in self.citizenships)
        if any(len(c) != 2 or not c.isalpha() for c in self.citizenships):
            raise ValidationError(
                "Citizenships are ISO 3166 two-letter country codes.", field="citizenships"
            )

    @property
    def is_system(self) -> bool:
        """True for integration accounts: they sign in with tokens only."""
        return bool(self.roles & SYSTEM_ROLES)

    def principal(
        self, method: AuthMethod, scopes: frozenset[Permission] | None = None
    ) -> Principal:
        """This user as the caller of one request."""
        return Principal(
            user_id=self.id,
            username=self.username,
            printed_name=self.printed_name,
            roles=self.roles,
            site_ids=None if self.all_sites else self.site_ids,
            authorizations=self.authorizations,
            scopes=scopes,
            customer_ids=self.customer_ids,
            method=method,
        )


@dataclass(eq=False)
class ApiToken:
    """A bearer token of a system or script: only its SHA-256 is kept; it may be narrowed to
    scopes, and it expires and can be revoked."""

    user_id: str
    name: str
    token_sha256: str
    created_at: datetime
    created_by: str
    expires_at: datetime
    scopes: frozenset[Permission] | None = None
    revoked_at: datetime | None = None
    id: str = field(default_factory=new_id)

    def usable_at(self, now: datetime) -> bool:
        """True while neither revoked nor expired."""
        return self.revoked_at is None and now < self.expires_at


@dataclass(eq=False)
class BrowserSession:
    """A signed-in browser: only the SHA-256 of its cookie value is kept."""

    user_id: str
    session_sha256: str
    csrf_token: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    method: AuthMethod = AuthMethod.PASSWORD_SESSION
    second_factor: bool = False
    ended_at: datetime | None = None
    id: str = field(default_factory=new_id)

    def usable_at(self, now: datetime, idle: timedelta) -> bool:
        """True before the absolute expiry, within the idle timeout, and not ended."""
        return self.ended_at is None and now < self.expires_at and now - self.last_seen_at < idle


# --- what a caller sees in lists ----------------------------------------------------------------


@dataclass(frozen=True)
class Visibility:
    """The records a caller may see, as a filter lists and counts apply in the database.

    ``site_ids`` None: every site. ``everything``: every export label; otherwise the labels of
    ``regimes`` (any category) and of the (regime, category) ``pairs``.
    """

    site_ids: frozenset[str] | None
    everything: bool
    regimes: frozenset[ExportRegime]
    pairs: frozenset[tuple[ExportRegime, str]]
    customer_ids: frozenset[str] | None = None


def visibility(principal: Principal, today: date | datetime) -> Visibility:
    """The list filter equivalent to :meth:`Principal.may_receive` on ``today``."""
    day = today.date() if isinstance(today, datetime) else today
    valid = [a for a in principal.authorizations if a.valid_on(day)]
    us_person = any(a.kind is AuthorizationKind.US_PERSON for a in valid)
    regimes = set(OPEN_REGIMES)
    pairs: set[tuple[ExportRegime, str]] = set()
    for a in valid:
        if a.regime is None:
            continue
        if a.categories:
            pairs |= {(a.regime, c) for c in a.categories}
        else:
            regimes.add(a.regime)
    return Visibility(
        site_ids=principal.site_ids,
        everything=us_person,
        regimes=frozenset(regimes),
        pairs=frozenset(pairs),
        customer_ids=principal.customer_ids,
    )
