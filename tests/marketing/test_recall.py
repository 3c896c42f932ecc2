"""Recall and reactivation: lists computed from visits, outreach through core's gate (consent, quiet
hours, preferred contact) delivered to a real SMTP server on the loopback, outcomes and conversion."""
from __future__ import annotations

import datetime as dt
import email
import re
import socket
from email.policy import default as default_policy
from types import SimpleNamespace

import peewee
import pytest
from aiosmtpd.controller import Controller
from medoffice import settings
from medoffice.db import utcnow
from medoffice.messages import consent, gate, outbox, smtp
from medoffice.messages.models import OutboxMessage
from medoffice.models import AuditEvent, Patient
from medoffice.patient_merge import merge_patients
from medoffice.testing import connected, login

from medoffice_marketing import recall
from medoffice_marketing.jobs import recount_kept_figures
from medoffice_marketing.listfigures import recount_lists
from medoffice_marketing.models import MARKETING_MODELS, LastVisit, RecallEntry, RecallRule, Visit
from medoffice_marketing.revenue import take_billing_event

from marketing_setup import billing_event, new_patient

D = dt.date
AS_OF = D(2026, 6, 15)


class Inbox:
    """What the loopback SMTP server received."""

    def __init__(self):
        self.received = []

    async def handle_DATA(self, server, session, envelope):
        self.received.append((list(envelope.rcpt_tos),
                              email.message_from_bytes(envelope.original_content or envelope.content,
                                                       policy=default_policy)))
        return "250 2.0.0 Ok: queued"


@pytest.fixture
def inbox():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    box = Inbox()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    box.port = port
    try:
        yield box
    finally:
        controller.stop()


def _server(port: int) -> None:
    smtp.save(smtp.ServerSettings(host="127.0.0.1", port=port, security="none", from_address="office@practice.example",
                                  from_name="Test Practice"), None, "test")


def _no_quiet_hours() -> None:
    settings.set_many({gate.QUIET_START: 0, gate.QUIET_END: 0})


def _grant(patient, purpose: str, channel: str = "email", decision: str = "granted") -> None:
    consent.record(patient.id, channel, purpose, decision, "form", by="tester")


def _rule(**values) -> RecallRule:
    return recall.save_rule({"name": "Annual physical", "kind": "recall", "visit_type": "Annual physical",
                             "interval_months": 12, "message_label": "yearly check-up", **values})


def test_recall_list_follows_the_last_visit_of_the_type(mk_app):
    with connected(mk_app):
        rule = _rule()
        due = new_patient(last_name="Due")
        recall.add_visit(due, D(2025, 6, 1), "Annual physical")
        recall.add_visit(due, D(2026, 2, 1), "Office visit")  # another type does not reset the recall
        soon = new_patient(last_name="Soon")
        recall.add_visit(soon, D(2025, 7, 10), "Annual physical")  # due within the next month
        recent = new_patient(last_name="Recent")
        recall.add_visit(recent, D(2025, 6, 1), "Annual physical")
        recall.add_visit(recent, D(2026, 1, 5), "Annual physical")
        lost = new_patient(last_name="Lost")
        recall.add_visit(lost, D(2023, 1, 1), "Annual physical")  # reactivation's, not recall's
        gone = new_patient(last_name="Gone", active=False)
        recall.add_visit(gone, D(2025, 6, 1), "Annual physical")
        found = {row.last_name: row for row in recall.due_query(rule, AS_OF)}
        assert sorted(found) == ["Due", "Soon"]
        assert recall.due_on(rule, found["Due"].last_visit_on) == D(2026, 6, 1)
        lapsed = recall.save_rule({"name": "Lapsed", "kind": "reactivation", "interval_months": 18})
        assert sorted(r.last_name for r in recall.due_query(lapsed, AS_OF)) == ["Lost"]
        kept = recall.create_list(rule, AS_OF, "tester")
        assert RecallEntry.select().where(RecallEntry.recall_list == kept).count() == 2
        entry = RecallEntry.get((RecallEntry.recall_list == kept) & (RecallEntry.patient == soon.id))
        assert entry.due_on == D(2026, 7, 10) and entry.last_visit_on == D(2025, 7, 10)


