"""Sending claims: the 837P export and CMS-1500 printing pages, past batches, one claim's CMS-1500."""
from __future__ import annotations

from types import SimpleNamespace

from flask import Response, abort, redirect, request, url_for
from medoffice import prepared
from medoffice.auth import requires
from medoffice.data_versions import kept
from medoffice.models import Patient
from medoffice.money import format_cents
from medoffice.patients import load_record_for_display, record_shown
from medoffice.web.query import parse_id
from medoffice.web.shell import notify, render_page
from medoffice.web.tables import TableColumn, paginate, url_template
from peewee import JOIN

from .. import cms1500, export837
from ..claims import STATE_LABELS, ClaimError
from ..models import BATCHES, PAYERS, Claim, ClaimBatch, ClaimBatchItem, Payer
from . import bp

KINDS = {"837p": "837P file", "cms1500": "CMS-1500 forms"}
MIMETYPES = {"837p": "application/edi-x12", "cms1500": "application/pdf"}


_ACTIVE_PAYERS = (Payer.select(Payer.id, Payer.name).where(Payer.active == True)  # noqa: E712
                  .order_by(Payer.name).tuples())
_BATCH_COLUMNS = (ClaimBatch.id, ClaimBatch.kind, ClaimBatch.payer.alias("payer_id"), ClaimBatch.file_name,
                  ClaimBatch.claim_count, ClaimBatch.total_charge_cents, ClaimBatch.created_by, ClaimBatch.created_at,
                  Payer.name.alias("payer_name"))


def _payers() -> list[tuple[int, str]]:
    return kept(PAYERS.key, "active payers", lambda: list(prepared.run(_ACTIVE_PAYERS, "billing.export.payers")))


def _chosen_payer(value: str | None) -> Payer | None:
    if not value:
        return None
    payer_id = parse_id(value)
    if payer_id is None:
        abort(400, description="payer: use a payer's number from the list.")
    return Payer.get_or_none(Payer.id == payer_id) or abort(404)


def _batches_table(payer: Payer | None):
    batch_url = url_template("billing.claim_batch", "batch_id")
    return paginate(
        ClaimBatch.select(*_BATCH_COLUMNS).join(Payer, join_type=JOIN.LEFT_OUTER).objects(SimpleNamespace),
        id="batches-table",
        columns=[
            TableColumn("created_at", "Created", sort=ClaimBatch.created_at,
                        kind="datetime",
                        link=lambda b: batch_url(b.id)),
            TableColumn("kind", "Kind", sort=ClaimBatch.kind, value=lambda b: KINDS.get(b.kind, b.kind)),
            TableColumn("payer", "Payer", value=lambda b: b.payer_name if b.payer_id else "All payers"),
            TableColumn("file_name", "File", sort=ClaimBatch.file_name),
            TableColumn("claim_count", "Claims", sort=ClaimBatch.claim_count, numeric=True),
            TableColumn("total", "Charges", sort=ClaimBatch.total_charge_cents, numeric=True,
                        value=lambda b: format_cents(b.total_charge_cents)),
            TableColumn("created_by", "By", sort=ClaimBatch.created_by),
        ],
        search=lambda text: ClaimBatch.file_name ** f"%{text}%", default_sort="created_at",
        endpoint="billing.claims_export", endpoint_args={"payer": payer.id} if payer else {}, noun="batch", noun_plural="batches", search_placeholder="File name",
        empty_message="No claims have been sent from here yet.", key=("billing.export.batches",),
        kept_by=BATCHES.key,
    )


def _export_page(payer: Payer | None, problems: list[str] = (), status: int = 200):
    payer_id = payer.id if payer else None
    ready = export837.ready_summaries(payer_id)
    return render_page("billing/export.html", title="Send claims", payers=_payers(), payer=payer,
                       electronic=ready["electronic"], paper=ready["paper"], problems=list(problems),
                       table=_batches_table(payer),
                       breadcrumbs=[("Claims", url_for("billing.claims")), ("Send claims", None)]), status


