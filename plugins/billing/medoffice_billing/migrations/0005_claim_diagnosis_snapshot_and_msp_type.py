"""Claims keep the diagnoses and pointers they billed (backfilled from their encounters); Medicare Secondary Payer type on policies"""
# Generated from a schema diff on 2026-11-27 08:50.
from peewee import *

def up(migrator, db):
    class Claim(Model):
        class Meta:
            database = db
            table_name = 'billing_claim'

    class ClaimDiagnosis(Model):
        claim = ForeignKeyField(Claim, on_delete='CASCADE')
        position = SmallIntegerField()
        code = CharField(max_length=8)
        class Meta:
            database = db
            table_name = 'billing_claim_diagnosis'
            indexes = ((('claim', 'position'), True),)
    db.create_tables([ClaimDiagnosis])

    migrator.migrate(migrator.add_column('billing_coverage', 'msp_type', CharField(max_length=2, default='')))
    migrator.migrate(migrator.add_column('billing_claim_line', 'diagnosis_pointers', CharField(max_length=11, default='')))

    # Existing claims take what their encounter holds now: the best record left of what they billed.
    db.execute_sql(
        "INSERT INTO billing_claim_diagnosis (claim_id, position, code) "
        "SELECT c.id, d.position, d.code FROM billing_claim c "
        "JOIN billing_diagnosis d ON d.encounter_id = c.encounter_id")
    db.execute_sql(
        "UPDATE billing_claim_line SET diagnosis_pointers = ("
        "SELECT CAST(s.pointer1 AS TEXT)"
        " || COALESCE(':' || CAST(s.pointer2 AS TEXT), '')"
        " || COALESCE(':' || CAST(s.pointer3 AS TEXT), '')"
        " || COALESCE(':' || CAST(s.pointer4 AS TEXT), '')"
        " FROM billing_service_line s WHERE s.id = billing_claim_line.service_line_id)")


def down(migrator, db):
    migrator.migrate(migrator.drop_column('billing_claim_line', 'diagnosis_pointers'))
    migrator.migrate(migrator.drop_column('billing_coverage', 'msp_type'))
    migrator.migrate(migrator.drop_table('billing_claim_diagnosis'))
