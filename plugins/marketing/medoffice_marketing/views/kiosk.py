"""Survey kiosks: enrolling a browser (admins), and the kiosk page itself, reachable without a login
only from an enrolled browser and showing nothing but the survey."""
from __future__ import annotations

from flask import abort, make_response, redirect, request, url_for
from medoffice import prepared
from medoffice.auth import public, requires
from medoffice.db import transaction
from medoffice.settings import today
from medoffice.web.shell import notify, render_page

from .. import experience, kiosk
from ..experience import QUESTIONS, ExperienceError
from ..models import KioskDevice
from . import bp
from .common import username
from .forms import KioskForm

COOKIE_YEARS = 5
_DEVICES = KioskDevice.select().order_by(KioskDevice.active.desc(), KioskDevice.name)  # compiled once


@bp.route("/kiosks", methods=["GET", "POST"])
@requires("marketing.kiosk.manage")
def kiosks():
    """Enrolled kiosks; enrolling makes this browser one (it then shows only the survey)."""
    form = KioskForm()
    if form.validate_on_submit():
        device, token = kiosk.enroll(form.name.data, username())
        response = make_response(redirect(url_for("marketing.kiosk_survey")))
        response.set_cookie(kiosk.COOKIE, token, max_age=COOKIE_YEARS * 365 * 86400, path=url_for("marketing.kiosk_survey"),
                            httponly=True, samesite="Strict", secure=request.is_secure)
        notify(f"This browser is now the kiosk “{device.name}”.")
        return response
    devices = list(prepared.run(_DEVICES, "marketing.kiosks"))
    return render_page("marketing/kiosks.html", title="Survey kiosks", devices=devices, form=form,
                       breadcrumbs=[("Survey kiosks", None)]), (422 if form.errors else 200)


@bp.route("/kiosks/<int:device_id>/retire", methods=["POST"])
@requires("marketing.kiosk.manage")
def kiosk_retire(device_id: int):
    """Stop a kiosk."""
    device = KioskDevice.get_or_none(KioskDevice.id == device_id) or abort(404)
    kiosk.retire(device)
    notify(f"Retired the kiosk {device.name}.")
    return redirect(url_for("marketing.kiosks"))


def _device():
    return kiosk.device_for(request.cookies.get(kiosk.COOKIE))


@bp.route("/kiosk", methods=["GET", "POST"])
@public
def kiosk_survey():
    """The survey on an enrolled kiosk (no login, no patient data); any other browser is told so."""
    device = _device()
    if device is None:
        return render_page("marketing/kiosk_closed.html", title="Survey"), 403
    errors = {}
    if request.method == "POST":
        try:
            answers = experience.clean_answers(request.form)
        except ExperienceError as exc:
            errors[exc.field] = str(exc)
        else:
            with transaction():
                handoff = kiosk.take_handoff(device)
                experience.record_survey(answers, source="kiosk", patient_id=handoff.patient_id if handoff else None,
                                         visit_on=handoff.visit_on if handoff else None, answered_on=today(),
                                         by=f"kiosk:{device.id}")
            return render_page("marketing/kiosk_thanks.html", title="Thank you")
    return render_page("marketing/kiosk.html", title="How did we do?", questions=QUESTIONS, errors=errors,
                       values=request.form), (422 if errors else 200)
