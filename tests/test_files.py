"""Files (issue 10, section 2): typed by content, limited in size while streaming, names cleaned, sealed
at rest, served safely, every read audited, soft-deleted with a reason, carried by backups, checked by
doctor; the widget on the patient page and the example plugin's page."""
from __future__ import annotations

import hashlib
import io
import json
import struct
import types
import zipfile
import zlib
from pathlib import Path

import pytest

from medoffice import PluginInfo, files, hookimpl, settings
from medoffice.backup import create_backup, restore_archive
from medoffice.contributions import Permission
from medoffice.db import db, transaction
from medoffice.files import api as files_api, store
from medoffice.files.api import MB, FileError, Upload
from medoffice.files.demo import card_png
from medoffice.files.integrity import doctor_check
from medoffice.files.kinds import DOCUMENTS, PDF, SCANS, AttachmentKind
from medoffice.files.models import Attachment, FileBlob
from medoffice.files.names import display_name, download_name
from medoffice.files.sealed import FileDamaged, SealingWriter, plaintext_chunks
from medoffice.models import AuditEvent, Patient
from medoffice.tasks import app_thread_context
from medoffice.testing import contract_problems

MARKER = b"PATIENT-SECRET-4711 Jane Roe, DOB 1970-01-02"
PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n" + MARKER + b"\n%%EOF\n"
HTML_BYTES = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG_BYTES = (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
             b"<script>alert(2)</script></svg>")


def png_with(text: bytes) -> bytes:
    """A valid PNG carrying ``text`` in a tEXt chunk (so the plaintext has a recognisable marker)."""
    image = card_png(width=8, height=8)
    chunk = b"tEXt" + b"Comment\x00" + text
    extra = struct.pack(">I", len(chunk) - 4) + chunk + struct.pack(">I", zlib.crc32(chunk))
    return image[:-12] + extra + image[-12:]  # before IEND


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return buffer.getvalue()


CONTRACT = AttachmentKind("filetest.contract", "Signed contracts", view="filetest.docs.view",
                          manage="filetest.docs.manage", types=(PDF,), max_mb=1)
SCAN = AttachmentKind("filetest.scan", "Scans", view="filetest.docs.view", manage="filetest.docs.manage", types=SCANS)
PAPER = AttachmentKind("filetest.paper", "Papers", view="filetest.docs.view", manage="filetest.docs.manage",
                       types=DOCUMENTS)


def file_plugin(kinds=(CONTRACT, SCAN, PAPER), permissions=("filetest.docs.view", "filetest.docs.manage")):
    """A plugin attaching files to its "case" objects, as a compliance module would."""
    module = types.ModuleType("filetest_plugin")
    module.__file__ = __file__
    module.PLUGIN = PluginInfo(name="filetest", title="File test")

    @hookimpl
    def medoffice_permissions():
        return [Permission(permissions[0], "See case files", default_roles=("admin", "auditor")),
                *[Permission(p, "Manage case files", default_roles=("admin",)) for p in permissions[1:]]]

    @hookimpl
    def medoffice_attachment_kinds():
        return list(kinds)

    module.medoffice_permissions = medoffice_permissions
    module.medoffice_attachment_kinds = medoffice_attachment_kinds
    return module


@pytest.fixture
def file_app(make_app):
    return make_app(extra=[file_plugin()])


def login_as(app, role):
    from medoffice.testing import login

    return login(app.test_client(), role)


def upload(client, kind, files_, object_id="7", plugin="filetest", object_kind="case", htmx=True):
    data = {"file": [(io.BytesIO(content), name, content_type) for name, content, content_type in files_],
            "next": "/"}
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(f"/files/{plugin}/{object_kind}/{object_id}/{kind}", data=data, headers=headers,
                       content_type="multipart/form-data")


def stored_files(app) -> list[Path]:
    root = store.root(Path(app.instance_path))
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def new_patient(last_name="Roe") -> Patient:
    from medoffice.web.patients import next_account_number
    import datetime as dt

    with transaction():
        return Patient.create(account_number=next_account_number(), first_name="Jane", last_name=last_name,
                              date_of_birth=dt.date(1970, 1, 2))


