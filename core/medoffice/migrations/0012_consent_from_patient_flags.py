"""Contact consent lives in the consent register only: the patient's three contact flags become
register entries (source "patient_record"), then the columns go, so nothing reads a second truth"""
import datetime as dt

# (flag, value that counts, channel, purpose, decision)
CARRIED_OVER = [
    ("ok_to_text", True, "text", "appointments_recalls", "granted"),
    ("ok_to_email", True, "email", "appointments_recalls", "granted"),
    ("ok_to_email", True, "email", "billing", "granted"),
    ("marketing_opt_out", True, "email", "marketing", "refused"),
    ("marketing_opt_out", True, "text", "marketing", "refused"),
    ("marketing_opt_out", True, "post", "marketing", "refused"),
    ("marketing_opt_out", True, "phone", "marketing", "refused"),
]


def up(migrator, db):
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    param = db.param
    for flag, value, channel, purpose, decision in CARRIED_OVER:
        db.execute_sql(
            "INSERT INTO core_message_consent (patient_id, channel, purpose, decision, source, given_on, "
            f"note, recorded_by, recorded_at) SELECT id, {param}, {param}, {param}, 'patient_record', {param}, "
            f"'', 'upgrade', {param} FROM core_patient WHERE {flag} = {param}",
            (channel, purpose, decision, now.date(), now, value))
    migrator.migrate(
        migrator.drop_column("core_patient", "ok_to_text"),
        migrator.drop_column("core_patient", "ok_to_email"),
        migrator.drop_column("core_patient", "marketing_opt_out"),
    )


def down(migrator, db):
    from peewee import BooleanField
    migrator.migrate(*(migrator.add_column("core_patient", flag, BooleanField(default=False))
                       for flag in ("ok_to_text", "ok_to_email", "marketing_opt_out")))
    for flag, value, channel, purpose, decision in CARRIED_OVER:
        db.execute_sql(
            f"UPDATE core_patient SET {flag} = {db.param} WHERE id IN (SELECT patient_id FROM core_message_consent "
            f"WHERE channel = {db.param} AND purpose = {db.param} AND decision = {db.param})",
            (value, channel, purpose, decision))