def test_outreach_reaches_a_real_mail_server_only_with_consent(mk_app, inbox):
    with connected(mk_app):
        _server(inbox.port)
        _no_quiet_hours()
        rule = recall.save_rule({"name": "Lapsed", "kind": "reactivation", "interval_months": 18,
                                 "message_label": "visit"})
        agreed = new_patient(first_name="Agreed")
        opted_out = new_patient(first_name="Optedout")
        never_asked = new_patient(first_name="Neverasked")
        by_phone = new_patient(first_name="Phone", preferred_contact="phone")
        do_not = new_patient(first_name="Donot", preferred_contact="none")
        for patient in (agreed, opted_out, never_asked, by_phone, do_not):
            recall.add_visit(patient, D(2024, 1, 1), "")
        _grant(agreed, "marketing")
        _grant(opted_out, "marketing")
        _grant(opted_out, "marketing", decision="refused")  # the latest answer holds
        _grant(do_not, "marketing")
        kept = recall.create_list(rule, AS_OF, "tester")
        counts = recall.send(kept, "preferred", "tester")
        assert counts == {"queued": 1, "refused": 2, "call": 1, "do_not_contact": 1}
        assert recall.send(kept, "preferred", "tester")["queued"] == 0  # each patient is contacted once
        notes = {e.patient_id: (e.contact, e.contact_note) for e in RecallEntry.select()}
        assert notes[opted_out.id][0] == "refused" and "refused e-mail about marketing" in notes[opted_out.id][1]
        assert notes[never_asked.id][0] == "refused" and "No consent on record" in notes[never_asked.id][1]
        assert notes[by_phone.id][0] == "call" and notes[do_not.id][0] == "do_not_contact"
        assert outbox.deliver_due()["sent"] == 1
        figures = recall.conversion([kept.id])[kept.id]
        assert figures["patients"] == 5 and figures["contacted"] == 2 and figures["refused"] == 2
    [(rcpt, arrived)] = inbox.received
    assert rcpt == [agreed.email]
    assert arrived["Subject"].startswith("We would like to see you again")
    assert arrived["List-Unsubscribe"] is not None  # marketing: the opt-out travels with it
    assert "Dear Agreed" in arrived.get_body(("plain",)).get_content()


def test_a_quiet_hours_send_waits_and_a_recall_letter_goes_to_the_outbox(mk_app, inbox):
    with connected(mk_app):
        _server(inbox.port)
        rule = _rule()
        patient = new_patient(first_name="Night")
        letter = new_patient(first_name="Paper", preferred_contact="mail")
        for p in (patient, letter):
            recall.add_visit(p, D(2025, 6, 10), "Annual physical")
        _grant(patient, "appointments_recalls")
        _grant(letter, "appointments_recalls", channel="post")
        hour = utcnow().astimezone(settings.practice_timezone()).hour
        settings.set_many({gate.QUIET_START: hour, gate.QUIET_END: (hour + 2) % 24})
        kept = recall.create_list(rule, AS_OF, "tester")
        assert recall.send(kept, "preferred", "tester")["queued"] == 2
        held = OutboxMessage.get(OutboxMessage.patient == patient.id)
        assert held.channel == "core.email" and held.next_attempt_at > utcnow()
        assert "yearly check-up" in held.body_text and "June 2026" in held.body_text
        assert RecallEntry.get(RecallEntry.patient == patient.id).contact_note.startswith("Held for quiet hours")
        assert OutboxMessage.get(OutboxMessage.patient == letter.id).channel == "core.letter"
        outbox.deliver_due()
    assert inbox.received == []  # nothing goes out during quiet hours


