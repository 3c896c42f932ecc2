"""Exclusion screening: importing the LEIE and SAM files (validated first, nothing written for a
bad file, the same file twice changes nothing, a newer list replaces the old), matches by NPI and
by normalised name and non-matches, the review queue, runs kept as evidence, and the command line."""
from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from click.testing import CliRunner
from medoffice.cli import main
from medoffice.models import StaffMember
from medoffice.testing import connected, count_queries, login

from medoffice_compliance import screening
from medoffice_compliance.models import BusinessAssociate, ExclusionEntry, ExclusionList, ScreeningMatch, ScreeningRun

HEADER = ",".join(screening.LEIE_COLUMNS)
LEIE = "\n".join((
    HEADER,
    "NUNEZ,JOSE,ANTONIO,,IND- LIC HC SERV PRO,NURSE,,0000000000,19700102,1 MAIN,RENO,NV,89501,1128b4,20200115,,,",
    "OTHER,NAME,,,IND,MD,,1234567893,,2 MAIN,RENO,NV,89501,1128a1,20190101,,,",
    "SMITH,JON,,,IND,MD,,0000000000,,3 MAIN,RENO,NV,89501,1128a1,20190101,,,",
    ",,,SHADY SHREDDING INC,BUSINESS,,,0000000000,,4 MAIN,RENO,NV,89501,1128a1,20190101,,,",
)) + "\n"
SAM = ("Classification,Name,Prefix,First,Middle,Last,Suffix,State / Province,Exclusion Type,Active Date,NPI\n"
       "Individual,,,Zoë,,Hart,,CA,Ineligible,03/15/2021,\n")


@pytest.fixture
def app(make_app):
    return make_app(plugins=["compliance"], csrf=True)


def _text(response) -> str:
    return response.get_data(as_text=True)


def _people(app):
    with connected(app):
        StaffMember.create(first_name="José María", last_name="Núñez", job_title="Nurse")  # name match
        StaffMember.create(first_name="Ann", last_name="Able", is_provider=True, npi="1234567893")  # NPI match
        StaffMember.create(first_name="John", last_name="Smith")  # not Jon
        StaffMember.create(first_name="Zoe", last_name="Hart")  # SAM
        StaffMember.create(first_name="Old", last_name="Nunez", active=False)  # inactive: not screened
        BusinessAssociate.create(name="Shady Shredding, Inc.")


def _import(client, data, source="leie", day="2026-11-01"):
    return client.post("/compliance/screening/import", data={"source": source, "list_date": day,
                                                             "file": (io.BytesIO(data), "UPDATED.csv")},
                       content_type="multipart/form-data")


def test_bad_files_are_refused_with_nothing_written(app):
    manager = login(app.test_client(), "office_manager")
    wrong = _import(manager, b"NAME,DATE\nx,y\n")
    assert wrong.status_code == 422 and "not the LEIE database file" in _text(wrong)
    bad_row = _import(manager, (LEIE + "BROKEN,ROW,,,,,,,1970-01-02,,,,,,20200115,,,\n").encode())
    assert bad_row.status_code == 422 and "line 6: DOB" in _text(bad_row)
    with connected(app):
        assert ExclusionList.select().count() == 0 and ExclusionEntry.select().count() == 0
    assert login(app.test_client(), "auditor").post("/compliance/screening/run").status_code == 403


def test_screening_matches_and_the_review_queue(app):
    _people(app)
    manager = login(app.test_client(), "office_manager")
    assert _import(manager, LEIE.encode()).status_code == 302
    assert _import(manager, SAM.encode(), source="sam").status_code == 302
    assert _import(manager, LEIE.encode()).status_code == 302  # the same file: nothing changes
    with connected(app):
        assert ExclusionList.select().count() == 2 and ExclusionEntry.select().count() == 5
    assert manager.post("/compliance/screening/run").status_code == 302
    with connected(app):
        run = ScreeningRun.get()
        found = {(m.subject_name, m.entry_name, m.matched_on, m.source) for m in ScreeningMatch.select()}
    assert run.screened == 5 and run.possible_matches == 4
    assert found == {("Núñez, José María", "JOSE ANTONIO NUNEZ", "name", "leie"),
                     ("Able, Ann", "NAME OTHER", "npi", "leie"),
                     ("Hart, Zoe", "Zoë Hart", "name", "sam"),
                     ("Shady Shredding, Inc.", "SHADY SHREDDING INC", "name", "leie")}
    page = _text(manager.get("/compliance/screening"))
    assert "JOSE ANTONIO NUNEZ" in page and "Never screened" not in page
    with connected(app):
        match = ScreeningMatch.get(ScreeningMatch.subject_name == "Able, Ann")
    assert manager.post(f"/compliance/screening/matches/{match.id}/review",
                        data={f"match-{match.id}-decision": "cleared", f"match-{match.id}-note": ""}).status_code == 422
    cleared = manager.post(f"/compliance/screening/matches/{match.id}/review",
                           data={f"match-{match.id}-decision": "cleared",
                                 f"match-{match.id}-note": "Typo in the LEIE NPI; different DOB and state"})
    assert cleared.status_code == 302
    with connected(app):
        second = screening.run(by="t")
        statuses = {m.subject_name: m.status for m in second.matches}
        assert statuses["Able, Ann"] == "cleared" and statuses["Hart, Zoe"] == "open"
        assert ScreeningRun.select().count() == 2  # every run is kept as evidence
    with count_queries() as seen:
        page = _text(manager.get("/compliance/screening"))
    assert "<h3>Reviewed matches</h3>" in page and "Typo in the LEIE NPI; different DOB and state" in page
    assert page.count('<td class="numeric">5</td><td class="numeric">') == 2  # both runs in the history
    assert page.count("<td>Yes</td></tr>") == 2 and "<tr><td>Hart, Zoe</td>" in page  # both lists; still open
    # four reads and the names (besides the versions, which PostgreSQL's process reads only once told they moved)
    assert len([s for s in seen if s.startswith("SELECT") and "core_state_version" not in s]) == 5


