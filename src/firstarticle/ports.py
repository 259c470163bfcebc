"""Interfaces the services need from the outside world; storage and fakes implement them."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, BinaryIO, Generic, NamedTuple, Protocol, Self, TypeVar

from firstarticle.domain import channels, model
from firstarticle.domain import decisions as dec
from firstarticle.domain.access import ApiToken, BrowserSession, User, Visibility
from firstarticle.domain.classification import ExportClassification
from firstarticle.domain.errors import DomainError
from firstarticle.domain.events import Event
from firstarticle.domain.holds import (
    BuildRecord,
    CoveringFai,
    DefinitionState,
    Hold,
    HoldOverride,
    HoldStatus,
    OpenNonconformance,
    RevisionOrder,
)
from firstarticle.domain.inspection_files import (
    ExportActual,
    ExportCharacteristic,
    ExportHeader,
    ResultFile,
)
from firstarticle.domain.lifecycle import FaiStatus
from firstarticle.domain.notifications import Subscription, Topic, WebhookEndpoint
from firstarticle.domain.outbox import OutboxMessage, OutboxStatus
from firstarticle.domain.packages import SubmissionPackage
from firstarticle.domain.readiness import CharacteristicFacts
from firstarticle.domain.review_templates import ReviewTemplate
from firstarticle.domain.signatures import Signature
from firstarticle.domain.tasks import Task, TaskStatus
from firstarticle.domain.triggers import Evaluation, EvaluationStatus, Trigger

T = TypeVar("T")


class StorageUnavailableError(DomainError):
    """The database cannot be reached or did not answer in time."""

    code = "storage_unavailable"


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list, with the total count for the same filters."""

    items: Sequence[T]
    total: int
    limit: int
    offset: int


class Clock(Protocol):
    """Server time; tests substitute a fixed clock."""

    def now(self) -> datetime: ...


class SiteRepository(Protocol):
    def add(self, site: model.Site) -> None: ...
    def get(self, site_id: str) -> model.Site | None: ...
    def by_code(self, code: str) -> model.Site | None: ...
    def list(
        self, limit: int, offset: int, site_ids: frozenset[str] | None = None
    ) -> Page[model.Site]: ...


class CustomerRepository(Protocol):
    def add(self, customer: model.Customer) -> None: ...
    def get(self, customer_id: str) -> model.Customer | None: ...
    def by_code(self, code: str) -> model.Customer | None: ...
    def by_provenance(self, source: str, external_id: str) -> model.Customer | None: ...
    def list(self, limit: int, offset: int) -> Page[model.Customer]: ...


class PartRepository(Protocol):
    def add(self, part: model.Part) -> None: ...
    def get(self, part_id: str) -> model.Part | None: ...
    def by_number(self, number: str) -> model.Part | None: ...
    def header(self, part_id: str) -> model.Part | None: ...
    def list(
        self, limit: int, offset: int, visible: Visibility | None = None
    ) -> Page[model.Part]: ...
    def revision(
        self, revision_id: str, *, characteristics: bool = True
    ) -> model.PartRevision | None: ...
    def characteristics(self, ids: Sequence[str]) -> dict[str, model.Characteristic]: ...
    def revision_by_number(self, part_number: str, revision: str) -> model.PartRevision | None: ...
    def revision_by_provenance(
        self, source: str, external_id: str
    ) -> model.PartRevision | None: ...
    def characteristic_in_use(self, characteristic_id: str) -> bool: ...
    def revision_labels(self, revision_id: str) -> Sequence[ExportClassification]: ...


class WorkOrderRepository(Protocol):
    def add(self, work_order: model.WorkOrder) -> None: ...
    def get(self, work_order_id: str) -> model.WorkOrder | None: ...
    def by_number(self, site_id: str, number: str) -> model.WorkOrder | None: ...
    def list(
        self, site_id: str | None, limit: int, offset: int, visible: Visibility | None = None
    ) -> Page[model.WorkOrder]: ...
    def lot_known(self, site_id: str, part_revision_id: str, lot: str) -> bool: ...
    def by_provenance(
        self, site_id: str, source: str, external_id: str
    ) -> model.WorkOrder | None: ...


