"""Compliance's exclusion screening and pages against floors measured in the same run (issue 15).

    python benchmarks/compliance_screening.py --instance PATH [--database-url URL] [--repeat 5] [--requests 100]
                                              [--rounds 10] [--figures FILE]

The instance should hold the large demo data (`medoffice demo --size large`) with compliance on. Two
parts:

1. Screening, on a copy of the instance (``hr_payroll.scratch_copy``: a consistent SQLite backup in a
   temporary folder, removed afterwards): an 80,000-row exclusion list in the OIG LEIE layout
   (``UPDATED.csv``'s columns; generated from a fixed seed, so every run screens the same list: mostly
   individuals, upper case as the LEIE writes them, some with an NPI, the rest businesses) is imported
   through ``screening.import_list`` (not timed), and staff rows are added directly until 2,000 people
   are screened (active staff, providers among them with an NPI, and business associates, as
   ``screening.subjects`` finds them). Some of the added people share a name (in another case, with a
   middle name) or an NPI with a list entry; others match by chance, as common names do. Timed:
   ``screening.run`` (the people and their keys, the lookups, the run and its possible matches kept as
   evidence). The floor is the same join in plain SQL: the same people read with one query each
   (staff, business associates) through the database driver, keyed with the same normalisation
   (``rules.name_key``: it has no SQL equivalent), put in a temporary table, and one query joining them
   to the current lists' entries by NPI and by name key. Both give the same matches (person, entry,
   matched on), compared first (exit 1 when they differ); alternated, best of ``--repeat``. The issue
   sets no bound: the ratio is printed and recorded, never over.
2. Pages: compliance's nav pages (as ``pages.py`` finds them), in-process p95 against the reference
   list page (``reference.py``), interleaved with it and core's bare route, at most 3x
   (``billing_reports.run_list_pages``), on the instance as given.

With ``--database-url`` the data is in PostgreSQL, which is not copied: part 1 is skipped. Figures
count for goal "15" (PostgreSQL's prefixed so). Prints one line per measurement with its ratio, and a
summary of those over their bound; exits 1 when any is.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import figures  # noqa: E402
from finance_reports import main, plugin_nav_urls  # noqa: E402
from hr_payroll import scratch_copy, time_against_floor  # noqa: E402
from pages import database_of  # noqa: E402

from medoffice import settings  # noqa: E402
from medoffice.db import db, transaction  # noqa: E402

GOAL = "15"
LIST_ROWS = 80_000
PEOPLE = 2_000
BY = "benchmark"
SYLLABLES = ("al", "bar", "ber", "bro", "cal", "cor", "dan", "dor", "el", "fen", "gar", "gil", "ham", "hol", "is",
             "kin", "lan", "ley", "mar", "mor", "nel", "ner", "ol", "par", "per", "ric", "ros", "sen", "son", "tan",
             "ter", "ton", "ur", "vel", "ven", "wat", "win", "wor", "yar", "zel")
FIRST = ("James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda", "David", "Elizabeth",
         "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Charles", "Karen",
         "Daniel", "Nancy", "Matthew", "Lisa", "Anthony", "Betty", "Mark", "Sandra", "José", "Zoë")
STATES = ("OH", "PA", "IN", "MI", "KY", "WV", "NY", "IL")
PLANT_NAME_EVERY = 100  # every 100th person added is also on the list by name,
PLANT_NPI_EVERY = 250   # every 250th by NPI (under another name)


def last_name(rng: random.Random) -> str:
    """A made-up surname of three syllables (64,000 of them: with 30 first names, a few of the people
    screened share a name with someone on the list by chance, as common names do)."""
    return "".join(rng.choice(SYLLABLES) for _ in range(3)).capitalize()


def npi(rng: random.Random) -> str:
    """A made-up ten-digit NPI."""
    return "1" + "".join(rng.choice("0123456789") for _ in range(9))


def add_people(rng: random.Random) -> list[dict]:
    """Staff rows added directly until 2,000 people are screened (every tenth a provider with an NPI);
    returns the rows added."""
    from medoffice.models import StaffMember
    from medoffice_compliance import screening

    wanted = PEOPLE - len(screening.subjects())
    rows = []
    for i in range(max(wanted, 0)):
        provider = i % 10 == 0
        rows.append({"first_name": rng.choice(FIRST), "last_name": last_name(rng), "job_title": "Staff",
                     "is_provider": provider, "npi": npi(rng) if provider else "", "active": True})
    with transaction():
        for start in range(0, len(rows), 500):
            StaffMember.insert_many(rows[start:start + 500]).execute()
    return rows


def leie_csv(rng: random.Random, added: list[dict], business_names: list[str]) -> bytes:
    """An 80,000-row exclusion list in the LEIE layout: the planted matches first (names of added
    people, upper case with a middle initial; NPIs of added providers under another name; a business
    associate's name), then made-up individuals and businesses."""
    from medoffice_compliance.screening import LEIE_COLUMNS

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(LEIE_COLUMNS)

    def person(last, first, number="0000000000"):
        born = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(20_000))
        excluded = dt.date(2000, 1, 1) + dt.timedelta(days=rng.randrange(9_000))
        return [last.upper(), first.upper(), rng.choice("ABCDEFGHJKLMNPRSTW"), "", "INDIVIDUAL", "NURSING", "",
                number, born.strftime("%Y%m%d"), "1 MAIN ST", "SPRINGFIELD", rng.choice(STATES), "45501",
                "1128b4", excluded.strftime("%Y%m%d"), "00000000", "00000000", ""]

    def business(name):
        excluded = dt.date(2000, 1, 1) + dt.timedelta(days=rng.randrange(9_000))
        return ["", "", "", name.upper(), "DME COMPANY", "", "", "0000000000", "", "2 MARKET ST", "DAYTON",
                rng.choice(STATES), "45402", "1128a1", excluded.strftime("%Y%m%d"), "00000000", "00000000", ""]

    rows = [person(r["last_name"], r["first_name"]) for r in added[::PLANT_NAME_EVERY]]
    rows += [person(last_name(rng), rng.choice(FIRST), r["npi"]) for r in added[::PLANT_NPI_EVERY] if r["npi"]]
    rows += [business(name) for name in business_names[:1]]
    while len(rows) < LIST_ROWS:
        if rng.random() < 0.85:
            rows.append(person(last_name(rng), rng.choice(FIRST), npi(rng) if rng.random() < 0.3 else "0000000000"))
        else:
            rows.append(business(f"{last_name(rng)} Medical Supply LLC"))
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


