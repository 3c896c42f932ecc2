"""837P export: ready claims from the database to an X12 file, recorded as a sent batch.

``export`` picks the ready claims (of all payers or one), scrubs them once more, turns each
into the X12 layer's dataclasses (``to_x12``), and writes one interchange whose control
numbers come from a core counter. Only once the file exists does it record the batch and move
the claims to submitted, in one transaction. Claims the scrubber or the 837P checks refuse stay
ready and are listed with their problems.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from medoffice import SettingSpec, audit, prepared, settings
from medoffice.data_versions import kept
from medoffice.db import transaction, utcnow
from medoffice.prepared import slot
from peewee import SQL, Case, fn

from . import claims as claim_service
from . import numbering, scrubber, x12
from .actor import acting_user
from .coverage import RANK_RESPONSIBILITY
from .models import CLAIMS, Claim, ClaimBatch, ClaimBatchItem, Coverage, LineTransaction, Payer
from .x12.claim837 import ServiceLine as X12Line
from .x12.claim837 import medicare_secondary

X12_COUNTER = "billing.x12_interchange"
PRIOR_STATES = ("paid", "partially_paid", "denied", "appealed", "closed")
X12_SETTINGS = [
    SettingSpec("billing.x12_sender_id", "837P: your sender ID (ISA06)",
                help="The interchange ID your clearinghouse assigned to the practice."),
    SettingSpec("billing.x12_sender_qualifier", "837P: sender ID qualifier (ISA05)", default="ZZ",
                help="ZZ (mutually defined) unless the clearinghouse says otherwise."),
    SettingSpec("billing.x12_receiver_id", "837P: clearinghouse receiver ID (ISA08 and loop 1000B)"),
    SettingSpec("billing.x12_receiver_qualifier", "837P: receiver ID qualifier (ISA07)", default="ZZ"),
    SettingSpec("billing.x12_receiver_name", "837P: clearinghouse name (loop 1000B)"),
    SettingSpec("billing.x12_submitter_id", "837P: submitter ID (ETIN, loop 1000A)",
                help="Often the same as the sender ID."),
    SettingSpec("billing.x12_contact_name", "837P: contact person for the clearinghouse"),
    SettingSpec("billing.x12_contact_phone", "837P: contact phone", help="10 digits."),
    SettingSpec("billing.x12_usage", "837P: files are", kind="choice", default="T",
                choices=(("T", "Test files (T)"), ("P", "Production files (P)")),
                help="Send test files until the clearinghouse approves you for production."),
    SettingSpec("billing.billing_taxonomy", "Billing provider taxonomy code (PRV*BI)",
                help="10 characters, such as 207Q00000X; leave blank when payers do not ask for it."),
]
_REQUIRED = {
    "billing.x12_sender_id": "your sender ID", "billing.x12_receiver_id": "the clearinghouse receiver ID",
    "billing.x12_receiver_name": "the clearinghouse name", "billing.x12_submitter_id": "the submitter ID",
    "billing.x12_contact_name": "a contact person", "billing.x12_contact_phone": "a contact phone",
}
_PAPER = "paper"
_ELECTRONIC = "electronic"


class ExportError(ValueError):
    """Nothing was exported; ``problems`` says what to fix first."""

    def __init__(self, problems: list[str]):
        super().__init__(" ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Skipped:
    """A ready claim left out of a batch, and why."""

    claim_id: int
    claim_number: str
    problems: tuple[str, ...]


@dataclass(frozen=True)
class Prepared:
    """A claim ready to go out: the database row and its 837P form."""

    claim: Claim
    form: x12.Claim


@dataclass
class ExportResult:
    """What an export did: the batch recorded (None when nothing went out) and the claims left out."""

    batch: ClaimBatch | None
    skipped: list[Skipped] = field(default_factory=list)

    @property
    def claim_count(self) -> int:
        """Claims in the batch."""
        return self.batch.claim_count if self.batch else 0

    @property
    def total_charge_cents(self) -> int:
        """Total charges of the claims in the batch."""
        return self.batch.total_charge_cents if self.batch else 0


# --- Which claims go out ------------------------------------------------------------------------

def _channel(kind: str):
    """Claims a payer takes electronically (secondary ones only when it takes those too), or the rest."""
    electronic = (Payer.electronic == True) & (  # noqa: E712
        (Claim.responsibility == "P") | (Payer.secondary_electronic == True))  # noqa: E712
    return electronic if kind == _ELECTRONIC else ~electronic


def ready_claims(payer_id: int | None = None, paper: bool = False):
    """Ready, unheld claims for electronic (or paper) submission, optionally of one payer, oldest first."""
    query = (Claim.select(Claim, Payer).join(Payer)
             .where((Claim.status == "ready") & (Claim.on_hold == False)  # noqa: E712
                    & _channel(_PAPER if paper else _ELECTRONIC))
             .order_by(Claim.service_date, Claim.id))
    if payer_id is not None:
        query = query.where(Claim.payer == payer_id)
    return query


def _ready_totals(payer: bool):
    electronic = Case(None, [(_channel(_ELECTRONIC), 1)], 0)
    query = (Claim.select(electronic, fn.COUNT(Claim.id), fn.SUM(Claim.total_charge_cents)).join(Payer)
             .where((Claim.status == "ready") & (Claim.on_hold == False))  # noqa: E712
             .group_by(SQL("1")).tuples())  # by position: PostgreSQL takes the CASE's bound values for another one
    return query.where(Claim.payer == slot("payer")) if payer else query


_READY_TOTALS = {payer: _ready_totals(payer) for payer in (False, True)}


def ready_summaries(payer_id: int | None = None) -> dict[str, tuple[int, int]]:
    """{"electronic": (count, total charges in cents), "paper": ...} of the claims ``ready_claims`` would pick
    for each way of sending, in one query compiled once."""
    return kept(CLAIMS.key, ("ready summaries", payer_id), lambda: _ready_summaries(payer_id))


def _ready_summaries(payer_id: int | None) -> dict[str, tuple[int, int]]:
    found = {kind: (0, 0) for kind in (_ELECTRONIC, _PAPER)}
    for electronic, count, total in prepared.run(_READY_TOTALS[payer_id is not None],
                                                 ("billing.export.ready", payer_id is not None), payer=payer_id):
        found[_ELECTRONIC if electronic else _PAPER] = (int(count or 0), int(total or 0))
    return found


# --- The practice and the clearinghouse -------------------------------------------------------------

def _setting(name: str) -> str:
    return str(settings.get(name, "") or "").strip()


def _address(line1: str, line2: str, city: str, state: str, postal_code: str) -> x12.Address:
    return x12.Address(line1=line1 or "", line2=line2 or "", city=city or "", state=state or "",
                       postal_code="".join(ch for ch in (postal_code or "") if ch.isdecimal()))


def billing_provider() -> x12.BillingProvider:
    """The practice as billing provider (loop 2010AA), from the practice settings."""
    return x12.BillingProvider(
        name=_setting("core.practice_name"), npi=_setting("core.practice_npi"), tax_id=_setting("core.tax_id"),
        address=_address(_setting("core.address1"), _setting("core.address2"), _setting("core.city"),
                         _setting("core.state"), _setting("core.zip")),
        taxonomy=_setting("billing.billing_taxonomy"),
    )


def envelope() -> tuple[x12.Interchange, x12.Submitter, x12.Receiver, str]:
    """Interchange, submitter, receiver and usage indicator from the settings.

    :raises ExportError: a required clearinghouse setting is blank.
    """
    missing = [label for name, label in _REQUIRED.items() if not _setting(name)]
    if missing:
        raise ExportError([f"Enter {', '.join(missing)} in the billing settings (Admin > Settings) "
                           "before creating 837P files; your clearinghouse gives you these."])
    interchange = x12.Interchange(
        sender_id=_setting("billing.x12_sender_id"), receiver_id=_setting("billing.x12_receiver_id"),
        sender_qualifier=_setting("billing.x12_sender_qualifier") or "ZZ",
        receiver_qualifier=_setting("billing.x12_receiver_qualifier") or "ZZ",
    )
    submitter = x12.Submitter(name=_setting("core.practice_name"), identifier=_setting("billing.x12_submitter_id"),
                              contact_name=_setting("billing.x12_contact_name"),
                              phone=_setting("billing.x12_contact_phone"))
    receiver = x12.Receiver(name=_setting("billing.x12_receiver_name"), identifier=_setting("billing.x12_receiver_id"))
    return interchange, submitter, receiver, _setting("billing.x12_usage") or "T"


# --- Database rows to 837P dataclasses ------------------------------------------------------------------

def _payer(payer: Payer) -> x12.Payer:
    address = (_address(payer.address1, payer.address2, payer.city, payer.state, payer.zip)
               if payer.address1 and payer.city else None)
    return x12.Payer(name=payer.name, payer_id=payer.payer_id, address=address)


def _insured(coverage: Coverage, patient) -> tuple[str, str, x12.Address | None, dt.date | None, str]:
    """(last, first, address, birth date, sex) of the person who holds the policy."""
    if coverage.relationship == "18":
        return (patient.last_name, patient.first_name,
                _address(patient.address1, patient.address2, patient.city, patient.state, patient.zip),
                patient.date_of_birth, patient.sex)
    address = (_address(coverage.subscriber_address1, coverage.subscriber_address2, coverage.subscriber_city,
                        coverage.subscriber_state, coverage.subscriber_zip)
               if coverage.subscriber_address1 else None)
    return (coverage.subscriber_last_name, coverage.subscriber_first_name, address,
            coverage.subscriber_date_of_birth, coverage.subscriber_sex or "U")


class PriorPayers:
    """Other coverage and earlier payers' adjudications for a set of claims, loaded in a few queries.

    A secondary (tertiary) claim carries what the payers before it did (loops 2320/2330 and
    2430), rebuilt from the ledger entries their remittances posted; a primary claim lists the
    patient's other policies in force.
    """

    def __init__(self, claims: list[Claim]):
        patients = {c.patient_id for c in claims}
        self.coverages: dict[int, list[Coverage]] = defaultdict(list)
        if patients:
            for coverage in (Coverage.select(Coverage, Payer).join(Payer)
                             .where(Coverage.patient_id.in_(patients)).order_by(Coverage.rank)):
                self.coverages[coverage.patient_id].append(coverage)
        later = [c for c in claims if c.responsibility != "P"]
        self.priors: dict[int, list[Claim]] = defaultdict(list)
        self.lines: dict[int, dict[int, dict]] = defaultdict(dict)
        if later:
            self._load_priors(later)

    def _load_priors(self, later: list[Claim]) -> None:
        order = {"P": 1, "S": 2, "T": 3}
        encounters = {c.encounter_id for c in later}
        candidates = list(Claim.select(Claim, Coverage, Payer).join(Coverage).switch(Claim).join(Payer)
                          .where(Claim.encounter.in_(encounters) & Claim.status.in_(PRIOR_STATES)
                                 & (Claim.frequency_code != "8") & Claim.responsibility.in_(("P", "S")))
                          .order_by(Claim.id))
        by_encounter: dict[tuple[int, str], Claim] = {}
        for candidate in candidates:  # the latest adjudicated claim of each rank wins
            by_encounter[(candidate.encounter_id, candidate.responsibility)] = candidate
        for claim in later:
            self.priors[claim.id] = [prior for (encounter, rank), prior in sorted(
                by_encounter.items(), key=lambda item: order[item[0][1]])
                if encounter == claim.encounter_id and order[rank] < order[claim.responsibility]]
        prior_ids = {p.id for priors in self.priors.values() for p in priors}
        if not prior_ids:
            return
        rows = (LineTransaction
                .select(LineTransaction.claim, LineTransaction.service_line, LineTransaction.kind,
                        LineTransaction.group_code, LineTransaction.carc,
                        fn.SUM(LineTransaction.amount_cents), fn.MAX(LineTransaction.effective_date))
                .join(Claim, on=(LineTransaction.claim == Claim.id))
                .where(LineTransaction.claim.in_(prior_ids) & (LineTransaction.source == "era")
                       & (LineTransaction.party == "insurance") & (LineTransaction.payer == Claim.payer))
                .group_by(LineTransaction.claim, LineTransaction.service_line, LineTransaction.kind,
                          LineTransaction.group_code, LineTransaction.carc)
                .tuples())
        for claim_id, line_id, kind, group, carc, amount, day in rows:
            entry = self.lines[claim_id].setdefault(line_id, {"paid": 0, "adjustments": defaultdict(int),
                                                              "date": day})
            entry["date"] = max(entry["date"], day)
            if kind == "payment":
                entry["paid"] -= amount
            elif group:  # adjustments, write-offs and patient-responsibility transfers out
                entry["adjustments"][(group, carc)] -= amount

    def other_payers(self, claim: Claim, facts: scrubber.Facts) -> tuple[tuple[x12.OtherPayer, ...],
                                                                         dict[int, list[x12.LineAdjudication]]]:
        """Loops 2320/2330 for ``claim`` and the 2430 adjudications per service line id."""
        day = claim.service_date
        others: list[x12.OtherPayer] = []
        per_line: dict[int, list[x12.LineAdjudication]] = defaultdict(list)
        priors = self.priors.get(claim.id, [])
        prior_coverages = {p.coverage_id for p in priors}
        for prior in priors:
            other, adjudications = self._adjudicated(prior, facts)
            others.append(other)
            for line_id, adjudication in adjudications.items():
                per_line[line_id].append(adjudication)
        for coverage in self.coverages.get(claim.patient_id, []):
            if coverage.id == claim.coverage_id or coverage.id in prior_coverages or not coverage.covers(day):
                continue
            responsibility = RANK_RESPONSIBILITY.get(coverage.rank, "T")
            if responsibility == claim.responsibility:
                continue
            others.append(self._other(coverage, responsibility, facts))
        return tuple(others), per_line

    @staticmethod
    def _other(coverage: Coverage, responsibility: str, facts: scrubber.Facts, **amounts) -> x12.OtherPayer:
        last, first, address, _born, _sex = _insured(coverage, facts.patient)
        filing = coverage.payer.filing_indicator
        return x12.OtherPayer(
            payer=_payer(coverage.payer), responsibility=responsibility, insured_last_name=last,
            insured_first_name=first, insured_member_id=coverage.member_id, relationship=coverage.relationship,
            filing_indicator=filing, group_number=coverage.group_number, insured_address=address,
            insurance_type=_msp_type(coverage, filing, responsibility), **amounts)

    def _adjudicated(self, prior: Claim, facts: scrubber.Facts) -> tuple[x12.OtherPayer, dict[int, x12.LineAdjudication]]:
        lines = self.lines.get(prior.id, {})
        by_service_line = {l.service_line_id: l for l in facts.lines}
        adjudications: dict[int, x12.LineAdjudication] = {}
        for line_id, entry in lines.items():
            billed = by_service_line.get(line_id)
            if billed is None:
                continue
            adjustments = tuple(x12.Adjustment(group, carc, amount)
                                for (group, carc), amount in sorted(entry["adjustments"].items()) if amount)
            adjudications[line_id] = x12.LineAdjudication(
                payer_id=prior.payer.payer_id, paid_cents=entry["paid"], procedure_code=billed.code,
                modifiers=tuple(m for m in billed.modifiers.split(":") if m), units=Decimal(billed.units),
                adjustments=adjustments, adjudication_date=entry["date"])
        patient_share = sum(a.amount_cents for adj in adjudications.values() for a in adj.adjustments
                            if a.group_code == "PR")
        dates = [adj.adjudication_date for adj in adjudications.values()]
        other = self._other(prior.coverage, prior.responsibility, facts,
                            paid_cents=sum(adj.paid_cents for adj in adjudications.values()) if adjudications else None,
                            remaining_patient_liability_cents=patient_share if adjudications else None,
                            adjudication_date=max(dates) if dates else None)
        return other, adjudications


def _msp_type(coverage: Coverage, filing_indicator: str, responsibility: str) -> str:
    """SBR05: the policy's Medicare Secondary Payer type, sent only when Medicare is not the primary payer."""
    return coverage.msp_type if medicare_secondary(filing_indicator, responsibility) else ""


