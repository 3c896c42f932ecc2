"""The denial worklist's kept rows carry their claim's date of service (on one row per claim), so the Worklists'
Denied tab pages its claims by date from an index instead of looking up and sorting every claim on the list (11,833
on the large demo: the page 12.7 to 3.7 ms p50)."""
from peewee import *


def up(migrator, db):
    migrator.migrate(migrator.add_column('billing_denial_line', 'service_date', DateField(null=True)))
    migrator.migrate(migrator.add_index('billing_denial_line', ('service_date',), name='denialline_service_date'))
    from medoffice.migrate import is_app_database
    if is_app_database(db):  # a copy (pgmove) takes the source's rows instead
        from medoffice_billing import denials
        denials.rebuild()


def down(migrator, db):
    migrator.migrate(migrator.drop_index('billing_denial_line', 'denialline_service_date'))
    migrator.migrate(migrator.drop_column('billing_denial_line', 'service_date'))