class FaiSort(StrEnum):
    """Columns an FAI list sorts by; ties always break by id, so pages never overlap."""

    CREATED = "created_at"
    UPDATED = "updated_at"
    FAIR = "fair_identifier"
    STATUS = "status"


@dataclass(frozen=True)
class FaiFilter:
    """Which FAIs a list or a dashboard counts: every field narrows, None leaves it open."""

    site_id: str | None = None
    status: FaiStatus | None = None
    part_revision_id: str | None = None
    part_id: str | None = None
    customer_id: str | None = None
    program: str | None = None


class StatusCount(NamedTuple):
    """How many FAIs stand in a status and when the oldest of them was opened."""

    status: FaiStatus
    count: int
    oldest: datetime | None


class FirstArticleRepository(Protocol):
    def add(self, fai: model.FirstArticle) -> None: ...
    def get(self, fai_id: str, *, lines: bool = True) -> model.FirstArticle | None: ...
    def scope_of(self, fai_id: str) -> model.FaiScope | None: ...
    def characteristic_facts(
        self, fai: model.FirstArticle, revision: model.PartRevision
    ) -> CharacteristicFacts: ...
    def by_fair_identifier(self, fair_identifier: str) -> model.FirstArticle | None: ...
    def list(
        self,
        which: FaiFilter,
        limit: int,
        offset: int,
        visible: Visibility | None = None,
        sort: FaiSort = FaiSort.CREATED,
        descending: bool = True,
    ) -> Page[model.FirstArticle]: ...
    def status_counts(
        self, which: FaiFilter, visible: Visibility | None = None
    ) -> list[StatusCount]: ...
    def next_fair_number(self, site_id: str, year: int) -> int: ...
    def statuses(self, fair_identifiers: Sequence[str]) -> dict[str, FaiStatus]: ...
    def by_nonconformance_provenance(
        self, site_id: str, source: str, external_id: str
    ) -> model.FirstArticle | None: ...
    def covering(
        self, site_id: str, part_revision_id: str, customer_id: str | None
    ) -> Sequence[model.FirstArticle]: ...


class SerialRecord(Protocol):
    """A serial with its work order and revision, as the gate reads it."""

    @property
    def number(self) -> str: ...
    @property
    def lot(self) -> str | None: ...
    @property
    def work_order_id(self) -> str: ...
    @property
    def work_order_number(self) -> str: ...
    @property
    def part_revision_id(self) -> str: ...
    @property
    def router(self) -> str | None: ...
    @property
    def purchase_order(self) -> str | None: ...


class HoldRepository(Protocol):
    def add(self, hold: Hold) -> None: ...
    def get(self, hold_id: str, *, for_update: bool = False) -> Hold | None: ...
    def active_for(self, site_id: str, part_revision_id: str) -> Sequence[Hold]: ...
    def override(self, override_id: str) -> HoldOverride | None: ...
    def add_revision_order(self, order: RevisionOrder) -> None: ...
    def revision_order(self, order_id: str) -> RevisionOrder | None: ...
    def revision_orders_for(
        self, customer_id: str, part_revision_id: str | None = None
    ) -> Sequence[RevisionOrder]: ...
    def list(
        self,
        *,
        site_id: str | None,
        status: HoldStatus | None,
        limit: int,
        offset: int,
        visible: Visibility | None = None,
    ) -> Page[Hold]: ...


class GateLog(Protocol):
    def append(self, record: dict[str, Any]) -> None: ...
    def list(
        self,
        *,
        site_id: str | None,
        limit: int,
        offset: int,
        visible: Visibility | None = None,
    ) -> Page[dict[str, Any]]: ...


class AuditLog(Protocol):
    def append(self, event: Event, request_id: str | None) -> None: ...
    def for_record(self, record_type: str, record_id: str) -> list[dict[str, Any]]: ...
    def page_for_record(
        self, record_type: str, record_id: str, limit: int, offset: int
    ) -> Page[dict[str, Any]]: ...
    def stream(self, batch: int = 10_000) -> Iterator[dict[str, Any]]: ...
    def length(self) -> int: ...


