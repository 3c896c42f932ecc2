"""Generated bad input posted to every form of every enabled plugin, logged in as an admin.

Forms are found by crawling: every GET route without arguments, plus one page per endpoint
linked from those (a patient's, a staff member's edit page...). For each POST form with fields
to fill, hypothesis posts empty, huge, unicode, control-character, SQL and HTML values, wrong
types, negative money and impossible dates. No answer may be a 5xx; a 4xx must say which
field is wrong; a rejection must write nothing; a page showing field errors must not say 200.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from medoffice.db import db
from medoffice.testing import login

pytestmark = pytest.mark.slow

EXAMPLES_PER_FORM = 12
# Posting these as an admin is not form input: logging in again records the attempt (by
# design), logging out ends the session the test runs in.
SKIPPED_ACTIONS = ("/login", "/logout")
NOT_FILLED = {"hidden", "submit", "button", "reset", "image"}
FIELD_ERROR = re.compile(r'class="[^"]*\b(field-error|form-error)\b')

NASTY = st.one_of(
    st.just(""),
    st.just(" "),
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=20),
    st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=31), min_size=1, max_size=8),
    st.sampled_from(["x" * 5000, "é" * 300 + "漢字" * 300, "0" * 400]),
    st.sampled_from(["'; DROP TABLE core_patient; --", "\" OR 1=1 --", "%", "_", "\\", "' || '",
                     "Robert'); DELETE FROM core_user;--"]),
    st.sampled_from(["<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>", "&amp;&lt;", "{{7*7}}",
                     "{% raw %}"]),
    st.sampled_from(["-1", "-0.01", "-12.34", "-$5.00", "1e308", "NaN", "Infinity", "99999999999999999999",
                     "0x1F", "1,000.005", "12.345", "$", "abc", "true", "[]", "{}", "null"]),
    st.sampled_from(["2023-02-30", "2023-13-01", "0000-00-00", "9999-12-31", "1899-12-31", "31/12/2020",
                     "2020-1-1", "tomorrow", "2020-02-29T25:61"]),
    st.integers(min_value=-10**12, max_value=10**12).map(str),
    st.dates(min_value=dt.date(1, 1, 1)).map(dt.date.isoformat),
)


class FormParser(HTMLParser):
    """Collects forms (method, action, enctype, fields) and links of one page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self.links: list[str] = []
        self._form = None
        self._select = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("href", "").startswith("/"):
            self.links.append(a["href"])
        if tag == "form":
            self._form = {"method": (a.get("method") or "get").lower(), "action": a.get("action") or "",
                          "multipart": (a.get("enctype") or "") == "multipart/form-data", "fields": []}
            self.forms.append(self._form)
            return
        if self._form is None:
            return
        if tag == "input" and a.get("name"):
            self._form["fields"].append({"name": a["name"], "type": (a.get("type") or "text").lower(),
                                         "value": a.get("value") or "", "options": []})
        elif tag == "textarea" and a.get("name"):
            self._form["fields"].append({"name": a["name"], "type": "textarea", "value": "", "options": []})
        elif tag == "select" and a.get("name"):
            self._select = {"name": a["name"], "type": "select", "value": "", "options": []}
            self._form["fields"].append(self._select)
        elif tag == "option" and self._select is not None:
            self._select["options"].append(a.get("value") or "")
        elif tag == "button" and a.get("name"):
            self._form["fields"].append({"name": a["name"], "type": "submit", "value": a.get("value") or "",
                                         "options": []})

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def _parse(html: str) -> FormParser:
    parser = FormParser()
    parser.feed(html)
    return parser


def _seed_linked_records(app) -> None:
    """One patient, staff member and location, so their pages show up in the crawl."""
    from medoffice.models import Location, Patient, StaffMember

    with app.app_context():
        db.connect(reuse_if_open=True)
        location = Location.create(name="Main office", city="Springfield", state="IL")
        StaffMember.create(first_name="Dana", last_name="Reyes", credentials="MD", is_provider=True,
                           npi="1234567893", location=location)
        Patient.create(account_number="P9000001", first_name="Ann", last_name="Lee",
                       date_of_birth=dt.date(1980, 2, 3), location=location)
        db.close()


def _pages(app, client) -> list[str]:
    """GET routes without arguments, then the first page per endpoint linked from them."""
    adapter = app.url_map.bind("localhost")
    pages = sorted(r.rule for r in app.url_map.iter_rules()
                   if "GET" in r.methods and not r.arguments and not r.rule.startswith("/static"))
    seen_endpoints = {adapter.match(p)[0] for p in pages}
    linked = []
    for page in pages:
        response = client.get(page)
        if response.status_code != 200 or "html" not in response.content_type:
            continue
        for href in _parse(response.get_data(as_text=True)).links:
            path = urlsplit(href).path
            try:
                endpoint, _args = adapter.match(path, method="GET")
            except Exception:
                continue
            if endpoint not in seen_endpoints and not path.startswith("/static"):
                seen_endpoints.add(endpoint)
                linked.append(path)
    return pages + linked


