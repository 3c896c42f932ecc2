"""837P export and 835 import throughput, against pyx12 merely validating the same 835, in one run.

    python benchmarks/billing_x12.py [--claims 5000] [--from-instance PATH] [--instance PATH] [--database-url URL]

Builds a scratch instance (a temporary folder unless ``--instance`` is given; it must be new) with
``--claims`` ready claims written in bulk, one patient in five with a secondary policy as in the demo
data. ``--from-instance`` starts the scratch instance from a copy of an existing SQLite instance (the
large demo: claims must cost the same on a five-year database as on an empty one); with
``--database-url`` the claims go into that PostgreSQL database, which must be a scratch one. Then times:
- the 837P export of all of them (scrub, build, write, record the batch, move to submitted);
- the import of an 835 paying every one of them (check, parse, match, post, commit), which starts a
  claim to the secondary payer for every patient who has one;
- pyx12 validating that same 835 through its API (no posting at all);
- a floor under the import: the rows it added (ledger entries, events, remittance rows, history, audit,
  the secondary claims), deleted and inserted again by the database driver alone, and committed. No
  import can write its records faster; its ratio to pyx12 shows how much of the goal's bound that
  writing leaves for checking, parsing, matching and posting (updates are not counted: a lower bound).
Prints claims per second for each and the ratio of the import's time to the validation's; exits 1
when that ratio is above ``--max-ratio`` (0.25: the import at least 4x as fast as merely validating).
"""
from __future__ import annotations

import argparse
import datetime as dt
import io
import logging
import time
from contextlib import contextmanager
from pathlib import Path

import figures
import scratch
from medoffice import create_app, settings
from medoffice.app import preload_plugins
from medoffice.db import db, is_sqlite, transaction
from medoffice.events import publishing, wait_for_background_delivery
from medoffice.models import Patient, StaffMember
from medoffice.plugins import CORE
from medoffice.runtime import all_models
from peewee import AutoField, BigAutoField, sort_models

from medoffice_billing import numbering, posting
from medoffice_billing.export837 import export
from medoffice_billing.models import (Claim, ClaimDiagnosis, ClaimLine, Coverage, Diagnosis, Encounter,
                                      LineTransaction, Payer, ServiceLine)

PRACTICE = {
    "core.practice_name": "Benchmark Clinic", "core.practice_npi": "1245319599", "core.tax_id": "12-3456789",
    "core.address1": "1 Test Way", "core.city": "Springfield", "core.state": "IL", "core.zip": "62701-1234",
    "billing.x12_sender_id": "BENCH01", "billing.x12_receiver_id": "CLEARHOUSE",
    "billing.x12_receiver_name": "Bench Clearinghouse", "billing.x12_submitter_id": "BENCH01",
    "billing.x12_contact_name": "Billing Office", "billing.x12_contact_phone": "2175550100",
}
LINES = (("99213", 12000), ("36415", 1500))
CHUNK = 500
SECONDARY_EVERY = 5  # one patient in five has a secondary policy, as in the demo data