class IdempotencyStore(Protocol):
    def get(self, caller: str, key: str) -> dict[str, Any] | None: ...
    def put(
        self, caller: str, key: str, fingerprint: str, status_code: int, body: Any, at: datetime
    ) -> None: ...
    def purge_before(self, at: datetime) -> int: ...


@dataclass(frozen=True)
class FeedPage:
    """A page of raw records from a source system and where to continue."""

    records: Sequence[dict[str, Any]]
    cursor: str | None


class RecordFeed(Protocol):
    """A source system (PLM, ERP, QMS) that hands out its changed records page by page."""

    def fetch(self, kind: str, cursor: str | None) -> FeedPage: ...


class SyncCursors(Protocol):
    def get(self, source: str, kind: str) -> str | None: ...
    def put(self, source: str, kind: str, cursor: str, at: datetime) -> None: ...


class ResultRow(NamedTuple):
    """A new inspection result as the bulk writer stores it, columns in table order.

    Bulk imports do not build mapped ``model.InspectionResult`` objects: their ORM
    instrumentation costs more than the rest of an import together. The service that builds
    rows applies the record's rules itself (a value with units or an attribute verdict, UTC
    times, a characteristic and serial of the FAI).
    """

    site_id: str
    id: str
    first_article_id: str
    characteristic_id: str
    serial_id: str | None
    value: Decimal | None
    units: str | None
    attribute: str | None
    source: str
    source_reference: str | None
    operator: str | None
    device: str | None
    measured_at: datetime
    recorded_by: str
    recorded_at: datetime
    nonconformance_number: str | None = None
    stated_status: str | None = None


class ResultImportStore(Protocol):
    """What an import of inspection results needs beyond the repositories: bulk writes."""

    def first_article(self, fai_id: str) -> model.FirstArticle | None:
        """The FAI with its package content but not its results (they are never read)."""
        ...

    def add_results(self, rows: Sequence[ResultRow]) -> None:
        """Insert new results in the unit's transaction, as fast as the database allows."""
        ...

    def file_imported(self, site_id: str, first_article_id: str, sha256: str) -> bool:
        """True when results of the file with this hash are already recorded on the FAI."""
        ...


class GateConfiguration(Protocol):
    """Ids behind a gate question's identifiers; None where unknown."""

    @property
    def site_id(self) -> str | None: ...
    @property
    def customer_id(self) -> str | None: ...
    @property
    def requires_fai(self) -> bool: ...
    @property
    def ships_on_conditional_acceptance(self) -> bool: ...
    @property
    def part_revision_id(self) -> str | None: ...
    @property
    def definition(self) -> DefinitionState: ...
    @property
    def labels(self) -> tuple[ExportClassification, ...]: ...


class GateFacts(Protocol):
    """What one gate question reads of the plant."""

    @property
    def configuration(self) -> GateConfiguration: ...
    @property
    def serials(self) -> Sequence[SerialRecord]: ...
    @property
    def covering(self) -> Sequence[tuple[CoveringFai, int]]: ...
    @property
    def holds(self) -> Sequence[Hold]: ...


class GateReader(Protocol):
    """The gate's read path, as few round trips per question as the database allows."""

    def facts(
        self,
        site_code: str,
        customer_code: str,
        part_number: str,
        revision: str,
        serial_numbers: Sequence[str],
    ) -> GateFacts: ...

    def definition(self, part_revision_id: str) -> DefinitionState: ...
    def built_on(
        self,
        site_id: str,
        part_revision_id: str,
        serial_numbers: Sequence[str],
        lot: str | None,
    ) -> Sequence[BuildRecord]: ...
    def revision_orders(self, customer_id: str, part_revision_id: str) -> frozenset[str]: ...
    def nonconformance_coverage(
        self, site_id: str, nc_holders: Sequence[str], partials: Sequence[str]
    ) -> tuple[list[OpenNonconformance], dict[str, frozenset[str]]]: ...


