"""Typed domain errors; each carries a stable ``code`` that the API and CLI report."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every error the domain raises on purpose."""

    code = "domain_error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class ValidationError(DomainError):
    """The input breaks a rule of the record itself (a missing field, an impossible value)."""

    code = "validation_failed"


class UnitMismatchError(ValidationError):
    """A value is given in units that cannot be compared with the requirement's units."""

    code = "unit_mismatch"


class TransitionNotAllowedError(DomainError):
    """The lifecycle has no such transition from the record's current status."""

    code = "transition_not_allowed"


class GuardFailedError(DomainError):
    """The transition exists, but its guard refuses it (findings say why)."""

    code = "transition_guard_failed"


class NotFoundError(DomainError):
    """A referenced record does not exist (or is not visible to the caller)."""

    code = "not_found"


class ConflictError(DomainError):
    """The change collides with the current state of the records (duplicate, stale version)."""

    code = "conflict"
