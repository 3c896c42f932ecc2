"""The clearinghouse over SFTP, against a real SFTP server on the loopback: the credential sealed, the host key
confirmed before anything is exchanged and refused when it changes, ready claims sent as an 837P, responses
(999, 277CA, 271) fetched and imported once each, the remote copies left, moved or deleted, and every failure
kept with the server's words for Today."""
from __future__ import annotations

import datetime as dt
import json
import re

import asyncssh
import pytest
from ack_samples import ack_277, ack_999, answer_271
from billing_setup import database, encounter_with_charges, practice
from medoffice import settings
from remit_setup import cli_app, pyx12_errors, run_cli
from sftp_server import SftpServer

from medoffice_billing import claims, clearinghouse, eligibility
from medoffice_billing.clearinghouse import ClearinghouseError
from medoffice_billing.models import (Acknowledgment, Claim, ClaimBatch, Clearinghouse, ClearinghouseFile,
                                      EligibilityCheck)
from medoffice_billing.sealing import unseal
from medoffice_billing.sftp import fingerprint

CLEARINGHOUSE = {"billing.x12_sender_id": "PRACTICE01", "billing.x12_receiver_id": "CLEARHOUSE",
                 "billing.x12_receiver_name": "Test Clearinghouse", "billing.x12_submitter_id": "PRACTICE01",
                 "billing.x12_contact_name": "Billing Office", "billing.x12_contact_phone": "2175550100"}


@pytest.fixture
def remote(tmp_path):
    root = tmp_path / "sftp-root"
    for folder in ("outbound", "inbound"):
        (root / folder).mkdir(parents=True)
    with SftpServer(root) as server:
        yield server


def connect(server: SftpServer, *, after: str = "leave", secret: str | None = None, auth: str = "password",
            confirm: bool = True) -> Clearinghouse:
    """Save the connection to ``server`` (and confirm its key as the manager would)."""
    settings.set_many(CLEARINGHOUSE)
    row = clearinghouse.save_connection(
        {"host": "127.0.0.1", "port": server.port, "username": server.username, "auth_kind": auth,
         "outbound_dir": "outbound", "inbound_dir": "inbound", "archive_dir": "archive", "inbound_pattern": "*",
         "name_pattern": "{kind}-{control}-{date}.x12", "after_fetch": after, "enabled": True},
        server.password if secret is None else secret)
    if confirm:
        clearinghouse.confirm_host_key(clearinghouse.fetch_host_key())
    return Clearinghouse.get_by_id(row.id)


def ready_claim(records, days_ago: int = 4) -> Claim:
    day = settings.today() - dt.timedelta(days=days_ago)
    return claims.mark_ready(claims.create_claim(encounter_with_charges(records, day)))


def test_the_credential_is_sealed_and_a_new_server_needs_its_key_confirmed(app, remote):
    with database(app):
        row = connect(remote)
        assert row.secret_sealed.startswith("ch1:") and remote.password not in row.secret_sealed
        assert unseal(row.id, row.secret_sealed) == remote.password
        assert row.host_key == remote.host_key_line
        kept = clearinghouse.save_connection({**_values(row), "enabled": False}, "")
        assert kept.secret_sealed == row.secret_sealed and kept.host_key == row.host_key
        moved = clearinghouse.save_connection({**_values(row), "port": remote.port + 1}, "")
        assert moved.host_key == "" and moved.secret_sealed == row.secret_sealed
        with pytest.raises(ClearinghouseError) as refused:
            clearinghouse.save_connection({**_values(row), "name_pattern": "claims.x12"}, "")
        assert refused.value.field == "name_pattern"
        with pytest.raises(ClearinghouseError):
            clearinghouse.save_connection({**_values(row), "inbound_dir": "../etc"}, "")


def _values(row: Clearinghouse) -> dict:
    return {name: getattr(row, name) for name in ("host", "port", "username", "auth_kind", "outbound_dir",
                                                  "inbound_dir", "archive_dir", "inbound_pattern", "name_pattern",
                                                  "after_fetch", "enabled")}