class IdentityStore(Protocol):
    """Users, API tokens, browser sessions, failed attempts and signing nonces."""

    def add(self, item: User | ApiToken | BrowserSession) -> None: ...
    def user(self, user_id: str) -> User | None: ...
    def by_username(self, username: str) -> User | None: ...
    def by_oidc(self, issuer: str, subject: str) -> User | None: ...
    def by_email(self, email: str) -> list[User]: ...
    def users(self, limit: int, offset: int) -> Page[User]: ...
    def token_by_digest(self, token_sha256: str) -> ApiToken | None: ...
    def token(self, token_id: str) -> ApiToken | None: ...
    def token_with_user(self, token_sha256: str) -> tuple[ApiToken, User] | None: ...
    def tokens_of(self, user_id: str) -> list[ApiToken]: ...
    def session_by_digest(self, session_sha256: str) -> BrowserSession | None: ...
    def sessions_of(self, user_id: str) -> list[BrowserSession]: ...
    def add_failure(self, username: str, kind: str, at: datetime) -> None: ...
    def failures_since(self, username: str, kind: str, since: datetime) -> int: ...
    def add_nonce(
        self, nonce_sha256: str, user_id: str, at: datetime, expires_at: datetime
    ) -> None: ...
    def take_nonce(self, nonce_sha256: str, user_id: str, at: datetime) -> bool: ...


class SignatureRepository(Protocol):
    def add(self, signature: Signature) -> None: ...
    def for_record(self, record_type: str, record_id: str) -> list[Signature]: ...
    def for_records(self, record_type: str, record_ids: Sequence[str]) -> list[Signature]: ...


class SubmissionPackageRepository(Protocol):
    def add(self, package: SubmissionPackage) -> None: ...
    def last_attempt(self, site_id: str, first_article_id: str) -> int: ...
    def for_first_article(self, site_id: str, first_article_id: str) -> list[SubmissionPackage]: ...
    def get(
        self, site_id: str, first_article_id: str, attempt: int
    ) -> SubmissionPackage | None: ...


@dataclass(frozen=True)
class TaskFilter:
    """Which tasks an inbox lists: open ones by default, due first."""

    site_id: str | None = None
    role: str | None = None
    assignee: str | None = None
    first_article_id: str | None = None
    status: TaskStatus | None = TaskStatus.OPEN
    due_before: datetime | None = None


class ReviewStore(Protocol):
    """Review templates per customer, tasks per FAI and role leads per site."""

    def add_template(self, template: ReviewTemplate) -> None: ...
    def template(self, customer_id: str, version: int | None = None) -> ReviewTemplate | None: ...
    def template_by_id(self, template_id: str) -> ReviewTemplate | None: ...
    def add_task(self, task: Task) -> None: ...
    def save_task(self, task: Task) -> None: ...
    def task(self, task_id: str) -> Task | None: ...
    def tasks_of(self, site_id: str, first_article_id: str) -> list[Task]: ...
    def tasks(
        self, which: TaskFilter, limit: int, offset: int, visible: Visibility | None = None
    ) -> Page[tuple[Task, str]]:
        """One page of tasks with their FAI's FAIR identifier, due first."""
        ...

    def set_lead(self, site_id: str, role: str, username: str, by: str, at: datetime) -> None: ...
    def leads(self, site_id: str) -> dict[str, str]: ...


