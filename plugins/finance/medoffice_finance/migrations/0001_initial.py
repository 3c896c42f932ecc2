"""Finance tables: accounts, budget lines, the journal, periods, year closes, the books' setup, posting
rules and booked events; and the triggers that make the database refuse an unbalanced posting, a change
to a posted entry and a posting into a closed month, on SQLite and on PostgreSQL."""
from peewee import *
from medoffice.db import UTCDateTimeField, is_sqlite


def up(migrator, db):
    class Location(Model):
        class Meta:
            database = db
            table_name = 'core_location'

    class Account(Model):
        number = CharField(max_length=10, unique=True)
        name = CharField(max_length=120)
        type = CharField(max_length=10)
        description = TextField(default='')
        role = CharField(max_length=40, null=True, unique=True)
        active = BooleanField(default=True)
        created_at = UTCDateTimeField()
        class Meta:
            database = db
            table_name = 'finance_account'

    class BudgetLine(Model):
        name = CharField(max_length=120, unique=True)
        description = TextField(default='')
        active = BooleanField(default=True)
        class Meta:
            database = db
            table_name = 'finance_budget_line'

    class JournalEntry(Model):
        entry_date = DateField()
        memo = CharField(max_length=300, default='')
        kind = CharField(max_length=12, default='manual')
        status = CharField(max_length=8, default='draft', constraints=[Check("status IN ('draft', 'posted')")])
        reverses = ForeignKeyField('self', null=True, unique=True, on_delete='RESTRICT')
        posted_at = UTCDateTimeField(null=True)
        posted_by_user_id = IntegerField(null=True)
        created_at = UTCDateTimeField()
        class Meta:
            database = db
            table_name = 'finance_journal_entry'
            indexes = ((('status', 'entry_date'), False),)

    class JournalLine(Model):
        entry = ForeignKeyField(JournalEntry, on_delete='RESTRICT')
        account = ForeignKeyField(Account, on_delete='RESTRICT')
        debit_cents = BigIntegerField(default=0, constraints=[Check('debit_cents >= 0')])
        credit_cents = BigIntegerField(default=0, constraints=[Check('credit_cents >= 0')])
        memo = CharField(max_length=200, default='')
        location = ForeignKeyField(Location, null=True, on_delete='SET NULL')
        budget_line = ForeignKeyField(BudgetLine, null=True, on_delete='RESTRICT')
        class Meta:
            database = db
            table_name = 'finance_journal_line'
            indexes = ((('account', 'entry'), False),)
            constraints = [SQL('CHECK ((debit_cents > 0 AND credit_cents = 0) OR (debit_cents = 0 AND credit_cents > 0))')]

    class Period(Model):
        year = IntegerField()
        month = IntegerField()
        start_date = DateField()
        end_date = DateField()
        status = CharField(max_length=8, default='open', constraints=[Check("status IN ('open', 'closed')")])
        changed_at = UTCDateTimeField()
        changed_by_user_id = IntegerField(null=True)
        class Meta:
            database = db
            table_name = 'finance_period'
            indexes = ((('year', 'month'), True), (('status', 'start_date'), False))

    class PeriodEvent(Model):
        period = ForeignKeyField(Period, on_delete='CASCADE')
        action = CharField(max_length=8)
        reason = TextField(default='')
        user_id = IntegerField(null=True)
        at = UTCDateTimeField()
        class Meta:
            database = db
            table_name = 'finance_period_event'

    class YearClose(Model):
        year = IntegerField(unique=True)
        entry = ForeignKeyField(JournalEntry, null=True, on_delete='RESTRICT')
        closed_at = UTCDateTimeField()
        closed_by_user_id = IntegerField(null=True)
        class Meta:
            database = db
            table_name = 'finance_year_close'

    class Books(Model):
        basis = CharField(max_length=8, default='accrual')
        opened_on = DateField(null=True)
        updated_at = UTCDateTimeField()
        class Meta:
            database = db
            table_name = 'finance_books'

    class PostingRule(Model):
        event_name = CharField(max_length=120)
        basis = CharField(max_length=8, default='any')
        party = CharField(max_length=10, default='')
        method = CharField(max_length=10, default='')
        kind = CharField(max_length=12, default='')
        group_code = CharField(max_length=2, default='')
        books = BooleanField(default=True)
        debit_account = ForeignKeyField(Account, null=True, on_delete='RESTRICT')
        credit_account = ForeignKeyField(Account, null=True, on_delete='RESTRICT')
        description = CharField(max_length=200, default='')
        updated_at = UTCDateTimeField()
        class Meta:
            database = db
            table_name = 'finance_posting_rule'
            indexes = ((('event_name', 'basis', 'party', 'method', 'kind', 'group_code'), True),)

    class BookedEvent(Model):
        event_position = BigIntegerField(unique=True)
        event_name = CharField(max_length=120)
        amount_cents = BigIntegerField(default=0)
        entry = ForeignKeyField(JournalEntry, null=True, on_delete='RESTRICT')
        rule = ForeignKeyField(PostingRule, null=True, on_delete='SET NULL')
        booked_at = UTCDateTimeField()
        class Meta:
            database = db
            table_name = 'finance_booked_event'
            indexes = ((('event_name', 'event_position'), False),)

    db.create_tables([Account, BudgetLine, JournalEntry, JournalLine, Period, PeriodEvent, YearClose, Books,
                      PostingRule, BookedEvent])
    for statement in (SQLITE_GUARDS if is_sqlite(db) else POSTGRES_GUARDS):
        db.execute_sql(statement)


