"""Budgets: a year's amounts by account and month (for the practice, or one location), each account's
control (ignore, warn or stop) and whether unused amounts carry forward to the next month."""
from peewee import *
from medoffice.db import UTCDateTimeField


def up(migrator, db):
    class Location(Model):
        class Meta:
            database = db
            table_name = 'core_location'

    class Account(Model):
        class Meta:
            database = db
            table_name = 'finance_account'

    class Budget(Model):
        year = IntegerField()
        location = ForeignKeyField(Location, null=True, on_delete='RESTRICT')
        name = CharField(max_length=120)
        carry_forward = BooleanField(default=False)
        created_at = UTCDateTimeField()
        class Meta:
            database = db
            table_name = 'finance_budget'
            indexes = ((('year',), False),)

    class BudgetAmount(Model):
        budget = ForeignKeyField(Budget, on_delete='CASCADE')
        account = ForeignKeyField(Account, on_delete='RESTRICT')
        month = IntegerField(constraints=[Check('month BETWEEN 1 AND 12')])
        amount_cents = BigIntegerField()
        class Meta:
            database = db
            table_name = 'finance_budget_amount'
            indexes = ((('budget', 'account', 'month'), True),)

    class BudgetControl(Model):
        budget = ForeignKeyField(Budget, on_delete='CASCADE')
        account = ForeignKeyField(Account, on_delete='RESTRICT')
        action = CharField(max_length=6, default='ignore')
        class Meta:
            database = db
            table_name = 'finance_budget_control'
            indexes = ((('budget', 'account'), True),)

    db.create_tables([Budget, BudgetAmount, BudgetControl])
