"""Underpayments reads its kept lines by index: the largest shortfalls first walking (difference, day) instead of
sorting a year of lines (1,953 on the large demo), and the totals per payer from (payer, day, difference) alone
instead of each line's row grouped in a temporary tree."""
from peewee import *


def up(migrator, db):
    migrator.migrate(migrator.add_index('billing_underpaid_line', ('difference_cents', 'answered_on'),
                                        name='underpaidline_difference_cents_answered_on'))
    migrator.migrate(migrator.add_index('billing_underpaid_line', ('payer_id', 'answered_on', 'difference_cents'),
                                        name='underpaidline_payer_id_answered_on_difference_cents'))


def down(migrator, db):
    migrator.migrate(migrator.drop_index('billing_underpaid_line', 'underpaidline_payer_id_answered_on_difference_cents'))
    migrator.migrate(migrator.drop_index('billing_underpaid_line', 'underpaidline_difference_cents_answered_on'))
