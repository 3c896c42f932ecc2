"""Incidents and breaches: the incident log, the four-factor risk assessment recorded as a
decision with its reasoning, the notification clocks a breach starts (core deadlines), the
notice letters to the people affected (core messages) and the annual log of small breaches."""
from __future__ import annotations

import datetime as dt

from medoffice import audit, deadlines, messages, settings
from medoffice.db import transaction, utcnow
from medoffice.messages import MessageTemplate, TemplateField
from peewee import JOIN, fn

from . import rules
from .models import Incident, IncidentPatient, IncidentState

OWNER = "compliance"
DEADLINE_KIND = "compliance.breach_notice"

BREACH_NOTICE = MessageTemplate(
    key="compliance.breach_notice", title="Breach notice to an individual", purpose="required_notice",
    subject="Notice of a breach of your health information",
    body=("Dear {{ first_name }},\n\nWe are writing to tell you about an incident that involved your health "
          "information. On {{ discovered_on }} we discovered that {{ what_happened }}\n\n"
          "**What information was involved:** {{ information }}\n\n"
          "**What we are doing:** {{ our_steps }}\n\n**What you can do:** {{ your_steps }}\n\n"
          "For questions call {{ practice_phone }}.\n\n{{ practice_name }}\n"),
    fields=(TemplateField("discovered_on", "Date discovered", example="2026-03-02"),
            TemplateField("what_happened", "What happened", example="a laptop was stolen from a staff car."),
            TemplateField("information", "Kinds of information involved", example="names, dates of birth"),
            TemplateField("our_steps", "What the practice is doing", example="We have ..."),
            TemplateField("your_steps", "What the individual can do", example="Review your statements ...")),
    channels=("core.letter",), description="The notice each individual affected by a breach receives (45 CFR 164.404).")


class IncidentError(ValueError):
    """Input refused, with the field it concerns ("" for the whole form)."""

    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.field = field


def parse_affected(text: str) -> dict[str, int]:
    """People affected by state from lines or commas like ``CA 120, NV 3``.

    :raises IncidentError: a state or a count that cannot be read.
    """
    counts: dict[str, int] = {}
    for part in (text or "").replace("\n", ",").split(","):
        words = part.replace(":", " ").replace("=", " ").split()
        if not words:
            continue
        if len(words) != 2 or words[0].upper() not in rules.STATES or not words[1].isascii() \
                or not words[1].isdecimal() or len(words[1]) > 9:
            raise IncidentError(f"Write each state as its code and a count, like \"CA 120\" (not {part.strip()!r}).",
                                "affected")
        state = words[0].upper()
        if state in counts:
            raise IncidentError(f"{state} is given twice.", "affected")
        counts[state] = int(words[1])
    return counts


def affected(incident: Incident) -> dict[str, int]:
    """People affected by state."""
    return {s.state: s.affected for s in incident.states.order_by(IncidentState.state)}


def log(*, title: str, description: str, occurred_on: dt.date | None, discovered_on: dt.date, reported_by: str,
        phi_involved: bool, affected_by_state: dict[str, int], by: str, today: dt.date | None = None) -> Incident:
    """Log an incident (validated first; nothing written when refused)."""
    today = today or settings.today()
    if not title.strip():
        raise IncidentError("Give the incident a short title (no patient names).", "title")
    if discovered_on > today:
        raise IncidentError("An incident cannot be discovered in the future.", "discovered_on")
    if occurred_on and occurred_on > discovered_on:
        raise IncidentError("It cannot have happened after it was discovered.", "occurred_on")
    with transaction():
        incident = Incident.create(title=title.strip()[:200], description=description.strip(),
                                   occurred_on=occurred_on, discovered_on=discovered_on,
                                   reported_by=reported_by.strip()[:150], phi_involved=phi_involved, created_by=by)
        for state, count in affected_by_state.items():
            IncidentState.create(incident=incident, state=state, affected=count)
        audit.record("compliance.incident.create", "compliance_incident", incident.id,
                     detail={"discovered_on": discovered_on.isoformat(), "affected": sum(affected_by_state.values())})
    return incident


def clocks(incident: Incident) -> rules.BreachClocks | None:
    """The notices the incident owes, or None unless it was decided to be a breach."""
    if incident.decision != "breach":
        return None
    return rules.breach_clocks(incident.discovered_on, affected(incident))


def _upsert(incident: Incident, what: str, title: str, due: dt.date) -> None:
    deadlines.upsert(OWNER, f"incident:{incident.id}:{what}", title=f"Incident #{incident.id}: {title}", due=due,
                     kind=DEADLINE_KIND, concerns=("compliance_incident", incident.id, "compliance.incident",
                                                   {"incident_id": incident.id}), assignee_role="office_manager")


def _close(incident: Incident, what: str, done_on: dt.date | None) -> None:
    row = deadlines.find(OWNER, f"incident:{incident.id}:{what}")
    if row is not None and row.state == "open" and done_on is not None:
        deadlines.complete(row.id, note=f"Sent on {done_on.isoformat()}.")


def sync_deadlines(incident: Incident) -> None:
    """Keep the breach's notice clocks on core's deadlines (idempotent); none for a non-breach."""
    owed = clocks(incident)
    keys = ("individuals", "hhs", "media")
    if owed is None:
        for what in keys:
            if deadlines.find(OWNER, f"incident:{incident.id}:{what}") is not None:
                deadlines.supersede(OWNER, f"incident:{incident.id}:{what}", reason="Not a breach")
        return
    _upsert(incident, "individuals", "notify the individuals", owed.individuals)
    _upsert(incident, "hhs", "report to HHS (annual log)" if owed.hhs_on_annual_log else "notify HHS", owed.hhs)
    if owed.media is not None:
        _upsert(incident, "media", f"notify the media ({', '.join(owed.media_states)})", owed.media)
    elif deadlines.find(OWNER, f"incident:{incident.id}:media") is not None:
        deadlines.supersede(OWNER, f"incident:{incident.id}:media", reason="No state over 500")
    _close(incident, "individuals", incident.individuals_notified_on)
    _close(incident, "hhs", incident.hhs_notified_on)
    _close(incident, "media", incident.media_notified_on)