def seed(count: int) -> Payer:
    """``count`` ready claims (two lines each) for as many patients, with their charges posted, in bulk;
    every fifth patient also has a secondary policy."""
    settings.set_many(PRACTICE)
    provider = StaffMember.create(first_name="Ada", last_name="Quill", is_provider=True, npi="1234567893",
                                  taxonomy="207Q00000X")
    payer = Payer.create(name="Bench Health", payer_id="BENCH1", filing_indicator="CI", timely_filing_days=365)
    second = Payer.create(name="Bench Supplemental", payer_id="BENCH2", filing_indicator="CI",
                          timely_filing_days=365)
    day = settings.today() - dt.timedelta(days=10)
    first_line = numbering.allocate(numbering.LINE_COUNTER, count * len(LINES))
    first_claim = numbering.allocate(numbering.CLAIM_COUNTER, count)
    with transaction():
        for start in range(0, count, CHUNK):
            size = min(CHUNK, count - start)
            Patient.insert_many([{
                "account_number": f"B{start + i:07d}", "first_name": "Pat", "last_name": f"Bench{start + i}",
                "date_of_birth": dt.date(1970, 1, 1), "sex": "F", "address1": "1 Main Street",
                "city": "Springfield", "state": "IL", "zip": "62701"} for i in range(size)]).execute()
        patients = [p for (p,) in Patient.select(Patient.id).where(Patient.account_number.startswith("B"))
                    .order_by(Patient.id).tuples()]
        for start in range(0, count, CHUNK):
            chunk = patients[start:start + CHUNK]
            Coverage.insert_many([{"patient_id": p, "payer": payer.id, "rank": 1, "member_id": f"M{p:08d}",
                                   "effective_date": dt.date(2000, 1, 1)} for p in chunk]).execute()
            Coverage.insert_many([{"patient_id": p, "payer": second.id, "rank": 2, "member_id": f"S{p:08d}",
                                   "effective_date": dt.date(2000, 1, 1)}
                                  for i, p in enumerate(chunk, start=start) if i % SECONDARY_EVERY == 0]).execute()
            Encounter.insert_many([{"patient_id": p, "service_date": day, "rendering_provider_id": provider.id,
                                    "status": "posted"} for p in chunk]).execute()
        coverages = dict(Coverage.select(Coverage.patient_id, Coverage.id).where(Coverage.payer == payer.id).tuples())
        encounters = list(Encounter.select(Encounter.id, Encounter.patient_id)
                          .where(Encounter.patient_id.in_(patients)).order_by(Encounter.id).tuples())
        for start in range(0, count, CHUNK):
            chunk = encounters[start:start + CHUNK]
            Diagnosis.insert_many([{"encounter": e, "position": 1, "code": "E119"} for e, _ in chunk]).execute()
            ServiceLine.insert_many([{
                "encounter": e, "patient_id": p, "line_number": n, "service_date": day, "code": code,
                "charge_cents": charge,
                "control_number": numbering.line_control_number(first_line + (start + i) * len(LINES) + n - 1)}
                for i, (e, p) in enumerate(chunk) for n, (code, charge) in enumerate(LINES, start=1)]).execute()
            Claim.insert_many([{
                "claim_number": numbering.claim_number(first_claim + start + i), "encounter": e, "patient_id": p,
                "coverage": coverages[p], "payer": payer.id, "service_date": day,
                "total_charge_cents": sum(c for _, c in LINES), "status": "ready"}
                for i, (e, p) in enumerate(chunk)]).execute()
        claims = dict(Claim.select(Claim.encounter, Claim.id).where(Claim.payer == payer.id).tuples())
        claim_ids = list(claims.values())
        for start in range(0, count, CHUNK):
            ClaimDiagnosis.insert_many([{"claim": c, "position": 1, "code": "E119"}
                                        for c in claim_ids[start:start + CHUNK]]).execute()
        lines = list(ServiceLine.select(ServiceLine.id, ServiceLine.encounter, ServiceLine.patient_id,
                                        ServiceLine.line_number, ServiceLine.code, ServiceLine.charge_cents)
                     .where(ServiceLine.encounter.in_(list(claims))).tuples())
        for start in range(0, len(lines), CHUNK):
            chunk = lines[start:start + CHUNK]
            ClaimLine.insert_many([{"claim": claims[e], "service_line": s, "line_number": n, "code": code,
                                    "charge_cents": charge, "diagnosis_pointers": "1"}
                                   for s, e, _p, n, code, charge in chunk]).execute()
            LineTransaction.insert_many([{
                "kind": "charge", "party": "insurance", "patient_id": p, "service_line": s, "amount_cents": charge,
                "source": "charge_entry", "effective_date": day} for s, _e, p, _n, _c, charge in chunk]).execute()
    return payer


