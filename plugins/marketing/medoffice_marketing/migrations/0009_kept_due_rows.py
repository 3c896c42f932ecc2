"""Which kept last visits a due list counts (marketing_last_visit.counted: the patient's latest of the type, of an
active unmerged patient), indexed by type, mark and day, so a due list is counted from an index range instead of
following every due patient to their other rows and their patient record; filled from the kept rows"""
from peewee import *


def up(migrator, db):
    migrator.migrate(migrator.add_column('marketing_last_visit', 'counted', BooleanField(default=False)))
    migrator.migrate(migrator.add_index('marketing_last_visit', ('visit_type', 'counted', 'last_visit_on'),
                                        name='lastvisit_visit_type_counted_last_visit_on'))
    db.execute_sql("""
UPDATE marketing_last_visit SET counted = (NOT EXISTS (
    SELECT 1 FROM marketing_last_visit later WHERE later.patient_id = marketing_last_visit.patient_id
    AND later.visit_type = marketing_last_visit.visit_type
    AND (later.last_visit_on > marketing_last_visit.last_visit_on
         OR (later.last_visit_on = marketing_last_visit.last_visit_on AND later.id > marketing_last_visit.id)))
  AND EXISTS (SELECT 1 FROM core_patient p WHERE p.id = marketing_last_visit.patient_id AND p.active
              AND p.merged_into_id IS NULL))""")


def down(migrator, db):
    migrator.migrate(migrator.drop_index('marketing_last_visit', 'lastvisit_visit_type_counted_last_visit_on'))
    migrator.migrate(migrator.drop_column('marketing_last_visit', 'counted'))
