"""The new patients each referring provider sent per year, kept (marketing_referrer_year), so the referrers list
adds up a row per year instead of counting every referral; filled from the sources"""
from peewee import *

from medoffice.db import is_sqlite


def up(migrator, db):
    class ReferrerYear(Model):
        referring_provider_id = IntegerField()
        year = IntegerField()
        new_patients = IntegerField(default=0)

        class Meta:
            database = db
            table_name = 'marketing_referrer_year'
            indexes = ((('referring_provider_id', 'year'), True),)

    db.create_tables([ReferrerYear])
    year = "CAST(strftime('%Y', new_on) AS INTEGER)" if is_sqlite(db) else "CAST(EXTRACT(YEAR FROM new_on) AS INTEGER)"
    db.execute_sql(f"""
INSERT INTO marketing_referrer_year (referring_provider_id, year, new_patients)
SELECT referring_provider_id, {year}, COUNT(*) FROM marketing_patient_source
WHERE referring_provider_id IS NOT NULL GROUP BY referring_provider_id, {year}""")


def down(migrator, db):
    migrator.migrate(migrator.drop_table('marketing_referrer_year'))
