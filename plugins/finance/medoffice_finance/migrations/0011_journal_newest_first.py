"""An index on the journal's entries by status and id, so the journal (posted entries, newest first, 25 at a
time) reads its page from the index instead of sorting every posted entry on each request."""
# Generated from a schema diff on 2026-12-05 09:07.
from peewee import *

def up(migrator, db):
    migrator.migrate(migrator.add_index('finance_journal_entry', ('status', 'id')))


def down(migrator, db):
    migrator.migrate(migrator.drop_index('finance_journal_entry', 'finance_journal_entry_status_id'))
