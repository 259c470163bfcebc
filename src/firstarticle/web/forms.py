"""Reading posted form values: text to numbers, times and choices, each refusal naming its
field, so a refused form can show every error beside the field it belongs to."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import Request

from firstarticle.domain.errors import DomainError, ValidationError


class FieldError(ValidationError):
    """A form value that cannot be read (before any service is asked)."""


def decimal_of(text: str, name: str) -> Decimal | None:
    """A number, or None for an empty field."""
    if not text.strip():
        return None
    try:
        return Decimal(text.strip())
    except InvalidOperation:
        raise FieldError("Enter a number, e.g. 0.031.", field=name) from None


def moment_of(text: str, name: str) -> datetime:
    """A datetime-local value, read as UTC (the pages say so)."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise FieldError("Enter a date and time.", field=name) from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def choice_of(enum: Any, text: str, name: str) -> Any:
    """One of ``enum``'s values."""
    try:
        return enum(text)
    except ValueError:
        raise FieldError("Choose one of the listed values.", field=name) from None


def items_of(text: str) -> list[str]:
    """A comma- or line-separated list, blanks dropped."""
    return [x.strip() for x in text.replace("\n", ",").split(",") if x.strip()]


def field_errors(error: DomainError, form: dict[str, str], default: str) -> dict[str, str]:
    """The error by the form field it belongs to (``default`` when it names no field of
    this form)."""
    name = str(error.details.get("field") or "")
    return {name if name in form else default: error.message}


async def posted_lists(request: Request) -> tuple[dict[str, str], dict[str, list[str]]]:
    """The posted form: single values, and every value of repeated fields (checkboxes)."""
    form = await request.form()
    lists: dict[str, list[str]] = {}
    for key, value in form.multi_items():
        if isinstance(value, str):
            lists.setdefault(key, []).append(value)
    return {k: v[-1] for k, v in lists.items()}, lists
