"""Exclusion screening: importing the OIG LEIE file and a SAM exclusions extract (validate every
row first, then replace the source's previous list in one transaction; the same file twice
changes nothing), screening staff, providers and business associates against the current lists
by NPI and by normalised name (+ date of birth where both are known), and the review queue
where someone clears or confirms each possible match with a note. Every run is kept as evidence."""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from dataclasses import dataclass

from medoffice import audit
from medoffice.bulk import insert_rows
from medoffice.db import transaction, utcnow
from medoffice.models import StaffMember

from . import rules
from .models import BusinessAssociate, ExclusionEntry, ExclusionList, ScreeningMatch, ScreeningRun

SOURCES = {"leie": "OIG LEIE", "sam": "SAM exclusions"}
LEIE_COLUMNS = ("LASTNAME", "FIRSTNAME", "MIDNAME", "BUSNAME", "GENERAL", "SPECIALTY", "UPIN", "NPI", "DOB",
                "ADDRESS", "CITY", "STATE", "ZIP", "EXCLTYPE", "EXCLDATE", "REINDATE", "WAIVERDATE", "WVRSTATE")
SAM_REQUIRED = ("Classification", "Name", "First", "Middle", "Last", "State / Province", "Exclusion Type",
                "Active Date")
MAX_PROBLEMS = 20
MAX_BYTES = 200 * 1024 * 1024


class ImportRefused(ValueError):
    """The file was refused; ``problems`` lists why (line numbers included). Nothing was written."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


def _business_key(name: str) -> str:
    words = rules.fold(name).split()
    return "biz|" + "".join(words) if words else ""


def _leie_date(text: str, line: int, column: str, problems: list[str]) -> dt.date | None:
    text = (text or "").strip()
    if not text or text == "00000000":
        return None
    try:
        return dt.datetime.strptime(text, "%Y%m%d").date()
    except ValueError:
        problems.append(f"line {line}: {column} {text!r} is not a date (YYYYMMDD)")
        return None


def _sam_date(text: str, line: int, column: str, problems: list[str]) -> dt.date | None:
    text = (text or "").strip()
    if not text:
        return None
    for layout in ("%m/%d/%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, layout).date()
        except ValueError:
            continue
    problems.append(f"line {line}: {column} {text!r} is not a date (MM/DD/YYYY)")
    return None


def _reader(data: bytes, problems: list[str]) -> csv.DictReader | None:
    if not data.strip():
        raise ImportRefused(["the file is empty"])
    if len(data) > MAX_BYTES:
        raise ImportRefused(["the file is larger than 200 MB: is it the right file?"])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    return csv.DictReader(io.StringIO(text, newline=""))


def _entry(last, first, middle, business, npi_text, dob, state, excl_type, excluded_on) -> dict:
    key = rules.name_key(last, first) if (last.strip() and first.strip()) else _business_key(business)
    return {"last_name": last.strip()[:100], "first_name": first.strip()[:100], "middle_name": middle.strip()[:100],
            "business_name": business.strip()[:200], "npi": rules.clean_npi(npi_text), "date_of_birth": dob,
            "state": state.strip().upper()[:2], "exclusion_type": excl_type.strip()[:40], "excluded_on": excluded_on,
            "name_key": key[:120]}


def parse_leie(data: bytes) -> list[dict]:
    """The LEIE file's rows as entries, after checking its columns and every row.

    :raises ImportRefused: wrong columns, bad dates or rows naming nobody (with line numbers).
    """
    problems: list[str] = []
    reader = _reader(data, problems)
    header = [h.strip().upper() for h in (reader.fieldnames or [])]
    missing = [c for c in LEIE_COLUMNS if c not in header]
    if missing:
        raise ImportRefused([f"this is not the LEIE database file: the columns {', '.join(missing)} are missing"])
    reader.fieldnames = header
    rows = []
    for line, row in enumerate(reader, start=2):
        if None in row:
            problems.append(f"line {line}: more fields than the header has")
            continue
        row = {k: (v or "") for k, v in row.items()}
        if not (row["LASTNAME"].strip() or row["BUSNAME"].strip()):
            problems.append(f"line {line}: neither a last name nor a business name")
        dob = _leie_date(row["DOB"], line, "DOB", problems)
        excluded_on = _leie_date(row["EXCLDATE"], line, "EXCLDATE", problems)
        if len(problems) >= MAX_PROBLEMS:
            break
        rows.append(_entry(row["LASTNAME"], row["FIRSTNAME"], row["MIDNAME"], row["BUSNAME"], row["NPI"], dob,
                           row["STATE"], row["EXCLTYPE"], excluded_on))
    if problems:
        raise ImportRefused(problems)
    if not rows:
        raise ImportRefused(["the file has a header but no rows"])
    return rows


def parse_sam(data: bytes) -> list[dict]:
    """A SAM exclusions extract's rows as entries, after checking its columns and every row.

    :raises ImportRefused: wrong columns or bad rows (with line numbers).
    """
    problems: list[str] = []
    reader = _reader(data, problems)
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in SAM_REQUIRED if c not in header]
    if missing:
        raise ImportRefused([f"this is not a SAM exclusions extract: the columns {', '.join(missing)} are missing"])
    reader.fieldnames = header
    rows = []
    for line, row in enumerate(reader, start=2):
        if None in row:
            problems.append(f"line {line}: more fields than the header has")
            continue
        row = {k: (v or "") for k, v in row.items()}
        individual = row["Classification"].strip().lower() == "individual"
        if individual and not row["Last"].strip():
            problems.append(f"line {line}: an individual without a last name")
        elif not individual and not row["Name"].strip():
            problems.append(f"line {line}: a firm without a name")
        excluded_on = _sam_date(row["Active Date"], line, "Active Date", problems)
        if len(problems) >= MAX_PROBLEMS:
            break
        rows.append(_entry(row["Last"] if individual else "", row["First"] if individual else "", row["Middle"],
                           "" if individual else row["Name"], row.get("NPI", ""), None, row["State / Province"],
                           row["Exclusion Type"], excluded_on))
    if problems:
        raise ImportRefused(problems)
    if not rows:
        raise ImportRefused(["the file has a header but no rows"])
    return rows


@dataclass
class ImportResult:
    """What an import did."""

    source: str
    list_id: int
    list_date: dt.date
    rows: int
    unchanged: bool


def current_list(source: str) -> ExclusionList | None:
    """The source's list screening uses now, or None before the first import."""
    return (ExclusionList.select().where((ExclusionList.source == source) & (ExclusionList.current == True))  # noqa: E712
            .order_by(ExclusionList.id.desc()).first())


