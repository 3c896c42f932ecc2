"""837P export from the database: pyx12 accepts every file we write, claims become submitted only when
the file exists, control numbers grow, secondary claims carry the primary's adjudication; the CLI and
the pages; CMS-1500 forms for paper payers."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from billing_setup import database, encounter_with_charges, practice
from medoffice import settings
from medoffice.models import AuditEvent, Patient
from remit_setup import cli_app, make_835, pyx12_errors, run_cli

from medoffice_billing import claims, encounters, posting
from medoffice_billing.export837 import ExportError, export, ready_summaries
from medoffice_billing.models import Claim, ClaimBatch, ClaimBatchItem, ClaimEvent, Coverage, Payer
from medoffice_billing.x12 import tokenize

CLEARINGHOUSE = {"billing.x12_sender_id": "PRACTICE01", "billing.x12_receiver_id": "CLEARHOUSE",
                 "billing.x12_receiver_name": "Test Clearinghouse", "billing.x12_submitter_id": "PRACTICE01",
                 "billing.x12_contact_name": "Billing Office", "billing.x12_contact_phone": "2175550100"}


def ready_claim(records, codes=("99213",), day=None) -> Claim:
    """A claim for the practice's patient, through the real functions, marked ready."""
    encounter = encounter_with_charges(records, day, codes)
    return claims.mark_ready(claims.create_claim(encounter))


def setup_practice(**kwargs) -> dict:
    records = practice(**kwargs)
    settings.set_many(CLEARINGHOUSE)
    return records


def segments(text: str) -> list[list[str]]:
    return tokenize(text)[0]


def find(text: str, tag: str, first: str | None = None) -> list[list[str]]:
    return [s for s in segments(text) if s[0] == tag and (first is None or s[1] == first)]


def batch_text(batch: ClaimBatch) -> str:
    return bytes(batch.content).decode("ascii")


def test_patient_is_subscriber_file_validates_and_claims_become_submitted(app, tmp_path):
    with database(app):
        records = setup_practice()
        claim = ready_claim(records)
        assert ready_summaries()["electronic"] == (1, claim.total_charge_cents)
        out = tmp_path / "claims.x12"
        result = export(out=out)
        text = out.read_text(encoding="ascii")
        assert pyx12_errors(text) == []
        assert result.claim_count == 1 and result.total_charge_cents == 12000 and not result.skipped
        assert batch_text(result.batch) == text and result.batch.kind == "837p"
        clm = find(text, "CLM")
        assert [(s[1], s[2]) for s in clm] == [(claim.claim_number, "120")]
        sbr = find(text, "SBR")[0]
        assert sbr[1:3] == ["P", "18"] and sbr[9] == "CI"  # patient is the subscriber
        assert not find(text, "PAT") and find(text, "DMG")
        assert find(text, "REF", "6R")[0][2] == claims.claim_lines(claim)[0].service_line.control_number
        assert find(text, "NM1", "82")  # the rendering provider differs from the practice's NPI
        assert not find(text, "NM1", "77")  # the location has no address of its own
        claim = Claim.get_by_id(claim.id)
        assert claim.status == "submitted" and claim.submitted_at is not None
        event = ClaimEvent.select().where((ClaimEvent.claim == claim) & (ClaimEvent.to_status == "submitted")).get()
        assert result.batch.file_name in event.reason
        assert ClaimBatchItem.select().where(ClaimBatchItem.batch == result.batch).count() == 1
        assert AuditEvent.select().where(AuditEvent.action == "billing.batch.837p").count() == 1
        # Nothing is ready any more: a second export writes nothing.
        again = export(out=tmp_path / "again.x12")
        assert again.batch is None and not (tmp_path / "again.x12").exists()