def entries(action) -> list[AuditEvent]:
    return list(AuditEvent.select().where(AuditEvent.action == action).order_by(AuditEvent.seq))


# --- typed by content, never by name or header ----------------------------------------------------

def test_a_png_named_pdf_is_typed_by_its_bytes_and_a_pdf_only_kind_refuses_it(file_app):
    admin = login_as(file_app, "admin")
    image = png_with(b"scan")
    response = upload(admin, "filetest.scan", [("scan.pdf", image, "application/pdf")])
    assert response.status_code == 200, response.get_data(as_text=True)
    with app_thread_context(file_app):
        row = Attachment.get()
        assert (row.name, row.mime, row.download_name) == ("scan.pdf", "image/png", "scan.png")
    download = admin.get(f"/files/{row.id}/download")
    assert download.headers["Content-Type"] == "image/png"
    assert download.headers["Content-Disposition"] == "attachment; filename=scan.png"
    assert download.data == image

    refused = upload(admin, "filetest.contract", [("contract.pdf", image, "application/pdf")])
    assert refused.status_code == 422
    assert "“contract.pdf” is a PNG image file; signed contracts must be PDF." in refused.get_data(as_text=True)
    with app_thread_context(file_app):
        assert Attachment.select().count() == 1 and FileBlob.select().count() == 1


def test_html_and_svg_are_refused_whatever_they_claim_and_kinds_cannot_accept_them(file_app):
    admin = login_as(file_app, "admin")
    for name, content, claimed in (("report.pdf", HTML_BYTES, "application/pdf"), ("logo.png", SVG_BYTES, "image/png"),
                                   ("page.html", HTML_BYTES, "text/html"), ("art.svg", SVG_BYTES, "image/svg+xml")):
        response = upload(admin, "filetest.paper", [(name, content, claimed)])
        assert response.status_code == 422, name
        assert f"“{name}” is of a type that cannot be recognised" in response.get_data(as_text=True)
    with app_thread_context(file_app):
        assert Attachment.select().count() == 0
    assert not [p for p in stored_files(file_app) if "store" in p.parts]
    for types_ in (("image/svg+xml",), ("text/html",), ("text/plain",)):
        with pytest.raises(ValueError, match="cannot recognise"):
            AttachmentKind("filetest.bad", "Bad", view="filetest.docs.view", manage="filetest.docs.manage",
                           types=types_)


def test_only_pdf_and_common_images_preview_inline_everything_else_downloads(file_app):
    admin = login_as(file_app, "admin")
    upload(admin, "filetest.paper", [("minutes.docx", docx_bytes(), "application/pdf"),
                                     ("policy.pdf", PDF_BYTES, "application/pdf"),
                                     ("photo.png", png_with(b"x"), "image/png")])
    with app_thread_context(file_app):
        ids = {row.name: row.id for row in Attachment.select()}
    docx = admin.get(f"/files/{ids['minutes.docx']}/preview")
    assert docx.headers["Content-Disposition"] == "attachment; filename=minutes.docx"
    assert "sandbox" in docx.headers["Content-Security-Policy"]
    for name, mime in (("policy.pdf", "application/pdf"), ("photo.png", "image/png")):
        preview = admin.get(f"/files/{ids[name]}/preview")
        assert preview.status_code == 200 and preview.headers["Content-Type"] == mime
        assert preview.headers["Content-Disposition"] == f"inline; filename={name}"
        assert preview.headers["X-Content-Type-Options"] == "nosniff"
        policy = preview.headers["Content-Security-Policy"]
        assert "default-src 'none'" in policy and "script-src" not in policy and "frame-ancestors 'none'" in policy
    download = admin.get(f"/files/{ids['policy.pdf']}/download")
    assert download.headers["Content-Disposition"] == "attachment; filename=policy.pdf"
    assert download.headers["Cache-Control"] == "no-store"


# --- size, names ------------------------------------------------------------------------------------