def test_the_list_page_records_outcomes_and_shows_conversion(mk_app):
    desk = login(mk_app.test_client(), "front_desk")
    with connected(mk_app):
        rule = _rule()
        patients = [new_patient() for _ in range(4)]
        for p in patients:
            recall.add_visit(p, D(2025, 6, 1), "Annual physical")
        kept = recall.create_list(rule, settings.today(), "tester")
        entries = {e.patient_id: e.id for e in RecallEntry.select()}
        recall.add_visit(patients[1], settings.today(), "Annual physical")  # came back without a recorded outcome
    assert desk.post(f"/marketing/recall/entries/{entries[patients[0].id]}/outcome",
                     data={"outcome": "booked"}).status_code == 302
    assert desk.post(f"/marketing/recall/entries/{entries[patients[2].id]}/outcome",
                     data={"outcome": "teleported"}).status_code == 422
    page = desk.get(f"/marketing/recall/lists/{kept.id}").get_data(as_text=True)
    assert "50.0%" in page  # booked one, one came back: 2 of 4
    with connected(mk_app):
        shown = AuditEvent.select().where(AuditEvent.action == "marketing.recall_list.view").order_by(
            AuditEvent.seq.desc()).first()
        assert shown is not None and str(patients[3].id) in shown.detail
        assert RecallEntry.get_by_id(entries[patients[0].id]).outcome == "booked"


def _due_by_grouping(rule: RecallRule) -> list[tuple[int, dt.date]]:
    """(patient, last visit) as grouping every visit says: what the kept last visits must agree with."""
    rows = [(r.id, recall.as_date(r.last_visit_on)) for r in recall.due_query(rule, AS_OF)]
    last = peewee.fn.MAX(Visit.visit_on)
    visits = Visit.select(Visit.patient, last).group_by(Visit.patient)
    if rule.visit_type:
        visits = visits.where(Visit.visit_type == rule.visit_type)
    grouped = {patient: recall.as_date(on) for patient, on in visits.tuples()}
    assert all(grouped[patient] == on for patient, on in rows)
    return sorted(rows)


def test_kept_last_visits_follow_every_writer_of_visits_and_a_merge(mk_app):
    with connected(mk_app):
        rule = _rule()
        any_visit = _rule(name="Any visit", visit_type="")
        first, duplicate = new_patient(last_name="First"), new_patient(last_name="Twin")
        recall.add_visit(first, D(2025, 6, 1), "Annual physical")
        recall.add_visit(first, D(2023, 1, 1), "Annual physical")  # an older visit entered late changes nothing
        assert _due_by_grouping(rule) == _due_by_grouping(any_visit) == [(first.id, D(2025, 6, 1))]
        take_billing_event(billing_event("billing.charge_posted", first.id, 8_000, D(2026, 2, 1)))
        assert _due_by_grouping(any_visit) == [] and _due_by_grouping(rule) == [(first.id, D(2025, 6, 1))]
        recall.add_visit(duplicate, D(2025, 7, 1), "Annual physical")
        merge_patients(first.id, duplicate.id, MARKETING_MODELS)
        assert _due_by_grouping(rule) == [(first.id, D(2025, 7, 1))]  # the survivor's latest, once
        recall.add_visit(first, D(2026, 3, 1), "Annual physical")
        assert _due_by_grouping(rule) == []
        assert LastVisit.select().where(LastVisit.visit_type == "").count() == 2


@pytest.fixture
def five_due(mk_app):
    """The annual physical rule, five patients seen for one a year ago (due under it) and ``names(url)``:
    the patients a list page shows a front desk user, in order."""
    desk = login(mk_app.test_client(), "front_desk")
    a_year_ago = settings.today() - dt.timedelta(days=365)
    with connected(mk_app):
        rule = _rule()
        for name in ("Young", "Abbot", "Miller", "Baker", "Zane"):
            recall.add_visit(new_patient(last_name=name), a_year_ago, "Annual physical")

    def names(url: str) -> list[str]:
        return re.findall(r">(\w+), ", desk.get(url).get_data(as_text=True))

    return SimpleNamespace(rule=rule, a_year_ago=a_year_ago, names=names)