def test_dependent_multiple_lines_and_diagnoses_validate(app, tmp_path):
    with database(app):
        records = setup_practice()
        child = Patient.create(account_number="P0000002", first_name="Lina", last_name="Diaz",
                               date_of_birth=dt.date(2015, 3, 9), sex="F", address1="5 Elm Street",
                               city="Springfield", state="IL", zip="62701")
        Coverage.create(patient_id=child.id, payer=records["payer"], rank=1, member_id="M123456",
                        group_number="GRP77", relationship="19", subscriber_first_name="Rosa",
                        subscriber_last_name="Diaz", subscriber_date_of_birth=dt.date(1970, 5, 6),
                        subscriber_sex="F", subscriber_address1="5 Elm Street", subscriber_city="Springfield",
                        subscriber_state="IL", subscriber_zip="62701", effective_date=dt.date(2000, 1, 1))
        encounter = encounters.create_encounter(child.id, {
            "service_date": settings.today() - dt.timedelta(days=4), "place_of_service": "11",
            "location_id": records["location"].id, "rendering_provider_id": records["provider"].id})
        for code in ("J06.9", "R05.9", "Z23"):
            encounters.add_diagnosis(encounter, code)
        for code, pointers in (("99213", [1, 2]), ("36415", [2]), ("99213", [3])):
            encounters.add_line(encounter, {"code": code, "modifiers": ["25"] if pointers == [1, 2] else [],
                                            "units": 1, "charge_cents": None, "pointers": pointers})
        dependent = claims.mark_ready(claims.create_claim(encounter))
        own = ready_claim(records, codes=("99213", "36415"))
        result = export(out=tmp_path / "two.x12")
        text = (tmp_path / "two.x12").read_text(encoding="ascii")
        assert pyx12_errors(text) == []
        assert result.claim_count == 2 and result.total_charge_cents == dependent.total_charge_cents + own.total_charge_cents
        # One subscriber (same member ID, payer and person) with her own claim and her child's in 2000C.
        hl = find(text, "HL")
        assert [s[3] for s in hl].count("23") == 1
        assert find(text, "PAT")[0][1] == "19" and find(text, "NM1", "QC")[0][3:5] == ["DIAZ", "LINA"]
        assert ["HI", "ABK:J069", "ABF:R059", "ABF:Z23"] in find(text, "HI")
        sv1 = find(text, "SV1")
        assert [s[1] for s in sv1].count("HC:99213:25") == 1 and len(sv1) == 5
        assert "1:2" in [s[7] for s in sv1]
        assert {Claim.get_by_id(c.id).status for c in (dependent, own)} == {"submitted"}


def test_control_numbers_grow_and_a_failed_write_leaves_claims_ready(app, tmp_path):
    with database(app):
        records = setup_practice()
        first = ready_claim(records)
        one = export(out=tmp_path / "a.x12")
        ready_claim(records, day=settings.today() - dt.timedelta(days=5))
        missing_folder = tmp_path / "no-such-folder" / "b.x12"
        with pytest.raises(ExportError, match="could not be written"):
            export(out=missing_folder)
        waiting = Claim.get(Claim.status == "ready")
        assert ClaimBatch.select().count() == 1 and not missing_folder.exists()
        assert not list(tmp_path.glob("**/.b.x12*"))  # no temporary file left behind
        two = export(out=tmp_path / "b.x12")
        assert two.batch.control_number > one.batch.control_number
        isa13 = [segments((tmp_path / n).read_text())[0][13] for n in ("a.x12", "b.x12")]
        assert int(isa13[1]) > int(isa13[0])
        text = (tmp_path / "b.x12").read_text()
        gs, st = find(text, "GS")[0], find(text, "ST")[0]
        assert int(gs[6]) == int(st[2]) == two.batch.control_number
        assert Claim.get_by_id(waiting.id).status == "submitted" and Claim.get_by_id(first.id).status == "submitted"


def test_export_refuses_without_clearinghouse_settings_and_skips_bad_claims(app, tmp_path):
    with database(app):
        records = practice()
        claim = ready_claim(records)
        with pytest.raises(ExportError, match="clearinghouse"):
            export(out=tmp_path / "x.x12")
        settings.set_many(CLEARINGHOUSE)
        # The patient's address went missing after the claim was marked ready: the scrubber stops it.
        Patient.update(address1="").where(Patient.id == claim.patient_id).execute()
        result = export(out=tmp_path / "x.x12")
        assert result.batch is None and [s.claim_number for s in result.skipped] == [claim.claim_number]
        assert "address" in result.skipped[0].problems[0]
        assert Claim.get_by_id(claim.id).status == "ready" and not (tmp_path / "x.x12").exists()