def import_list(source: str, data: bytes, *, list_date: dt.date, file_name: str = "", by: str) -> ImportResult:
    """Validate the whole file, then replace the source's current list in one transaction. The same
    file again (same SHA-256) changes nothing.

    :raises ImportRefused: the file or a row is wrong; nothing was written.
    """
    if source not in SOURCES:
        raise ImportRefused([f"unknown list {source!r}"])
    sha = hashlib.sha256(data).hexdigest()
    existing = current_list(source)
    if existing is not None and existing.file_sha256 == sha:
        return ImportResult(source, existing.id, existing.list_date, existing.row_count, True)
    rows = parse_leie(data) if source == "leie" else parse_sam(data)
    with transaction():
        previous = [row.id for row in ExclusionList.select(ExclusionList.id).where(ExclusionList.source == source)]
        if previous:
            ExclusionEntry.delete().where(ExclusionEntry.exclusion_list.in_(previous)).execute()
            ExclusionList.update(current=False).where(ExclusionList.id.in_(previous)).execute()
        imported = ExclusionList.create(source=source, list_date=list_date, file_sha256=sha,
                                        file_name=file_name[:200], row_count=len(rows), imported_by=by)
        insert_rows(ExclusionEntry, [{**row, "exclusion_list": imported.id} for row in rows])
        audit.record("compliance.exclusion_list.import", "compliance_exclusion_list", imported.id,
                     detail={"source": source, "list_date": list_date.isoformat(), "rows": len(rows), "sha256": sha})
    return ImportResult(source, imported.id, list_date, len(rows), False)


@dataclass(frozen=True)
class Subject:
    """Someone screened: a staff member (providers included) or a business associate."""

    kind: str
    id: int
    name: str
    key: str
    npi: str
    date_of_birth: dt.date | None = None


def subjects() -> list[Subject]:
    """Everyone screened: active staff and business associates not terminated."""
    found = [Subject("staff", s.id, s.display_name, rules.name_key(s.last_name, s.first_name),
                     rules.clean_npi(s.npi or ""))
             for s in StaffMember.select().where(StaffMember.active == True)]  # noqa: E712
    found += [Subject("business_associate", b.id, b.name, _business_key(b.name), rules.clean_npi(b.npi))
              for b in BusinessAssociate.select().where(BusinessAssociate.terminated_on.is_null())]
    return found


def _entry_name(entry: ExclusionEntry) -> str:
    person = " ".join(p for p in (entry.first_name, entry.middle_name, entry.last_name) if p)
    return person or entry.business_name