def test_a_newer_list_replaces_the_old_one_and_date_of_birth_tells_people_apart(app):
    manager = login(app.test_client(), "office_manager")
    assert _import(manager, LEIE.encode()).status_code == 302
    newer = HEADER + "\nNEW,PERSON,,,IND,,,0000000000,19800101,,,NV,,1128a1,20250101,,,\n"
    assert _import(manager, newer.encode(), day="2026-12-01").status_code == 302
    with connected(app):
        current = screening.current_list("leie")
        assert current.list_date == dt.date(2026, 12, 1) and ExclusionEntry.select().count() == 1
        assert ExclusionList.select().where(ExclusionList.current == False).count() == 1  # noqa: E712
        same = screening.Subject("staff", 1, "Person, New", "new|person", "", dt.date(1980, 1, 1))
        other = screening.Subject("staff", 2, "Person, New", "new|person", "", dt.date(1990, 1, 1))
        unknown = screening.Subject("staff", 3, "Person, New", "new|person", "")
        matches = screening.find_matches([same, other, unknown], [current])
    assert sorted((m[0].id, m[2]) for m in matches) == [(1, "name_dob"), (3, "name")]


def test_the_command_line_imports_and_screens(make_app, tmp_path):
    instance = tmp_path / "cli-instance"
    instance.mkdir()
    (instance / "medoffice.toml").write_text('secret_key = "test-secret-key"\nbackup_key = "k"\n')
    app = make_app(plugins=["compliance"], instance=instance)
    _people(app)
    env = {"MEDOFFICE_DATABASE_URL": app.config["DATABASE_URL"]} if app.config.get("DATABASE_URL") else {}

    def cli(*args):
        return CliRunner().invoke(main, ["--instance", app.instance_path, "compliance", "screening", *args], env=env)

    bad = tmp_path / "bad.csv"
    bad.write_text("NAME\nx\n", encoding="utf-8")
    refused = cli("import-leie", str(bad), "--json")
    assert refused.exit_code == 1 and json.loads(refused.output)["ok"] is False
    good = tmp_path / "UPDATED.csv"
    good.write_text(LEIE, encoding="utf-8")
    imported = cli("import-leie", str(good), "--date", "2026-11-01", "--json")
    assert imported.exit_code == 0, imported.output
    assert json.loads(imported.output) == {"ok": True, "source": "leie", "list_date": "2026-11-01", "rows": 4,
                                           "unchanged": False}
    assert json.loads(cli("import-leie", str(good), "--json").output)["unchanged"] is True
    sam = tmp_path / "sam.csv"
    sam.write_text(SAM, encoding="utf-8")
    assert cli("import-sam", str(sam), "--json").exit_code == 0
    ran = cli("run", "--json")
    assert ran.exit_code == 0, ran.output
    result = json.loads(ran.output)
    assert result["screened"] == 5 and len(result["possible_matches"]) == 4
    assert {"person": "Able, Ann", "kind": "staff", "list": "leie", "list_date": "2026-11-01", "entry": "NAME OTHER",
            "matched_on": "npi", "status": "open"} in result["possible_matches"]


def test_today_counts_matches_to_review_and_keeps_the_count_until_a_match_changes(app):
    """Today's "possible matches to review" (and lapsed credentials) are counted once and kept per process
    (compliance.screening_matches, compliance.credentials) until a match changes, by any writer."""
    from medoffice.db import db
    from medoffice.testing import page_queries

    _people(app)
    manager = login(app.test_client(), "office_manager")
    assert _import(manager, LEIE.encode()).status_code == 302
    assert manager.post("/compliance/screening/run").status_code == 302
    today = _text(manager.get("/today"))
    assert "Exclusion screening: possible matches to review" in today
    assert '<span class="count">3</span>' in today.split("possible matches to review")[0].rsplit("<li", 1)[1]
    assert not [sql for sql in page_queries(manager, "/today") if "compliance_" in sql]
    with connected(app):  # by plain SQL, as another process would
        db.execute_sql("UPDATE compliance_screening_match SET status = 'cleared'")
    assert "possible matches to review" not in _text(manager.get("/today"))
