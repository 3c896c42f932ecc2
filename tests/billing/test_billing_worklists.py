"""The worklists page: what a row shows, and each filter, sort and search (each its own prepared query shape:
under pytest a key that missed one fails, see medoffice.prepared)."""
from __future__ import annotations

import re

from accounts_setup import days_ago, insured_visit
from billing_setup import database, practice
from medoffice.models import AuditEvent, User
from medoffice.testing import login
from remit_setup import import_unmatched_835

from medoffice_billing.models import Claim


def _claims_shown(html: str) -> list[str]:
    return re.findall(r'>(C\d+)</a>', html)


def test_worklist_rows_filters_sorts_and_search(app):
    with database(app):
        zeta, acme = practice(account="P0000001"), practice(account="P0000002")
        zeta["payer"].name = "Zeta Mutual"
        zeta["payer"].save()
        acme["patient"].last_name = "Abbott"
        acme["patient"].save()
        recent = insured_visit(zeta, days_ago(40))  # sent 39 days ago
        older = insured_visit(acme, days_ago(70))  # sent 69 days ago
        zeta_id = zeta["payer"].id
    biller = login(app.test_client(), "billing", username="worker")
    with database(app):
        worker = User.get(User.username == "worker")

    def shown(query: str = "") -> list[str]:
        return _claims_shown(biller.get(f"/billing/worklists{query}").get_data(as_text=True))

    page = biller.get("/billing/worklists").get_data(as_text=True)
    row = page[page.index(f'value="{recent.id}" form="assign-form"'):]
    row = row[:row.index("</tr>")]
    assert f'<a href="/billing/claims/{recent.id}">{recent.claim_number}</a>' in row
    assert all(cell in row for cell in ("<td>Diaz, Rosa</td>", "<td>Zeta Mutual</td>", '<td class="num">39</td>',
                                        '<td class="num">$120.00</td>'))
    assert row.count('<td class="num">$120.00</td>') == 2  # charged, and all of it still owed by the payer
    assert shown() == [older.claim_number, recent.claim_number]  # by service date
    assert shown("?days=60") == [older.claim_number]
    assert shown("?sort=payer") == [older.claim_number, recent.claim_number]  # Acme, then Zeta
    assert shown("?sort=payer&desc=1") == [recent.claim_number, older.claim_number]
    # A page past the first counts the claims (with or without the payers joined for the sort).
    assert shown("?page=2") == shown("?sort=payer&page=2") == [older.claim_number, recent.claim_number]
    assert shown("?sort=patient&page=2") == [older.claim_number, recent.claim_number]
    assert shown("?sort=patient&desc=1") == [recent.claim_number, older.claim_number]  # Diaz, then Abbott
    assert shown("?q=abbott") == [older.claim_number]
    assert shown(f"?payer={zeta_id}") == [recent.claim_number]
    assert shown(f"?payer={zeta_id}&sort=payer&q=diaz") == [recent.claim_number]
    assert biller.post("/billing/worklists/assign",
                       data={"claim_id": [str(recent.id)], "user_id": str(worker.id)}).status_code == 302
    assert shown("?who=mine") == [recent.claim_number]
    assert shown("?who=unassigned") == [older.claim_number]
    assert f"<td>{worker.full_name}</td>" in biller.get("/billing/worklists?who=mine").get_data(as_text=True)
    with database(app):
        listed = AuditEvent.select().where(AuditEvent.action == "billing.worklist.list").order_by(AuditEvent.id.desc())
        assert f'"patients":[{recent.patient_id}]' in listed.get().detail  # who the last page showed
    assert shown("?tab=rejected") == []
    with database(app):
        Claim.update(status="rejected").where(Claim.id == older.id).execute()
    assert shown("?tab=rejected") == [older.claim_number]
    assert shown(f"?tab=rejected&payer={zeta_id}") == []


def test_exceptions_tab_lists_what_matched_no_claim(app, client_as):
    import_unmatched_835(app)
    page = client_as("billing").get("/billing/worklists?tab=exceptions").get_data(as_text=True)
    row = page[page.index('<a href="/billing/remittances/exceptions">NOPE</a>'):]
    row = row[:row.index("</tr>")]
    assert "<td>ROE, JO</td><td>RUSHMORE LIFE</td>" in row and '<td class="num">$10.00</td>' in row
    assert "1 claim payment" in page


def test_the_worklists_are_kept_until_a_claim_its_ledger_a_patient_or_an_835_changes(app, client_as):
    """The worklists keep their pages (billing.claims, billing.denials for what payers still owe, core.patients;
    the exceptions tab billing.queues and billing.remittances): an unchanged view reads no claim, and a change by
    plain SQL, as another process would write it, shows on the next view."""
    from medoffice.testing import reads_of, write_sql

    with database(app):
        records = practice()
        claim = insured_visit(records, days_ago(40))
    biller = client_as("billing")
    url = "/billing/worklists"
    assert claim.claim_number in biller.get(url).get_data(as_text=True)
    assert not reads_of(biller, url, ("billing_claim", "billing_line_transaction", "core_patient"))

    def row_after(sql: str, *values) -> str:
        with database(app):
            write_sql(sql, *values)
        page = biller.get(url).get_data(as_text=True)
        row = page[page.index(f'value="{claim.id}" form="assign-form"'):]
        return row[:row.index("</tr>")]

    assert "C-RENAMED" in row_after("UPDATE billing_claim SET claim_number = ? WHERE id = ?", "C-RENAMED", claim.id)
    assert "Quill, Rosa" in row_after("UPDATE core_patient SET last_name = ? WHERE id = ?", "Quill", claim.patient_id)
    owed = row_after("UPDATE billing_line_transaction SET amount_cents = ? WHERE kind = 'charge'", 9000)
    assert owed.count('<td class="num">$90.00</td>') == 1  # still owed by the payer; the claim's charges as billed

    import_unmatched_835(app)
    exceptions = "/billing/worklists?tab=exceptions"
    assert "ROE, JO" in biller.get(exceptions).get_data(as_text=True)
    assert not reads_of(biller, exceptions, ("billing_remit_claim", "billing_remittance", "billing_payer"))
    with database(app):
        write_sql("UPDATE billing_remit_claim SET patient_name = ? WHERE queue = 'exception'", "DOE, JANE")
    assert "DOE, JANE" in biller.get(exceptions).get_data(as_text=True)


def test_the_worklists_tools_are_kept_until_a_payer_or_a_user_changes_with_each_sessions_token(app, csrf_client_as):
    """The tabs, filter bar and assign form are drawn once and kept (billing.payers; the users to assign to are
    the access version's): a payer renamed or a user added by plain SQL shows on the next view, and the assign form
    carries each session's own CSRF token."""
    from medoffice.testing import write_sql

    with database(app):
        records = practice()
        insured_visit(records, days_ago(40))
    first, second = csrf_client_as("billing"), csrf_client_as("billing")

    def page(client) -> str:
        return client.get("/billing/worklists").get_data(as_text=True)

    def token(html: str) -> str:
        form = html[html.index('id="assign-form"'):]
        return re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)

    assert token(page(first)) != token(page(second))
    with database(app):
        write_sql("UPDATE billing_payer SET name = ? WHERE id = ?", "Renamed Health", records["payer"].id)
    assert "Renamed Health</option>" in page(first)
    with database(app):
        write_sql("UPDATE core_user SET full_name = ?", "Ada Assignable")
    assert ">Ada Assignable</option>" in page(second)