def test_the_size_limit_is_the_practice_setting_or_a_kind_s_lower_one_and_refuses_while_streaming(file_app):
    admin = login_as(file_app, "admin")
    with app_thread_context(file_app):
        settings.set_many({"core.files_max_mb": 2})
    big = b"%PDF-1.4\n" + b"0" * (2 * MB)
    response = upload(admin, "filetest.paper", [("small.pdf", PDF_BYTES, "application/pdf"),
                                                ("big.pdf", big, "application/pdf")])
    assert response.status_code == 413
    assert "“big.pdf” is larger than 2 MB, the limit for these files. Nothing was uploaded." in \
        response.get_data(as_text=True)
    contract = upload(admin, "filetest.contract", [("c.pdf", b"%PDF-1.4\n" + b"0" * MB, "application/pdf")])
    assert contract.status_code == 413 and "larger than 1 MB" in contract.get_data(as_text=True)
    plain = upload(admin, "filetest.paper", [("big.pdf", big, "application/pdf")], htmx=False)
    assert plain.status_code == 413 and "larger than 2 MB" in plain.get_data(as_text=True)
    with app_thread_context(file_app):
        assert Attachment.select().count() == 0
        assert files.attach("filetest", "case", 7, "filetest.paper", big[:2 * MB], "exactly.pdf").size == 2 * MB
        # The upload stops at the first chunk past the limit and its sealed temporary file goes at once.
        receiving = Upload("stream.pdf", 1000)
        receiving.write(b"%PDF" + b"0" * 996)
        with pytest.raises(FileError, match="larger than 1000 bytes") as refused:
            receiving.write(b"0")
        assert refused.value.status == 413 and not receiving.temp.exists()
    assert not list((store.root(Path(file_app.instance_path)) / "incoming").iterdir())


def test_a_too_large_request_and_too_many_files_are_refused(file_app):
    admin = login_as(file_app, "admin")
    many = [(f"p{i}.pdf", PDF_BYTES + bytes([i]), "application/pdf") for i in range(21)]
    response = upload(admin, "filetest.paper", many)
    assert response.status_code == 413 and "Upload at most 20 files at a time" in response.get_data(as_text=True)
    with app_thread_context(file_app):
        assert Attachment.select().count() == 0


def test_names_are_cleaned_and_never_become_paths(file_app):
    assert display_name("../../../etc/passwd") == "passwd"
    assert display_name("C:\\fakepath\\..\\scan.pdf") == "scan.pdf"
    assert display_name("..") == "file" and display_name("") == "file" and display_name(None) == "file"
    assert display_name("invoice\u202egpj.exe") == "invoicegpj.exe"  # right-to-left override removed
    assert display_name("a\x00b\nc.pdf") == "abc.pdf"
    assert len(display_name("x" * 300 + ".pdf")) == 255 and display_name("x" * 300 + ".pdf").endswith(".pdf")
    assert download_name("../../évier à eau.pdf", "png") == "evier_a_eau.png"
    assert download_name("..", "pdf") == "file.pdf"
    admin = login_as(file_app, "admin")
    outside = Path(file_app.instance_path).parent / "escaped.pdf"
    response = upload(admin, "filetest.paper", [("../../escaped.pdf", PDF_BYTES, "application/pdf"),
                                                ("/etc/cron.d/evil.pdf", PDF_BYTES + b"2", "application/pdf")])
    assert response.status_code == 200
    assert not outside.exists() and not Path("/etc/cron.d/evil.pdf").exists()
    with app_thread_context(file_app):
        assert sorted(r.name for r in Attachment.select()) == ["escaped.pdf", "evil.pdf"]
        for blob in FileBlob.select():
            assert store.blob_path(blob.digest).exists()
    assert all(store.DIGEST.fullmatch(p.name) for p in stored_files(file_app))
    assert upload(admin, "filetest.paper", [("a.pdf", PDF_BYTES, "application/pdf")],
                  object_id="..%2F..%2Fx").status_code == 404


# --- sealed at rest -----------------------------------------------------------------------------------

