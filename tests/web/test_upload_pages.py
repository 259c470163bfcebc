"""Characteristic files on the part page: a QIF model loads the list; a hostile or unreadable
file is refused whole with its reason."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from webtools import a_person, sign_in

from firstarticle import bootstrap
from firstarticle.domain import model
from firstarticle.services import ServiceContext, catalog

CTC_01 = "NISTmodels/nist_ctc_01_asme1_ap242.qif"


@pytest.fixture
def part(ctx: ServiceContext) -> model.Part:
    """A part whose revision A is defined by one model-based definition, still empty."""
    p = catalog.create_part(ctx, number="NIST-CTC-01", name="NIST CTC 01")
    catalog.add_revision(
        ctx,
        p.id,
        revision="A",
        drawings=[
            catalog.DrawingSpec("CTC-01-MBD", "A", model.DefinitionKind.MODEL_BASED_DEFINITION)
        ],
    )
    return p


def upload(web: TestClient, csrf: str, part: model.Part, name: str, data: bytes) -> object:
    return web.post(
        f"/web/parts/{part.id}/revisions/A/characteristics/file",
        data={"csrf_token": csrf},
        files={"file": (name, data, "application/xml")},
    )


def test_a_hostile_characteristic_file_is_refused_whole_with_its_reason(
    web: TestClient, application: bootstrap.Application, ctx: ServiceContext, part: model.Part
) -> None:
    a_person(application, "j.ortiz")
    csrf = sign_in(web, "j.ortiz")
    assert "Load the characteristic list of rev A" in web.get(f"/web/parts/{part.id}").text
    hostile = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "boom">]><QIFDocument/>'
    refused = upload(web, csrf, part, "bad.qif", hostile)
    assert refused.status_code == 422
    assert "The file was refused; nothing was written." in refused.text
    assert not catalog.get_part(ctx, part.id).revisions[0].characteristics


def test_a_qif_model_loads_the_characteristic_list(
    web: TestClient,
    application: bootstrap.Application,
    ctx: ServiceContext,
    part: model.Part,
    shared_data: Path,
) -> None:
    a_person(application, "j.ortiz")
    csrf = sign_in(web, "j.ortiz")
    data = (shared_data / "qif" / "samples" / CTC_01).read_bytes()
    loaded = upload(web, csrf, part, "ctc_01.qif", data)
    assert loaded.status_code == 200
    created = len(catalog.get_part(ctx, part.id).revisions[0].characteristics)
    assert created > 0
    assert loaded.text.count("<tr><td>") == created