def _forms(app, client) -> list[tuple[str, dict]]:
    """(page, form) for every POST form with at least one field a person fills in, once per action."""
    found, actions = [], set()
    for page in _pages(app, client):
        response = client.get(page)
        if response.status_code != 200 or "html" not in response.content_type:
            continue
        for form in _parse(response.get_data(as_text=True)).forms:
            action = urljoin(page, form["action"]) if form["action"] else page
            form["action"] = urlsplit(action).path
            if (form["method"] != "post" or form["action"].startswith(SKIPPED_ACTIONS)
                    or not any(f["type"] not in NOT_FILLED for f in form["fields"])
                    or form["action"] in actions):
                continue
            actions.add(form["action"])
            found.append((page, form))
    return found


def _field_value(field: dict):
    kind = field["type"]
    if kind in NOT_FILLED:
        return st.just(field["value"])
    if kind in ("checkbox", "radio"):
        return st.one_of(st.none(), st.just(field["value"] or "y"), NASTY)
    if kind == "select":
        return st.one_of(st.sampled_from(field["options"] or [""]), NASTY)
    if kind == "file":
        return st.binary(max_size=2048)
    plausible = {"date": "1980-02-03", "email": "someone@example.com", "number": "5"}.get(kind, "Ann")
    return st.one_of(st.just(plausible), NASTY, st.lists(NASTY, min_size=2, max_size=3))


def _table_fingerprint() -> dict[str, str]:
    """A digest of every table's content, to prove a rejected post wrote nothing."""
    digests = {}
    for table in sorted(db.get_tables()):
        rows = db.execute_sql(f'SELECT * FROM "{table}"').fetchall()
        digests[table] = hashlib.sha256(repr(sorted(map(repr, rows))).encode()).hexdigest()
    return digests


def _check_post(app, client, page: str, form: dict, data: dict) -> None:
    """Post ``data`` to the form and assert the outcome rules (see the module docstring)."""
    with app.app_context():
        db.connect(reuse_if_open=True)
        before = _table_fingerprint()
        db.close()
    response = client.post(form["action"], data=data)
    status = response.status_code
    body = response.get_data(as_text=True)
    where = f"POST {form['action']} (form on {page}) answered {status}"
    assert status < 500, f"{where} for {data!r}"
    shows_errors = bool(FIELD_ERROR.search(body))
    if 400 <= status < 500:
        assert shows_errors, f"{where} without saying which field is wrong, for {data!r}"
        with app.app_context():
            db.connect(reuse_if_open=True)
            after = _table_fingerprint()
            db.close()
        changed = [t for t in before if before[t] != after.get(t)]
        assert not changed, f"{where} but wrote to {changed} for {data!r}"
    else:
        assert not (status == 200 and shows_errors), f"{where} with field errors (use 422) for {data!r}"


def _fixed(form: dict) -> dict:
    """Only the fields a person does not fill (hidden values, the submit button)."""
    return {f["name"]: f["value"] for f in form["fields"] if f["type"] in NOT_FILLED}


def test_generated_bad_input_never_breaks_a_form(app):
    import io

    app.config["PROPAGATE_EXCEPTIONS"] = False  # a crash answers 500 as in production, and is reported
    _seed_linked_records(app)
    client = login(app.test_client())
    forms = _forms(app, client)
    assert len(forms) >= 5, [f["action"] for _p, f in forms]
    problems: list[str] = []

    for page, form in forms:
        strategies = [_field_value(f) for f in form["fields"]]

        @settings(max_examples=EXAMPLES_PER_FORM, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(values=st.tuples(*strategies))
        def post_generated(values):
            data: dict[str, list] = {}
            for field, value in zip(form["fields"], values):
                if value is None:
                    continue
                if field["type"] == "file":
                    value = (io.BytesIO(value), "upload.bin")
                for item in value if isinstance(value, list) else [value]:
                    data.setdefault(field["name"], []).append(item)
            _check_post(app, client, page, form, data)

        blank = {**{f["name"]: "" for f in form["fields"] if f["type"] not in NOT_FILLED | {"checkbox", "radio"}},
                 **_fixed(form)}
        nul = {**{k: "Ann\x00Lee" for k in blank}, **_fixed(form)}
        try:
            _check_post(app, client, page, form, _fixed(form))  # nothing filled in at all
            _check_post(app, client, page, form, blank)  # every field left empty
            if len(nul) > len(_fixed(form)):  # PostgreSQL cannot store NUL: refused by name
                _check_post(app, client, page, form, nul)
            post_generated()
        except AssertionError as exc:
            problems.append(str(exc).splitlines()[0][:600])
    assert not problems, "\n".join(problems)


def test_control_characters_are_refused_naming_the_field(admin_client, app):
    from medoffice.models import Patient

    search = admin_client.get("/patients?q=Lee%00")
    assert search.status_code == 422 and "<strong>q</strong>" in search.get_data(as_text=True)
    patient = {"first_name": "Ann", "last_name": "Lee", "date_of_birth": "1980-02-03", "sex": "F",
               "preferred_contact": "phone"}
    refused = admin_client.post("/patients/new", data={**patient, "first_name": "An\x00n"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and 'class="form-error"' in page and "<strong>first_name</strong>" in page
    assert admin_client.post("/patients/new", data={**patient, "city": "Spring\x1bfield"}).status_code == 422
    with app.app_context():
        db.connect(reuse_if_open=True)
        assert Patient.select().count() == 0
        db.close()
    kept = admin_client.post("/patients/new", data={**patient, "address1": "12 Main St\tSuite 5"})
    assert kept.status_code == 302  # tab, CR and LF are ordinary text