def test_nothing_is_exchanged_until_the_manager_confirms_the_host_key(app, remote, client_as):
    with database(app):
        records = practice()
        claim = ready_claim(records)
        connect(remote, confirm=False)
        result = clearinghouse.sync()
        shown = fingerprint(remote.host_key_line)
        assert "Confirm the clearinghouse server's host key" in result.error and shown in result.error
        assert Claim.get_by_id(claim.id).status == "ready" and not list((remote.root / "outbound").iterdir())
        assert Clearinghouse.get().host_key_seen == remote.host_key_line
    manager = client_as("office_manager")
    today = manager.get("/today").get_data(as_text=True)
    assert "Confirm the clearinghouse server&#39;s host key" in today or "Confirm the clearinghouse server's host key" in today
    page = manager.get("/billing/clearinghouse").get_data(as_text=True)
    assert shown in page
    assert manager.post("/billing/clearinghouse/host-key/confirm", data={"fingerprint": "SHA256:forged"}).status_code == 422
    assert manager.post("/billing/clearinghouse/host-key/confirm", data={"fingerprint": shown}).status_code == 302
    with database(app):
        assert Clearinghouse.get().host_key == remote.host_key_line
        assert clearinghouse.sync().ok and Claim.get_by_id(claim.id).status == "submitted"


def test_a_sync_sends_ready_claims_and_imports_each_response_once_by_its_type(app, remote):
    with database(app):
        records = practice()
        first, second = ready_claim(records), ready_claim(records, 5)
        connect(remote, after="move")
        asked = eligibility.export_270([records["coverage"].id])
        clearinghouse.queue_batch("270", asked.batch.id, asked.batch.control_number)

        sent = clearinghouse.sync()
        assert sent.ok and len(sent.sent) == 2 and sent.fetched == []
        batch = ClaimBatch.get()
        claim_file = remote.root / "outbound" / f"837P-{batch.control_number:09d}-{settings.today():%Y%m%d}.x12"
        assert claim_file.read_bytes() == bytes(batch.content)
        assert pyx12_errors(claim_file.read_text(encoding="ascii")) == []
        inquiry_file = f"270-{asked.batch.control_number:09d}-{settings.today():%Y%m%d}.x12"
        assert sorted(sent.sent) == sorted([claim_file.name, inquiry_file])
        assert (remote.root / "outbound" / inquiry_file).read_bytes() == bytes(asked.batch.content)
        assert not [p for p in (remote.root / "outbound").iterdir() if p.name.endswith(".part")]
        first, second = Claim.get_by_id(first.id), Claim.get_by_id(second.id)
        assert first.status == second.status == "submitted"

        trace = EligibilityCheck.get().trace_number
        inbound = remote.root / "inbound"
        (inbound / "a.999").write_text(ack_999(batch.control_number), encoding="ascii")
        (inbound / "b.277").write_text(ack_277([(first.claim_number, "A2:20", "WQ", "PAY-1"),
                                                (second.claim_number, "A7:21:QC", "U", "")]), encoding="ascii")
        (inbound / "c.271").write_text(answer_271(trace), encoding="ascii")
        (inbound / "d.txt").write_text("not an X12 file", encoding="ascii")
        fetched = clearinghouse.sync()
        assert [(f["name"], f["type"], f["status"]) for f in fetched.fetched] == [
            ("a.999", "999", "imported"), ("b.277", "277CA", "imported"), ("c.271", "271", "imported"),
            ("d.txt", "", "refused")]
        assert not fetched.ok and "d.txt was refused: Not an X12 file" in fetched.problems[0]
        assert Claim.get_by_id(first.id).status == "accepted" and Claim.get_by_id(second.id).status == "rejected"
        assert EligibilityCheck.get().active is True
        assert sorted(p.name for p in (remote.root / "archive").iterdir()) == ["a.999", "b.277", "c.271"]
        assert [p.name for p in inbound.iterdir()] == ["d.txt"]  # a refused file stays for someone to look at
        assert "d.txt was refused" in Clearinghouse.get().last_error

        again = clearinghouse.sync()
        assert again.fetched == [] and Acknowledgment.select().count() == 2
        # the same response dropped again under a new name is fetched but changes nothing
        (inbound / "a-copy.999").write_text(ack_999(batch.control_number), encoding="ascii")
        copy = clearinghouse.sync()
        assert [(f["name"], f["status"]) for f in copy.fetched] == [("a-copy.999", "duplicate")]
        assert Acknowledgment.select().count() == 2


