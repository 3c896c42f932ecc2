"""Tax tables: every rate, bracket, wage base and threshold of a year as data. The shipped files
(``tax_tables/YYYY.json``, each naming its source) serve a year never imported; ``medoffice hr
tax-tables import FILE`` validates a file first and stores it as the year's next version (the same
content twice writes nothing)."""
from __future__ import annotations

import hashlib
import json
from decimal import Decimal, InvalidOperation
from importlib import resources

from medoffice import audit
from medoffice.db import transaction

from .payroll_models import TaxTable

STATUSES = ("single", "married", "head")
FREQUENCIES = ("weekly", "biweekly", "semimonthly", "monthly")


class TaxTableError(ValueError):
    """A tax table file that cannot be used, with the reason."""


def _rate(value, where: str) -> None:
    try:
        rate = Decimal(str(value))
    except InvalidOperation:
        raise TaxTableError(f"{where}: {value!r} is not a rate") from None
    if not (isinstance(value, str) and Decimal(0) <= rate < Decimal(1)):
        raise TaxTableError(f"{where}: a rate is a decimal string from 0 to below 1, such as \"0.062\"")


def _cents(value, where: str) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise TaxTableError(f"{where}: an amount is a whole number of cents, not below zero")


def validate(data) -> list[str]:
    """Every problem of a parsed table (empty when it can be used)."""
    problems = []

    def check(fn, *args):
        try:
            fn(*args)
        except (TaxTableError, KeyError, TypeError, IndexError, ValueError) as bad:
            problems.append(str(bad) if isinstance(bad, TaxTableError) else f"missing or malformed: {bad}")

    def schedules(name):
        for status in STATUSES:
            rows = data["federal"][name][status]
            if not rows or rows[0][0] != 0:
                raise TaxTableError(f"federal.{name}.{status}: the first row starts at 0")
            for index, (floor, base, rate) in enumerate(rows):
                _cents(floor, f"federal.{name}.{status}[{index}] floor")
                _cents(base, f"federal.{name}.{status}[{index}] base")
                _rate(rate, f"federal.{name}.{status}[{index}] rate")
                if index and floor <= rows[index - 1][0]:
                    raise TaxTableError(f"federal.{name}.{status}: floors rise row by row")

    if not isinstance(data, dict):
        return ["the file is not a JSON object"]
    def year_and_source():
        if not (isinstance(data["year"], int) and 2020 <= data["year"] <= 2100):
            raise TaxTableError("year: 2020 to 2100")
        if not str(data["source"]).strip():
            raise TaxTableError("source: name where the figures come from")
    check(year_and_source)
    check(lambda: [(_cents(data["federal"]["pay_periods"][f], f"pay_periods.{f}")) for f in FREQUENCIES])
    check(lambda: [_cents(data["federal"]["line_1g_cents"][s], f"line_1g_cents.{s}") for s in STATUSES])
    check(schedules, "standard")
    check(schedules, "step2_checkbox")
    check(lambda: (_rate(data["social_security"]["rate"], "social_security.rate"),
                   _cents(data["social_security"]["wage_base_cents"], "social_security.wage_base_cents")))
    check(lambda: (_rate(data["medicare"]["rate"], "medicare.rate"),
                   _rate(data["medicare"]["additional_rate"], "medicare.additional_rate"),
                   _cents(data["medicare"]["additional_threshold_cents"], "medicare.additional_threshold_cents")))
    check(lambda: (_rate(data["futa"]["rate"], "futa.rate"), _cents(data["futa"]["wage_base_cents"], "futa.wage_base")))

    def states():
        for code, rule in data["states"].items():
            if rule["method"] == "flat":
                _rate(rule["rate"], f"states.{code}.rate")
                _cents(rule.get("allowance_cents", 0), f"states.{code}.allowance_cents")
            elif rule["method"] != "none":
                raise TaxTableError(f"states.{code}: the method is flat or none")
    check(states)
    return problems


def shipped(year: int) -> dict | None:
    """The table shipped with the plugin for ``year``, if any."""
    path = resources.files("medoffice_hr") / "tax_tables" / f"{year}.json"
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def shipped_years() -> list[int]:
    """The years a table is shipped for."""
    folder = resources.files("medoffice_hr") / "tax_tables"
    return sorted(int(p.name[:4]) for p in folder.iterdir() if p.name.endswith(".json") and p.name[:4].isdecimal())


def for_year(year: int) -> dict:
    """The year's table: its newest imported version, else the shipped one."""
    row = TaxTable.select().where(TaxTable.year == year).order_by(TaxTable.version.desc()).first()
    if row is not None:
        return json.loads(row.data)
    found = shipped(year)
    if found is None:
        raise TaxTableError(f"There is no tax table for {year}: import one with `medoffice hr tax-tables import FILE`.")
    return found


def import_text(text: str) -> tuple[TaxTable | None, list[str]]:
    """Validate, then store a table as its year's next version; (None, []) when the same content is
    already the newest version, (None, problems) when it is refused (nothing written)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as bad:
        return None, [f"not JSON: {bad}"]
    problems = validate(data)
    if problems:
        return None, problems
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    newest = TaxTable.select().where(TaxTable.year == data["year"]).order_by(TaxTable.version.desc()).first()
    if newest is not None and newest.sha256 == digest:
        return None, []
    with transaction():
        row = TaxTable.create(year=data["year"], version=(newest.version + 1) if newest else 1, sha256=digest,
                              data=json.dumps(data), source=data["source"])
        audit.record("hr.tax_table.import", "hr_tax_table", row.id,
                     detail={"year": row.year, "version": row.version, "sha256": digest})
    return row, []