def test_stored_files_are_encrypted_and_open_only_with_the_instance_key(file_app):
    image = png_with(MARKER)
    with app_thread_context(file_app):
        row = files.attach("filetest", "case", "7", "filetest.scan", image, "card.png")
        with files.open(row.id) as fh:
            assert fh.read() == image
        blob_file = store.blob_path(row.blob.digest)
        with blob_file.open("rb") as fh, pytest.raises(FileDamaged):
            list(plaintext_chunks(fh, "another instance's backup key"))
    on_disk = b"".join(p.read_bytes() for p in stored_files(file_app))
    assert on_disk and MARKER not in on_disk and b"\x89PNG" not in on_disk
    assert hashlib.sha256(image).hexdigest() not in {p.name for p in stored_files(file_app)}  # keyed names


def test_the_sealed_format_refuses_truncation_reordering_and_flipped_bits():
    key = "k" * 40
    out = io.BytesIO()
    writer = SealingWriter(out, key)
    content = bytes(range(256)) * 1024  # 256 KiB: four full records and a final one
    writer.write(content)
    writer.finish()
    sealed = out.getvalue()
    assert b"".join(plaintext_chunks(io.BytesIO(sealed), key)) == content
    assert writer.stored_sha256 == hashlib.sha256(sealed).hexdigest()
    record = 1 + 4 + 12 + 64 * 1024 + 16
    header = 6 + 1 + 16
    swapped = sealed[:header] + sealed[header + record:header + 2 * record] + sealed[header:header + record] + \
        sealed[header + 2 * record:]
    for damaged in (sealed[:-10], sealed[:header + record], swapped, sealed[:500] + bytes([sealed[500] ^ 1]) +
                    sealed[501:], sealed + b"x"):
        with pytest.raises(FileDamaged):
            b"".join(plaintext_chunks(io.BytesIO(damaged), key))
    with pytest.raises(FileDamaged):  # another sealed file in its place
        list(plaintext_chunks(io.BytesIO(sealed), key, expected_salt=b"\x00" * 16))


def test_the_same_content_is_stored_once(file_app):
    with app_thread_context(file_app):
        first = files.attach("filetest", "case", "1", "filetest.paper", PDF_BYTES, "a.pdf")
        second = files.attach("filetest", "case", "2", "filetest.paper", PDF_BYTES, "b.pdf")
        assert first.blob_id == second.blob_id and FileBlob.select().count() == 1
    assert len([p for p in stored_files(file_app) if "store" in p.parts]) == 1


# --- audited reads, permissions, removal -------------------------------------------------------------

def test_every_read_of_a_patient_document_is_audited_naming_the_patient(app):
    admin = login_as(app, "admin")
    with app_thread_context(app):
        patient = new_patient()
    response = upload(admin, "core.patient_document", [("card.png", png_with(b"card"), "image/png")],
                      plugin="core", object_kind="patient", object_id=str(patient.id))
    assert response.status_code == 200
    with app_thread_context(app):
        row = Attachment.get()
        assert row.patient_id == patient.id
    page = admin.get(f"/patients/{patient.id}")
    assert "card.png" in page.get_data(as_text=True)
    assert admin.get(f"/files/{row.id}/download").status_code == 200
    assert admin.get(f"/files/{row.id}/preview").status_code == 200
    with app_thread_context(app):
        with files.open(row.id) as fh:
            fh.read()
        # The list is shown twice: by the upload's answer and by the patient page.
        for action, count in (("file.attach", 1), ("file.list", 2), ("file.download", 1), ("file.preview", 1),
                              ("file.open", 1)):
            found = entries(action)
            assert len(found) == count and {e.patient_id for e in found} == {patient.id}, action
        detail = json.loads(entries("file.download")[0].detail)
        assert detail == {"kind": "core.patient_document", "plugin": "core", "object_kind": "patient",
                          "object_id": str(patient.id)}
        assert "card.png" not in json.dumps([e.detail for e in AuditEvent.select()])  # names stay out


