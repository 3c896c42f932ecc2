"""Each user's saved list views (billing_saved_filter): a name, the list and its query string."""
from peewee import *
from medoffice.db import UTCDateTimeField


def up(migrator, db):
    class SavedFilter(Model):
        user_id = IntegerField()
        page = CharField(max_length=40)
        name = CharField(max_length=60)
        query = CharField(max_length=500)
        created_at = UTCDateTimeField()

        class Meta:
            database = db
            table_name = 'billing_saved_filter'
            indexes = ((('user_id', 'page', 'name'), True),)

    db.create_tables([SavedFilter])


def down(migrator, db):
    db.execute_sql('DROP TABLE billing_saved_filter')
