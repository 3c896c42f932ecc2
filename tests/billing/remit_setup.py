"""Set-up for the 837P export and 835 import tests: database claims built from an 835's own data,
hand-made 835 files, pyx12 validation and ledger sums.

Imported by the billing test modules (pytest puts this folder on ``sys.path``).
"""
from __future__ import annotations

import datetime as dt
import io
import itertools
import json
import logging

from billing_setup import database
from click.testing import CliRunner
from medoffice.cli import main
from medoffice.models import Patient
from peewee import fn

from medoffice_billing import posting
from medoffice_billing.models import (Claim, ClaimLine, Coverage, Diagnosis, Encounter, LineTransaction, Payer,
                                      ProviderAdjustment, ServiceLine)
from medoffice_billing.x12 import Remittance
from x12_samples import NOT_IG_VALID, VALID_835, read_sample  # noqa: F401  (re-exported to tests)

_sequence = itertools.count(1)



def pyx12_errors(text: str) -> list[str]:
    """pyx12's verdict through its API (VALIDATING.md): [] when it accepts the file, else every error."""
    import pyx12.params
    import pyx12.x12n_document

    logging.getLogger("pyx12").setLevel(logging.CRITICAL)
    fd_json, fd_999 = io.StringIO(), io.StringIO()
    ok = pyx12.x12n_document.x12n_document(param=pyx12.params.params(), src_file=io.StringIO(text),
                                           fd_997=fd_999, fd_html=None, fd_json=fd_json)
    errors = _tree_errors(json.loads(fd_json.getvalue()))
    return [] if ok and not errors else (errors or ["pyx12 said Failure without details"])


def _tree_errors(node) -> list[str]:
    found = []
    if isinstance(node, dict):
        found += [e.get("err_str", str(e)) for e in node.get("errors", [])]
        for value in node.values():
            if isinstance(value, (list, dict)):
                found += _tree_errors(value)
    elif isinstance(node, list):
        for value in node:
            found += _tree_errors(value)
    return found


def claims_from_remittance(remittance: Remittance, *, payer: Payer | None = None) -> dict[int, Claim]:
    """Create what an 835 pays for, from its own CLP/SVC data: payer, patients, policies, encounters,
    service lines (REF*6R as line control numbers), submitted claims and their charges on the ledger.

    CLP01 becomes the claim number when it is unique in the file and short enough; otherwise the
    claim gets its own number and the import must find it by member ID, date and charge.
    :return: the claims by position of their claim payment (1-based).
    """
    if payer is None:
        payer = (Payer.get_or_none(Payer.name == remittance.payer_name)
                 or Payer.create(name=remittance.payer_name, payer_id=remittance.payer_id))
    numbers = [c.patient_control_number for c in remittance.claims]
    created: dict[int, Claim] = {}
    for position, payment in enumerate(remittance.claims, start=1):
        n = next(_sequence)
        person = payment.patient or payment.insured
        patient = Patient.create(account_number=f"R{n:07d}", first_name=person.first_name or "Pat",
                                 last_name=person.last_name or "Doe", date_of_birth=dt.date(1960, 1, 1), sex="F",
                                 address1="1 Main Street", city="Springfield", state="IL", zip="62701")
        secondary = payment.status_code in ("2", "20")
        coverage = Coverage.create(patient_id=patient.id, payer=payer, rank=2 if secondary else 1,
                                   member_id=payment.member_id or f"MEM{n}", effective_date=dt.date(1990, 1, 1))
        days = [l.service_date for l in payment.lines if l.service_date] or [
            payment.service_start_date or payment.received_date or dt.date(2020, 1, 1)]
        encounter = Encounter.create(patient_id=patient.id, service_date=min(days), status="posted")
        Diagnosis.create(encounter=encounter, position=1, code="R69")
        specs = [(l.procedure_code[:5], l.modifiers, l.charge_cents, l.control_number, l.service_date)
                 for l in payment.lines] or [("99499", (), payment.charge_cents, None, None)]
        unique = numbers.count(payment.patient_control_number) == 1 and len(payment.patient_control_number) <= 20
        claim = Claim.create(claim_number=payment.patient_control_number if unique else f"T{n:07d}",
                             encounter=encounter, patient_id=patient.id, coverage=coverage, payer=payer,
                             responsibility="S" if secondary else "P", service_date=encounter.service_date,
                             total_charge_cents=sum(s[2] for s in specs), status="submitted")
        for number, (code, modifiers, charge, control, day) in enumerate(specs, start=1):
            padded = list(modifiers) + [""] * (4 - len(modifiers))
            line = ServiceLine.create(encounter=encounter, patient_id=patient.id, line_number=number,
                                      service_date=day or encounter.service_date, code=code,
                                      modifier1=padded[0], modifier2=padded[1], modifier3=padded[2],
                                      modifier4=padded[3], charge_cents=charge,
                                      control_number=control or f"LT{n:05d}{number:02d}")
            ClaimLine.create(claim=claim, service_line=line, line_number=number, code=code,
                             modifiers=":".join(modifiers), charge_cents=charge)
            LineTransaction.create(kind="charge", party="insurance", patient_id=patient.id, service_line=line,
                                   amount_cents=charge, source="charge_entry", effective_date=line.service_date)
        created[position] = claim
    return created