def test_secondary_claim_after_primary_paid_carries_the_adjudication(app, tmp_path):
    with database(app):
        records = setup_practice()
        second_payer = Payer.create(name="Second Mutual", payer_id="SEC01", filing_indicator="CI")
        Coverage.create(patient_id=records["patient"].id, payer=second_payer, rank=2, member_id="S998877",
                        effective_date=dt.date(2000, 1, 1))
        primary = ready_claim(records, codes=("99213", "36415"))
        export(out=tmp_path / "primary.x12")
        line1, line2 = [l.service_line.control_number for l in claims.claim_lines(primary)]
        # The primary allows 100.00 of the visit (pays 80.00, 20.00 coinsurance) and pays the blood draw.
        era = make_835([
            f"CLP*{primary.claim_number}*1*135*93*20*12*PAYER123",
            "NM1*QC*1*DIAZ*ROSA****MI*M123456",
            "SVC*HC:99213*120*80**1", f"DTM*472*{primary.service_date:%Y%m%d}", "CAS*CO*45*20", "CAS*PR*2*20",
            f"REF*6R*{line1}",
            "SVC*HC:36415*15*13**1", f"DTM*472*{primary.service_date:%Y%m%d}", "CAS*CO*45*2", f"REF*6R*{line2}",
        ], total="93", trace="EFT5001", payer_name=records["payer"].name, payer_id="ACME1")
    with app.app_context():
        result = posting.import_835(era, "primary.835")
    with database(app):
        assert result.totals()["patient_responsibility_cents"] == 2000
        assert Claim.get_by_id(primary.id).status == "paid"
        secondary = Claim.get((Claim.encounter == primary.encounter_id) & (Claim.responsibility == "S"))
        assert secondary.status == "draft" and secondary.payer_id == second_payer.id
        claims.mark_ready(secondary)
        exported = export(out=tmp_path / "secondary.x12")
        text = (tmp_path / "secondary.x12").read_text(encoding="ascii")
        assert pyx12_errors(text) == []
        assert exported.claim_count == 1
        assert find(text, "SBR")[0][1] == "S" and find(text, "SBR")[1][1] == "P"  # 2000B, then 2320 for the primary
        assert find(text, "AMT", "D")[0][2] == "93" and find(text, "AMT", "EAF")[0][2] == "20"
        assert find(text, "NM1", "PR")[1][9] == "ACME1"  # 2330B names the primary
        svd = find(text, "SVD")
        assert [(s[1], s[2]) for s in svd] == [("ACME1", "80"), ("ACME1", "13")]
        cas = [s[1:4] for s in find(text, "CAS")]
        assert sorted(cas) == [["CO", "45", "2"], ["CO", "45", "20"], ["PR", "2", "20"]]
        assert len(find(text, "DTP", "573")) == 2


def test_cli_export_837_json_and_refusals(make_app, tmp_path):
    app = cli_app(make_app, tmp_path)
    with database(app):
        records = setup_practice()
        claim = ready_claim(records)
        payer_id = records["payer"].payer_id
    out = tmp_path / "cli.x12"
    result = run_cli(app, "billing", "export-837", "--out", str(out), "--payer", payer_id, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"claims": 1, "total_charge_cents": claim.total_charge_cents, "file": str(out)}
    assert pyx12_errors(out.read_text()) == []
    nothing = run_cli(app, "billing", "export-837", "--out", str(tmp_path / "none.x12"), "--json")
    assert nothing.exit_code == 0 and json.loads(nothing.output)["claims"] == 0
    assert not (tmp_path / "none.x12").exists()
    unknown = run_cli(app, "billing", "export-837", "--out", str(tmp_path / "n.x12"), "--payer", "NOPE")
    assert unknown.exit_code != 0 and "no payer has the payer ID" in unknown.output
    with database(app):
        ready_claim(records, day=settings.today() - dt.timedelta(days=6))
    unwritable = run_cli(app, "billing", "export-837", "--out", str(tmp_path / "missing" / "f.x12"))
    assert unwritable.exit_code != 0 and "could not be written" in unwritable.output
    with database(app):
        assert Claim.select().where(Claim.status == "ready").count() == 1


