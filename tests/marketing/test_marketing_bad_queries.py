"""Generated query strings never break a marketing page or report (the whole-app crawl's check, for
marketing's routes alone, so it runs whatever the crawl's page limit reaches)."""
from __future__ import annotations

from medoffice.demo import load_demo
from medoffice.testing import login
from test_bad_input import (COMMON_QUERY_NAMES, EXAMPLES_PER_REPORT, EXAMPLES_PER_ROUTE, _ask, _crawl, _fallback_url,
                            _fuzz_queries, _get_rules, _record_query_reads, _report_specs)


def test_generated_query_strings_never_break_a_marketing_page(make_app):
    app = make_app(plugins=["marketing"])
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a crash answers 500 as in production
    load_demo(app, "small")
    reads = _record_query_reads(app)
    client = login(app.test_client())
    rules = {e: r for e, r in _get_rules(app).items() if e.startswith("marketing.")}
    urls = _crawl(app, client, rules)
    assert len(urls) >= len(rules) * 3 // 4, sorted(set(rules) - set(urls))
    problems = []
    for endpoint, rule in sorted(rules.items()):
        url = urls.get(endpoint) or _fallback_url(rule)
        _ask(client, url, {name: "1" for name in COMMON_QUERY_NAMES}, problems)
        problems += _fuzz_queries(client, url, sorted(reads.get(endpoint, ())), EXAMPLES_PER_ROUTE)
    for spec in [s for s in _report_specs(app) if s.id.startswith("marketing.")]:
        names = [p.name for p in spec.params] + ["sort", "desc"]
        problems += _fuzz_queries(client, f"/reports/{spec.id}", names, EXAMPLES_PER_REPORT, {"run": "1"})
    assert not problems, "\n".join(problems)