@bp.route("/claims/export")
@requires("billing.claims.submit")
def claims_export():
    """The ready claims of a payer (or all) with their total, the buttons that send them, and past batches."""
    if "sort" not in request.args:  # newest batch first unless the user chose an order
        return redirect(url_for("billing.claims_export", **{**request.args.to_dict(), "sort": "created_at", "desc": 1}))
    return _export_page(_chosen_payer(request.args.get("payer")))


@bp.route("/claims/export", methods=["POST"])
@requires("billing.claims.submit")
def claims_export_create():
    """Create an 837P file (or print CMS-1500 forms) of the ready claims; they become submitted."""
    payer = _chosen_payer(request.form.get("payer"))
    kind = request.form.get("kind", "837p")
    if kind not in KINDS:
        return _export_page(payer, ["Choose an 837P file or CMS-1500 forms."], 422)
    try:
        result = export837.export(payer) if kind == "837p" else cms1500.paper_batch(payer)
    except (export837.ExportError, ClaimError) as exc:
        return _export_page(payer, getattr(exc, "problems", None) or [str(exc)], 422)
    for skipped in result.skipped[:5]:
        notify(f"Claim {skipped.claim_number} stays ready: {skipped.problems[0]}", "warning")
    if len(result.skipped) > 5:
        notify(f"{len(result.skipped) - 5} more claims stay ready with problems; open them from the claims list.",
               "warning")
    if result.batch is None:
        notify("No claim went out: none is ready for this choice." if not result.skipped
               else "No claim went out: every ready claim has a problem to fix first.", "warning")
        return redirect(url_for("billing.claims_export", payer=payer.id if payer else None))
    notify(f"{result.claim_count} claim{'s' if result.claim_count != 1 else ''} "
           f"({format_cents(result.total_charge_cents)}) went into {result.batch.file_name}; they are now submitted. "
           "Download the file below.")
    return redirect(url_for("billing.claim_batch", batch_id=result.batch.id))


@bp.route("/claims/batches/<int:batch_id>")
@requires("billing.claims.submit")
def claim_batch(batch_id: int):
    """One batch: its file, control number and the claims in it. Audited (lists patients)."""
    batch = ClaimBatch.get_or_none(ClaimBatch.id == batch_id) or abort(404)
    claims = list(Claim.select(Claim, Patient.first_name, Patient.last_name, Payer.name)
                  .join(ClaimBatchItem).switch(Claim).join(Payer).switch(Claim)
                  .join(Patient, on=(Claim.patient_id == Patient.id), attr="patient")
                  .where(ClaimBatchItem.batch == batch).order_by(Claim.claim_number))
    record_shown("billing.batch.view", batch, (c.patient_id for c in claims), claims=len(claims))
    return render_page("billing/export_batch.html", title=batch.file_name, batch=batch, claims=claims,
                       kinds=KINDS, state_labels=STATE_LABELS,
                       breadcrumbs=[("Send claims", url_for("billing.claims_export")), (batch.file_name, None)])


@bp.route("/claims/batches/<int:batch_id>/download")
@requires("billing.claims.submit")
def claim_batch_download(batch_id: int):
    """The batch's file exactly as it was created (837P text or the CMS-1500 PDF). Audited."""
    batch = ClaimBatch.get_or_none(ClaimBatch.id == batch_id) or abort(404)
    shown = Claim.select(Claim.patient_id).join(ClaimBatchItem).where(ClaimBatchItem.batch == batch).tuples()
    record_shown("billing.batch.download", batch, (pid for (pid,) in shown), export=True, sha256=batch.sha256)
    return Response(bytes(batch.content), mimetype=MIMETYPES.get(batch.kind, "application/octet-stream"),
                    headers={"Content-Disposition": f'attachment; filename="{batch.file_name}"'})


@bp.route("/claims/<int:claim_id>/cms1500.pdf")
@requires("billing.view")
def claim_cms1500(claim_id: int):
    """The claim on a CMS-1500 (02/12) form as a PDF, as it stands now (nothing changes). Audited."""
    claim, _patient = load_record_for_display(Claim, claim_id, "billing.claim.cms1500", export=True)
    return Response(cms1500.claim_pdf(claim), mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="CMS1500-{claim.claim_number}.pdf"'})
