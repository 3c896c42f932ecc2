"""Generated bad input posted to every form of every enabled plugin, logged in as an admin.

Forms are found by crawling: every GET route without arguments, plus one page per endpoint
linked from those (a patient's, a staff member's edit page...). For each POST form with fields
to fill, hypothesis posts empty, huge, unicode, control-character, SQL and HTML values, wrong
types, negative money and impossible dates. No answer may be a 5xx; a 4xx must say which
field is wrong; a rejection must write nothing; a page showing field errors must not say 200.

Query strings get the same treatment: on the small demo data, every GET route of the url_map
(path ids filled from links the pages show, else from the demo's first rows) is asked with
generated values for the query arguments it reads (found in its links and GET forms) and a
shared set of common names, and every report with generated values for each of its
parameters. No answer may be a 5xx.
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
from peewee import fn

from medoffice.db import db
from medoffice.models import AuditEvent
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


# A signed-in user's activity is recorded at most once a minute on whatever request comes (the idle
# timeout reads it); that is the session's bookkeeping, not something the rejected post wrote.
NOT_FINGERPRINTED = {"core_session": {"last_seen_at"}}


def _table_fingerprint() -> dict[str, str]:
    """A digest of every table's content, to prove a rejected post wrote nothing."""
    digests = {}
    for table in sorted(db.get_tables()):
        cursor = db.execute_sql(f'SELECT * FROM "{table}"')
        skipped = NOT_FINGERPRINTED.get(table, set())
        kept = [i for i, column in enumerate(cursor.description) if column[0] not in skipped]
        rows = [tuple(row[i] for i in kept) for row in cursor.fetchall()]
        digests[table] = hashlib.sha256(repr(sorted(map(repr, rows))).encode()).hexdigest()
    return digests


AUDIT_TABLES = {"core_audit_event", "core_audit_head"}


def _new_audit_actions(since_seq: int) -> list[str]:
    """The actions of the audit entries written after ``since_seq``."""
    return [a for (a,) in AuditEvent.select(AuditEvent.action).where(AuditEvent.seq > since_seq).tuples()]


def _check_post(app, client, page: str, form: dict, data: dict) -> None:
    """Post ``data`` to the form and assert the outcome rules (see the module docstring)."""
    with app.app_context():
        db.connect(reuse_if_open=True)
        before = _table_fingerprint()
        before_seq = AuditEvent.select(fn.MAX(AuditEvent.seq)).scalar() or 0
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
            written = _new_audit_actions(before_seq)
            refusals_only = bool(written) and all(action.endswith(".refused") for action in written)
            db.close()
        changed = [t for t in before if before[t] != after.get(t)
                   and not (refusals_only and t in AUDIT_TABLES)]  # a refused privilege change is recorded
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



def test_control_characters_are_refused_however_the_request_spells_them(admin_client):
    """A query string is decoded and checked only when its raw text may hold a control character: every escape
    of one (either case, in a name or a value) is still refused, ordinary escapes and tabs are text, and a GET
    that carries a form body has that checked too."""
    for query in ("q=Lee%00", "q=Lee%1B", "q=Lee%1b", "q=Lee%7f", "q%00=Lee", "page=1&q=%7F"):
        assert admin_client.get(f"/patients?{query}").status_code == 422, query
    for query in ("q=Lee%09Ann", "q=Lee%20%41nn", "q=Lee+Ann"):
        assert admin_client.get(f"/patients?{query}").status_code == 200, query
    assert admin_client.get("/patients", data={"q": "Lee\x00"}).status_code == 422

# --- query strings: every GET route, every report parameter ---------------------------------

EXAMPLES_PER_ROUTE = 4
EXAMPLES_PER_REPORT = 6
HUGE = "99999999999999999999"
EDGES = (HUGE, "0001-01-01", "9999-12-31", "\u00b2")  # beyond any integer column, the calendar's ends, a "digit"
# Names asked of every route once, to see which of them its view reads.
COMMON_QUERY_NAMES = ("page", "sort", "desc", "q", "start", "end", "status", "tab", "task", "day", "days",
                      "payer", "who", "mine", "as_of", "patient", "patient_id", "user", "action", "object_type",
                      "object_id", "emergency", "job", "run", "next", "field", "min_balance", "bucket", "provider",
                      "location", "include_all")
QUERY_VALUE = st.one_of(
    st.sampled_from(EDGES),
    st.just(""),
    st.text(max_size=20),
    st.sampled_from(["-" + HUGE, "-1", "0", "1", "2", "1e20", "NaN", "\u0663", "0x1F", "1.5", "abc", "%", "_",
                     "\\", "'", "y", "on", "true", "[]"]),
    st.sampled_from(["1899-12-31", "2023-02-30", "2020-1-1", "tomorrow", "9999-12", "0000-00-00",
                     "2026-03-01T25:61"]),
    st.sampled_from(["/\r\nX-Injected: 1", "//evil.example/", "/%09/evil.example", "javascript:alert(1)",
                     "<script>alert(1)</script>", "x" * 3000, "\x00"]),
    st.integers(min_value=-10**25, max_value=10**25).map(str),
    st.dates(min_value=dt.date(1, 1, 1)).map(dt.date.isoformat),
)