def era_sums(**where) -> dict:
    """Ledger sums of entries posted from 835s: payments (as received), adjustments by group, and
    what moved to patients and to other payers."""
    query = LineTransaction.select().where(LineTransaction.source == "era")
    for name, value in where.items():
        query = query.where(getattr(LineTransaction, name) == value)
    rows = list(query)
    by_group: dict[str, int] = {}
    for row in rows:
        if row.kind in ("adjustment", "writeoff"):
            by_group[row.group_code] = by_group.get(row.group_code, 0) - row.amount_cents
    return {
        "paid": -sum(r.amount_cents for r in rows if r.kind == "payment"),
        "adjusted": {k: v for k, v in by_group.items() if v},
        "to_patient": sum(r.amount_cents for r in rows if r.party == "patient"),
        "entries": len(rows),
    }


def plb_total() -> int:
    """Sum of provider-level adjustments posted."""
    return int(ProviderAdjustment.select(fn.SUM(ProviderAdjustment.amount_cents)).scalar() or 0)


def balance(service_line_id: int, party: str) -> int:
    """What ``party`` owes on a service line, from the ledger."""
    return int(LineTransaction.select(fn.SUM(LineTransaction.amount_cents)).where(
        (LineTransaction.service_line == service_line_id) & (LineTransaction.party == party)).scalar() or 0)


def isa(sender: str = "PAYERSENDER", receiver: str = "PRACTICE", control: str = "000000901", day: str = "240105",
        component: str = ":") -> str:
    """A fixed-width ISA segment (106 characters with its terminator)."""
    return (f"ISA*00*{' ' * 10}*00*{' ' * 10}*ZZ*{sender:<15}*ZZ*{receiver:<15}*{day}*1200*^*00501*{control}*0*P*"
            f"{component}~")


def make_835(claims: list[str], *, total: str, trace: str, payer_name: str = "RUSHMORE LIFE", payer_id: str = "",
             plb: list[str] = (), control: str = "000000901", method: str = "ACH") -> str:
    """A complete 835 around claim loops (segments without terminators); SE01 is counted here."""
    header = [
        "ST*835*0001", f"BPR*I*{total}*C*{method}************20240105", f"TRN*1*{trace}*1935665544",
        "DTM*405*20240104", f"N1*PR*{payer_name}", "N3*10 SOUTH AVENUE", "N4*RAPID CITY*SD*55111",
        *([f"REF*2U*{payer_id}"] if payer_id else []), "PER*BL*JOHN WAYNE*TE*8005551212",
        "N1*PE*TEST CLINIC*XX*1245319599", "LX*1",
    ]
    body = header + list(claims) + list(plb)
    body.append(f"SE*{len(body) + 1}*0001")
    return isa(control=control) + "GS*HP*PAYERSENDER*PRACTICE*20240105*1200*901*X*005010X221A1~" + "~".join(body) + \
        "~GE*1*901~IEA*1*" + control + "~"


def import_unmatched_835(app) -> None:
    """Import an 835 from RUSHMORE LIFE paying $10.00 on claim NOPE, which matches no claim (one exception)."""
    with database(app):
        Payer.create(name="RUSHMORE LIFE", payer_id="")
    era = make_835(["CLP*NOPE*1*10*10**12*P", "NM1*QC*1*ROE*JO****MI*M1", "SVC*HC:99211*10*10", "DTM*472*20240102"],
                   total="10", trace="T9")
    with app.test_request_context():
        posting.import_835(era)


def cli_app(make_app, tmp_path):
    """An app whose instance folder has a config file, so the command line can open it too."""
    instance = tmp_path / "cli-instance"
    instance.mkdir()
    (instance / "medoffice.toml").write_text('secret_key = "test-secret-key"\nbackup_key = "k"\n')
    return make_app(instance=instance)


def run_cli(app, *args):
    """Run ``medoffice --instance <app's instance> ARGS`` against the app's database."""
    env = {"MEDOFFICE_DATABASE_URL": app.config["DATABASE_URL"]} if app.config.get("DATABASE_URL") else {}
    return CliRunner().invoke(main, ["--instance", app.instance_path, *args], env=env)


def reversal_835(trace: str = "REV0001") -> str:
    """The payer takes back claim 5554555444 of the two-claims sample (CLP02 22, every amount negated) and
    pays it again without the A2 adjustment: 500.00 paid, 300.00 deductible. The check is 50.00."""
    return make_835([
        "CLP*5554555444*22*-800*-450*-300*12*94060555410000", "CAS*CO*A2*-50",
        "NM1*QC*1*BUDD*WILLIAM****MI*33344555510",
        "SVC*HC:99211*-800*-500", "DTM*150*20020301", "DTM*151*20020304", "CAS*PR*1*-300",
        "CLP*5554555444*1*800*500*300*12*94060555410001", "NM1*QC*1*BUDD*WILLIAM****MI*33344555510",
        "SVC*HC:99211*800*500", "DTM*150*20020301", "DTM*151*20020304", "CAS*PR*1*300",
    ], total="50", trace=trace)