def test_a_dense_due_list_page_shows_the_same_patients_in_the_same_order(mk_app, five_due, monkeypatch):
    with connected(mk_app):
        recall.add_visit(new_patient(last_name="Carter"), settings.today(), "Annual physical")  # not due
        recall.add_visit(new_patient(last_name="Dunn"), five_due.a_year_ago, "Office visit")  # another type
    names = five_due.names
    url = f"/marketing/recall/rules/{five_due.rule.id}"
    sparse = names(url), names(url + "?desc=1"), names(url + "?sort=account_number")
    monkeypatch.setattr(recall, "DENSE_LIST", 2)  # walks the patients first (on SQLite)
    assert (names(url), names(url + "?desc=1"), names(url + "?sort=account_number")) == sparse
    assert sparse[0] == ["Abbot", "Baker", "Miller", "Young", "Zane"] and sparse[1] == sparse[0][::-1]


def test_a_dense_due_list_counts_the_patients_the_sparse_one_counts(mk_app, five_due, monkeypatch):
    """Past a page, a dense list (on SQLite) counts from the kept rows in patient order: the same patients, a
    survivor's older row of the type once, inactive patients and other types left out."""
    with connected(mk_app):
        for n in range(24):
            recall.add_visit(new_patient(last_name=f"Due{n:02d}"), five_due.a_year_ago, "Annual physical")
        twice = new_patient(last_name="Twice")
        recall.add_visit(twice, five_due.a_year_ago, "Annual physical")
        LastVisit.create(patient=twice, visit_type="Annual physical",  # as a merge leaves it
                         last_visit_on=five_due.a_year_ago - dt.timedelta(days=20))
        recall.add_visit(new_patient(last_name="Gone", active=False), five_due.a_year_ago, "Annual physical")
        recall.add_visit(new_patient(last_name="Other"), five_due.a_year_ago, "Office visit")
    desk = login(mk_app.test_client(), "front_desk")
    url = f"/marketing/recall/rules/{five_due.rule.id}"

    def counted() -> str:
        return re.search(r"([\d,+]+) patients", desk.get(url).get_data(as_text=True)).group(1)

    sparse = counted()
    monkeypatch.setattr(recall, "DENSE_LIST", 2)
    assert counted() == sparse == "30"


def _figures_and_recount(list_id: int) -> tuple[dict, dict]:
    """(the list's figures as kept, as counted afresh from its entries and the visits)."""
    kept = recall.conversion([list_id])[list_id]
    recount_lists([list_id])
    return kept, recall.conversion([list_id])[list_id]


def test_kept_list_figures_follow_contacts_outcomes_and_visits_and_agree_with_a_recount(mk_app):
    with connected(mk_app):
        rule = _rule()
        patients = [new_patient(preferred_contact="phone") for _ in range(5)]
        for patient in patients:
            recall.add_visit(patient, D(2025, 6, 1), "Annual physical")
        recall.add_visit(patients[4], AS_OF + dt.timedelta(days=3), "Office visit")  # back before the list was kept
        kept = recall.create_list(rule, AS_OF, "tester")
        entries = {e.patient_id: e for e in RecallEntry.select()}
        first = _figures_and_recount(kept.id)
        assert first[0] == first[1] and (first[0]["patients"], first[0]["came_back"]) == (5, 1)
        assert recall.send(kept, "preferred", "tester")["call"] == 5
        recall.set_outcome(RecallEntry.get_by_id(entries[patients[0].id].id), "booked", AS_OF)
        recall.set_outcome(RecallEntry.get_by_id(entries[patients[1].id].id), "declined", AS_OF)
        recall.set_outcome(RecallEntry.get_by_id(entries[patients[1].id].id), "", AS_OF)  # taken back
        recall.add_visit(patients[2], AS_OF, "Office visit")  # came back the day the list was kept
        recall.add_visit(patients[0], AS_OF + dt.timedelta(days=9), "Office visit")  # booked and came
        take_billing_event(billing_event("billing.charge_posted", patients[3].id, 8_000, AS_OF - dt.timedelta(days=1)))
        kept_figures, counted = _figures_and_recount(kept.id)
    assert kept_figures == counted
    assert {k: kept_figures[k] for k in ("patients", "contacted", "booked", "declined", "came_back", "converted")} == \
        {"patients": 5, "contacted": 5, "booked": 1, "declined": 0, "came_back": 3, "converted": 3}
    assert kept_figures["conversion_bp"] == 6000