def to_x12(facts: scrubber.Facts, prior: PriorPayers) -> x12.Claim:
    """The 837P form of a claim from its scrubber facts and the other payers' data.

    Diagnoses and pointers are the claim's own copies: the form shows what the claim billed.
    """
    claim, encounter, coverage, patient = facts.claim, facts.encounter, facts.coverage, facts.patient
    last, first, address, born, sex = _insured(coverage, patient)
    filing = facts.payer.filing_indicator
    subscriber = x12.Subscriber(
        member_id=coverage.member_id, last_name=last, first_name=first, payer=_payer(facts.payer),
        responsibility=claim.responsibility, filing_indicator=filing,
        group_number=coverage.group_number, middle_name=patient.middle_name if coverage.relationship == "18" else "",
        birth_date=born, sex=sex, address=address,
        insurance_type=_msp_type(coverage, filing, claim.responsibility))
    dependent = None
    if coverage.relationship != "18":
        dependent = x12.Patient(
            relationship=coverage.relationship, last_name=patient.last_name, first_name=patient.first_name,
            middle_name=patient.middle_name, birth_date=patient.date_of_birth, sex=patient.sex,
            address=_address(patient.address1, patient.address2, patient.city, patient.state, patient.zip))
    others, adjudicated = prior.other_payers(claim, facts)
    lines = tuple(X12Line(
        procedure_code=line.code, charge_cents=line.charge_cents, service_date=line.service_line.service_date,
        diagnosis_pointers=tuple(line.pointers), modifiers=tuple(m for m in line.modifiers.split(":") if m),
        units=Decimal(line.units), control_number=line.service_line.control_number,
        prior_adjudications=tuple(adjudicated.get(line.service_line_id, ())),
    ) for line in facts.lines)
    return x12.Claim(
        patient_control_number=claim.claim_number, subscriber=subscriber,
        diagnoses=tuple(d.code for d in facts.diagnoses), lines=lines, patient=dependent,
        place_of_service=encounter.place_of_service, frequency_code=claim.frequency_code,
        original_claim_number=claim.payer_claim_number if claim.frequency_code != "1" else "",
        prior_authorization=encounter.prior_authorization,
        referring_provider=_provider(facts.staff.get(encounter.referring_provider_id)),
        rendering_provider=_provider(facts.staff.get(encounter.rendering_provider_id)),
        service_facility=_facility(facts.location), other_payers=others,
    )