class TriggerStore(Protocol):
    """Re-FAI triggers with their evaluations (storage/triggers.py), and the facts detection
    reads: approved FAIs of a part's other revisions, a configuration's last production."""

    def add(self, trigger: Trigger, evaluation: Evaluation) -> None: ...
    def by_fingerprint(self, site_id: str, fingerprint: str) -> Trigger | None: ...
    def trigger(self, trigger_id: str) -> Trigger | None: ...
    def evaluation(self, evaluation_id: str, *, for_update: bool = False) -> Evaluation | None: ...
    def evaluation_of(self, site_id: str, trigger_id: str) -> Evaluation | None: ...
    def approved_of_part(self, part_id: str, other_than: str) -> list[model.FirstArticle]: ...
    def changed_at(self, site_id: str, first_article_id: str) -> datetime | None: ...
    def work_order_for(
        self, site_id: str, part_revision_id: str, customer_id: str | None
    ) -> model.WorkOrder | None: ...
    def last_production(
        self, site_id: str, part_revision_id: str, other_than: str
    ) -> datetime | None: ...
    def list(
        self,
        *,
        site_id: str | None,
        status: EvaluationStatus | None,
        part_revision_id: str | None,
        limit: int,
        offset: int,
        visible: Visibility | None = None,
    ) -> Page[tuple[Trigger, Evaluation]]: ...


class ChannelStore(Protocol):
    """Customer channel configurations, submissions' versions, decisions and evidence."""

    def add_configuration(self, config: channels.ChannelConfiguration) -> None: ...
    def configurations(
        self, customer_id: str, program: str = ""
    ) -> list[channels.ChannelConfiguration]: ...
    def current(
        self, customer_id: str, program: str = ""
    ) -> channels.ChannelConfiguration | None: ...
    def add_submission(
        self,
        site_id: str,
        first_article_id: str,
        attempt: int,
        config: channels.ChannelConfiguration,
    ) -> None: ...
    def submitted_under(self, site_id: str, first_article_id: str) -> dict[int, int]: ...
    def add_evidence(self, evidence: dec.DecisionEvidence) -> None: ...
    def evidence(self, site_id: str, evidence_id: str) -> dec.DecisionEvidence | None: ...
    def add_decision(self, d: dec.CustomerDecisionRecord) -> None: ...
    def save_status(self, d: dec.CustomerDecisionRecord) -> None: ...
    def decisions(
        self, site_id: str, first_article_id: str, for_update: bool = False
    ) -> list[dec.CustomerDecisionRecord]: ...
    def add_settlement(self, s: dec.ConditionSettlement) -> None: ...
    def settlements(self, site_id: str, first_article_id: str) -> list[dec.ConditionSettlement]: ...
    def yield_records(
        self, customer_id: str, site_ids: Iterable[str] | None, program: str | None
    ) -> tuple[list[str], list[dec.CustomerDecisionRecord], list[dec.ConditionSettlement]]: ...


class PasswordHasher(Protocol):
    """Slow, salted password hashing (Argon2id in production)."""

    def hash(self, password: str) -> str: ...
    def verify(self, encoded: str | None, password: str) -> bool: ...
    def needs_rehash(self, encoded: str) -> bool: ...


# --- inspection files (integrations/inspection implements them; bootstrap.py wires them) ----


class DatumReferenceSource(Protocol):
    """A datum of a model file's frame: its labels (several for a common datum) and the
    material modifier of each."""

    @property
    def labels(self) -> tuple[str, ...]: ...
    @property
    def modifiers(self) -> tuple[str | None, ...]: ...


class FrameRowSource(Protocol):
    """A row of a model file's feature control frame. ``modifiers`` and ``per_unit`` are
    the other zone modifiers as drawn (projected zone, free state, ...)."""

    @property
    def value(self) -> Decimal | None: ...
    @property
    def zone_shape(self) -> str | None: ...
    @property
    def material_condition(self) -> str | None: ...
    @property
    def modifiers(self) -> tuple[str, ...]: ...
    @property
    def per_unit(self) -> str | None: ...
    @property
    def datums(self) -> Sequence[DatumReferenceSource]: ...


class ResultFileReader(Protocol):
    """Inspection-results files in the formats the plant's devices and people write."""

    @property
    def formats(self) -> tuple[str, ...]:
        """The format names ``read`` accepts (``csv``, ``calypso``, ``qif``)."""
        ...

    def detect(self, head: bytes) -> str:
        """The format of a file from its first bytes; UnsupportedResultFormatError if none."""
        ...

    def read(self, fmt: str, source: BinaryIO, name: str) -> ResultFile:
        """Open a file of ``fmt``: metadata now, rows as they are consumed.

        Raises ResultFileError (now or while rows are read) for a file that cannot be read.
        """
        ...


