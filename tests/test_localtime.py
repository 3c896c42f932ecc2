"""Timestamps in the practice's time zone with its abbreviation (issue 17 item 6)."""
import datetime as dt
import zoneinfo

from medoffice import localtime
from medoffice.db import db
from medoffice.localtime import local_datetime
from medoffice.models import User


def test_utc_timestamps_read_in_the_practice_zone(monkeypatch):
    monkeypatch.setattr(localtime, "practice_timezone", lambda: zoneinfo.ZoneInfo("America/New_York"))
    winter = dt.datetime(2026, 1, 15, 14, 5, tzinfo=dt.timezone.utc)
    assert local_datetime(winter) == "2026-01-15 09:05 EST"
    assert local_datetime(dt.datetime(2026, 7, 1, 3, 30)) == "2026-06-30 23:30 EDT"  # naive = UTC
    assert local_datetime(winter, zone=False, seconds=True) == "2026-01-15 09:05:00"
    assert local_datetime(None, empty="never") == "never"


def test_users_pages_show_local_time_not_utc(admin_client, app):
    with app.app_context():
        db.connect(reuse_if_open=True)
        try:
            user = User.select().where(User.username != "").order_by(User.id).first()
            User.update(last_login_at=dt.datetime(2026, 1, 15, 14, 5, tzinfo=dt.timezone.utc)).where(
                User.id == user.id).execute()
        finally:
            db.close()
    page = admin_client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert "Last login: 2026-01-15 09:05 EST" in page  # the default zone is America/New_York
    listed = admin_client.get("/admin/users").get_data(as_text=True)
    row = listed.split(f'<a href="/admin/users/{user.id}">')[1].split("</tr>")[0]
    assert row.endswith("<td>Active</td><td>2026-01-15 09:05</td>")  # the list leaves the zone out
    assert "UTC" not in page
    audit = admin_client.get("/admin/audit").get_data(as_text=True)
    assert "When (EST)" in audit or "When (EDT)" in audit