def _provider(staff) -> x12.Provider | None:
    if staff is None:
        return None
    return x12.Provider(last_name=staff.last_name, first_name=staff.first_name, npi=staff.npi or "",
                        taxonomy=staff.taxonomy or "")


def _facility(location) -> x12.ServiceFacility | None:
    if location is None or not location.address1:
        return None
    return x12.ServiceFacility(name=location.name, npi=location.npi or "",
                               address=_address(location.address1, location.address2, location.city,
                                                location.state, location.zip))


def prepare(claims: list[Claim], electronic: bool = True) -> tuple[list[Prepared], list[Skipped]]:
    """Scrub each claim again (recording the result) and build its 837P form.

    Every claim's facts and other payers are loaded together, in a few queries per chunk of claims.
    :param electronic: also run the 837P checks (paper claims need only the scrubber's).
    :return: the claims that passed, and the rest with why.
    """
    prior = PriorPayers(claims)
    gathered = scrubber.gather_many([claim.id for claim in claims])
    prepared: list[Prepared] = []
    skipped: list[Skipped] = []
    error_counts: dict[int, int] = {}
    for claim in claims:
        facts = gathered[claim.id]
        errors = [p for p in scrubber.check(facts) if p.severity == "error"]
        error_counts[claim.id] = len(errors)
        problems = [f"{p.message} Fix: {p.fix}" for p in errors]
        if not problems:
            form = to_x12(facts, prior)
            problems = x12.check_claim(form) if electronic else []
        if problems:
            skipped.append(Skipped(claim.id, claim.claim_number, tuple(problems)))
        else:
            prepared.append(Prepared(facts.claim, form))
    _record_scrubs(error_counts)
    return prepared, skipped