def test_files_left_on_the_server_are_not_imported_again_and_deleted_ones_are_gone(app, remote):
    with database(app):
        records = practice()
        ready_claim(records)
        connect(remote)
        clearinghouse.sync()
        batch = ClaimBatch.get()
        (remote.root / "inbound" / "ack.999").write_text(ack_999(batch.control_number), encoding="ascii")
        assert [f["status"] for f in clearinghouse.sync().fetched] == ["imported"]
        assert clearinghouse.sync().fetched == [] and (remote.root / "inbound" / "ack.999").exists()
        assert ClearinghouseFile.select().where(ClearinghouseFile.direction == "in").count() == 1
        clearinghouse.save_connection({**_values(Clearinghouse.get()), "after_fetch": "delete"}, "")
        assert clearinghouse.sync().ok and not (remote.root / "inbound" / "ack.999").exists()


def test_a_refused_login_is_kept_with_the_servers_words_and_shown_on_today(app, remote, client_as):
    with database(app):
        records = practice()
        claim = ready_claim(records)
        connect(remote, secret="wrong password")
        result = clearinghouse.sync()
        assert result.error.startswith(f"127.0.0.1:{remote.port} refused the login")
        assert Clearinghouse.get().last_error == result.error
        # the claims went into a batch queued for the next sync: nothing is lost
        assert Claim.get_by_id(claim.id).status == "submitted"
        assert ClearinghouseFile.get().status == "queued"
    page = client_as("billing").get("/today").get_data(as_text=True)
    assert "The clearinghouse sync failed" in page and "refused the login" in page
    with database(app):
        clearinghouse.save_connection(_values(Clearinghouse.get()), remote.password)
        assert clearinghouse.sync().ok
        assert ClearinghouseFile.get().status == "sent" and Clearinghouse.get().last_error == ""


def test_a_changed_host_key_stops_the_exchange_until_confirmed(app, remote, tmp_path):
    with database(app):
        connect(remote)
        with SftpServer(remote.root) as impostor:
            Clearinghouse.update(port=impostor.port).execute()
            result = clearinghouse.sync()
            assert "host key is not the one confirmed" in result.error
            row = Clearinghouse.get()
            assert row.host_key == remote.host_key_line and row.host_key_seen == impostor.host_key_line


def test_an_unreachable_server_is_reported(app, remote):
    with database(app):
        connect(remote)
        Clearinghouse.update(port=1).execute()
        result = clearinghouse.sync()
        assert result.error.startswith("127.0.0.1:1 could not be reached")


def test_a_private_key_logs_in_too(app, tmp_path):
    key = asyncssh.generate_private_key("ssh-ed25519")
    root = tmp_path / "keyed"
    (root / "inbound").mkdir(parents=True)
    (root / "outbound").mkdir()
    with SftpServer(root, password="not used", client_key=key) as server, database(app):
        with pytest.raises(ClearinghouseError) as refused:
            connect(server, auth="key", secret="not a key")
        assert refused.value.field == "secret"
        connect(server, auth="key", secret=key.export_private_key("openssh").decode("ascii"))
        assert clearinghouse.sync().ok


def test_the_sync_command_and_the_job(make_app, tmp_path):
    app = cli_app(make_app, tmp_path)
    root = tmp_path / "cli-root"
    (root / "inbound").mkdir(parents=True)
    (root / "outbound").mkdir()
    with SftpServer(root) as server:
        with database(app):
            records = practice()
            ready_claim(records)
            connect(server)
        out = run_cli(app, "billing", "clearinghouse", "sync", "--json")
        assert out.exit_code == 0, out.output
        summary = json.loads(out.output)
        assert (summary["ok"], summary["sent"], summary["fetched"], summary["error"]) == (True, 1, 0, "")
        with database(app):
            Clearinghouse.update(port=1).execute()
        failed = run_cli(app, "billing", "clearinghouse", "sync", "--json")
        assert failed.exit_code == 1 and "could not be reached" in json.loads(failed.output)["error"]
        with database(app):
            Clearinghouse.update(enabled=False).execute()
            assert clearinghouse.sync_job().startswith("The clearinghouse sync is off")
            Clearinghouse.update(enabled=True, port=server.port).execute()
            assert clearinghouse.sync_job().startswith("Sent 0 file(s); fetched 0")