def assess(incident: Incident, factors: dict[str, str], decision: str, reasoning: str, *, by: str,
           today: dt.date | None = None) -> Incident:
    """Record the four-factor risk assessment and its decision; a breach starts its clocks."""
    today = today or settings.today()
    if decision not in dict(rules.DECISIONS):
        raise IncidentError("Choose the decision.", "decision")
    missing = [name for name, _ in rules.FACTORS if not (factors.get(name) or "").strip()]
    if missing:
        raise IncidentError("Assess all four factors before deciding.", missing[0])
    if not reasoning.strip():
        raise IncidentError("Write down the reasoning behind the decision.", "decision_reasoning")
    with transaction():
        before = incident.decision
        for name, _ in rules.FACTORS:
            setattr(incident, name, factors[name].strip())
        incident.decision = decision
        incident.decision_reasoning = reasoning.strip()
        incident.decided_by = by
        incident.decided_on = today
        incident.save()
        audit.record("compliance.incident.assess", "compliance_incident", incident.id,
                     detail={"decision": {"before": before, "after": decision}})
        sync_deadlines(incident)
    return incident


def add_patients(incident: Incident, patient_ids: list[int]) -> int:
    """Name patients the incident affects (each once); returns how many were added."""
    known = {row.patient_id for row in IncidentPatient.select(IncidentPatient.patient)
             .where(IncidentPatient.incident == incident)}
    new = [pid for pid in dict.fromkeys(patient_ids) if pid not in known]
    with transaction():
        for pid in new:
            IncidentPatient.create(incident=incident, patient=pid)
            audit.record("compliance.incident.patient_add", "compliance_incident", incident.id, patient_id=pid)
    return len(new)


def send_notices(incident: Incident, wording: dict[str, str], *, by: str, today: dt.date | None = None) -> int:
    """Queue the breach notice letter to every named patient not yet sent one; records the day
    the individuals were notified. Nothing is queued unless the incident is a breach."""
    today = today or settings.today()
    if incident.decision != "breach":
        raise IncidentError("Notices go out once the assessment decided the incident is a breach.")
    for name in ("what_happened", "information", "our_steps", "your_steps"):
        if not (wording.get(name) or "").strip():
            raise IncidentError("Fill in every part of the notice.", name)
    waiting = list(IncidentPatient.select().where((IncidentPatient.incident == incident)
                                                  & IncidentPatient.message_id.is_null()))
    if not waiting:
        raise IncidentError("Every named patient already has a notice; add the people affected first.")
    with transaction():
        for row in waiting:
            try:
                letter = messages.queue(messages.patient(row.patient_id), BREACH_NOTICE.key,
                                        {"discovered_on": incident.discovered_on.isoformat(),
                                         **{k: wording[k].strip() for k in ("what_happened", "information",
                                                                            "our_steps", "your_steps")}},
                                        channel="core.letter", by=by)
            except messages.Refused as refused:
                raise IncidentError(f"A notice could not be queued: {refused.reason}") from None
            row.message_id = letter.id
            row.notified_at = utcnow()
            row.save()
            audit.record("compliance.incident.notice", "compliance_incident", incident.id, patient_id=row.patient_id,
                         detail={"message_id": letter.id})
        if incident.individuals_notified_on is None:
            incident.individuals_notified_on = today
            incident.save()
        sync_deadlines(incident)
    return len(waiting)


def record_notice(incident: Incident, what: str, on: dt.date) -> None:
    """Record that HHS or the media were notified on ``on`` (closing that clock)."""
    if what not in ("hhs", "media"):
        raise IncidentError("Unknown notice.")
    if incident.decision != "breach":
        raise IncidentError("Only a breach owes notices.")
    if on > settings.today() or on < incident.discovered_on:
        raise IncidentError("The notice date lies between the discovery and today.", "on")
    with transaction():
        setattr(incident, f"{what}_notified_on", on)
        incident.save()
        audit.record("compliance.incident.notice_recorded", "compliance_incident", incident.id,
                     detail={"notice": what, "on": on.isoformat()})
        sync_deadlines(incident)


def annual_log(year: int) -> list[dict]:
    """The year's breaches affecting fewer than 500 people, for the HHS annual report: one
    query with the counts summed in SQL."""
    total = fn.COALESCE(fn.SUM(IncidentState.affected), 0)
    rows = (Incident.select(Incident.id, Incident.title, Incident.occurred_on, Incident.discovered_on,
                            Incident.individuals_notified_on, total.alias("affected"))
            .join(IncidentState, on=(IncidentState.incident == Incident.id), join_type=JOIN.LEFT_OUTER)
            .where((Incident.decision == "breach") & (Incident.discovered_on >= dt.date(year, 1, 1))
                   & (Incident.discovered_on <= dt.date(year, 12, 31)))
            .group_by(Incident.id, Incident.title, Incident.occurred_on, Incident.discovered_on,
                      Incident.individuals_notified_on)
            .having(total < rules.MAJOR_BREACH).order_by(Incident.discovered_on).dicts())
    return list(rows)
