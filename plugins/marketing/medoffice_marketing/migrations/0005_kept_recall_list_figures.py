"""Each recall list's figures (patients, contacted, refused, each outcome, came back, converted) kept on its
row, and whether each patient on it came back, so a page reads one row instead of following every patient
on the list to their visits; filled from the entries and the visits"""
from peewee import *

COUNTED = {
    "patients": "1 = 1",
    "contacted": "e.contact IN ('email', 'letter', 'call')",
    "refused": "e.contact = 'refused'",
    "booked": "e.outcome = 'booked'",
    "declined": "e.outcome = 'declined'",
    "unreachable": "e.outcome = 'unreachable'",
    "moved": "e.outcome = 'moved'",
    "came_back": "e.came_back",
    "converted": "e.outcome = 'booked' OR e.came_back",
}

def up(migrator, db):
    migrator.migrate(migrator.add_column('marketing_recall_list', 'patients', IntegerField(default=0)))
    migrator.migrate(migrator.add_column('marketing_recall_list', 'contacted', IntegerField(default=0)))
    migrator.migrate(migrator.add_column('marketing_recall_list', 'refused', IntegerField(default=0)))
    migrator.migrate(migrator.add_column('marketing_recall_list', 'booked', IntegerField(default=0)))
    migrator.migrate(migrator.add_column('marketing_recall_list', 'declined', IntegerField(default=0)))
    migrator.migrate(migrator.add_column('marketing_recall_list', 'unreachable', IntegerField(default=0)))
    migrator.migrate(migrator.add_column('marketing_recall_list', 'moved', IntegerField(default=0)))
    migrator.migrate(migrator.add_column('marketing_recall_list', 'came_back', IntegerField(default=0)))
    migrator.migrate(migrator.add_column('marketing_recall_list', 'converted', IntegerField(default=0)))
    migrator.migrate(migrator.add_column('marketing_recall_entry', 'came_back', BooleanField(default=False)))
    db.execute_sql("""
UPDATE marketing_recall_entry SET came_back = EXISTS (
    SELECT 1 FROM marketing_visit v WHERE v.patient_id = marketing_recall_entry.patient_id
    AND v.visit_on >= (SELECT l.as_of FROM marketing_recall_list l WHERE l.id = marketing_recall_entry.recall_list_id))""")
    counts = ", ".join(f"{column} = (SELECT COUNT(*) FROM marketing_recall_entry e "
                       f"WHERE e.recall_list_id = marketing_recall_list.id AND ({condition}))"
                       for column, condition in COUNTED.items())
    db.execute_sql(f"UPDATE marketing_recall_list SET {counts}")


def down(migrator, db):
    migrator.migrate(migrator.drop_column('marketing_recall_entry', 'came_back'))
    migrator.migrate(migrator.drop_column('marketing_recall_list', 'converted'))
    migrator.migrate(migrator.drop_column('marketing_recall_list', 'came_back'))
    migrator.migrate(migrator.drop_column('marketing_recall_list', 'moved'))
    migrator.migrate(migrator.drop_column('marketing_recall_list', 'unreachable'))
    migrator.migrate(migrator.drop_column('marketing_recall_list', 'declined'))
    migrator.migrate(migrator.drop_column('marketing_recall_list', 'booked'))
    migrator.migrate(migrator.drop_column('marketing_recall_list', 'refused'))
    migrator.migrate(migrator.drop_column('marketing_recall_list', 'contacted'))
    migrator.migrate(migrator.drop_column('marketing_recall_list', 'patients'))