CHUNK = 900


def _chunks(values: list[str]):
    for start in range(0, len(values), CHUNK):
        yield values[start:start + CHUNK]


def find_matches(people: list[Subject], lists: list[ExclusionList]) -> list[tuple[Subject, ExclusionEntry, str]]:
    """Possible matches of ``people`` on ``lists``: the same NPI, or the same name key with no
    conflicting date of birth. The lookups run in SQL on indexed keys, a chunk of keys at a time."""
    if not lists or not people:
        return []
    list_ids = [x.id for x in lists]
    by_key: dict[str, list[Subject]] = {}
    by_npi: dict[str, list[Subject]] = {}
    for person in people:
        if person.key:
            by_key.setdefault(person.key, []).append(person)
        if person.npi:
            by_npi.setdefault(person.npi, []).append(person)
    found: dict[tuple, tuple[Subject, ExclusionEntry, str]] = {}
    for chunk in _chunks(sorted(by_npi)):
        for entry in ExclusionEntry.select().where(ExclusionEntry.exclusion_list.in_(list_ids)
                                                   & ExclusionEntry.npi.in_(chunk)):
            for person in by_npi[entry.npi]:
                found[(person.kind, person.id, entry.id)] = (person, entry, "npi")
    for chunk in _chunks(sorted(by_key)):
        for entry in ExclusionEntry.select().where(ExclusionEntry.exclusion_list.in_(list_ids)
                                                   & ExclusionEntry.name_key.in_(chunk)):
            for person in by_key[entry.name_key]:
                if (person.kind, person.id, entry.id) in found:
                    continue
                if person.date_of_birth and entry.date_of_birth and person.date_of_birth != entry.date_of_birth:
                    continue
                how = "name_dob" if person.date_of_birth and entry.date_of_birth else "name"
                found[(person.kind, person.id, entry.id)] = (person, entry, how)
    return list(found.values())


def run(*, by: str, people: list[Subject] | None = None) -> ScreeningRun:
    """Screen everyone (or ``people``) against the current lists, keeping the run and its possible
    matches; a match already cleared for the same person and list entry is recorded as cleared."""
    lists = [x for x in (current_list(s) for s in SOURCES) if x is not None]
    people = subjects() if people is None else people
    matches = find_matches(people, lists)
    list_by_id = {x.id: x for x in lists}
    cleared = {(m.subject_kind, m.subject_id, m.source, m.entry_name): m for m in
               ScreeningMatch.select().where(ScreeningMatch.status == "cleared")}
    with transaction():
        screening = ScreeningRun.create(run_by=by, screened=len(people), possible_matches=len(matches),
                                        lists=", ".join(f"{SOURCES[x.source]} {x.list_date.isoformat()}" for x in lists))
        for person, entry, how in matches:
            source_list = list_by_id[entry.exclusion_list_id]
            name = _entry_name(entry)
            earlier = cleared.get((person.kind, person.id, source_list.source, name))
            ScreeningMatch.create(
                run=screening, subject_kind=person.kind, subject_id=person.id, subject_name=person.name[:200],
                entry=entry.id, source=source_list.source, list_date=source_list.list_date, entry_name=name[:250],
                matched_on=how, status="cleared" if earlier else "open",
                note=f"Cleared earlier by {earlier.reviewed_by}: {earlier.note}"[:300] if earlier else "",
                reviewed_by=earlier.reviewed_by if earlier else "", reviewed_at=utcnow() if earlier else None)
        audit.record("compliance.screening.run", "compliance_screening_run", screening.id,
                     detail={"screened": len(people), "possible_matches": len(matches)})
    return screening


def review(match: ScreeningMatch, decision: str, note: str, *, by: str) -> ScreeningMatch:
    """Clear (not the same person) or confirm (excluded: act on it) a possible match, with a note."""
    if match.status != "open":
        raise ValueError("This match was already reviewed.")
    if decision not in ("cleared", "confirmed"):
        raise ValueError("Clear or confirm the match.")
    if not note.strip():
        raise ValueError("Say how you decided (what you compared: date of birth, address, NPI...).")
    with transaction():
        match.status = decision
        match.note = note.strip()[:300]
        match.reviewed_by = by
        match.reviewed_at = utcnow()
        match.save()
        audit.record("compliance.screening.review", "compliance_screening_match", match.id,
                     detail={"decision": decision, "subject_kind": match.subject_kind, "subject_id": match.subject_id})
    return match


def open_matches():
    """The review queue: possible matches nobody has cleared or confirmed yet."""
    return ScreeningMatch.select().where(ScreeningMatch.status == "open")
