"""Demo data: a fictional practice ("Riverside Family Medicine") for trying medoffice out.

``load_demo`` calls ``medoffice_demo_data`` on every enabled plugin in dependency order, core
first, all in one transaction, and then stores the marker setting ``core.demo_loaded`` so a
second load is refused. Everything is invented: names are random pairs from short lists,
phone numbers use the 555-01xx range reserved for fiction, e-mail goes to example.com.

Demo logins (password ``DEMO_PASSWORD``, for demonstrations only): ``frontdesk`` (front desk),
``biller`` (billing) and ``manager`` (office manager).
"""
from __future__ import annotations

import datetime as dt
import json
import random

from stdnum import luhn

from . import audit, settings
from .auth.accounts import create_user
from .contributions import DemoContext
from .db import refresh_statistics, transaction, utcnow
from .messages.models import Consent
from .models import Counter, Location, Patient, Setting, StaffMember, User
from .tasks import app_thread_context

DEMO_PASSWORD = "medoffice-demo-2026"
MARKER = "core.demo_loaded"
SIZES = ("small", "large")
PATIENT_COUNTS = {"small": 60, "large": 50_000}
BATCH_SIZE = 1000
DEFAULT_SEED = 2026
# The counter and format of patient account numbers (shared with the registration form).
ACCOUNT_COUNTER = "core.patient_account"
NPI_PREFIX = "80840"

PRACTICE = {
    "core.practice_name": "Riverside Family Medicine",
    "core.practice_npi": "1234567893",
    "core.tax_id": "123456789",
    "core.address1": "1200 River Road",
    "core.address2": "Suite 100",
    "core.city": "Riverside",
    "core.state": "PA",
    "core.zip": "17868",
    "core.phone": "570-555-0100",
    "core.timezone": "America/New_York",
}

LOCATIONS = [
    {"name": "Riverside Main Clinic", "address1": "1200 River Road", "address2": "Suite 100",
     "city": "Riverside", "state": "PA", "zip": "17868", "phone": "570-555-0100"},
    {"name": "Riverside North Clinic", "address1": "88 Harbor Street", "address2": "",
     "city": "Danville", "state": "PA", "zip": "17821", "phone": "570-555-0150"},
]

# (first, last, credentials, job title, provider taxonomy or "", demo login, its role)
STAFF = [
    ("Elena", "Marsh", "MD", "Family physician", "207Q00000X", "", ""),
    ("Samuel", "Okafor", "DO", "Internist", "207R00000X", "", ""),
    ("Priya", "Raman", "FNP-C", "Family nurse practitioner", "363LF0000X", "", ""),
    ("Marcus", "Bell", "PA-C", "Physician assistant", "363A00000X", "", ""),
    ("Dana", "Whitfield", "", "Office manager", "", "manager", "office_manager"),
    ("Luis", "Ortega", "", "Front desk", "", "frontdesk", "front_desk"),
    ("Grace", "Kim", "", "Billing specialist", "", "biller", "billing"),
    ("Tom", "Becker", "CMA", "Medical assistant", "", "", ""),
]

FEMALE = ["Olivia", "Emma", "Ava", "Sophia", "Isabella", "Mia", "Amelia", "Harper", "Evelyn",
          "Abigail", "Ella", "Grace", "Chloe", "Lily", "Nora", "Zoe", "Hannah", "Maya", "Rosa",
          "Linda", "Patricia", "Barbara", "Susan", "Dorothy", "Helen", "Maria", "Aisha", "Mei"]
MALE = ["Liam", "Noah", "Oliver", "Elijah", "James", "William", "Benjamin", "Lucas", "Henry",
        "Theodore", "Jack", "Levi", "Daniel", "Owen", "Samuel", "Carlos", "David", "Joseph",
        "Robert", "Michael", "Thomas", "George", "Frank", "Walter", "Arthur", "Kenji", "Omar"]
LAST = ["Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
        "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor",
        "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez",
        "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright",
        "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker", "Hall",
        "Rivera", "Campbell", "Mitchell", "Carter", "Roberts", "Patel", "Kowalski", "Novak"]
STREETS = ["Maple Avenue", "Oak Street", "Cedar Lane", "Elm Street", "Pine Road", "Walnut Drive",
           "Lakeview Court", "Hillcrest Road", "Meadow Lane", "Sunset Boulevard", "Park Place",
           "Chestnut Street", "Willow Way", "Birch Drive", "Orchard Road", "Spring Street"]
TOWNS = [("Riverside", "17868"), ("Danville", "17821"), ("Sunbury", "17801"),
         ("Bloomsburg", "17815"), ("Lewisburg", "17837"), ("Milton", "17847")]
