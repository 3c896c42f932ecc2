"""Survey kiosks: a browser in the office that an admin enrolled shows only the survey, without a login
and without any patient data. The browser keeps a random token in a cookie; the server keeps only its
SHA-256. The desk may hand the next survey to a kiosk for a patient: the answer is filed under them,
the kiosk still shows nothing about them."""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from medoffice import audit
from medoffice.db import transaction, utcnow

from .models import KioskDevice, KioskHandoff

COOKIE = "medoffice_kiosk"
HANDOFF_MINUTES = 60  # a handed-over survey not answered within the hour is for nobody


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def enroll(name: str, by: str) -> tuple[KioskDevice, str]:
    """Enroll a device; returns it and the token its browser keeps (shown nowhere else)."""
    if not name.strip():
        raise ValueError("Name the kiosk (where it stands).")
    token = secrets.token_urlsafe(32)
    with transaction():
        device = KioskDevice.create(name=name.strip()[:80], token_sha256=_digest(token), enrolled_by=by)
        audit.record("marketing.kiosk.enroll", "marketing_kiosk", device.id, detail={"name": device.name})
    return device, token


def retire(device: KioskDevice) -> None:
    """Stop a kiosk: its token no longer opens the survey."""
    with transaction():
        KioskDevice.update(active=False).where(KioskDevice.id == device.id).execute()
        audit.record("marketing.kiosk.retire", "marketing_kiosk", device.id)


def device_for(token: str | None) -> KioskDevice | None:
    """The active kiosk a cookie's token belongs to, or None."""
    if not token or len(token) > 200:
        return None
    return KioskDevice.get_or_none((KioskDevice.token_sha256 == _digest(token)) & (KioskDevice.active == True))  # noqa: E712


def hand_off(device: KioskDevice, patient_id: int, visit_on: dt.date) -> KioskHandoff:
    """The next survey answered on this kiosk is this patient's (replaces an unanswered hand-off)."""
    with transaction():
        KioskHandoff.delete().where((KioskHandoff.device == device) & KioskHandoff.used_at.is_null()).execute()
        handoff = KioskHandoff.create(device=device, patient=patient_id, visit_on=visit_on)
        audit.record("marketing.kiosk.handoff", "marketing_kiosk", device.id, patient_id=patient_id)
    return handoff


def take_handoff(device: KioskDevice) -> KioskHandoff | None:
    """The fresh hand-off waiting on this kiosk, marked used (in the caller's transaction), or None."""
    since = utcnow() - dt.timedelta(minutes=HANDOFF_MINUTES)
    handoff = (KioskHandoff.select().where((KioskHandoff.device == device) & KioskHandoff.used_at.is_null()
                                           & (KioskHandoff.created_at >= since))
               .order_by(KioskHandoff.id.desc()).first())
    if handoff is not None:
        KioskHandoff.update(used_at=utcnow()).where(KioskHandoff.id == handoff.id).execute()
    return handoff