def remittance_835(payer: Payer) -> str:
    """An 835 paying every submitted claim of ``payer``: 80% of the visit (20.00 copay: the secondary payer's,
    when the patient has one), the blood draw in full."""
    sent = (Claim.status == "submitted") & (Claim.payer == payer.id)
    rows = (Claim.select(Claim.claim_number, Claim.service_date, Claim.total_charge_cents, Coverage.member_id)
            .join(Coverage).where(sent).order_by(Claim.id).tuples())
    controls: dict[str, list[str]] = {}
    for claim_number, control in (ClaimLine.select(Claim.claim_number, ServiceLine.control_number)
                                  .join(Claim).switch(ClaimLine).join(ServiceLine).where(sent)
                                  .order_by(ClaimLine.claim, ClaimLine.line_number).tuples()):
        controls.setdefault(claim_number, []).append(control)
    body, total = [], 0
    for claim_number, day, charge, member in rows:
        visit, draw = controls[claim_number]
        paid = 7600 + 1500
        total += paid
        body += [f"CLP*{claim_number}*1*{charge / 100:.2f}*{paid / 100:.2f}*20*12*ICN{claim_number}",
                 f"NM1*QC*1*BENCH*PAT****MI*{member}",
                 "SVC*HC:99213*120*76**1", f"DTM*472*{day:%Y%m%d}", "CAS*CO*45*24", "CAS*PR*3*20",
                 f"REF*6R*{visit}", "SVC*HC:36415*15*15**1", f"DTM*472*{day:%Y%m%d}", f"REF*6R*{draw}"]
    header = ["ST*835*0001", f"BPR*I*{total / 100:.2f}*C*ACH************{dt.date.today():%Y%m%d}",
              "TRN*1*BENCH0001*1999999999", f"DTM*405*{dt.date.today():%Y%m%d}", "N1*PR*BENCH HEALTH",
              "N3*1 PAYER WAY", "N4*SPRINGFIELD*IL*62701", "REF*2U*BENCH1", "PER*BL*EDI DESK*TE*8005551212",
              "N1*PE*BENCHMARK CLINIC*XX*1245319599", "LX*1"]
    segments = header + body
    segments.append(f"SE*{len(segments) + 1}*0001")
    isa = (f"ISA*00*{' ' * 10}*00*{' ' * 10}*ZZ*{'BENCHPAYER':<15}*ZZ*{'BENCH01':<15}*{dt.date.today():%y%m%d}*1200*^*"
           "00501*000000777*0*P*:~")
    return (isa + f"GS*HP*BENCHPAYER*BENCH01*{dt.date.today():%Y%m%d}*1200*777*X*005010X221A1~"
            + "~".join(segments) + "~GE*1*777~IEA*1*000000777~")


def id_models(app) -> list:
    """Core's and billing's models whose rows are numbered by an integer ``id``, parents before children: where
    the import writes (the subscribers write to their own plugins' tables, from a thread once it committed)."""
    models = [m for plugin, group in all_models(app.extensions["medoffice"].host).items()
              if plugin in (CORE, "billing") for m in group]
    return sort_models([m for m in models if isinstance(m._meta.primary_key, (AutoField, BigAutoField))])


def last_ids(models) -> dict:
    """The highest ``id`` of each model's table (0 when empty)."""
    return {m: m.select(m._meta.primary_key).order_by(m._meta.primary_key.desc()).limit(1).scalar() or 0
            for m in models}


@contextmanager
def ids_at_delivery(models):
    """Yields a dict that gets :func:`last_ids` as a background delivery starts: right after the import committed,
    before any subscriber wrote (their rows, and their audit entries, are not the import's)."""
    marks: dict = {}
    start_thread = publishing.in_background

    def marked(delivery):
        start_thread(lambda: (marks.update(last_ids(models)), delivery()))

    publishing.in_background = marked
    try:
        yield marks
    finally:
        publishing.in_background = start_thread


def write_floor(models, before: dict, after: dict) -> tuple[float, dict[str, int]]:
    """(seconds, rows per table): the rows added between ``before`` and ``after`` deleted, then written again as
    they were stored, parents first, by the driver's fastest way in (SQLite: one prepared ``executemany`` per
    table; PostgreSQL: ``COPY``), and committed; only the writing and the commit are timed."""
    conn = db.connection()
    sqlite = is_sqlite()
    mark = "?" if sqlite else "%s"
    added = [(m._meta.table_name, before[m], after[m]) for m in models if after[m] > before[m]]
    cursor = conn.cursor()
    if sqlite:
        cursor.execute("BEGIN IMMEDIATE")
    batches = []
    for table, low, high in added:
        cursor.execute(f'SELECT * FROM "{table}" WHERE id > {mark} AND id <= {mark} ORDER BY id', (low, high))
        columns = [f'"{d[0]}"' for d in cursor.description]
        batches.append((table, columns, cursor.fetchall()))
    for table, low, high in reversed(added):
        cursor.execute(f'DELETE FROM "{table}" WHERE id > {mark} AND id <= {mark}', (low, high))
    started = time.perf_counter()
    for table, columns, rows in batches:
        if sqlite:
            cursor.executemany(f'INSERT INTO "{table}" ({", ".join(columns)}) VALUES '
                               f'({", ".join(["?"] * len(columns))})', rows)
        else:
            with cursor.copy(f'COPY "{table}" ({", ".join(columns)}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row)
    conn.commit()
    seconds = time.perf_counter() - started
    return seconds, {table: len(rows) for table, _columns, rows in batches}


def pyx12_seconds(text: str) -> tuple[float, bool]:
    """Seconds pyx12 takes to validate ``text`` through its API (no files written), and its verdict."""
    import pyx12.params
    import pyx12.x12n_document

    logging.getLogger("pyx12").setLevel(logging.CRITICAL)
    started = time.perf_counter()
    ok = pyx12.x12n_document.x12n_document(param=pyx12.params.params(), src_file=io.StringIO(text),
                                           fd_997=io.StringIO(), fd_html=None, fd_json=io.StringIO())
    return time.perf_counter() - started, bool(ok)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=5000)
    scratch.add_arguments(parser)
    parser.add_argument("--max-ratio", type=float, default=0.25,
                        help="exit 1 when the import takes longer than this times pyx12's validation")
    parser.add_argument("--figures", help="append the goal's figure to this JSON lines file (make bench)")
    args = parser.parse_args()
    scratch.check_arguments(parser, args)
    with scratch.scratch_instance(args, "medoffice-x12-bench-") as (instance, config):
        measure(args, instance, config)