AREA_CODES = ["570", "272"]


class DemoRefused(RuntimeError):
    """Demo data cannot go into this instance; nothing was changed."""


class AlreadyLoaded(DemoRefused):
    """The demo data was loaded into this instance before (the marker setting exists)."""


def demo_marker() -> dict | None:
    """What the marker setting recorded when the demo data was loaded (None: not loaded)."""
    row = Setting.get_or_none(Setting.name == MARKER)
    return json.loads(row.value) if row else None


def load_demo(app, size: str = "small", seed: int = DEFAULT_SEED, today: dt.date | None = None) -> list[str]:
    """Create demo data through every enabled plugin, in dependency order and one transaction.

    :param size: "small" (a quick tour) or "large" (50,000 patients, for benchmarks).
    :return: the plugins whose demo hook ran.
    :raises AlreadyLoaded: when the demo data is there already (nothing is changed).
    :raises DemoRefused: when the instance already holds patients of its own.
    """
    if size not in SIZES:
        raise ValueError(f"size must be one of {', '.join(SIZES)}")
    with app_thread_context(app):
        runtime = app.extensions["medoffice"]
        runtime.refresh()
        marker = demo_marker()
        if marker is not None:
            raise AlreadyLoaded(f"demo data ({marker.get('size')}) was loaded on {marker.get('at', '?')[:10]}")
        patients = Patient.select().count()
        if patients:
            # Invented patients mixed into a practice's real ones could be billed or contacted.
            raise DemoRefused(f"this instance already holds {patients} patients; demo data goes "
                              "only into a new instance")
        ctx = DemoContext(size=size, rng=random.Random(seed), today=today or settings.today())
        names = [p.name for p in runtime.host.ordered() if runtime.host.is_enabled(p.name)]
        with transaction():
            for name in names:
                runtime.host.call_for(name, "medoffice_demo_data", ctx=ctx)
            # A plain insert: a second load racing this one fails here and rolls back whole.
            Setting.insert(name=MARKER, value=json.dumps(
                {"size": size, "seed": seed, "at": utcnow().isoformat(), "plugins": names})).execute()
            audit.record("demo.load", "demo", size, detail={"size": size, "plugins": names})
        refresh_statistics()
        return names


# --- core's demo data ----------------------------------------------------------------------

def core_demo_data(ctx: DemoContext) -> None:
    """Core's part: practice settings, two locations, eight staff, demo logins and patients."""
    settings.set_many(PRACTICE)
    locations = create_locations(ctx.rng)
    staff = create_staff(ctx.rng, locations)
    create_demo_users(staff)
    providers = [s.id for s in staff if s.is_provider]
    create_patients(ctx, PATIENT_COUNTS[ctx.size], [loc.id for loc in locations], providers)


def npi_with_check_digit(base9: str) -> str:
    """A 10-digit NPI: the 9 digits plus the Luhn check digit computed over 80840 + those digits."""
    return base9 + luhn.calc_check_digit(NPI_PREFIX + base9)


def _random_npi(rng: random.Random, first_digit: str) -> str:
    return npi_with_check_digit(first_digit + "".join(rng.choice("0123456789") for _ in range(8)))


def create_locations(rng: random.Random) -> list[Location]:
    """The practice's two sites (each with an organization NPI)."""
    return [Location.create(npi=_random_npi(rng, "2"), place_of_service="11", **values)
            for values in LOCATIONS]


def create_staff(rng: random.Random, locations: list[Location]) -> list[StaffMember]:
    """Four providers (with valid NPIs and taxonomy codes) and four office staff."""
    staff = []
    for index, (first, last, credentials, title, taxonomy, _login, _role) in enumerate(STAFF):
        staff.append(StaffMember.create(
            first_name=first, last_name=last, credentials=credentials, job_title=title,
            email=f"{first}.{last}@example.com".lower(), phone=f"570-555-01{10 + index:02d}",
            is_provider=bool(taxonomy), npi=_random_npi(rng, "1") if taxonomy else "",
            taxonomy=taxonomy, location=locations[index % len(locations)],
        ))
    return staff


def create_demo_users(staff: list[StaffMember]) -> list[str]:
    """Logins for the demo roles, linked to their staff records; existing user names are kept."""
    created = []
    for member, (_f, _l, _c, _t, _tax, login, role) in zip(staff, STAFF):
        if not login or User.select().where(User.username == login).exists():
            continue
        user = create_user(login, f"{member.first_name} {member.last_name}", DEMO_PASSWORD, [role],
                           email=member.email)
        User.update(staff=member.id).where(User.id == user.id).execute()
        created.append(login)
    return created