class DesignCharacteristic(Protocol):
    """One characteristic a model file defines, as Form 3 fields 5 to 8 need it.

    ``item_id`` is the file's id of it, ``qpid`` its persistent id when the file gives one,
    ``designator`` the balloon the file states (None: none), ``kind`` the file's type name,
    ``text`` the requirement as drawn; limits in ``units`` (None: the file states none).
    ``dimension_type`` is ``BASIC`` or ``REF`` for a basic or reference dimension,
    ``non_tolerance`` the file's word for an untoleranced one (``MEASURED``, ``SET``).
    ``segments``, ``defined_as_limit``, ``outer_disposition``, ``direction`` and
    ``analysis_mode`` state the tolerance as the file types it (see domain/tolerancing.py);
    ``definition_notes`` what it states beyond that (``ALL AROUND``, ``SEP REQT``).
    """

    @property
    def item_id(self) -> str: ...
    @property
    def qpid(self) -> str | None: ...
    @property
    def designator(self) -> str | None: ...
    @property
    def kind(self) -> str: ...
    @property
    def is_geometric(self) -> bool: ...
    @property
    def sheet(self) -> str | None: ...
    @property
    def zone(self) -> str | None: ...
    @property
    def criticality(self) -> str | None: ...
    @property
    def nominal(self) -> Decimal | None: ...
    @property
    def lower_limit(self) -> Decimal | None: ...
    @property
    def upper_limit(self) -> Decimal | None: ...
    @property
    def units(self) -> str | None: ...
    @property
    def dimension_type(self) -> str | None: ...
    @property
    def non_tolerance(self) -> str | None: ...
    @property
    def text(self) -> str: ...
    @property
    def segments(self) -> Sequence[FrameRowSource]: ...
    @property
    def defined_as_limit(self) -> bool: ...
    @property
    def outer_disposition(self) -> Decimal | None: ...
    @property
    def direction(self) -> str | None: ...
    @property
    def analysis_mode(self) -> str | None: ...
    @property
    def definition_notes(self) -> tuple[str, ...]: ...