def measure(args, instance: Path, config: dict) -> None:
    """Seed, export, import and validate; print the figures (and append them with ``--figures``)."""
    # Deliveries always in a background thread, as for any 835 over the inline limit: the import's figure is its
    # own at every --claims, and the floor can tell its rows from the subscribers' (ids_at_delivery).
    app = create_app(instance, EVENTS_INLINE_LIMIT=0, **config)
    preload_plugins(app)  # as `medoffice serve` does: the export's scrub would otherwise parse the ICD-10-CM code set
    with app.test_request_context():
        db.connect(reuse_if_open=True)
        started = time.perf_counter()
        payer = seed(args.claims)
        print(f"seeded {args.claims} ready claims in {time.perf_counter() - started:.1f} s ({instance})")

        out = instance / "bench.x12"
        started = time.perf_counter()
        result = export(payer, out=out)
        export_s = time.perf_counter() - started
        assert result.claim_count == args.claims, f"only {result.claim_count} claims went out: {result.skipped[:3]}"

        text = remittance_835(payer)
        secondaries = Claim.select().where(Claim.responsibility == "S").count()
        models = id_models(app)
        before = last_ids(models)
        with ids_at_delivery(models) as after:
            started = time.perf_counter()
            imported = posting.import_835(text, "bench.835")
            import_s = time.perf_counter() - started
            started = time.perf_counter()
            wait_for_background_delivery()  # the subscribers (finance's books) get the import's events in a thread
            delivery_s = time.perf_counter() - started
        totals = imported.totals()
        assert totals["claims_matched"] == args.claims and totals["claims_unmatched"] == 0, totals
        started_secondary = Claim.select().where(Claim.responsibility == "S").count() - secondaries
        expected = len(range(0, args.claims, SECONDARY_EVERY))
        assert started_secondary == expected, f"{started_secondary} secondary claims started, {expected} expected"
        floor_s, floor_tables = write_floor(models, before, after)
        floor_rows = sum(floor_tables.values())

    validate_s, ok = pyx12_seconds(text)
    assert ok, "pyx12 refused the benchmark's 835: the comparison would mean nothing"
    ratio = import_s / validate_s
    print(f"{'':48}{'claims':>8}{'seconds':>10}{'claims/s':>10}")
    for label, seconds in (("837P export (scrub, build, write, record)", export_s),
                           (f"835 import (with {expected} secondary claims)", import_s),
                           ("pyx12 only validating that 835", validate_s),
                           ("then delivering its events (finance books them)", delivery_s),
                           (f"its {floor_rows:,} new rows written by the driver alone", floor_s)):
        print(f"{label:48}{args.claims:>8}{seconds:>10.2f}{args.claims / seconds:>10,.0f}")
    largest = sorted(floor_tables.items(), key=lambda item: -item[1])[:5]
    print("its rows, most first: " + ", ".join(f"{table} {rows:,}" for table, rows in largest))
    print(f"floor: writing the import's rows alone takes {floor_s / validate_s:.2f} of pyx12's validation, "
          f"{floor_s / import_s:.0%} of the import")
    verdict = "met" if ratio <= args.max_ratio else "MISSED"
    pace = (f"the import is {validate_s / import_s:.1f}x as fast as pyx12 only validating" if ratio < 1
            else "the import is SLOWER than pyx12 only validating")
    print(f"ratio import / pyx12 validation: {ratio:.2f} (target at most {args.max_ratio:.2f}: {verdict}); {pace}")
    if args.figures:
        figures.append(args.figures, figures.Figure(
            "4", f"835 import / pyx12 validating ({args.claims} claims, {expected} secondary)", ratio,
            args.max_ratio, f"import {import_s:.2f} s, pyx12 {validate_s:.2f} s, its rows written by the driver "
                                f"alone {floor_s:.2f} s ({floor_s / validate_s:.2f} of pyx12)"))
    if ratio > args.max_ratio:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
