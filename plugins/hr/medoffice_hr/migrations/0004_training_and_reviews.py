"""training_and_reviews"""
# Generated from a schema diff on 2026-12-03 21:50.
from peewee import *
from medoffice.db import UTCDateTimeField


def up(migrator, db):
    class Employment(Model):
        class Meta:
            database = db
            table_name = 'hr_employment'

    class Certification(Model):
        employment = ForeignKeyField(Employment, on_delete='CASCADE')
        name = CharField(max_length=120)
        number = CharField(max_length=60, default='')
        issuer = CharField(max_length=120, default='')
        issued_on = DateField(null=True)
        expires_on = DateField(null=True)
        removed_at = UTCDateTimeField(null=True)
        created_at = UTCDateTimeField()
        class Meta:
            database = db
            table_name = 'hr_certification'
    db.create_tables([Certification])

    class Course(Model):
        name = CharField(unique=True, max_length=120)
        description = TextField(default='')
        job_title = CharField(max_length=80, default='')
        due_days_after_hire = IntegerField(default=30)
        repeat_months = IntegerField(null=True)
        active = BooleanField(default=True)
        class Meta:
            database = db
            table_name = 'hr_course'
    db.create_tables([Course])

    class CourseCompletion(Model):
        employment = ForeignKeyField(Employment, on_delete='CASCADE')
        course = ForeignKeyField(Course, on_delete='CASCADE')
        completed_on = DateField()
        certificate_attachment_id = IntegerField(null=True)
        recorded_by = CharField(max_length=150, default='')
        created_at = UTCDateTimeField()
        class Meta:
            database = db
            table_name = 'hr_course_completion'
            indexes = ((('employment', 'course', 'completed_on'), False),)
    db.create_tables([CourseCompletion])

    class EmployeeNote(Model):
        employment = ForeignKeyField(Employment, on_delete='CASCADE')
        kind = CharField(max_length=10)
        text = TextField()
        author = CharField(max_length=150)
        created_at = UTCDateTimeField()
        acknowledged_at = UTCDateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'hr_employee_note'
    db.create_tables([EmployeeNote])

    class ReviewCycle(Model):
        name = CharField(max_length=120)
        period_start = DateField()
        period_end = DateField()
        due_on = DateField()
        created_by = CharField(max_length=150, default='')
        created_at = UTCDateTimeField()
        class Meta:
            database = db
            table_name = 'hr_review_cycle'
    db.create_tables([ReviewCycle])

    class Review(Model):
        cycle = ForeignKeyField(ReviewCycle, on_delete='CASCADE')
        employment = ForeignKeyField(Employment, on_delete='CASCADE')
        self_text = TextField(default='')
        self_submitted_at = UTCDateTimeField(null=True)
        supervisor_text = TextField(default='')
        rating = SmallIntegerField(null=True)
        supervisor_submitted_at = UTCDateTimeField(null=True)
        supervisor_by = CharField(max_length=150, default='')
        acknowledged_at = UTCDateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'hr_review'
            indexes = ((('cycle', 'employment'), True),)
    db.create_tables([Review])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('hr_review'))
    migrator.migrate(migrator.drop_table('hr_review_cycle'))
    migrator.migrate(migrator.drop_table('hr_employee_note'))
    migrator.migrate(migrator.drop_table('hr_course_completion'))
    migrator.migrate(migrator.drop_table('hr_course'))
    migrator.migrate(migrator.drop_table('hr_certification'))
