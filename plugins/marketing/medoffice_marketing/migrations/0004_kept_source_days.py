"""New patients per day, channel and campaign with their first year's charges and collections, kept for the
return figures (marketing_source_day) so a page adds up a row per day instead of following every new
patient's revenue; filled from the sources and revenue lines"""
from peewee import *

from medoffice.db import is_sqlite


def up(migrator, db):
    class SourceDay(Model):
        new_on = DateField()
        channel = CharField(max_length=30)
        campaign_id = IntegerField()
        new_patients = IntegerField(default=0)
        charges_cents = BigIntegerField(default=0)
        collections_cents = BigIntegerField(default=0)

        class Meta:
            database = db
            table_name = 'marketing_source_day'
            indexes = ((('new_on', 'channel', 'campaign_id'), True), (('campaign_id', 'new_on'), False))

    db.create_tables([SourceDay])
    # A campaign id of 0 is no campaign; revenue counts from the day a patient became new for 365 days.
    year_on = "date(s.new_on, '+365 days')" if is_sqlite(db) else "s.new_on + 365"
    db.execute_sql(f"""
INSERT INTO marketing_source_day (new_on, channel, campaign_id, new_patients, charges_cents, collections_cents)
SELECT new_on, channel, campaign_id, COUNT(*), SUM(charges), SUM(collections)
FROM (SELECT s.id, s.new_on, s.channel, COALESCE(s.campaign_id, 0) AS campaign_id,
             SUM(CASE WHEN r.kind = 'charge' THEN r.amount_cents ELSE 0 END) AS charges,
             SUM(CASE WHEN r.kind = 'payment' THEN r.amount_cents ELSE 0 END) AS collections
      FROM marketing_patient_source s LEFT JOIN marketing_revenue r
        ON r.patient_id = s.patient_id AND r.effective_date >= s.new_on AND r.effective_date < {year_on}
      GROUP BY s.id, s.new_on, s.channel, s.campaign_id) pp
GROUP BY new_on, channel, campaign_id""")


def down(migrator, db):
    migrator.migrate(migrator.drop_table('marketing_source_day'))
