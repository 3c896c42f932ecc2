"""A deposit slip can be voided (the bank refused it, it was entered twice): when and why."""
from peewee import *
from playhouse.migrate import migrate
from medoffice.db import UTCDateTimeField


def up(migrator, db):
    migrate(
        migrator.add_column('finance_deposit', 'voided_at', UTCDateTimeField(null=True)),
        migrator.add_column('finance_deposit', 'void_reason', TextField(default='')),
    )