def test_routes_need_the_kind_s_permissions(file_app):
    with app_thread_context(file_app):
        row = files.attach("filetest", "case", "7", "filetest.paper", PDF_BYTES, "case.pdf")
    auditor = login_as(file_app, "auditor")  # view, not manage
    assert auditor.get(f"/files/{row.id}/download").status_code == 200
    assert upload(auditor, "filetest.paper", [("x.pdf", PDF_BYTES + b"x", "application/pdf")]).status_code == 403
    assert auditor.post(f"/files/{row.id}/delete", data={"reason": "no"}).status_code == 403
    front_desk = login_as(file_app, "front_desk")  # neither
    assert front_desk.get(f"/files/{row.id}/download").status_code == 403
    assert front_desk.get(f"/files/{row.id}/preview").status_code == 403
    assert login_as(file_app, "admin").get("/files/999999/download").status_code == 404
    with app_thread_context(file_app):
        assert Attachment.select().count() == 1 and not entries("file.download")[1:]


def test_an_upload_needs_the_csrf_token_and_a_forged_header_is_refused_before_the_body_is_read(make_app):
    import re

    from medoffice.testing import TEST_PASSWORD, create_test_user

    app = make_app(extra=[file_plugin()], WTF_CSRF_ENABLED=True)
    client = app.test_client()
    name = create_test_user(app, ("admin",))
    login_page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
    assert client.post("/login", data={"username": name, "password": TEST_PASSWORD,
                                       "csrf_token": token}).status_code == 302
    url = "/files/filetest/case/7/filetest.paper"
    forged = client.post(url, content_type="multipart/form-data", headers={"X-CSRFToken": "forged"},
                         data={"file": [(io.BytesIO(PDF_BYTES), "a.pdf", "application/pdf")]})
    assert forged.status_code == 400 and "The form expired" in forged.get_data(as_text=True)
    assert not store.root(Path(app.instance_path)).exists()  # refused before a byte was received
    missing = client.post(url, content_type="multipart/form-data",
                          data={"file": [(io.BytesIO(PDF_BYTES), "a.pdf", "application/pdf")]})
    assert missing.status_code == 400 and "The form expired" in missing.get_data(as_text=True)
    assert not list((store.root(Path(app.instance_path)) / "incoming").iterdir())
    page_token = re.search(r'"X-CSRFToken": "([^"]+)"', client.get("/").get_data(as_text=True)).group(1)
    in_header = client.post(url, content_type="multipart/form-data", headers={"X-CSRFToken": page_token,
                                                                              "HX-Request": "true"},
                            data={"file": [(io.BytesIO(PDF_BYTES), "a.pdf", "application/pdf")]})
    in_form = client.post(url, content_type="multipart/form-data",
                          data={"csrf_token": page_token, "next": "/",
                                "file": [(io.BytesIO(PDF_BYTES + b"2"), "b.pdf", "application/pdf")]})
    assert in_header.status_code == 200 and in_form.status_code == 302
    with app_thread_context(app):
        assert sorted(r.name for r in Attachment.select()) == ["a.pdf", "b.pdf"]


def test_several_files_are_stored_all_or_none(file_app):
    admin = login_as(file_app, "admin")
    response = upload(admin, "filetest.scan", [("a.pdf", PDF_BYTES, "application/pdf"),
                                               ("b.png", png_with(b"b"), "image/png"),
                                               ("c.docx", docx_bytes(), "image/png")])
    assert response.status_code == 422
    assert "“c.docx” is a Word document file" in response.get_data(as_text=True)
    with app_thread_context(file_app):
        assert Attachment.select().count() == 0
    ok = upload(admin, "filetest.scan", [("a.pdf", PDF_BYTES, "application/pdf"),
                                         ("b.png", png_with(b"b"), "image/png")])
    assert ok.status_code == 200 and "Uploaded “a.pdf”, “b.png”." in ok.get_data(as_text=True)
    with app_thread_context(file_app):
        assert sorted(r.name for r in files.list_for("filetest", "case", 7)) == ["a.pdf", "b.png"]


