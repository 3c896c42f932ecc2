"""hiring_and_leaving"""
# Generated from a schema diff on 2026-12-03 21:33.
from peewee import *
from medoffice.db import UTCDateTimeField


def up(migrator, db):
    class Department(Model):
        class Meta:
            database = db
            table_name = 'hr_department'

    class Employment(Model):
        class Meta:
            database = db
            table_name = 'hr_employment'

    class Location(Model):
        class Meta:
            database = db
            table_name = 'core_location'

    class StaffMember(Model):
        class Meta:
            database = db
            table_name = 'core_staff'

    class Opening(Model):
        title = CharField(max_length=120)
        job_title = CharField(max_length=80)
        department = ForeignKeyField(Department, null=True, on_delete='SET NULL')
        location = ForeignKeyField(Location, null=True, on_delete='SET NULL')
        description = TextField(default='')
        status = CharField(max_length=10, default='open')
        opened_on = DateField()
        closed_on = DateField(null=True)
        created_by = CharField(max_length=150, default='')
        created_at = UTCDateTimeField()
        class Meta:
            database = db
            table_name = 'hr_opening'
    db.create_tables([Opening])

    class Candidate(Model):
        opening = ForeignKeyField(Opening, on_delete='CASCADE')
        first_name = CharField(max_length=60)
        last_name = CharField(max_length=60)
        email = CharField(max_length=120, default='')
        phone = CharField(max_length=30, default='')
        stage = CharField(index=True, max_length=12, default='applied')
        note = TextField(default='')
        resume_attachment_id = IntegerField(null=True)
        offer_start_date = DateField(null=True)
        offer_basis = CharField(max_length=10, default='')
        offer_amount_cents = BigIntegerField(null=True)
        hired_staff = ForeignKeyField(StaffMember, null=True, on_delete='SET NULL')
        closed_on = DateField(index=True, null=True)
        created_at = UTCDateTimeField()
        class Meta:
            database = db
            table_name = 'hr_candidate'
    db.create_tables([Candidate])

    class Checklist(Model):
        employment = ForeignKeyField(Employment, on_delete='CASCADE')
        kind = CharField(max_length=12)
        starts_on = DateField()
        created_at = UTCDateTimeField()
        class Meta:
            database = db
            table_name = 'hr_checklist'
    db.create_tables([Checklist])

    class ChecklistTask(Model):
        checklist = ForeignKeyField(Checklist, on_delete='CASCADE')
        title = CharField(max_length=160)
        assignee_role = CharField(max_length=40)
        due = DateField()
        position = IntegerField(default=0)
        done_at = UTCDateTimeField(null=True)
        done_by = CharField(max_length=150, default='')
        class Meta:
            database = db
            table_name = 'hr_checklist_task'
    db.create_tables([ChecklistTask])

    class ChecklistTemplate(Model):
        kind = CharField(max_length=12)
        job_title = CharField(max_length=80, default='')
        name = CharField(max_length=120)
        active = BooleanField(default=True)
        class Meta:
            database = db
            table_name = 'hr_checklist_template'
    db.create_tables([ChecklistTemplate])

    class ChecklistTemplateTask(Model):
        template = ForeignKeyField(ChecklistTemplate, on_delete='CASCADE')
        title = CharField(max_length=160)
        assignee_role = CharField(max_length=40)
        due_offset = IntegerField(default=0)
        business_days = BooleanField(default=False)
        position = IntegerField(default=0)
        class Meta:
            database = db
            table_name = 'hr_checklist_template_task'
    db.create_tables([ChecklistTemplateTask])

    class Interview(Model):
        candidate = ForeignKeyField(Candidate, on_delete='CASCADE')
        held_on = DateField()
        interviewer = ForeignKeyField(StaffMember, null=True, on_delete='SET NULL')
        score = SmallIntegerField()
        recommendation = CharField(max_length=12)
        notes = TextField(default='')
        created_by = CharField(max_length=150, default='')
        created_at = UTCDateTimeField()
        class Meta:
            database = db
            table_name = 'hr_interview'
    db.create_tables([Interview])

    class PropertyItem(Model):
        employment = ForeignKeyField(Employment, on_delete='CASCADE')
        item = CharField(max_length=120)
        identifier = CharField(max_length=60, default='')
        issued_on = DateField()
        returned_on = DateField(null=True)
        class Meta:
            database = db
            table_name = 'hr_property_item'
    db.create_tables([PropertyItem])

    class Separation(Model):
        employment = ForeignKeyField(Employment, unique=True, on_delete='CASCADE')
        last_day = DateField(index=True)
        reason = CharField(max_length=20)
        notes = TextField(default='')
        completed_at = UTCDateTimeField(null=True)
        exit_held_on = DateField(null=True)
        exit_reason = TextField(default='')
        exit_would_rehire = BooleanField(null=True)
        exit_comments = TextField(default='')
        created_by = CharField(max_length=150, default='')
        created_at = UTCDateTimeField()
        class Meta:
            database = db
            table_name = 'hr_separation'
    db.create_tables([Separation])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('hr_separation'))
    migrator.migrate(migrator.drop_table('hr_property_item'))
    migrator.migrate(migrator.drop_table('hr_interview'))
    migrator.migrate(migrator.drop_table('hr_checklist_template_task'))
    migrator.migrate(migrator.drop_table('hr_checklist_template'))
    migrator.migrate(migrator.drop_table('hr_checklist_task'))
    migrator.migrate(migrator.drop_table('hr_checklist'))
    migrator.migrate(migrator.drop_table('hr_candidate'))
    migrator.migrate(migrator.drop_table('hr_opening'))
