"""What every command shares: consoles, the service context, and one error-to-exit mapping."""

from __future__ import annotations

import getpass
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from functools import wraps
from typing import Any, NoReturn, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)

from firstarticle import bootstrap
from firstarticle.config import Settings, get_settings
from firstarticle.domain.access import (
    AuthenticationError,
    AuthMethod,
)
from firstarticle.domain.errors import DomainError
from firstarticle.services import (
    ServiceContext,
    first_articles,
    identity,
)

# Standard output carries the plant's data: never read as Rich markup (a reason like
# "[scrap]" or a change list would vanish). Standard error styles only our own labels.
out = Console(markup=False, highlight=False)
err = Console(stderr=True)
P = ParamSpec("P")
R = TypeVar("R")

# Exit codes every command keeps: scripts and schedulers branch on them.
EXIT_REFUSED = 1  # the request was understood and refused (a domain error, a broken chain)
EXIT_USAGE = 2  # the input itself is unusable (a missing file, a malformed number)


@dataclass
class _Invocation:
    """What the top-level options said for this process."""

    as_user: str | None = None
    quiet: bool = False
    application: bootstrap.Application | None = None


_invocation = _Invocation()


def configure(*, as_user: str | None, quiet: bool) -> None:
    """Record the top-level options (``--as``, ``--quiet``) for the commands that follow."""
    _invocation.as_user = as_user
    _invocation.quiet = quiet or os.environ.get("FIRSTARTICLE_QUIET", "") not in ("", "0")


def reset() -> None:
    """Forget the wired application (tests that change the environment between commands)."""
    if _invocation.application is not None:
        _invocation.application.engine.dispose()
    _invocation.application = None


def actor() -> str:
    """Who is at the keyboard: FIRSTARTICLE_ACTOR, else the OS user."""
    return os.environ.get("FIRSTARTICLE_ACTOR") or getpass.getuser() or "cli"


def application() -> bootstrap.Application:
    """The process's application, wired once from the environment."""
    if _invocation.application is None:
        _invocation.application = bootstrap.build(get_settings())
    return _invocation.application


def ctx() -> ServiceContext:
    """A service context for the person at the keyboard.

    With ``--as USER`` (or FIRSTARTICLE_USER) the command acts as that firstarticle user,
    with exactly their roles, sites and export authorizations. Without it, the command is a
    host operation by whoever holds the database credentials on this machine, attributed to
    them by name (FIRSTARTICLE_ACTOR, else the OS user).
    """
    username = _invocation.as_user or os.environ.get("FIRSTARTICLE_USER")
    base = application().context(actor())
    if not username:
        return base
    with base.uow_factory() as uow:
        user = uow.identity.by_username(username)
    if user is None or not user.active:
        raise AuthenticationError(f"No active user {username}.")
    return base.as_principal(user.principal(AuthMethod.LOCAL))


def command(func: Callable[P, R]) -> Callable[P, R]:
    """The one error-to-exit mapping: a domain error becomes its code, a line, and exit 1."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except DomainError as error:
            err.print(f"[red]error[/red] ({error.code}): {escape(error.message)}", highlight=False)
            for finding in error.details.get("findings", []):
                err.print(
                    f"  - {getattr(finding, 'rule', '')}: "
                    f"{escape(str(getattr(finding, 'message', finding)))}",
                    highlight=False,
                )
            raise typer.Exit(EXIT_REFUSED) from None

    return wrapper


def usage_error(message: str) -> NoReturn:
    """Say what is wrong with the input and exit 2; nothing has been written."""
    err.print(f"[red]error[/red]: {escape(message)}", highlight=False)
    raise typer.Exit(EXIT_USAGE)


def warn(message: str) -> None:
    """A warning on standard error; the command still succeeds (``--quiet`` keeps it)."""
    err.print(f"[yellow]warning[/yellow]: {escape(message)}", highlight=False)


def refused(label: str, detail: str, *, style: str = "red") -> NoReturn:
    """Say why the work was refused (``label`` styled, ``detail`` as plain text), exit 1."""
    err.print(f"[{style}]{escape(label)}[/{style}]: {escape(detail)}", highlight=False)
    raise typer.Exit(EXIT_REFUSED)


Step = Callable[[str, int, int], None]


@contextmanager
def progress(subject: str, *, in_bytes: bool = False, show: bool = True) -> Iterator[Step]:
    """A progress bar on stderr while a long command runs; none with ``--quiet``.

    Yields ``step(stage, done, total)``, the callback the services take (``total`` 0: not
    known yet); the bar reads "subject: stage" and disappears when the work is done.
    """
    columns: list[Any] = [TextColumn("{task.description}"), BarColumn()]
    columns.append(DownloadColumn() if in_bytes else MofNCompleteColumn())
    columns.append(TimeRemainingColumn())
    hidden = _invocation.quiet or not show
    with Progress(*columns, console=err, transient=True, disable=hidden) as bar:
        task = bar.add_task(subject, total=None)

        def step(stage: str, done: int, total: int) -> None:
            bar.update(task, description=f"{subject}: {stage}", completed=done, total=total or None)

        yield step


def parse_decimal(text: str | None, name: str) -> Decimal | None:
    """The option as a Decimal, or exit 2 naming it."""
    if text is None:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        usage_error(f"{name} is not a decimal number: {text!r}")


def print_json(data: Any) -> None:
    """Print data as JSON on stdout (dates and decimals as strings)."""
    out.print_json(json.dumps(data, default=str))


def change_list(changes: dict[str, Any]) -> str:
    """An audit entry's changes as a person reads them: ``field: old -> new; ...``."""
    return "; ".join(
        f"{field}: {_shown(old)} -> {_shown(new)}" for field, (old, new) in changes.items()
    )


def _shown(value: Any) -> str:
    return "-" if value is None else str(value)


def found(value: R | None, what: str) -> R:
    """The value, or exit 1 saying what does not exist."""
    if value is None:
        err.print(f"[red]error[/red] (not_found): {escape(what)} does not exist.")
        raise typer.Exit(EXIT_REFUSED)
    return value


def fai_detail(fair: str) -> first_articles.FirstArticleDetail:
    """The FAI by its FAIR identifier, as the person at the keyboard may see it."""
    return first_articles.first_article_by_fair(ctx(), fair)


def safe_url(settings: Settings) -> str:
    """The database URL without its credentials, for messages."""
    url = settings.database_url
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


def signer() -> tuple[ServiceContext, str, str]:
    """The --as user as a person about to sign: a fresh nonce, and the password asked again."""
    c = ctx()
    if c.principal.method is not AuthMethod.LOCAL or c.principal.user_id.startswith("local:"):
        raise AuthenticationError("Name the signer with --as USER (or FIRSTARTICLE_USER).")
    person = c.as_principal(replace(c.principal, method=AuthMethod.PASSWORD_SESSION))
    nonce, _ = identity.issue_signing_nonce(person)
    password = typer.prompt(f"Password of {person.actor}", hide_input=True)
    return person, nonce, password
