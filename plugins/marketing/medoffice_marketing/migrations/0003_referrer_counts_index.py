"""New patients by referrer and date: the referrers list counts each one's patients from the index alone"""
from peewee import *


def up(migrator, db):
    migrator.migrate(migrator.drop_index('marketing_patient_source', 'patientsource_referring_provider_id'))
    migrator.migrate(migrator.add_index('marketing_patient_source', ('referring_provider_id', 'new_on'),
                                        name='patientsource_referring_provider_id_new_on'))


def down(migrator, db):
    migrator.migrate(migrator.drop_index('marketing_patient_source', 'patientsource_referring_provider_id_new_on'))
    migrator.migrate(migrator.add_index('marketing_patient_source', ('referring_provider_id',),
                                        name='patientsource_referring_provider_id'))
