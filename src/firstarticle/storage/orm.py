"""Tables, and their classical mapping onto the domain's plain classes.

Site-owned tables carry ``site_id`` first in their primary key, and their foreign keys
include it, so the data can be distributed by site without a redesign.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import composite, registry, relationship

from firstarticle.domain import access, channels, decisions, model
from firstarticle.domain import holds as holds_domain
from firstarticle.domain import triggers as triggers_domain
from firstarticle.domain.classification import ExportClassification, ExportRegime
from firstarticle.domain.lifecycle import FaiAction, FaiStatus
from firstarticle.domain.mirror import Provenance
from firstarticle.domain.notifications import Topic
from firstarticle.domain.outbox import OutboxStatus
from firstarticle.domain.review_templates import TaskKind
from firstarticle.domain.signatures import Signature, SignatureMeaning
from firstarticle.domain.tasks import TaskStatus
from firstarticle.domain.values import AttributeResult, Requirement
from firstarticle.storage.types import (
    Authorizations,
    DesignToleranceJson,
    EnumSet,
    ExactDecimal,
    StrSet,
    UtcDateTime,
    enum_column_type,
)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = sa.MetaData(naming_convention=NAMING)
mapper_registry = registry(metadata=metadata)

ID = sa.String(36)


def _id() -> sa.Column[str]:
    return sa.Column("id", ID, primary_key=True)


def _mirror_columns() -> list[sa.Column[object]]:
    """Provenance of a record another system owns (see domain/mirror.py)."""
    return [
        sa.Column("mirror_source", sa.String(16)),
        sa.Column("mirror_external_id", sa.String(200)),
        sa.Column("mirror_version", sa.BigInteger),
        sa.Column("mirror_received_at", UtcDateTime),
        sa.Column("mirror_sha256", sa.String(64)),
    ]


def _label_columns(nullable: bool = False) -> list[sa.Column[object]]:
    """The export classification of technical data (see domain/classification.py)."""
    # Rows that existed before classification was recorded are restricted until classified.
    default = None if nullable else sa.text("'restricted'")
    regime = sa.Column(
        "export_regime",
        enum_column_type(ExportRegime),
        nullable=nullable,
        server_default=default,
    )
    return [regime, sa.Column("export_category", sa.String(32))]


def _label(table: sa.Table, nullable: bool = False) -> object:
    c = table.c
    if nullable:
        return composite(
            ExportClassification,
            c.export_regime,
            c.export_category,
            return_none_on=lambda regime, category: regime is None,
        )
    return composite(ExportClassification, c.export_regime, c.export_category)


def _provenance(table: sa.Table) -> object:
    c = table.c
    return composite(
        Provenance,
        c.mirror_source,
        c.mirror_external_id,
        c.mirror_version,
        c.mirror_received_at,
        c.mirror_sha256,
        # A record firstarticle owns itself has no provenance at all.
        return_none_on=lambda *values: all(v is None for v in values),
    )


def _site_key() -> list[sa.Column[str]]:
    return [
        sa.Column("site_id", ID, sa.ForeignKey("sites.id"), primary_key=True),
        sa.Column("id", ID, primary_key=True, index=True),
    ]


def _fai_child(name: str, *columns: sa.Column[object] | sa.Constraint) -> sa.Table:
    """A table owned by a first article: site-keyed, with a composite FK to its FAI."""
    return sa.Table(
        name,
        metadata,
        *_site_key(),
        sa.Column("first_article_id", ID, nullable=False),
        *columns,
        sa.ForeignKeyConstraint(
            ["site_id", "first_article_id"], ["first_articles.site_id", "first_articles.id"]
        ),
        sa.Index(f"ix_{name}_fai", "site_id", "first_article_id"),
    )


sites = sa.Table(
    "sites",
    metadata,
    _id(),
    sa.Column("code", sa.String(16), nullable=False, unique=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("timezone", sa.String(64), nullable=False),
    sa.Column(
        "nonconformance_authority",
        enum_column_type(model.NonconformanceOrigin),
        nullable=False,
        server_default=sa.text("'qms'"),
    ),
)

customers = sa.Table(
    "customers",
    metadata,
    _id(),
    sa.Column("code", sa.String(32), nullable=False, unique=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("channel", enum_column_type(model.CustomerChannel), nullable=False),
    sa.Column("requires_fai", sa.Boolean, nullable=False),
    sa.Column("ships_on_conditional_acceptance", sa.Boolean, nullable=False),
    sa.Column("vendor_code", sa.String(64)),
    *_mirror_columns(),
    sa.UniqueConstraint("mirror_source", "mirror_external_id"),
    sa.Column(
        "form_revision",
        enum_column_type(model.FormRevision),
        nullable=False,
        server_default=sa.text("'C'"),
    ),
    # A re-FAI rule of the customer: a lapse shorter than two years (NULL: AS9102's two).
    sa.Column("refai_lapse_months", sa.Integer),
)

# A customer's order that calls for a part revision the engineering definition no longer
# allows: the only way product already built to it may still ship to that customer.
revision_orders = sa.Table(
    "revision_orders",
    metadata,
    _id(),
    sa.Column("customer_id", ID, sa.ForeignKey("customers.id"), nullable=False),
    sa.Column("part_revision_id", ID, sa.ForeignKey("part_revisions.id"), nullable=False),
    sa.Column("purchase_order", sa.String(64), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("granted_by", sa.String(100), nullable=False),
    sa.Column("granted_at", UtcDateTime, nullable=False),
    sa.Column("withdrawn_by", sa.String(100)),
    sa.Column("withdrawn_at", UtcDateTime),
    sa.Index("ix_revision_orders_customer_revision", "customer_id", "part_revision_id"),
)

parts = sa.Table(
    "parts",
    metadata,
    _id(),
    sa.Column("number", sa.String(64), nullable=False, unique=True),
    sa.Column("name", sa.String(200), nullable=False),
    *_label_columns(),
)

part_revisions = sa.Table(
    "part_revisions",
    metadata,
    _id(),
    sa.Column("part_id", ID, sa.ForeignKey("parts.id"), nullable=False),
    sa.Column("revision", sa.String(16), nullable=False),
    sa.Column("status", enum_column_type(model.RevisionStatus), nullable=False),
    sa.Column("released_at", UtcDateTime),
    *_mirror_columns(),
    *_label_columns(nullable=True),
    sa.UniqueConstraint("part_id", "revision"),
    sa.UniqueConstraint("mirror_source", "mirror_external_id"),
)

drawings = sa.Table(
    "drawings",
    metadata,
    _id(),
    sa.Column("part_revision_id", ID, sa.ForeignKey("part_revisions.id"), nullable=False),
    sa.Column("number", sa.String(64), nullable=False),
    sa.Column("revision", sa.String(16), nullable=False),
    sa.Column("kind", enum_column_type(model.DefinitionKind), nullable=False),
    sa.UniqueConstraint("part_revision_id", "number"),
)

characteristics = sa.Table(
    "characteristics",
    metadata,
    _id(),
    sa.Column("drawing_id", ID, sa.ForeignKey("drawings.id"), nullable=False),
    sa.Column("balloon", sa.String(32), nullable=False),
    sa.Column("ctype", enum_column_type(model.CharacteristicType), nullable=False),
    sa.Column("requirement_text", sa.Text, nullable=False),
    sa.Column("nominal", ExactDecimal),
    sa.Column("lower_limit", ExactDecimal),
    sa.Column("upper_limit", ExactDecimal),
    sa.Column("units", sa.String(32)),
    sa.Column("sheet", sa.String(16)),
    sa.Column("zone", sa.String(16)),
    sa.Column("designator", enum_column_type(model.CharacteristicDesignator)),
    sa.Column("source_document", sa.String(500)),
    sa.Column("source_sha256", sa.String(64)),
    sa.Column("source_item", sa.String(200)),
    sa.Column("qif_kind", sa.String(64)),
    sa.Column("design_tolerance", DesignToleranceJson),
    sa.UniqueConstraint("drawing_id", "balloon"),
)

# An assembly revision's bill of materials, as PLM releases it: like the drawings, part of
# the engineering definition, so keyed by the (site-independent) part revision.
bom_lines = sa.Table(
    "bom_lines",
    metadata,
    _id(),
    sa.Column("part_revision_id", ID, sa.ForeignKey("part_revisions.id"), nullable=False),
    sa.Column("find_number", sa.String(32), nullable=False),
    sa.Column("part_number", sa.String(64), nullable=False),
    sa.Column("part_name", sa.String(200), nullable=False),
    sa.Column("part_type", enum_column_type(model.IndexPartType), nullable=False),
    sa.Column("revision", sa.String(16)),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.UniqueConstraint("part_revision_id", "find_number"),
    sa.CheckConstraint("quantity >= 1", name="quantity_positive"),
)

work_orders = sa.Table(
    "work_orders",
    metadata,
    *_site_key(),
    sa.Column("number", sa.String(64), nullable=False),
    sa.Column("part_revision_id", ID, sa.ForeignKey("part_revisions.id"), nullable=False),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.Column("customer_id", ID, sa.ForeignKey("customers.id")),
    sa.Column("router", sa.String(64)),
    sa.Column("lot", sa.String(64)),
    sa.Column("purchase_order", sa.String(64)),
    sa.Column("status", enum_column_type(model.WorkOrderStatus), nullable=False),
    *_mirror_columns(),
    sa.Column("program", sa.String(64)),
    # When ERP plans production to start: the production-lapse rule measures up to it.
    sa.Column("starts_at", UtcDateTime),
    sa.UniqueConstraint("site_id", "number"),
    sa.UniqueConstraint("site_id", "mirror_source", "mirror_external_id"),
    sa.CheckConstraint("quantity >= 1", name="quantity_positive"),
)

routing_operations = sa.Table(
    "routing_operations",
    metadata,
    *_site_key(),
    sa.Column("work_order_id", ID, nullable=False),
    sa.Column("sequence", sa.Integer, nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("work_center", sa.String(64)),
    sa.Column("special_process", sa.Boolean, nullable=False),
    sa.Column("supplier", sa.String(200)),
    # When the operation was completed (MES): the last one is the last production.
    sa.Column("completed_at", UtcDateTime),
    sa.Column("tooling", sa.String(200)),
    sa.Column("material", sa.String(200)),
    sa.Column("nc_program", sa.String(200)),
    sa.Column("inspection_method", sa.String(200)),
    sa.Column("balloons", sa.JSON, nullable=False, default=list, server_default=sa.text("'[]'")),
    sa.ForeignKeyConstraint(
        ["site_id", "work_order_id"], ["work_orders.site_id", "work_orders.id"]
    ),
    sa.UniqueConstraint("site_id", "work_order_id", "sequence"),
)

serial_numbers = sa.Table(
    "serial_numbers",
    metadata,
    *_site_key(),
    sa.Column("work_order_id", ID, nullable=False),
    sa.Column("number", sa.String(64), nullable=False),
    sa.Column("lot", sa.String(64)),
    sa.ForeignKeyConstraint(
        ["site_id", "work_order_id"], ["work_orders.site_id", "work_orders.id"]
    ),
    sa.UniqueConstraint("site_id", "work_order_id", "number"),
    sa.Index("ix_serial_numbers_number", "site_id", "number"),
)

first_articles = sa.Table(
    "first_articles",
    metadata,
    *_site_key(),
    sa.Column("fair_identifier", sa.String(64), nullable=False, index=True),
    sa.Column("part_revision_id", ID, sa.ForeignKey("part_revisions.id"), nullable=False),
    sa.Column("work_order_id", ID, nullable=False),
    sa.Column("customer_id", ID, sa.ForeignKey("customers.id")),
    sa.Column("fai_type", enum_column_type(model.FaiType), nullable=False),
    sa.Column("scope", enum_column_type(model.FaiScope), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("baseline_part_number", sa.String(64)),
    sa.Column("baseline_part_revision", sa.String(16)),
    sa.Column("baseline_fair_identifier", sa.String(64)),
    sa.Column("additional_changes", sa.Text),
    sa.Column("supplier_code", sa.String(64)),
    sa.Column("purchase_order", sa.String(64)),
    sa.Column("comments", sa.Text),
    sa.Column("status", enum_column_type(FaiStatus), nullable=False, index=True),
    sa.Column("submission_attempt", sa.Integer, nullable=False),
    sa.Column("superseded_by_id", ID),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    # The re-FAI trigger whose evaluation opened this FAI (field 14 names it), if any.
    sa.Column("refai_trigger", enum_column_type(triggers_domain.ReFaiTrigger)),
    sa.ForeignKeyConstraint(
        ["site_id", "work_order_id"], ["work_orders.site_id", "work_orders.id"]
    ),
    sa.UniqueConstraint("site_id", "fair_identifier"),
    sa.Index("ix_first_articles_part_revision", "site_id", "part_revision_id"),
    # The lists and the dashboard (W5): one site, newest first, by status or by customer.
    sa.Index("ix_first_articles_site_created", "site_id", "created_at", "id"),
    sa.Index("ix_first_articles_site_status_created", "site_id", "status", "created_at", "id"),
    sa.Index("ix_first_articles_customer_created", "customer_id", "created_at", "id"),
)

index_entries = _fai_child(
    "index_entries",
    sa.Column("part_number", sa.String(64), nullable=False),
    sa.Column("part_name", sa.String(200), nullable=False),
    sa.Column("part_type", enum_column_type(model.IndexPartType), nullable=False),
    sa.Column("revision", sa.String(16)),
    sa.Column("fair_identifier", sa.String(64)),
    # Entries built from the BOM are rebuilt from it; entries keyed in by hand are kept.
    sa.Column(
        "origin",
        enum_column_type(model.IndexOrigin),
        nullable=False,
        server_default=sa.text("'hand'"),
    ),
)

form2_rows = _fai_child(
    "form2_rows",
    sa.Column("kind", enum_column_type(model.Form2Kind), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("specification", sa.String(200)),
    sa.Column("code", sa.String(64)),
    sa.Column("supplier", sa.String(200)),
    sa.Column("customer_approval", enum_column_type(model.CustomerApprovalVerification)),
    sa.Column("certificate_number", sa.String(64)),
    sa.Column("functional_test_procedure", sa.String(64)),
    sa.Column("acceptance_report", sa.String(64)),
    sa.Column("comments", sa.Text),
)

form3_rows = _fai_child(
    "form3_rows",
    sa.Column("characteristic_id", ID, sa.ForeignKey("characteristics.id"), nullable=False),
    sa.Column("tooling", sa.String(200)),
    sa.Column("comments", sa.Text),
    sa.UniqueConstraint("site_id", "first_article_id", "characteristic_id"),
)

scope_units = _fai_child(
    "scope_units",
    sa.Column("serial_id", ID, nullable=False),
    sa.Column("serial_number", sa.String(64), nullable=False),
    sa.ForeignKeyConstraint(
        ["site_id", "serial_id"], ["serial_numbers.site_id", "serial_numbers.id"]
    ),
    sa.UniqueConstraint("site_id", "first_article_id", "serial_id"),
)

inspection_results = _fai_child(
    "inspection_results",
    sa.Column("characteristic_id", ID, sa.ForeignKey("characteristics.id"), nullable=False),
    sa.Column("serial_id", ID),
    sa.Column("value", ExactDecimal),
    sa.Column("units", sa.String(32)),
    sa.Column("attribute", enum_column_type(AttributeResult)),
    sa.Column("source", enum_column_type(model.ResultSource), nullable=False),
    sa.Column("source_reference", sa.String(500)),
    sa.Column("operator", sa.String(100)),
    sa.Column("device", sa.String(200)),
    sa.Column("measured_at", UtcDateTime, nullable=False),
    sa.Column("recorded_by", sa.String(100), nullable=False),
    sa.Column("recorded_at", UtcDateTime, nullable=False),
    sa.Column("verified_by", sa.String(100)),
    sa.Column("verified_at", UtcDateTime),
    # The NC number the results file states for this result (Form 3 field 11 shows it).
    sa.Column("nonconformance_number", sa.String(64)),
    # The PASS / FAIL the file states, and a person's resolution where it disagrees.
    sa.Column("stated_status", sa.String(16)),
    sa.Column("disagreement_resolved_by", sa.String(100)),
    sa.Column("disagreement_reason", sa.Text),
    sa.ForeignKeyConstraint(
        ["site_id", "serial_id"], ["serial_numbers.site_id", "serial_numbers.id"]
    ),
    sa.CheckConstraint("(value IS NULL) <> (attribute IS NULL)", name="value_or_attribute"),
    # Results are read per characteristic of an FAI (Form 3 lines, readiness).
    sa.Index(
        "ix_inspection_results_characteristic",
        "site_id",
        "first_article_id",
        "characteristic_id",
        "measured_at",
    ),
)

nonconformance_links = _fai_child(
    "nonconformance_links",
    sa.Column("kind", enum_column_type(model.NonconformanceKind), nullable=False),
    sa.Column("number", sa.String(64), nullable=False),
    sa.Column("status", enum_column_type(model.NonconformanceStatus), nullable=False),
    sa.Column("disposition", enum_column_type(model.Disposition)),
    sa.Column("title", sa.String(500)),
    sa.Column("characteristic_ids", sa.JSON, nullable=False),
    *_mirror_columns(),
    sa.Column(
        "origin",
        enum_column_type(model.NonconformanceOrigin),
        nullable=False,
        server_default=sa.text("'qms'"),
    ),
    sa.UniqueConstraint("site_id", "first_article_id", "kind", "number"),
    sa.Index("ix_nonconformance_links_mirror", "site_id", "mirror_source", "mirror_external_id"),
)

form2_statements = _fai_child(
    "form2_statements",
    sa.Column("kind", enum_column_type(model.Form2Kind), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("stated_by", sa.String(100), nullable=False),
    sa.Column("stated_at", UtcDateTime, nullable=False),
    sa.UniqueConstraint("site_id", "first_article_id", "kind"),
)

form3_omissions = _fai_child(
    "form3_omissions",
    sa.Column("characteristic_id", ID, sa.ForeignKey("characteristics.id"), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("recorded_by", sa.String(100), nullable=False),
    sa.Column("recorded_at", UtcDateTime, nullable=False),
    sa.UniqueConstraint("site_id", "first_article_id", "characteristic_id"),
)

evidence_links = _fai_child(
    "evidence_links",
    sa.Column("kind", enum_column_type(model.EvidenceKind), nullable=False),
    sa.Column("uri", sa.String(2000), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("title", sa.String(500), nullable=False),
    sa.Column("added_by", sa.String(100), nullable=False),
    sa.Column("added_at", UtcDateTime, nullable=False),
    *_label_columns(),
)

customer_decisions = _fai_child(
    "customer_decisions",
    sa.Column("attempt", sa.Integer, nullable=False),
    sa.Column("outcome", enum_column_type(model.DecisionOutcome), nullable=False),
    sa.Column("channel", enum_column_type(model.CustomerChannel), nullable=False),
    sa.Column("decided_by", sa.String(200), nullable=False),
    sa.Column("decided_at", UtcDateTime, nullable=False),
    sa.Column("reference", sa.String(200)),
    sa.Column("comments", sa.Text),
    sa.Column("recorded_by", sa.String(100), nullable=False),
    sa.Column("recorded_at", UtcDateTime, nullable=False),
)

# Customer channels and decisions with evidence (storage/channels.py reads and writes them).
customer_channels = sa.Table(
    "customer_channels",
    metadata,
    _id(),
    sa.Column("customer_id", ID, sa.ForeignKey("customers.id"), nullable=False),
    sa.Column("program", sa.String(64), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("authority", enum_column_type(channels.Authority), nullable=False),
    sa.Column("portal_name", sa.String(200)),
    sa.Column("buy_off", enum_column_type(channels.BuyOffMode), nullable=False),
    sa.Column("form_revision", enum_column_type(model.FormRevision), nullable=False),
    sa.Column("ships_while_conditional", sa.Boolean, nullable=False),
    sa.Column("conditions_meaning", sa.Text),
    sa.Column("entry_paths", sa.JSON, nullable=False),
    sa.Column("people", sa.JSON, nullable=False),
    sa.Column("set_by", sa.String(100), nullable=False),
    sa.Column("set_at", UtcDateTime, nullable=False),
    sa.Column("reason", sa.Text),
    sa.UniqueConstraint("customer_id", "program", "version"),
)
submission_channels = _fai_child(
    "submission_channels",
    sa.Column("attempt", sa.Integer, nullable=False),
    sa.Column("channel_id", ID, sa.ForeignKey("customer_channels.id")),
    sa.Column("channel_version", sa.Integer, nullable=False),
    sa.UniqueConstraint("site_id", "first_article_id", "attempt"),
)
customer_decision_evidence = _fai_child(
    "customer_decision_evidence",
    sa.Column("file_name", sa.String(300), nullable=False),
    sa.Column("media_type", sa.String(200), nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("content", sa.LargeBinary, nullable=False),
    sa.Column("uploaded_by", sa.String(100), nullable=False),
    sa.Column("uploaded_at", UtcDateTime, nullable=False),
)
customer_decision_records = _fai_child(
    "customer_decision_records",
    sa.Column("attempt", sa.Integer, nullable=False),
    sa.Column("outcome", enum_column_type(decisions.Outcome), nullable=False),
    sa.Column("path", enum_column_type(channels.EntryPath), nullable=False),
    sa.Column("status", enum_column_type(decisions.DecisionStatus), nullable=False),
    sa.Column("authority", enum_column_type(channels.Authority), nullable=False),
    sa.Column("channel_version", sa.Integer, nullable=False),
    sa.Column("customer_person_id", sa.String(100)),
    sa.Column("decided_by", sa.String(200), nullable=False),
    sa.Column("decided_at", UtcDateTime, nullable=False),
    sa.Column("decided_at_offset_minutes", sa.Integer, nullable=False),
    sa.Column("recorded_by", sa.String(100), nullable=False),
    sa.Column("recorded_at", UtcDateTime, nullable=False),
    sa.Column("reference", sa.String(200)),
    sa.Column("requested_action", enum_column_type(decisions.RequestedAction)),
    sa.Column("comments", sa.JSON, nullable=False),
    sa.Column("conditions", sa.JSON, nullable=False),
    sa.Column("containment_serial_numbers", sa.JSON, nullable=False),
    sa.Column("containment_lots", sa.JSON, nullable=False),
    sa.Column("evidence_id", ID),
    sa.Column("verified_by", sa.String(100)),
    sa.Column("verified_at", UtcDateTime),
    sa.Column("refused_reason", sa.Text),
    sa.ForeignKeyConstraint(
        ["site_id", "evidence_id"],
        ["customer_decision_evidence.site_id", "customer_decision_evidence.id"],
    ),
)
condition_settlements = _fai_child(
    "condition_settlements",
    sa.Column("decision_id", ID, nullable=False),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("met", sa.Boolean, nullable=False),
    sa.Column("note", sa.Text),
    sa.Column("settled_by", sa.String(100), nullable=False),
    sa.Column("settled_at", UtcDateTime, nullable=False),
    sa.UniqueConstraint("site_id", "decision_id", "number"),
    sa.ForeignKeyConstraint(
        ["site_id", "decision_id"],
        ["customer_decision_records.site_id", "customer_decision_records.id"],
    ),
)

# Every submission package built for an FAI, kept: attempt n never replaces attempt n - 1.
submission_packages = _fai_child(
    "submission_packages",
    sa.Column("attempt", sa.Integer, nullable=False),
    sa.Column("form_revision", enum_column_type(model.FormRevision), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("content_sha256", sa.String(64), nullable=False),
    sa.Column("file_name", sa.String(300), nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("built_by", sa.String(100), nullable=False),
    sa.Column("built_at", UtcDateTime, nullable=False),
    sa.Column("content", sa.LargeBinary, nullable=False),
    sa.UniqueConstraint("site_id", "first_article_id", "attempt"),
)

holds = sa.Table(
    "holds",
    metadata,
    *_site_key(),
    sa.Column("kind", enum_column_type(holds_domain.HoldKind), nullable=False),
    sa.Column("source", enum_column_type(holds_domain.HoldSource), nullable=False),
    sa.Column("status", enum_column_type(holds_domain.HoldStatus), nullable=False),
    sa.Column("part_revision_id", ID, sa.ForeignKey("part_revisions.id"), nullable=False),
    sa.Column("customer_id", ID, sa.ForeignKey("customers.id")),
    sa.Column("work_order_id", ID),
    sa.Column("serial_numbers", sa.JSON, nullable=False),
    sa.Column("lots", sa.JSON, nullable=False),
    sa.Column("first_article_id", ID),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("placed_by", sa.String(100), nullable=False),
    sa.Column("placed_at", UtcDateTime, nullable=False),
    sa.Column("released_by", sa.String(100)),
    sa.Column("released_at", UtcDateTime),
    sa.Column("release_reason", sa.Text),
    sa.ForeignKeyConstraint(
        ["site_id", "work_order_id"], ["work_orders.site_id", "work_orders.id"]
    ),
    sa.ForeignKeyConstraint(
        ["site_id", "first_article_id"], ["first_articles.site_id", "first_articles.id"]
    ),
    # The gate looks up the active holds of one revision at one site.
    sa.Index("ix_holds_gate", "site_id", "part_revision_id", "status"),
)

hold_overrides = sa.Table(
    "hold_overrides",
    metadata,
    *_site_key(),
    sa.Column("hold_id", ID, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("expires_at", UtcDateTime, nullable=False),
    sa.Column("requested_by", sa.String(100), nullable=False),
    sa.Column("requested_at", UtcDateTime, nullable=False),
    sa.Column("serial_numbers", sa.JSON, nullable=False),
    sa.Column("lots", sa.JSON, nullable=False),
    sa.Column("second_signer", sa.String(100)),
    sa.Column("second_signed_at", UtcDateTime),
    sa.Column("revoked_by", sa.String(100)),
    sa.Column("revoked_at", UtcDateTime),
    sa.ForeignKeyConstraint(["site_id", "hold_id"], ["holds.site_id", "holds.id"]),
    sa.CheckConstraint(
        "second_signer IS NULL OR second_signer <> requested_by", name="two_different_signers"
    ),
    sa.Index("ix_hold_overrides_hold", "site_id", "hold_id"),
)

gate_decisions = sa.Table(
    "gate_decisions",
    metadata,
    # Site first, as in every site-owned table; '' for a decision about an unknown site.
    sa.Column("site_id", ID, primary_key=True),
    sa.Column("id", ID, primary_key=True),
    # The revision asked about, so lists leave out decisions on data the reader may not see.
    sa.Column("part_revision_id", ID),
    sa.Column("at", UtcDateTime, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("decision", sa.String(8), nullable=False),
    sa.Column("caller", sa.String(100), nullable=False),
    sa.Column("request", sa.JSON, nullable=False),
    sa.Column("reasons", sa.JSON, nullable=False),
    sa.Column("data_version", sa.JSON, nullable=False),
    sa.CheckConstraint("decision IN ('allow', 'deny')", name="decision_value"),
    sa.Index("ix_gate_decisions_site_at", "site_id", "at"),
)

idempotency_keys = sa.Table(
    "idempotency_keys",
    metadata,
    sa.Column("caller", sa.String(100), primary_key=True),
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("status_code", sa.Integer, nullable=False),
    sa.Column("body", sa.JSON, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False, index=True),
)

sync_cursors = sa.Table(
    "sync_cursors",
    metadata,
    sa.Column("source", sa.String(16), primary_key=True),
    sa.Column("kind", sa.String(32), primary_key=True),
    sa.Column("cursor", sa.String(500), nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
)

fair_sequences = sa.Table(
    "fair_sequences",
    metadata,
    sa.Column("site_id", ID, sa.ForeignKey("sites.id"), primary_key=True),
    sa.Column("year", sa.Integer, primary_key=True),
    sa.Column("last_number", sa.Integer, nullable=False),
)

audit_entries = sa.Table(
    "audit_entries",
    metadata,
    sa.Column("position", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("at", UtcDateTime, nullable=False),
    sa.Column("site_id", ID),
    sa.Column("actor", sa.String(100), nullable=False),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("record_type", sa.String(64), nullable=False),
    sa.Column("record_id", ID, nullable=False),
    # Canonical JSON text (sorted keys, compact), hashed as stored: see audit/ledger.py.
    sa.Column("changes", sa.Text, nullable=False),
    sa.Column("reason", sa.Text),
    sa.Column("request_id", sa.String(64)),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("entry_hash", sa.String(64), nullable=False),
    sa.Index("ix_audit_entries_record", "record_type", "record_id"),
)

# One row: the chain's head. Appenders lock it, so positions are assigned one at a time.
audit_head = sa.Table(
    "audit_head",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("position", sa.BigInteger, nullable=False),
    sa.Column("entry_hash", sa.String(64), nullable=False),
    sa.CheckConstraint("id = 1", name="single_row"),
)


# --- people and their credentials -----------------------------------------------------------

users = sa.Table(
    "users",
    metadata,
    _id(),
    # Never deleted and never renamed to another person: ids and usernames are not reused (R12).
    sa.Column("username", sa.String(100), nullable=False, unique=True),
    sa.Column("printed_name", sa.String(200), nullable=False),
    sa.Column("email", sa.String(320)),
    sa.Column("roles", EnumSet(access.Role), nullable=False),
    sa.Column("site_ids", StrSet, nullable=False),
    sa.Column("all_sites", sa.Boolean, nullable=False),
    sa.Column("customer_ids", StrSet),
    sa.Column("citizenships", StrSet, nullable=False),
    sa.Column("authorizations", Authorizations, nullable=False),
    sa.Column("password_hash", sa.String(200)),
    sa.Column("totp_secret", sa.String(64)),
    sa.Column("totp_last_step", sa.BigInteger),
    sa.Column("oidc_issuer", sa.String(500)),
    sa.Column("oidc_subject", sa.String(255)),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("created_by", sa.String(100), nullable=False),
    sa.Column("disabled_at", UtcDateTime),
    sa.Column("version", sa.Integer, nullable=False),
    sa.UniqueConstraint("oidc_issuer", "oidc_subject"),
)

api_tokens = sa.Table(
    "api_tokens",
    metadata,
    _id(),
    sa.Column("user_id", ID, sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("token_sha256", sa.String(64), nullable=False, unique=True),
    sa.Column("scopes", EnumSet(access.Permission)),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("created_by", sa.String(100), nullable=False),
    sa.Column("expires_at", UtcDateTime, nullable=False),
    sa.Column("revoked_at", UtcDateTime),
)

browser_sessions = sa.Table(
    "browser_sessions",
    metadata,
    _id(),
    sa.Column("user_id", ID, sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("session_sha256", sa.String(64), nullable=False, unique=True),
    sa.Column("csrf_token", sa.String(64), nullable=False),
    sa.Column("method", enum_column_type(access.AuthMethod), nullable=False),
    sa.Column("second_factor", sa.Boolean, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("last_seen_at", UtcDateTime, nullable=False),
    sa.Column("expires_at", UtcDateTime, nullable=False),
    sa.Column("ended_at", UtcDateTime),
)

# Failed logins and signing attempts, counted per account to slow guessing down.
auth_failures = sa.Table(
    "auth_failures",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("username", sa.String(100), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("at", UtcDateTime, nullable=False),
    sa.Index("ix_auth_failures_username_kind_at", "username", "kind", "at"),
)

signing_nonces = sa.Table(
    "signing_nonces",
    metadata,
    sa.Column("nonce_sha256", sa.String(64), primary_key=True),
    sa.Column("user_id", ID, sa.ForeignKey("users.id"), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("expires_at", UtcDateTime, nullable=False),
    sa.Column("used_at", UtcDateTime),
)

signatures = sa.Table(
    "signatures",
    metadata,
    sa.Column("site_id", ID, sa.ForeignKey("sites.id"), primary_key=True),
    _id(),
    sa.Column("record_type", sa.String(32), nullable=False),
    sa.Column("record_id", ID, nullable=False),
    sa.Column("meaning", enum_column_type(SignatureMeaning), nullable=False),
    sa.Column("signer_id", ID, sa.ForeignKey("users.id"), nullable=False),
    sa.Column("signer_username", sa.String(100), nullable=False),
    sa.Column("printed_name", sa.String(200), nullable=False),
    sa.Column("signed_at", UtcDateTime, nullable=False),
    sa.Column("content_sha256", sa.String(64), nullable=False),
    sa.Column("invalidated_at", UtcDateTime),
    sa.Column("invalidated_reason", sa.Text),
    sa.Index("ix_signatures_record", "site_id", "record_type", "record_id"),
    # One valid signature per meaning and record: the database settles signing races (C1).
    sa.Index(
        "uq_signatures_valid_meaning",
        "site_id",
        "record_type",
        "record_id",
        "meaning",
        unique=True,
        sqlite_where=sa.text("invalidated_at IS NULL"),
        postgresql_where=sa.text("invalidated_at IS NULL"),
    ),
)


# --- review workflow: templates per customer, tasks per FAI, role leads per site -------------

review_templates = sa.Table(
    "review_templates",
    metadata,
    _id(),
    sa.Column("customer_id", ID, sa.ForeignKey("customers.id"), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("document", sa.JSON, nullable=False),
    sa.Column("created_by", sa.String(100), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.UniqueConstraint("customer_id", "version"),
)

review_tasks = _fai_child(
    "review_tasks",
    sa.Column("kind", enum_column_type(TaskKind), nullable=False),
    sa.Column("role", sa.String(40), nullable=False),
    sa.Column("assignee", sa.String(100)),
    sa.Column("due_at", UtcDateTime, nullable=False),
    sa.Column("status", enum_column_type(TaskStatus), nullable=False),
    sa.Column("template_id", ID, nullable=False),
    sa.Column("template_version", sa.Integer, nullable=False),
    sa.Column("attempt", sa.Integer, nullable=False),
    sa.Column("cycle", sa.Integer, nullable=False),
    sa.Column("stage_key", sa.String(40)),
    sa.Column("stage_index", sa.Integer),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("required", sa.Boolean, nullable=False),
    sa.Column("guards", enum_column_type(FaiAction)),
    sa.Column("forms", sa.JSON, nullable=False),
    sa.Column("signature_required", sa.Boolean, nullable=False),
    sa.Column("checklist", sa.JSON, nullable=False),
    sa.Column("answers", sa.JSON, nullable=False),
    sa.Column("notes", sa.JSON, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("created_by", sa.String(100), nullable=False),
    sa.Column("closed_at", UtcDateTime),
    sa.Column("closed_by", sa.String(100)),
    sa.Column("closed_reason", sa.Text),
    sa.Column("escalations", sa.Integer, nullable=False),
    sa.Column("escalated_to", sa.String(100)),
    sa.Column("version", sa.Integer, nullable=False),
    # Inboxes: open tasks of a role at a site, and of one person.
    sa.Index("ix_review_tasks_inbox", "site_id", "status", "role", "due_at"),
    sa.Index("ix_review_tasks_assignee", "assignee", "status"),
)

role_leads = sa.Table(
    "role_leads",
    metadata,
    sa.Column("site_id", ID, sa.ForeignKey("sites.id"), primary_key=True),
    sa.Column("role", sa.String(40), primary_key=True),
    sa.Column("username", sa.String(100), nullable=False),
    sa.Column("set_by", sa.String(100), nullable=False),
    sa.Column("set_at", UtcDateTime, nullable=False),
)


# --- notifications (storage/outbox.py; Core statements, no mapping) -------------------------

webhook_endpoints = sa.Table(
    "webhook_endpoints",
    metadata,
    _id(),
    sa.Column("url", sa.String(500), nullable=False),
    sa.Column("secret", sa.String(100), nullable=False),  # HMAC key: needed in clear to sign
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("created_by", sa.String(100), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("disabled_at", UtcDateTime),
)

notification_subscriptions = sa.Table(
    "notification_subscriptions",
    metadata,
    *_site_key(),
    sa.Column("topic", enum_column_type(Topic), nullable=False),
    sa.Column("customer_id", ID, sa.ForeignKey("customers.id")),
    sa.Column("role", sa.String(32)),
    sa.Column("email", sa.String(320)),
    sa.Column("webhook_id", ID, sa.ForeignKey("webhook_endpoints.id")),
    sa.Column("created_by", sa.String(100), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.CheckConstraint(
        "(CASE WHEN role IS NULL THEN 0 ELSE 1 END)"
        " + (CASE WHEN email IS NULL THEN 0 ELSE 1 END)"
        " + (CASE WHEN webhook_id IS NULL THEN 0 ELSE 1 END) = 1",
        name="one_target",
    ),
    sa.Index("ix_notification_subscriptions_topic", "site_id", "topic"),
)

# One row per (event, destination); event_id is the receivers' idempotency key.
outbox_messages = sa.Table(
    "outbox_messages",
    metadata,
    sa.Column("site_id", ID, sa.ForeignKey("sites.id"), primary_key=True),
    sa.Column("event_id", ID, primary_key=True, index=True),
    sa.Column("topic", sa.String(32), nullable=False),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("destination", sa.String(320), nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("record_type", sa.String(64), nullable=False),
    sa.Column("record_id", ID, nullable=False),
    sa.Column("status", enum_column_type(OutboxStatus), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", UtcDateTime, nullable=False),
    sa.Column("last_error", sa.String(200)),
    sa.Column("lease_owner", sa.String(100)),
    sa.Column("lease_until", UtcDateTime),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("delivered_at", UtcDateTime),
    # Workers look for due messages by status and time.
    sa.Index("ix_outbox_messages_due", "status", "next_attempt_at"),
)

# Re-FAI triggers: one row per change seen, keyed by the fingerprint of its evidence so the
# same change seen again raises nothing new.
refai_triggers = sa.Table(
    "refai_triggers",
    metadata,
    *_site_key(),
    sa.Column("kind", enum_column_type(triggers_domain.ReFaiTrigger), nullable=False),
    sa.Column("part_revision_id", ID, sa.ForeignKey("part_revisions.id"), nullable=False),
    sa.Column("customer_id", ID, sa.ForeignKey("customers.id")),
    sa.Column("baseline_first_article_id", ID),
    sa.Column("what", sa.Text, nullable=False),
    sa.Column("before", sa.String(200)),
    sa.Column("after", sa.String(200)),
    sa.Column("source_record_type", sa.String(32), nullable=False),
    sa.Column("source_record_id", sa.String(200), nullable=False),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("raised_by", sa.String(100), nullable=False),
    sa.Column("raised_at", UtcDateTime, nullable=False),
    sa.Column("changed_at", UtcDateTime, nullable=False),
    # The balloons a partial FAI for this trigger starts with (a changed operation's).
    sa.Column("affected_balloons", sa.JSON),
    sa.ForeignKeyConstraint(
        ["site_id", "baseline_first_article_id"],
        ["first_articles.site_id", "first_articles.id"],
    ),
    sa.UniqueConstraint("site_id", "fingerprint"),
    sa.Index("ix_refai_triggers_revision", "site_id", "part_revision_id"),
)

refai_evaluations = sa.Table(
    "refai_evaluations",
    metadata,
    *_site_key(),
    sa.Column("trigger_id", ID, nullable=False),
    sa.Column("team", sa.JSON, nullable=False),
    sa.Column("opened_at", UtcDateTime, nullable=False),
    sa.Column("hold_id", ID),
    sa.Column("status", enum_column_type(triggers_domain.EvaluationStatus), nullable=False),
    sa.Column("outcome", enum_column_type(triggers_domain.EvaluationOutcome)),
    sa.Column("reason", sa.Text),
    sa.Column("decided_by", sa.String(100)),
    sa.Column("decided_at", UtcDateTime),
    sa.Column("first_article_id", ID),
    sa.ForeignKeyConstraint(
        ["site_id", "trigger_id"], ["refai_triggers.site_id", "refai_triggers.id"]
    ),
    sa.ForeignKeyConstraint(["site_id", "hold_id"], ["holds.site_id", "holds.id"]),
    sa.ForeignKeyConstraint(
        ["site_id", "first_article_id"], ["first_articles.site_id", "first_articles.id"]
    ),
    sa.UniqueConstraint("site_id", "trigger_id"),
    sa.CheckConstraint(
        "status = 'open' OR (outcome IS NOT NULL AND reason IS NOT NULL "
        "AND decided_at IS NOT NULL)",
        name="decided_fully",
    ),
    sa.Index("ix_refai_evaluations_status", "site_id", "status"),
)


def _children(cls: type, table: sa.Table) -> object:
    return relationship(
        cls,
        cascade="all, delete-orphan",
        passive_deletes=False,
        order_by=table.c.id if cls is not model.InspectionResult else table.c.recorded_at,
    )


_mapped = False


def start_mappers() -> None:
    """Map the domain classes onto the tables, once per process."""
    global _mapped
    if _mapped:
        return
    m = mapper_registry.map_imperatively
    m(model.Site, sites)
    m(access.User, users, version_id_col=users.c.version)
    m(access.ApiToken, api_tokens)
    m(access.BrowserSession, browser_sessions)
    m(Signature, signatures)
    m(model.Customer, customers, properties={"provenance": _provenance(customers)})
    m(
        model.Characteristic,
        characteristics,
        properties={
            "requirement": composite(
                Requirement,
                characteristics.c.requirement_text,
                characteristics.c.nominal,
                characteristics.c.lower_limit,
                characteristics.c.upper_limit,
                characteristics.c.units,
            ),
        },
    )
    m(
        model.Drawing,
        drawings,
        properties={
            "characteristics": relationship(model.Characteristic, cascade="all, delete-orphan"),
        },
    )
    m(model.BomLine, bom_lines)
    m(
        model.PartRevision,
        part_revisions,
        properties={
            "provenance": _provenance(part_revisions),
            "export_classification": _label(part_revisions, nullable=True),
            "drawings": relationship(
                model.Drawing, cascade="all, delete-orphan", order_by=drawings.c.number
            ),
            "bill_of_materials": relationship(
                model.BomLine, cascade="all, delete-orphan", order_by=bom_lines.c.find_number
            ),
        },
    )
    m(
        model.Part,
        parts,
        properties={
            "export_classification": _label(parts),
            "revisions": relationship(
                model.PartRevision, cascade="all, delete-orphan", order_by=part_revisions.c.revision
            ),
        },
    )
    m(model.RoutingOperation, routing_operations)
    m(model.SerialNumber, serial_numbers)
    m(
        model.WorkOrder,
        work_orders,
        properties={
            "provenance": _provenance(work_orders),
            "operations": relationship(
                model.RoutingOperation,
                cascade="all, delete-orphan",
                order_by=routing_operations.c.sequence,
            ),
            "serials": relationship(
                model.SerialNumber, cascade="all, delete-orphan", order_by=serial_numbers.c.number
            ),
        },
    )
    m(holds_domain.HoldOverride, hold_overrides)
    m(holds_domain.RevisionOrder, revision_orders)
    m(
        holds_domain.Hold,
        holds,
        properties={
            "overrides": relationship(
                holds_domain.HoldOverride,
                cascade="all, delete-orphan",
                order_by=hold_overrides.c.id,
                lazy="selectin",
            ),
        },
    )
    m(model.IndexEntry, index_entries)
    m(model.Form2Row, form2_rows)
    m(model.Form3Row, form3_rows)
    m(model.ScopeUnit, scope_units)
    m(model.InspectionResult, inspection_results)
    m(
        model.NonconformanceLink,
        nonconformance_links,
        properties={"provenance": _provenance(nonconformance_links)},
    )
    m(
        model.EvidenceLink,
        evidence_links,
        properties={"export_classification": _label(evidence_links)},
    )
    m(model.CustomerDecision, customer_decisions)
    m(model.Form2Statement, form2_statements)
    m(model.Form3Omission, form3_omissions)
    m(triggers_domain.Trigger, refai_triggers)
    m(triggers_domain.Evaluation, refai_evaluations)
    m(
        model.FirstArticle,
        first_articles,
        version_id_col=first_articles.c.version,
        properties={
            "index": _children(model.IndexEntry, index_entries),
            "form2": _children(model.Form2Row, form2_rows),
            "form3": _children(model.Form3Row, form3_rows),
            "units": _children(model.ScopeUnit, scope_units),
            "results": _children(model.InspectionResult, inspection_results),
            "nonconformances": _children(model.NonconformanceLink, nonconformance_links),
            "evidence": _children(model.EvidenceLink, evidence_links),
            "decisions": _children(model.CustomerDecision, customer_decisions),
            "form2_statements": _children(model.Form2Statement, form2_statements),
            "omissions": _children(model.Form3Omission, form3_omissions),
        },
    )
    _mapped = True