def reserve_account_numbers(count: int) -> int:
    """Take ``count`` patient account numbers from the counter at once; returns the first."""
    Counter.insert(name=ACCOUNT_COUNTER, value=0).on_conflict_ignore().execute()
    Counter.update(value=Counter.value + count).where(Counter.name == ACCOUNT_COUNTER).execute()
    return Counter.get(Counter.name == ACCOUNT_COUNTER).value - count + 1


def create_patients(ctx: DemoContext, count: int, location_ids: list[int], provider_ids: list[int],
                    batch_size: int = BATCH_SIZE) -> int:
    """Insert ``count`` invented patients with ``insert_many`` in batches, each in a transaction.

    :return: the number of patients created.
    """
    first_number = reserve_account_numbers(count)
    now = utcnow()
    rng = ctx.rng
    for start in range(0, count, batch_size):
        rows, answers = [], {}
        for i in range(start, min(start + batch_size, count)):
            row, said = _patient_row(rng, first_number + i, ctx.today, location_ids, provider_ids, now)
            rows.append(row)
            answers[row["account_number"]] = said
        with transaction():
            Patient.insert_many(rows).execute()
            ids = Patient.select(Patient.account_number, Patient.id).where(
                Patient.account_number.in_(list(answers))).tuples()
            consents = [
                {"patient": patient_id, "channel": channel, "purpose": purpose, "decision": decision,
                 "source": "in_person", "given_on": ctx.today, "recorded_by": "demo", "recorded_at": now}
                for account, patient_id in ids for channel, purpose, decision in answers[account]]
            if consents:
                Consent.insert_many(consents).execute()
    return count


def _contact_answers(ok_to_text: bool, ok_to_email: bool, no_marketing: bool) -> list[tuple[str, str, str]]:
    """What a demo patient said at registration, as consent register entries (channel, purpose, decision)."""
    answers = [("text", "appointments_recalls", "granted")] if ok_to_text else []
    if ok_to_email:
        answers += [("email", "appointments_recalls", "granted"), ("email", "billing", "granted")]
    if no_marketing:
        answers += [(channel, "marketing", "refused") for channel in ("email", "text", "post", "phone")]
    return answers


def _patient_row(rng: random.Random, number: int, today: dt.date, location_ids, provider_ids,
                 now) -> tuple[dict, list[tuple[str, str, str]]]:
    """An invented patient's row and what they said about being contacted."""
    sex = rng.choice("FFFFMMMMU")
    first = rng.choice(FEMALE if sex == "F" else MALE if sex == "M" else FEMALE + MALE)
    last = rng.choice(LAST)
    town, zip_code = rng.choice(TOWNS)
    area = rng.choice(AREA_CODES)
    mobile = f"{area}-555-01{rng.randrange(100):02d}" if rng.random() < 0.8 else ""
    email = f"{first}.{last}{number % 1000}@example.com".lower() if rng.random() < 0.6 else ""
    contact = rng.choice(["phone", "phone", "text", "email", "mail"])
    if contact == "text" and not mobile:
        contact = "phone"
    if contact == "email" and not email:
        contact = "mail"
    row = {
        "account_number": f"P{number:07d}",
        "first_name": first,
        "middle_name": rng.choice("ABCDEFGHJKLMNPRSTW") if rng.random() < 0.5 else "",
        "last_name": last,
        "date_of_birth": today - dt.timedelta(days=rng.randrange(0, 95 * 365)),
        "sex": sex,
        "address1": f"{rng.randrange(1, 9999)} {rng.choice(STREETS)}",
        "address2": f"Apt {rng.randrange(1, 40)}" if rng.random() < 0.15 else "",
        "city": town,
        "state": "PA",
        "zip": zip_code,
        "phone": f"{area}-555-01{rng.randrange(100):02d}",
        "mobile": mobile,
        "email": email,
        "preferred_contact": contact,
    }
    # Drawn in this order so the demo practice stays the same patients it always was.
    said = _contact_answers(bool(mobile) and rng.random() < 0.7, bool(email) and rng.random() < 0.7,
                            rng.random() < 0.1)
    row.update({
        "language": "es" if rng.random() < 0.1 else "en",
        "location": rng.choice(location_ids),
        "primary_provider": rng.choice(provider_ids) if provider_ids else None,
        "active": True,
        "created_at": now,
        "updated_at": now,
    })
    return row, said


def instance_counts() -> dict[str, int]:
    """How many patients, staff, locations and users the instance holds (printed after a load)."""
    return {"patients": Patient.select().count(), "staff": StaffMember.select().count(),
            "locations": Location.select().count(), "users": User.select().count()}
