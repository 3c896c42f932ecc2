"""The kept new patients added up per month (marketing_source_month), so a year's return figures add up a
dozen months and the days of the months the period covers in part instead of every day; filled from the
kept days"""
from peewee import *

from medoffice.db import is_sqlite


def up(migrator, db):
    class SourceMonth(Model):
        month = DateField()
        channel = CharField(max_length=30)
        campaign_id = IntegerField()
        new_patients = IntegerField(default=0)
        charges_cents = BigIntegerField(default=0)
        collections_cents = BigIntegerField(default=0)

        class Meta:
            database = db
            table_name = 'marketing_source_month'
            indexes = ((('month', 'channel', 'campaign_id'), True), (('campaign_id', 'month'), False))

    db.create_tables([SourceMonth])
    month = "date(new_on, 'start of month')" if is_sqlite(db) else "CAST(date_trunc('month', new_on) AS date)"
    db.execute_sql(f"""
INSERT INTO marketing_source_month (month, channel, campaign_id, new_patients, charges_cents, collections_cents)
SELECT {month}, channel, campaign_id, SUM(new_patients), SUM(charges_cents), SUM(collections_cents)
FROM marketing_source_day GROUP BY {month}, channel, campaign_id""")


def down(migrator, db):
    migrator.migrate(migrator.drop_table('marketing_source_month'))