MATCHES = """
WITH lists AS (SELECT MAX(id) AS id FROM compliance_exclusion_list WHERE current = ? GROUP BY source),
     m AS (SELECT s.kind, s.id, e.id AS entry_id, 1 AS by_npi
           FROM bench_subject s JOIN compliance_exclusion_entry e ON e.npi = s.npi
           WHERE s.npi <> '' AND e.exclusion_list_id IN (SELECT id FROM lists)
           UNION ALL
           SELECT s.kind, s.id, e.id, 0
           FROM bench_subject s JOIN compliance_exclusion_entry e ON e.name_key = s.name_key
           WHERE s.name_key <> '' AND e.exclusion_list_id IN (SELECT id FROM lists))
SELECT kind, id, entry_id, CASE WHEN MAX(by_npi) = 1 THEN 'npi' ELSE 'name' END
FROM m GROUP BY kind, id, entry_id"""
"""Each screened person's possible matches on the current lists: by NPI, else by name key (no date of birth
is known for the people screened, so none tells two apart)."""


def plain_sql_screening() -> list[tuple]:
    """The floor: the same people read and keyed, one temporary table, one join (through the driver)."""
    from medoffice_compliance import rules, screening

    connection = db.connection()
    cursor = connection.cursor()
    people = [("staff", i, rules.name_key(last, first), rules.clean_npi(number or ""))
              for i, last, first, number in cursor.execute(
                  "SELECT id, last_name, first_name, npi FROM core_staff WHERE active = ?", (True,)).fetchall()]
    people += [("business_associate", i, screening._business_key(name), rules.clean_npi(number))
               for i, name, number in cursor.execute(
                   "SELECT id, name, npi FROM compliance_business_associate WHERE terminated_on IS NULL").fetchall()]
    cursor.execute("CREATE TEMP TABLE IF NOT EXISTS bench_subject (kind TEXT, id INTEGER, name_key TEXT, npi TEXT)")
    cursor.execute("DELETE FROM bench_subject")
    cursor.executemany("INSERT INTO bench_subject VALUES (?, ?, ?, ?)", people)
    return cursor.execute(MATCHES, (True,)).fetchall()


def time_screening(repeat: int, number: str, prefix: str) -> list[figures.Figure]:
    """Load the list, make 2,000 people, compare the matches, then time the screening against its floor."""
    from medoffice_compliance import screening
    from medoffice_compliance.models import ScreeningMatch

    rng = random.Random(15)
    added = add_people(rng)
    associates = [s.name for s in screening.subjects() if s.kind == "business_associate"]
    data = leie_csv(rng, added, associates)
    started = time.perf_counter()
    imported = screening.import_list("leie", data, list_date=settings.today(), file_name="UPDATED.csv", by=BY)
    print(f"imported {imported.rows:,} LEIE rows in {time.perf_counter() - started:.1f} s (not timed); "
          f"{len(added)} staff added to the copy")
    people = len(screening.subjects())
    if people < PEOPLE or imported.rows != LIST_ROWS:
        raise SystemExit(f"{people} people and {imported.rows} list rows: {PEOPLE} and {LIST_ROWS} wanted")

    def matches(run) -> list[tuple]:
        return sorted((m.subject_kind, m.subject_id, m.entry_id, m.matched_on)
                      for m in ScreeningMatch.select().where(ScreeningMatch.run == run))

    ours = matches(screening.run(by=BY))
    floor = sorted(tuple(row) for row in plain_sql_screening())
    if ours != floor:
        raise SystemExit(f"screening: the run and the plain SQL join disagree ({len(ours)} and {len(floor)} "
                         f"matches; first differing {sorted(set(ours) ^ set(floor))[:3]})")
    by = {how: sum(1 for m in ours if m[3] == how) for how in ("npi", "name", "name_dob")}
    print(f"screening {people:,} people against {imported.rows:,} entries: {len(ours)} possible matches "
          f"({by['npi']} by NPI, {by['name']} by name)")
    print(f"{'measurement':<40} {'people':>7} {'timed s':>9} {'floor s':>10} {'ratio':>6}")
    return time_against_floor(f"screening {people:,} people", lambda: screening.run(by=BY), plain_sql_screening,
                              people, repeat, number, prefix, "the same join in plain SQL")


def run_reports(app, repeat: int, number: str, prefix: str) -> list[figures.Figure]:
    """The screening on a copy of the instance (skipped on PostgreSQL, which is not copied)."""
    if not database_of(app).endswith(".sqlite3"):
        print("PostgreSQL is not copied: the screening is skipped")
        return []
    with scratch_copy(app):
        return time_screening(repeat, number, prefix)


def page_urls(app) -> list[str]:
    """Compliance's nav pages."""
    return plugin_nav_urls(app, "/compliance")


if __name__ == "__main__":
    main(__doc__.splitlines()[0], GOAL, run_reports, page_urls)