def test_export_pages_download_and_permissions(app, client_as, tmp_path):
    with database(app):
        records = setup_practice()
        claim = ready_claim(records)
    biller = client_as("billing")
    page = biller.get("/billing/claims/export?sort=created_at&desc=1")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "1</strong> claim ready" in html and "$120.00" in html
    assert client_as("front_desk").get("/billing/claims/export?sort=created_at").status_code == 403
    made = biller.post("/billing/claims/export", data={"payer": "", "kind": "837p"})
    assert made.status_code == 302 and "/billing/claims/batches/" in made.headers["Location"]
    batch_page = biller.get(made.headers["Location"])
    assert claim.claim_number in batch_page.get_data(as_text=True)
    download = biller.get(made.headers["Location"] + "/download")
    assert download.status_code == 200 and "attachment" in download.headers["Content-Disposition"]
    assert pyx12_errors(download.get_data(as_text=True)) == []
    bad = biller.post("/billing/claims/export", data={"payer": "", "kind": "fax"})
    assert bad.status_code == 422
    with database(app):
        assert Claim.get_by_id(claim.id).status == "submitted"
        assert AuditEvent.select().where(AuditEvent.action == "billing.batch.download").count() == 1


def test_cms1500_pdf_for_one_claim_and_a_paper_batch(app, client_as):
    with database(app):
        records = setup_practice(electronic=False)
        claim = ready_claim(records, codes=("99213", "36415"))
        assert ready_summaries() == {"electronic": (0, 0), "paper": (1, 13500)}
    biller = client_as("billing")
    pdf = biller.get(f"/billing/claims/{claim.id}/cms1500.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    with app.test_request_context():
        from medoffice_billing import cms1500, export837, scrubber

        with database(app):
            facts = scrubber.gather(Claim.get_by_id(claim.id))
            form = export837.to_x12(facts, export837.PriorPayers([facts.claim]))
            pages = cms1500.form_pages(form, export837.billing_provider(), ["ACME"], "2175550100")
            html = cms1500.render_template("billing/cms1500.html", pages=pages)
    assert len(pages) == 1 and pages[0].items["28"] == "135.00" and pages[0].items["21A"] == "E11.9"
    assert [line.code for line in pages[0].lines] == ["99213", "36415"] and "1-group" in pages[0].checks
    for item in ("1a.", "17.", "21.", "24.", "33."):
        assert item in html  # every box is labelled with its item number
    printed = biller.post("/billing/claims/export", data={"payer": "", "kind": "cms1500"})
    assert printed.status_code == 302
    download = biller.get(printed.headers["Location"] + "/download")
    assert download.data.startswith(b"%PDF")
    with database(app):
        batch = ClaimBatch.get()
        assert batch.kind == "cms1500" and batch.claim_count == 1
        assert Claim.get_by_id(claim.id).status == "submitted"


def test_a_long_claim_continues_on_a_second_page(app):
    with app.test_request_context(), database(app):
        from medoffice_billing import cms1500, export837, scrubber

        records = setup_practice(electronic=False)
        claim = ready_claim(records, codes=("99213",) * 4 + ("36415",) * 4)
        facts = scrubber.gather(claim)
        pages = cms1500.form_pages(export837.to_x12(facts, export837.PriorPayers([facts.claim])),
                                   export837.billing_provider(), [], "")
    assert [len(p.lines) for p in pages] == [6, 2]
    assert pages[0].items["28"] == "CONTINUED" and pages[1].items["28"] == "540.00"



def test_claim_page_links_its_cms1500_pdf(app, client_as):
    with database(app):
        claim = ready_claim(setup_practice(electronic=False))
    page = client_as("billing").get(f"/billing/claims/{claim.id}").get_data(as_text=True)
    assert f'href="/billing/claims/{claim.id}/cms1500.pdf"' in page and "CMS-1500 (PDF)" in page
