"""Surveys indexed by day with their score, so the NPS by month is counted from the index alone; service
recovery items by state with their due date (the list walks them in order and stops after a page, instead
of sorting every closed item) and with their closing and opening days (the dashboard's days to close)"""
from peewee import *


def up(migrator, db):
    migrator.migrate(migrator.drop_index('marketing_survey', 'surveyresponse_answered_on'))
    migrator.migrate(migrator.add_index('marketing_survey', ('answered_on', 'nps'),
                                        name='surveyresponse_answered_on_nps'))
    migrator.migrate(migrator.drop_index('marketing_recovery', 'recoveryitem_state'))
    migrator.migrate(migrator.add_index('marketing_recovery', ('state', 'due_on'), name='recoveryitem_state_due_on'))
    migrator.migrate(migrator.add_index('marketing_recovery', ('state', 'closed_on', 'opened_on'),
                                        name='recoveryitem_state_closed_on_opened_on'))


def down(migrator, db):
    migrator.migrate(migrator.drop_index('marketing_recovery', 'recoveryitem_state_closed_on_opened_on'))
    migrator.migrate(migrator.drop_index('marketing_recovery', 'recoveryitem_state_due_on'))
    migrator.migrate(migrator.add_index('marketing_recovery', ('state',), name='recoveryitem_state'))
    migrator.migrate(migrator.drop_index('marketing_survey', 'surveyresponse_answered_on_nps'))
    migrator.migrate(migrator.add_index('marketing_survey', ('answered_on',), name='surveyresponse_answered_on'))
