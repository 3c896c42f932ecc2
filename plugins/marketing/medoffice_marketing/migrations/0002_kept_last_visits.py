"""Each patient's last visit of each type, kept for the recall lists (marketing_last_visit), filled from the visits"""
from peewee import *


def up(migrator, db):
    class Patient(Model):
        class Meta:
            database = db
            table_name = 'core_patient'

    class LastVisit(Model):
        patient = ForeignKeyField(Patient, index=False)
        visit_type = CharField(max_length=60)
        last_visit_on = DateField()

        class Meta:
            database = db
            table_name = 'marketing_last_visit'
            indexes = ((('patient', 'visit_type', 'last_visit_on'), False), (('visit_type', 'last_visit_on'), False))

    db.create_tables([LastVisit])
    # '' is a visit of any type (what a rule without a visit type follows).
    db.execute_sql("""
INSERT INTO marketing_last_visit (patient_id, visit_type, last_visit_on)
SELECT patient_id, visit_type, MAX(visit_on) FROM marketing_visit WHERE visit_type <> '' GROUP BY patient_id, visit_type
UNION ALL
SELECT patient_id, '', MAX(visit_on) FROM marketing_visit GROUP BY patient_id""")


def down(migrator, db):
    db.execute_sql('DROP TABLE marketing_last_visit')