def test_a_long_kept_list_page_shows_the_same_patients_in_the_same_order(mk_app, five_due, monkeypatch):
    with connected(mk_app):
        recall.add_visit(new_patient(last_name="Carter"), five_due.a_year_ago, "Office visit")  # not on the list
        kept = recall.create_list(five_due.rule, settings.today(), "tester")
    names = five_due.names
    url = f"/marketing/recall/lists/{kept.id}"
    short = names(url), names(url + "?desc=1"), names(url + "?sort=due_on"), names(url + "?q=Mil")
    monkeypatch.setattr(recall, "DENSE_LIST", 2)  # walks the patients by name first (on SQLite)
    assert (names(url), names(url + "?desc=1"), names(url + "?sort=due_on"), names(url + "?q=Mil")) == short
    assert short[0] == ["Abbot", "Baker", "Miller", "Young", "Zane"] and short[1] == short[0][::-1]
    assert short[3] == ["Miller"]


def test_a_merge_recounts_the_lists_it_touches_at_once_and_the_morning_recount_agrees(mk_app):
    with connected(mk_app):
        rule = _rule()
        survivor, duplicate = new_patient(last_name="Stays"), new_patient(last_name="Twin")
        recall.add_visit(duplicate, D(2025, 6, 1), "Annual physical")
        kept = recall.create_list(rule, AS_OF, "tester")
        recall.add_visit(survivor, AS_OF + dt.timedelta(days=5), "Office visit")  # not on the list: not counted
        assert recall.conversion([kept.id])[kept.id]["came_back"] == 0
        merge_patients(survivor.id, duplicate.id, MARKETING_MODELS)  # the entry is now the survivor's, who came
        assert recall.conversion([kept.id])[kept.id]["came_back"] == 1  # recounted on core.patient_merged
        assert "1 recall list recounted" in recount_kept_figures()
        assert recall.conversion([kept.id])[kept.id]["came_back"] == 1


def _counted_rows() -> set[tuple]:
    """The kept last visits marked as counted by due lists."""
    return set(LastVisit.select(LastVisit.patient, LastVisit.visit_type, LastVisit.last_visit_on)
               .where(LastVisit.counted == True).tuples())  # noqa: E712


def _rows_due_lists_count() -> set[tuple]:
    """The same, from the due condition: each patient's latest row of a type (then the highest id), of an
    active unmerged patient."""
    latest = {}
    for row in LastVisit.select().order_by(LastVisit.last_visit_on, LastVisit.id):
        latest[row.patient_id, row.visit_type] = row
    patients = {p.id: p for p in Patient.select()}
    return {(row.patient_id, row.visit_type, row.last_visit_on) for row in latest.values()
            if patients[row.patient_id].active and patients[row.patient_id].merged_into_id is None}


def test_the_rows_a_due_list_counts_follow_every_writer_and_a_merge(mk_app):
    with connected(mk_app):
        first, duplicate = new_patient(last_name="First"), new_patient(last_name="Twin")
        recall.add_visit(first, D(2025, 6, 1), "Annual physical")
        recall.add_visit(first, D(2023, 1, 1), "Annual physical")  # older, entered late
        recall.add_visit(duplicate, D(2025, 7, 1), "Annual physical")
        recall.add_visit(new_patient(last_name="Gone", active=False), D(2025, 7, 1), "Annual physical")
        take_billing_event(billing_event("billing.charge_posted", first.id, 8_000, D(2026, 2, 1)))
        assert _counted_rows() == _rows_due_lists_count()
        assert len(_counted_rows()) == 4  # first and the twin, each of the type and of any type
        merge_patients(first.id, duplicate.id, MARKETING_MODELS)
        assert _counted_rows() == _rows_due_lists_count()  # marked afresh on core.patient_merged
        assert (first.id, "Annual physical", D(2025, 7, 1)) in _counted_rows()
        recount_kept_figures()
        assert _counted_rows() == _rows_due_lists_count()
        assert (first.id, "Annual physical", D(2025, 7, 1)) in _counted_rows()
        recall.add_visit(first, D(2026, 3, 1), "Annual physical")
        assert _counted_rows() == _rows_due_lists_count()