def _record_scrubs(error_counts: dict[int, int]) -> None:
    """Store each claim's scrub error count as ``scrubber.record`` does: one UPDATE per count and chunk."""
    now = utcnow()
    with transaction():
        for count in set(error_counts.values()):
            ids = [claim_id for claim_id, errors in error_counts.items() if errors == count]
            for start in range(0, len(ids), scrubber.GATHER_CHUNK):
                Claim.update(scrub_errors=count, scrubbed_at=now).where(
                    Claim.id.in_(ids[start:start + scrubber.GATHER_CHUNK])).execute()


# --- Writing the file and recording the batch --------------------------------------------------------------

def write_file(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` all at once: a temporary file beside it, synced, then renamed.

    :raises OSError: the folder is missing or not writable (nothing is left behind then).
    """
    path = Path(path)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def export(payer: Payer | None = None, out: Path | str | None = None) -> ExportResult:
    """Send the ready electronic claims (of ``payer``, or all) as one 837P file; record the batch.

    The file is written to ``out`` when given (the batch also keeps a copy for downloading).
    Claims move to submitted only after the file exists, in the transaction that records the
    batch; if that transaction fails, the written file is removed again.
    :raises ExportError: settings missing, the practice's billing data invalid, or the file
        could not be written (the claims stay ready then).
    """
    candidates = list(ready_claims(payer.id if payer else None))
    if not candidates:
        return ExportResult(None)
    interchange, submitter, receiver, usage = envelope()
    provider = billing_provider()
    problems = x12.check_billing_provider(provider)
    if problems:
        raise ExportError([*problems, "Fix the practice settings (Admin > Settings)."])
    prepared, skipped = prepare(candidates)
    if not prepared:
        return ExportResult(None, skipped)
    control = numbering.allocate(X12_COUNTER)
    created = dt.datetime.now(dt.timezone.utc).astimezone(settings.practice_timezone()).replace(tzinfo=None)
    try:
        text = x12.build_837p(interchange, submitter, receiver, {provider: [p.form for p in prepared]},
                              interchange_control_number=control, group_control_number=control,
                              transaction_control_number=control, usage_indicator=usage, created=created)
    except x12.ClaimValidationError as exc:
        raise ExportError(exc.problems) from None
    data = text.encode("ascii")
    name = f"837P-{control:09d}-{created:%Y%m%d}.x12"
    if out is not None:
        try:
            write_file(Path(out), data)
        except OSError as exc:
            raise ExportError([f"The file could not be written to {out}: {exc.strerror or exc}. "
                               "No claim was marked submitted."]) from None
    try:
        batch = record_batch("837p", [p.claim for p in prepared], name, data, payer, control, usage,
                             f"Sent in 837P file {name} (interchange {control}).")
    except BaseException:
        if out is not None:
            Path(out).unlink(missing_ok=True)
        raise
    return ExportResult(batch, skipped)


def record_batch(kind: str, sent: list[Claim], name: str, data: bytes, payer: Payer | None,
                 control: int | None, usage: str, reason: str) -> ClaimBatch:
    """Record a batch with its file and move its claims to submitted, all in one transaction; audited."""
    user_id, username = acting_user()
    with transaction():
        batch = ClaimBatch.create(
            kind=kind, payer=payer, control_number=control, usage_indicator=usage, file_name=name,
            sha256=hashlib.sha256(data).hexdigest(), claim_count=len(sent),
            total_charge_cents=sum(c.total_charge_cents for c in sent), content=data,
            created_by_user_id=user_id, created_by=username)
        ClaimBatchItem.insert_many([{"batch": batch.id, "claim": c.id} for c in sent]).execute()
        claim_service.record_sent(sent, reason)
        audit.record(f"billing.batch.{kind}", "billing_claim_batch", batch.id,
                     detail={"claims": len(sent), "total_charge_cents": batch.total_charge_cents,
                             "control_number": control, "sha256": batch.sha256})
    return batch