def test_removing_a_file_needs_a_reason_hides_it_keeps_it_and_is_audited(file_app):
    admin = login_as(file_app, "admin")
    with app_thread_context(file_app):
        row = files.attach("filetest", "case", "7", "filetest.paper", PDF_BYTES, "old.pdf")
    missing = admin.post(f"/files/{row.id}/delete", data={"reason": "  "}, headers={"HX-Request": "true"})
    assert missing.status_code == 422 and "Give the reason this file is removed." in missing.get_data(as_text=True)
    done = admin.post(f"/files/{row.id}/delete", data={"reason": "Superseded by the signed copy"},
                      headers={"HX-Request": "true"})
    assert done.status_code == 200
    body = done.get_data(as_text=True)
    assert "Removed “old.pdf”." in body and "Reason: Superseded by the signed copy" in body
    assert admin.get(f"/files/{row.id}/download").status_code == 404
    with app_thread_context(file_app):
        assert files.list_for("filetest", "case", 7) == []
        removed = files.list_for("filetest", "case", 7, deleted=True)
        assert [(r.id, r.delete_reason, r.deleted_by.username.startswith("user")) for r in removed] == \
            [(row.id, "Superseded by the signed copy", True)]
        assert json.loads(entries("file.delete")[0].detail)["reason"] == "Superseded by the signed copy"
        (_shown, (listed,)) = files_api.lists_for("filetest", "case", ["7"], "filetest.paper", removed=True)["7"]
        remover = listed.deleted_by
        assert remover.full_name == removed[0].deleted_by.full_name and f"by {remover.full_name}." in body
        assert remover.password_hash is None and remover.totp_secret is None  # a list reads names only
        with files.open(row.id) as fh:  # the content is kept
            assert fh.read() == PDF_BYTES
        with pytest.raises(FileError, match="already removed"):
            files.delete(row.id, "again")


def test_a_plain_form_post_returns_to_the_page(file_app):
    admin = login_as(file_app, "admin")
    response = admin.post("/files/filetest/case/7/filetest.paper?next=/patients%3Fq%3Dx",
                          content_type="multipart/form-data",
                          data={"file": [(io.BytesIO(PDF_BYTES), "plain.pdf", "application/pdf")]})
    assert response.status_code == 302 and response.headers["Location"] == "/patients?q=x"
    evil = admin.post("/files/filetest/case/7/filetest.paper?next=//evil.example/", content_type="multipart/form-data",
                      data={"file": [(io.BytesIO(PDF_BYTES + b"1"), "p.pdf", "application/pdf")]})
    assert evil.status_code == 302 and evil.headers["Location"] == "/"
    refused = admin.post("/files/filetest/case/7/filetest.paper?next=/hello/", content_type="multipart/form-data",
                         data={"file": [(io.BytesIO(HTML_BYTES), "p.html", "text/html")]})
    assert refused.status_code == 422 and 'href="/hello/"' in refused.get_data(as_text=True)


def test_the_contract_refuses_a_kind_with_undeclared_permissions(make_app):
    sloppy = AttachmentKind("filetest.sloppy", "Sloppy", view="filetest.nobody", manage="filetest.docs.manage")
    app = make_app(plugins=[], extra=[file_plugin(kinds=(sloppy,))])
    assert "attachment kind filetest.sloppy: permission 'filetest.nobody' is not declared" in \
        contract_problems(app, "filetest")
    with pytest.raises(ValueError, match="patient_of"):
        AttachmentKind("filetest.p", "P", view="a.b", manage="a.c", patient_bearing=True)


# --- backups and doctor ---------------------------------------------------------------------------------

def _release_connections():
    if not db.is_closed():
        db.close()
    db.obj.close_all()


def test_backup_and_restore_carry_the_stored_files(file_app):
    instance = Path(file_app.instance_path)
    image = png_with(MARKER)
    with app_thread_context(file_app):
        kept = files.attach("filetest", "case", "7", "filetest.scan", image, "kept.png")
        archive = Path(create_backup("manual").path)
        later = files.attach("filetest", "case", "7", "filetest.paper", PDF_BYTES, "later.pdf")
        later_digest = later.blob.digest
        kept_digest = kept.blob.digest
    assert MARKER not in archive.read_bytes()
    for path in stored_files(file_app):
        path.unlink()  # the disk lost every file
    with app_thread_context(file_app):
        assert doctor_check().status == "fail"
        _release_connections()
    manifest = restore_archive(archive, instance, file_app.config["BACKUP_KEY"], file_app.config["DATABASE_URL"])
    assert manifest["files"] == {"count": 1, "bytes": store.blob_path(kept_digest, instance).stat().st_size}
    assert manifest["files_restored"] == 1
    with app_thread_context(file_app):
        assert [r.name for r in Attachment.select()] == ["kept.png"]
        with files.open(kept.id) as fh:
            assert fh.read() == image
        assert doctor_check().status == "ok"
    assert not store.blob_path(later_digest, instance).exists()


