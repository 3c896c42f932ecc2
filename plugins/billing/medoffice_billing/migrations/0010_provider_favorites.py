"""Per-provider favourite ICD-10-CM codes (billing_provider_favorite), offered first in charge entry."""
from peewee import *
from medoffice.db import UTCDateTimeField


def up(migrator, db):
    class ProviderFavorite(Model):
        staff_id = IntegerField()
        code = CharField(max_length=8)
        created_at = UTCDateTimeField()

        class Meta:
            database = db
            table_name = 'billing_provider_favorite'
            indexes = ((('staff_id', 'code'), True),)

    db.create_tables([ProviderFavorite])


def down(migrator, db):
    db.execute_sql('DROP TABLE billing_provider_favorite')