# The guards, frozen here as the migration wrote them. Each message starts "finance:" so the journal
# service can show it; they back up the service's own checks (medoffice_finance.journal), which give
# the friendlier message first.
_UNBALANCED = "finance: the entry does not balance (debits must equal credits, on two lines or more)"
_CLOSED = "finance: the period of this date is closed"
_POSTED = "finance: a posted entry cannot be changed or deleted; post a reversing entry"
_DRAFT_FIRST = "finance: an entry is written as a draft and posted once its lines are in"

_SQLITE_POSTED_ENTRY = ("(SELECT status FROM finance_journal_entry WHERE id = {}) = 'posted'")

SQLITE_GUARDS = [
    f"""CREATE TRIGGER finance_entry_insert_guard BEFORE INSERT ON finance_journal_entry
    WHEN NEW.status <> 'draft' BEGIN SELECT RAISE(ABORT, '{_DRAFT_FIRST}'); END""",
    f"""CREATE TRIGGER finance_entry_posted_guard BEFORE UPDATE ON finance_journal_entry
    WHEN OLD.status = 'posted' BEGIN SELECT RAISE(ABORT, '{_POSTED}'); END""",
    f"""CREATE TRIGGER finance_entry_post_guard BEFORE UPDATE ON finance_journal_entry
    WHEN OLD.status = 'draft' AND NEW.status = 'posted' BEGIN
      SELECT RAISE(ABORT, '{_UNBALANCED}')
      WHERE (SELECT COUNT(*) FROM finance_journal_line WHERE entry_id = NEW.id) < 2
         OR (SELECT SUM(debit_cents) - SUM(credit_cents) FROM finance_journal_line WHERE entry_id = NEW.id) <> 0;
      SELECT RAISE(ABORT, '{_CLOSED}')
      WHERE EXISTS (SELECT 1 FROM finance_period WHERE status = 'closed'
                    AND start_date <= NEW.entry_date AND end_date >= NEW.entry_date);
    END""",
    f"""CREATE TRIGGER finance_entry_delete_guard BEFORE DELETE ON finance_journal_entry
    WHEN OLD.status = 'posted' BEGIN SELECT RAISE(ABORT, '{_POSTED}'); END""",
    f"""CREATE TRIGGER finance_line_insert_guard BEFORE INSERT ON finance_journal_line
    WHEN {_SQLITE_POSTED_ENTRY.format('NEW.entry_id')} BEGIN SELECT RAISE(ABORT, '{_POSTED}'); END""",
    f"""CREATE TRIGGER finance_line_update_guard BEFORE UPDATE ON finance_journal_line
    WHEN {_SQLITE_POSTED_ENTRY.format('OLD.entry_id')} OR {_SQLITE_POSTED_ENTRY.format('NEW.entry_id')}
    BEGIN SELECT RAISE(ABORT, '{_POSTED}'); END""",
    f"""CREATE TRIGGER finance_line_delete_guard BEFORE DELETE ON finance_journal_line
    WHEN {_SQLITE_POSTED_ENTRY.format('OLD.entry_id')} BEGIN SELECT RAISE(ABORT, '{_POSTED}'); END""",
]

# On PostgreSQL the line guard locks its entry's row (FOR SHARE) and the posting locks the period's row,
# so a line added by another transaction while an entry is being posted, or a posting racing a month's
# close, waits for the other to commit and is then checked against what it wrote.
POSTGRES_GUARDS = [
    f"""CREATE FUNCTION finance_entry_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE period_status text;
    BEGIN
      IF TG_OP = 'INSERT' THEN
        IF NEW.status <> 'draft' THEN RAISE EXCEPTION USING ERRCODE = '23514', MESSAGE = '{_DRAFT_FIRST}'; END IF;
        RETURN NEW;
      END IF;
      IF OLD.status = 'posted' THEN RAISE EXCEPTION USING ERRCODE = '23514', MESSAGE = '{_POSTED}'; END IF;
      IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
      IF NEW.status = 'posted' THEN
        IF (SELECT COUNT(*) FROM finance_journal_line WHERE entry_id = NEW.id) < 2
           OR (SELECT SUM(debit_cents) - SUM(credit_cents) FROM finance_journal_line WHERE entry_id = NEW.id) <> 0 THEN
          RAISE EXCEPTION USING ERRCODE = '23514', MESSAGE = '{_UNBALANCED}';
        END IF;
        SELECT status INTO period_status FROM finance_period
          WHERE start_date <= NEW.entry_date AND end_date >= NEW.entry_date FOR SHARE;
        IF period_status = 'closed' THEN RAISE EXCEPTION USING ERRCODE = '23514', MESSAGE = '{_CLOSED}'; END IF;
      END IF;
      RETURN NEW;
    END $$""",
    """CREATE TRIGGER finance_entry_guard BEFORE INSERT OR UPDATE OR DELETE ON finance_journal_entry
    FOR EACH ROW EXECUTE FUNCTION finance_entry_guard()""",
    f"""CREATE FUNCTION finance_line_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE entry_status text;
    BEGIN
      IF TG_OP <> 'INSERT' THEN
        SELECT status INTO entry_status FROM finance_journal_entry WHERE id = OLD.entry_id FOR SHARE;
        IF entry_status = 'posted' THEN RAISE EXCEPTION USING ERRCODE = '23514', MESSAGE = '{_POSTED}'; END IF;
      END IF;
      IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
      SELECT status INTO entry_status FROM finance_journal_entry WHERE id = NEW.entry_id FOR SHARE;
      IF entry_status = 'posted' THEN RAISE EXCEPTION USING ERRCODE = '23514', MESSAGE = '{_POSTED}'; END IF;
      RETURN NEW;
    END $$""",
    """CREATE TRIGGER finance_line_guard BEFORE INSERT OR UPDATE OR DELETE ON finance_journal_line
    FOR EACH ROW EXECUTE FUNCTION finance_line_guard()""",
]