class GeneralNote(Protocol):
    """A note of a model file that says something (a general note), with its file id and
    the balloon the file gives it, if any."""

    @property
    def item_id(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def designator(self) -> str | None: ...


class CharacteristicDocument(Protocol):
    """The characteristics of one model file, in file order, its general notes, and the
    file's SHA-256."""

    @property
    def characteristics(self) -> Sequence[DesignCharacteristic]: ...
    @property
    def notes(self) -> Sequence[GeneralNote]: ...
    @property
    def file_sha256(self) -> str: ...


class CharacteristicSource(Protocol):
    """The design characteristics a model file defines (QIF MBD or Plan)."""

    def read(self, source: str | os.PathLike[str] | BinaryIO, name: str) -> CharacteristicDocument:
        """All characteristics of the file, in file order; InspectionFileError if unreadable."""
        ...


class ResultWriter(Protocol):
    """An FAI's characteristics and results written as one file (QIF 3.0 Results)."""

    @property
    def linear_units(self) -> frozenset[str]:
        """The linear units the file can carry; all lengths of one file share one of them."""
        ...

    def write(
        self,
        out: BinaryIO,
        header: ExportHeader,
        characteristics: Sequence[ExportCharacteristic],
        results_by_serial: Iterable[tuple[str | None, Sequence[ExportActual]]],
        *,
        serial_count: int,
        result_count: int,
        devices: Sequence[str] = (),
    ) -> None:
        """Write the document to ``out`` (left open)."""
        ...


@dataclass(frozen=True)
class TableColumn:
    """A column of a table written for people: its title, width in characters, and whether
    long text wraps."""

    title: str
    width: int
    wrap: bool = False


class SpreadsheetWriter(Protocol):
    """Tables as a spreadsheet file (xlsx) for people to review; text never becomes a formula."""

    def table(
        self,
        title: str,
        columns: Sequence[TableColumn],
        rows: Sequence[Sequence[object]],
        facts: Sequence[tuple[str, object]],
    ) -> bytes:
        """A sheet ``title`` (header row frozen and filtered), then a sheet ``Source`` listing
        ``facts`` as label and value."""
        ...


@dataclass(frozen=True)
class FileFormats:
    """The file formats the services read and write, as the composition root chose them."""

    results: ResultFileReader
    characteristics: CharacteristicSource
    result_writer: ResultWriter
    spreadsheets: SpreadsheetWriter


class OutboxRepository(Protocol):
    """Subscriptions, webhook endpoints and the outbox messages (storage/outbox.py)."""

    def subscriptions(self, site_id: str, topic: Topic) -> Sequence[Subscription]: ...
    def subscription(self, subscription_id: str) -> Subscription | None: ...
    def add_subscription(self, subscription: Subscription) -> None: ...
    def remove_subscription(self, subscription: Subscription) -> None: ...
    def list_subscriptions(
        self, site_ids: frozenset[str] | None, limit: int, offset: int
    ) -> Page[Subscription]: ...
    def add_webhook(self, endpoint: WebhookEndpoint) -> None: ...
    def webhook(self, webhook_id: str) -> WebhookEndpoint | None: ...
    def save_webhook(self, endpoint: WebhookEndpoint) -> None: ...
    def webhooks(self, limit: int, offset: int) -> Page[WebhookEndpoint]: ...
    def role_addresses(self, site_id: str, role: str, customer_id: str | None) -> list[str]: ...
    def customer_of(self, record_type: str, record_id: str) -> str | None: ...
    def add_messages(self, messages: Sequence[OutboxMessage]) -> None: ...
    def has_due(self, now: datetime) -> bool: ...
    def claim(
        self, worker_id: str, now: datetime, lease_until: datetime, limit: int
    ) -> list[OutboxMessage]: ...
    def finish(self, message: OutboxMessage, worker_id: str, **values: Any) -> bool: ...
    def message(self, event_id: str) -> OutboxMessage | None: ...
    def retry(self, message: OutboxMessage, now: datetime) -> bool: ...
    def list_messages(
        self,
        *,
        status: OutboxStatus | None,
        site_ids: frozenset[str] | None,
        limit: int,
        offset: int,
    ) -> Page[OutboxMessage]: ...


class DeliveryFailedError(Exception):
    """A receiver did not take a message; the text is short and carries no secret."""


@dataclass(frozen=True)
class Email:
    """A plain-text notification email; ``event_id`` becomes its Message-ID and a header."""

    to: str
    subject: str
    text: str
    event_id: str


class Mailer(Protocol):
    """Sends email (SMTP in production); raises DeliveryFailedError when it cannot."""

    def send(self, email: Email) -> None: ...


class WebhookSender(Protocol):
    """Posts a signed webhook (Standard Webhooks); DeliveryFailedError unless answered 2xx."""

    def send(self, url: str, secret: str, event_id: str, timestamp: int, body: bytes) -> None: ...


class UnitOfWork(Protocol):
    """One transaction: everything done inside commits together or not at all."""

    sites: SiteRepository
    customers: CustomerRepository
    parts: PartRepository
    work_orders: WorkOrderRepository
    first_articles: FirstArticleRepository
    audit: AuditLog
    holds: HoldRepository
    gate_log: GateLog
    idempotency: IdempotencyStore
    sync_cursors: SyncCursors
    gate_reader: GateReader
    result_imports: ResultImportStore
    identity: IdentityStore
    signatures: SignatureRepository
    packages: SubmissionPackageRepository
    review: ReviewStore
    channels: ChannelStore
    outbox: OutboxRepository
    triggers: TriggerStore

    def __enter__(self) -> Self: ...
    def __exit__(self, *exc_info: object) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...
    def check(self) -> None: ...


Progress = Callable[[str, int, int], None]
"""``progress(stage, done, total)``: a long use case reports how far it is; total 0 is unknown."""