def test_doctor_names_missing_and_altered_files(file_app):
    with app_thread_context(file_app):
        assert doctor_check().status == "ok"
        first = files.attach("filetest", "case", "7", "filetest.paper", PDF_BYTES, "one.pdf")
        second = files.attach("filetest", "case", "7", "filetest.paper", PDF_BYTES + b"2", "two.pdf")
        third = files.attach("filetest", "case", "7", "filetest.paper", PDF_BYTES + b"3", "three.pdf")
        result = doctor_check()
        assert result.status == "ok" and result.message.startswith("3 files")
        store.blob_path(first.blob.digest).unlink()
        altered = store.blob_path(second.blob.digest)
        data = bytearray(altered.read_bytes())
        data[40] ^= 1
        altered.write_bytes(bytes(data))
        result = doctor_check()
        assert result.status == "fail"
        assert f"1 missing (attachments {first.id})" in result.message
        assert f"1 altered (attachments {second.id})" in result.message
        with pytest.raises(FileDamaged):
            with files.open(second.id) as fh:
                fh.read()
        with files.open(third.id) as fh:
            assert fh.read() == PDF_BYTES + b"3"


def test_doctor_notices_a_changed_instance_key(file_app):
    with app_thread_context(file_app):
        files.attach("filetest", "case", "7", "filetest.paper", PDF_BYTES, "one.pdf")
        file_app.config["BACKUP_KEY"] = "a different key entirely, 0123456789"
        result = doctor_check()
    assert result.status == "fail" and "backup_key" in result.message


# --- the widget ----------------------------------------------------------------------------------------

def test_the_example_plugin_shows_the_widget_to_those_who_may_see_it(app):
    editor = login_as(app, "front_desk")  # hello.greetings.edit
    page = editor.get("/hello/").get_data(as_text=True)
    assert "Pictures for the board" in page and 'class="file-upload"' in page and 'type="file"' in page
    assert "PNG image, JPEG image, GIF image, WebP image, up to 5 MB each" in page
    response = upload(editor, "hello.picture", [("team.png", png_with(b"team"), "image/png")], plugin="hello",
                      object_kind="board", object_id="main")
    assert response.status_code == 200 and "team.png" in response.get_data(as_text=True)
    reader = login_as(app, "hr")  # hello.greetings.view only
    page = reader.get("/hello/").get_data(as_text=True)
    assert "team.png" in page and 'class="file-upload"' not in page


def test_archives_of_format_1_without_files_still_read(tmp_path, monkeypatch):
    from medoffice import backup

    payload = tmp_path / "db.bin"
    payload.write_bytes(b"database bytes" * 1000)
    manifest = {"engine": "sqlite", "created_at": "2026-01-02T03:04:05+00:00", "payload_size": 14000,
                "payload_sha256": hashlib.sha256(payload.read_bytes()).hexdigest()}
    current = backup._header
    monkeypatch.setattr(backup, "_header", lambda key, salt, version=1: current(key, salt, 1))
    backup.write_archive(payload, tmp_path / "old.mobackup", "k" * 40, manifest)
    monkeypatch.setattr(backup, "_header", current)
    assert (tmp_path / "old.mobackup").read_bytes()[8] == 1
    files_out = io.BytesIO()
    read = backup.read_archive(tmp_path / "old.mobackup", "k" * 40, tmp_path / "out.bin", files_out)
    assert read["engine"] == "sqlite" and "files" not in read and files_out.getvalue() == b""
    assert (tmp_path / "out.bin").read_bytes() == payload.read_bytes()