def _record_query_reads(app) -> dict[str, set[str]]:
    """From now on, the query argument names each endpoint's code reads (get, [], in, getlist)."""
    from flask import request
    from werkzeug.datastructures import ImmutableMultiDict

    reads: dict[str, set[str]] = {}

    class RecordingArgs(ImmutableMultiDict):
        def _seen(self, key):
            reads.setdefault(request.endpoint, set()).add(key)

        def __getitem__(self, key):
            self._seen(key)
            return super().__getitem__(key)

        def __contains__(self, key):
            self._seen(key)
            return super().__contains__(key)

        def get(self, key, default=None, type=None):
            self._seen(key)
            return super().get(key, default, type)

        def getlist(self, key, type=None):
            self._seen(key)
            return super().getlist(key, type)

    def record():
        request.__dict__["args"] = RecordingArgs(request.args)

    app.before_request_funcs.setdefault(None, []).insert(0, record)
    return reads


class LinkParser(HTMLParser):
    """The links of one page (``href`` and ``hx-get``) and the actions of its GET forms."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for name in ("href", "hx-get"):
            if (a.get(name) or "").startswith("/"):
                self.links.append(a[name])
        if tag == "form" and (a.get("method") or "get").lower() == "get" and (a.get("action") or "").startswith("/"):
            self.links.append(a["action"])


# Static files, and the health check (it answers 503 by design while the instance is unhealthy).
NOT_FUZZED = ("static", "plugin_static", "theme_static", "core.healthz")


def _get_rules(app) -> dict:
    """endpoint -> rule for every GET route that is not a static file or the health check."""
    return {r.endpoint: r for r in app.url_map.iter_rules() if "GET" in r.methods and r.endpoint not in NOT_FUZZED}


def _crawl(app, client, rules: dict, max_pages: int | None = None) -> dict[str, str]:
    """One URL per endpoint: routes without arguments, then the first link to each other endpoint. The page
    budget grows with the routes (default: one page per route), so more list pages do not starve the crawl."""
    max_pages = max_pages or len(rules)
    adapter = app.url_map.bind("localhost")
    urls = {e: r.rule for e, r in rules.items() if not r.arguments}
    queue, fetched = sorted(urls.values()), 0
    while queue and fetched < max_pages:
        response = client.get(queue.pop(0))
        fetched += 1
        if response.status_code != 200 or "html" not in response.content_type:
            continue
        parser = LinkParser()
        parser.feed(response.get_data(as_text=True))
        for href in parser.links:
            path = urlsplit(href).path
            try:
                endpoint, _args = adapter.match(path, method="GET")
            except Exception:
                continue
            if endpoint in rules and endpoint not in urls:
                urls[endpoint] = path
                queue.append(path)
    return urls


def _fallback_url(rule) -> str:
    """The rule built with id 1 and a placeholder word, for a route no page linked to."""
    from werkzeug.routing.converters import AnyConverter, NumberConverter

    values = {}
    for name in rule.arguments:
        converter = rule._converters[name]
        if isinstance(converter, AnyConverter):
            values[name] = sorted(converter.items)[0]
        else:
            values[name] = 1 if isinstance(converter, NumberConverter) else "x"
    return rule.build(values)[1]


def _report_specs(app) -> list:
    with app.app_context():
        db.connect(reuse_if_open=True)
        try:
            return list(app.extensions["medoffice"].host.call("medoffice_reports"))
        finally:
            db.close()


def _ask(client, url: str, query: dict, problems: list[str]) -> None:
    from urllib.parse import urlencode

    full = f"{url}?{urlencode(query)}" if query else url
    status = client.get(full, follow_redirects=True).status_code  # pages that add a default sort redirect
    if status >= 500:
        problems.append(f"GET {full[:300]} answered {status}")


def _fuzz_queries(client, url: str, names: list[str], examples: int, fixed: dict | None = None,
                  edges: bool = True) -> list[str]:
    """Ask ``url`` with each name at each edge value, then with generated values; the 5xx answers."""
    problems: list[str] = []
    for name in names if edges else ():
        for value in EDGES:
            _ask(client, url, {**(fixed or {}), name: value}, problems)

    @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(query=st.dictionaries(st.sampled_from(names), QUERY_VALUE, min_size=1, max_size=len(names)))
    def ask(query):
        _ask(client, url, {**(fixed or {}), **query}, problems)

    if names:
        ask()
    return problems


def test_generated_query_strings_never_break_a_page_or_a_report(make_app):
    from medoffice.demo import load_demo

    app = make_app()
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a crash answers 500 as in production, and is reported
    load_demo(app, "small")
    reads = _record_query_reads(app)
    client = login(app.test_client())
    rules = _get_rules(app)
    urls = _crawl(app, client, rules)
    assert len(urls) >= len(rules) * 3 // 4, sorted(set(rules) - set(urls))  # most routes reached by links
    problems: list[str] = []
    for endpoint, rule in sorted(rules.items()):
        url = urls.get(endpoint) or _fallback_url(rule)
        _ask(client, url, {name: "1" for name in COMMON_QUERY_NAMES}, problems)  # which of them it reads
        names = sorted(reads.get(endpoint, ()))
        slow = url.endswith((".pdf", ".zip"))  # a PDF costs a second: the page and CSV read the same arguments
        problems += _fuzz_queries(client, url, names, 1 if slow else EXAMPLES_PER_ROUTE, edges=not slow)
    specs = _report_specs(app)
    assert len(specs) >= 5
    for spec in specs:  # every parameter of every report, whether or not the crawl reached its page
        names = [p.name for p in spec.params] + ["sort", "desc"]
        problems += _fuzz_queries(client, f"/reports/{spec.id}", names, EXAMPLES_PER_REPORT, {"run": "1"})
    assert not problems, "\n".join(problems)