def test_the_page_lists_the_newest_files_and_acknowledgments(app, client_as):
    """The page reads the newest files and acknowledgments as plain rows: each shows its time, kind, status and
    counts, newest first, escaped."""
    with database(app):
        at = dt.datetime(2026, 3, 2, 15, 4, tzinfo=dt.timezone.utc)
        ClearinghouseFile.create(direction="out", name="837P-000000001-20260302.x12", kind="837P", status="sent",
                                 at=at)
        ClearinghouseFile.create(direction="in", name="<b>odd</b>.x12", status="refused", message="Not X12 & junk",
                                 at=at + dt.timedelta(minutes=5))
        ack = Acknowledgment.create(file_sha256="a" * 64, kind="999", reference="000000001", status="R",
                                    payer_name="Acme", accepted=1, rejected=2, claims_updated=3, imported_at=at)
    page = client_as("billing").get("/billing/clearinghouse").get_data(as_text=True)
    files = page.split('id="files-table"', 1)[1].split("</table>", 1)[0]
    assert files.index("&lt;b&gt;odd&lt;/b&gt;.x12") < files.index("837P-000000001-20260302.x12")
    assert "Fetched" in files and "Sent" in files and "Not X12 &amp; junk" in files and "<td>—</td>" in files
    acks = page.split('id="acks-table"', 1)[1].split("</table>", 1)[0]
    assert f'/billing/acknowledgments/{ack.id}"' in acks and "000000001 · Acme" in acks
    assert '<td class="num">1</td><td class="num">2</td><td class="num">3</td>' in acks


def test_the_page_is_kept_until_the_connection_a_file_or_an_acknowledgment_changes(app, client_as):
    """A view reads none of the page's tables until one changes, written by any process (plain SQL here); an
    answer to a refused form is drawn with its errors."""
    from medoffice.testing import reads_of, write_sql

    with database(app):
        ClearinghouseFile.create(direction="out", name="837P-000000001-20260302.x12", kind="837P", status="sent")
        Acknowledgment.create(file_sha256="a" * 64, kind="999", reference="000000001", status="A", payer_name="Acme")
    manager = client_as()
    url = "/billing/clearinghouse"
    assert "837P-000000001-20260302.x12" in manager.get(url).get_data(as_text=True)
    tables = ("billing_clearinghouse", "billing_clearinghouse_file", "billing_acknowledgment")
    assert not reads_of(manager, url, tables)
    with database(app):
        write_sql("UPDATE billing_clearinghouse SET host = ?, username = ?", "sftp.example.org", "practice7")
    assert "practice7@sftp.example.org:22" in manager.get(url).get_data(as_text=True)
    with database(app):
        write_sql("UPDATE billing_clearinghouse_file SET message = ?", "Accepted by the gateway")
    assert "Accepted by the gateway" in manager.get(url).get_data(as_text=True)
    with database(app):
        write_sql("UPDATE billing_acknowledgment SET payer_name = ?", "Bluecross")
    assert "000000001 · Bluecross" in manager.get(url).get_data(as_text=True)
    refused = manager.post("/billing/clearinghouse/settings", data={"host": "", "port": "22"})
    assert refused.status_code == 422 and "Enter the server&#39;s host name." in refused.get_data(as_text=True)
    assert "Enter the server" not in manager.get(url).get_data(as_text=True)
    biller = client_as("billing")
    shown = biller.get(url).get_data(as_text=True)
    assert "Save the connection" not in shown and "Bluecross" in shown  # drawn for who may not manage it


def test_the_kept_page_carries_each_sessions_own_csrf_token(csrf_client_as):
    def tokens_of(client) -> set[str]:
        page = client.get("/billing/clearinghouse").get_data(as_text=True)
        return set(re.findall(r'name="csrf_token" type="hidden" value="([^"]+)"', page))

    first, second = csrf_client_as("admin"), csrf_client_as("admin")
    mine, theirs = tokens_of(first), tokens_of(second)
    assert len(mine) == 1 and len(theirs) == 1 and mine != theirs  # every form of the kept page has the session's
    connection = {"host": "sftp.example.org", "port": "22", "username": "practice7", "auth_kind": "password",
                  "secret": "Gateway-pass-42", "outbound_dir": "outbound", "inbound_dir": "inbound",
                  "inbound_pattern": "*", "name_pattern": "{kind}-{control}-{date}.x12", "after_fetch": "leave",
                  "archive_dir": "archive"}
    url = "/billing/clearinghouse/settings"
    assert first.post(url, data={**connection, "csrf_token": theirs.pop()}).status_code == 400
    assert first.post(url, data={**connection, "csrf_token": mine.pop()}).status_code == 302