def _panels_as(app, username: str, ids: list) -> tuple[dict, dict, list]:
    """Each case's panel rendered alone, then all of them by the batched call (with the statements it ran),
    in one request of ``username`` to the page listing them."""
    from flask_login import login_user

    from medoffice.auth.accounts import load_session_user
    from medoffice.files.views import render_panel, render_panels
    from medoffice.models import User
    from medoffice.testing import count_queries

    with app.test_request_context("/cases"), app_thread_context(app):
        login_user(load_session_user(User.get(User.username == username).id))
        alone = {i: render_panel("filetest", "case", i, "filetest.paper", title="Case papers") for i in ids}
        with count_queries() as seen:
            many = render_panels("filetest", "case", ids, "filetest.paper", title="Case papers")
    return alone, many, seen


def test_a_page_of_many_objects_reads_their_files_at_once_and_shows_each_panel_as_alone(file_app):
    from medoffice.testing import create_test_user

    with app_thread_context(file_app):
        files.attach("filetest", "case", "1", "filetest.paper", PDF_BYTES, "first.pdf")
        files.attach("filetest", "case", "3", "filetest.paper", PDF_BYTES + b"3", "third.pdf")
        gone = files.attach("filetest", "case", "3", "filetest.paper", PDF_BYTES + b"old", "old.pdf")
        files.delete(gone, "Wrong case")
        files.attach("filetest", "case", "3", "filetest.scan", png_with(b"scan"), "scan.png")  # another kind
    admin, auditor, front_desk = (create_test_user(file_app, (role,)) for role in ("admin", "auditor", "front_desk"))

    alone, many, seen = _panels_as(file_app, admin, [1, 2, 3])
    assert many == alone  # the same panels: list, upload form, removed files, ids and URLs
    assert "first.pdf" in many[1] and "third.pdf" not in many[1] and "No files yet." in many[2]
    assert "third.pdf" in many[3] and "scan.png" not in many[3] and "Reason: Wrong case" in many[3]
    assert all('class="file-upload"' in panel for panel in many.values())
    assert len([s for s in seen if "core_file" in s and s.lstrip().upper().startswith("SELECT")]) == 1
    with app_thread_context(file_app):
        listed = [json.loads(e.detail) for e in entries("file.list")]
        # Each panel showing files is recorded once per rendering, naming its own files (removed ones too).
        assert sorted((d["object_id"], len(d["files"])) for d in listed) == [("1", 1)] * 2 + [("3", 2)] * 2
        for case in range(4, 13):
            files.attach("filetest", "case", str(case), "filetest.paper", PDF_BYTES + bytes([case]), f"{case}.pdf")
    _alone, more, seen_more = _panels_as(file_app, admin, list(range(1, 13)))
    assert len(seen_more) == len(seen) and "12.pdf" in more[12]  # four times the files, no more statements

    _alone, viewer, _seen = _panels_as(file_app, auditor, [1, 3])
    assert "first.pdf" in viewer[1] and 'class="file-upload"' not in viewer[1] and "old.pdf" not in viewer[3]
    _alone, nothing, _seen = _panels_as(file_app, front_desk, [1, 3])
    assert nothing == {1: "", 3: ""}


def test_each_panel_uploads_to_its_own_object_as_url_for_builds_it(file_app):
    """The upload URL each panel posts to (built once per page, each object's id put in) is the one url_for
    builds for that object, for ids of every character an object id may hold."""
    from flask import url_for
    from markupsafe import escape
    from medoffice.testing import create_test_user

    ids = ["7", "a.b", "x:y-z_9", "Z" * 60]
    _alone, many, _seen = _panels_as(file_app, create_test_user(file_app, ("admin",)), ids)
    with file_app.test_request_context("/cases"):
        for object_id in ids:
            url = url_for("core.files_upload", plugin="filetest", object_kind="case", object_id=object_id,
                          kind="filetest.paper", next="/cases", title="Case papers")
            assert f'action="{escape(url)}"' in many[object_id] and object_id in url
