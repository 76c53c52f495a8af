"""Deterministic sample records for the emulated company (pure functions, no storage).

Everything here turns a :class:`SeedOptions` into plain record dicts keyed by the gateway's field
names, with string values exactly as the gateway writes them (dates ``MM/DD/YYYY``, timestamps
``MM/DD/YYYY HH:MM:SS``, booleans ``true``/``false``). ``_seed.py`` stores them in a ``Company``.

Each object type draws from its own generator, seeded from the seed and the object name, so
growing one count (say, projects) leaves the other objects' records unchanged. RECORDNOs are
given explicitly (1, 2, ... per object) so that the ``...KEY`` fields that point at other
records are known while generating.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Final

import attrs

__all__ = [
    "CUSTOM_FIELD",
    "DIMENSION",
    "TIME_TYPES",
    "SeedOptions",
    "demo_objects",
]

Record = dict[str, str]

CUSTOM_FIELD: Final = "TIMESYNC_ID"
"""The custom field a client stamps with its own id, on TIMESHEET and EEXPENSES (text,
filterable); the sample companies declare it."""
DIMENSION: Final = "WORKSTREAM"
"""The user-defined dimension of the sample companies: its object name, and ``GLDIM`` plus it is
the field on timesheet entries and expense lines."""

#: The business date the sample company lives at; creation timestamps lie before it.
_TODAY: Final = date(2025, 1, 6)
_EPOCH: Final = datetime(2022, 1, 3, 8, 0, 0)


def _d(value: date) -> str:
    return value.strftime("%m/%d/%Y")


def _ts(value: datetime) -> str:
    return value.strftime("%m/%d/%Y %H:%M:%S")


def _b(value: bool) -> str:
    return "true" if value else "false"


@attrs.frozen(slots=True)
class SeedOptions:
    """How big the sample company is, and which seed draws it.

    Attributes mirror ``demo_company``'s keyword arguments; see its docstring.
    """

    employees: int = 25
    projects: int = 8
    tasks_per_project: int = 4
    customers: int = 10
    departments: int = 5
    locations: int = 3
    classes: int = 4
    entities: int = 0
    seed: int = 1

    def __attrs_post_init__(self) -> None:
        for name in ("employees", "projects", "tasks_per_project", "customers", "entities"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, not {getattr(self, name)}")
        for name in ("departments", "locations", "classes"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, not {getattr(self, name)}")


def _rng(options: SeedOptions, object_name: str) -> random.Random:
    return random.Random(f"intacct-demo:{options.seed}:{object_name}")


def _stamp(rng: random.Random, *, earliest: datetime = _EPOCH) -> Record:
    span = int((datetime.combine(_TODAY, datetime.min.time()) - earliest).total_seconds())
    created = earliest + timedelta(seconds=rng.randrange(span))
    modified = created + timedelta(seconds=rng.randrange(max(1, span // 4)))
    modified = min(modified, datetime.combine(_TODAY, datetime.min.time()) - timedelta(minutes=1))
    return {"WHENCREATED": _ts(created), "WHENMODIFIED": _ts(max(created, modified))}


# -- word lists --------------------------------------------------------------------------------

FIRST_NAMES: Final = (
    "Ada", "Alan", "Amara", "Ana", "Arjun", "Ben", "Bianca", "Carlos", "Chen", "Chloe", "Dana",
    "David", "Elena", "Emeka", "Emma", "Farah", "Felix", "Grace", "Hana", "Hugo", "Ines", "Ivan",
    "Jamal", "Jane", "Jonas", "Julia", "Kai", "Kenji", "Lara", "Leo", "Lina", "Luca", "Maya",
    "Mateo", "Mei", "Nadia", "Noah", "Nora", "Omar", "Olga", "Pablo", "Priya", "Quinn", "Rafael",
    "Rosa", "Sam", "Sara", "Sven", "Tara", "Theo", "Uma", "Victor", "Wen", "Xavier", "Yara",
    "Yusuf", "Zane", "Zoe",
)  # fmt: skip
LAST_NAMES: Final = (
    "Abbott", "Adeyemi", "Alvarez", "Andersen", "Baker", "Bauer", "Becker", "Chandra", "Costa",
    "Cruz", "Dubois", "Eriksen", "Fischer", "Garcia", "Gupta", "Hansen", "Hughes", "Ito", "Jensen",
    "Kaur", "Kim", "Kowalski", "Larsen", "Lopez", "Martin", "Meyer", "Moreau", "Murphy", "Nakamura",
    "Nguyen", "Novak", "Okafor", "Olsen", "Patel", "Petrov", "Quinn", "Rossi", "Santos", "Schmidt",
    "Silva", "Singh", "Suzuki", "Tanaka", "Torres", "Usman", "Varga", "Wagner", "Walsh", "Weber",
    "Wong", "Yamada", "Zhang",
)  # fmt: skip
_TITLES: Final = (
    "Consultant", "Senior Consultant", "Engineer", "Senior Engineer", "Analyst", "Designer",
    "Project Coordinator", "Technician", "Accountant", "Specialist",
)  # fmt: skip
_MANAGER_TITLES: Final = ("Project Manager", "Engineering Manager", "Practice Lead", "Director")
_DEPARTMENTS: Final = (
    ("ENG", "Engineering"), ("CONS", "Consulting"), ("FIN", "Finance"), ("SALES", "Sales"),
    ("OPS", "Operations"), ("MKT", "Marketing"), ("SUP", "Customer Support"), ("HR", "People"),
    ("LEGAL", "Legal"), ("IT", "Information Technology"), ("RND", "Research"), ("QA", "Quality"),
)  # fmt: skip
_CITIES: Final = (
    ("Seattle", "WA", "98101"), ("Austin", "TX", "73301"), ("Boston", "MA", "02108"),
    ("Denver", "CO", "80202"), ("Chicago", "IL", "60601"), ("Atlanta", "GA", "30303"),
    ("San Jose", "CA", "95113"), ("Portland", "OR", "97204"), ("Phoenix", "AZ", "85004"),
    ("Raleigh", "NC", "27601"), ("Miami", "FL", "33131"), ("Columbus", "OH", "43215"),
)  # fmt: skip
_CLASSES: Final = (
    ("COM", "Commercial"), ("GOV", "Government"), ("NPO", "Nonprofit"), ("INT", "Internal"),
    ("EDU", "Education"), ("HLT", "Healthcare"), ("FED", "Federal"), ("SMB", "Small Business"),
)  # fmt: skip
_COMPANY_WORDS: Final = (
    "Acme", "Blue", "Cedar", "Delta", "Evergreen", "Falcon", "Granite", "Harbor", "Iron", "Juniper",
    "Keystone", "Lumen", "Maple", "Northwind", "Orion", "Pioneer", "Quarry", "Redwood", "Summit",
    "Tidal", "Union", "Vertex", "Willow", "Zenith",
)  # fmt: skip
_COMPANY_KINDS: Final = (
    "Logistics", "Health", "Foods", "Energy", "Labs", "Manufacturing", "Retail", "Capital",
    "Robotics", "Media", "Builders", "Analytics", "Outfitters", "Clinic", "Systems",
)  # fmt: skip
_SUFFIXES: Final = ("Inc.", "LLC", "Co.", "Group", "Ltd.", "Partners")

#: Time types: (name, GL account, offset account, earning type).
TIME_TYPES: Final = (
    ("Salary", "5000", "2000", "Salary"),
    ("Overtime", "5010", "2000", "Hourly Overtime"),
    ("Vacation", "5020", "2100", "Paid Time Off"),
    ("Sick", "5030", "2100", "Paid Time Off"),
    ("Holiday", "5040", "2100", "Paid Time Off"),
)
#: Project statuses: (name, description, prevents timesheets).
PROJECT_STATUSES: Final = (
    ("Not Started", "Signed, not yet staffed", False),
    ("In Progress", "Work under way", False),
    ("On Hold", "Paused at the customer's request", True),
    ("Completed", "Delivered and closed", True),
)
#: Project types: (name, parent name).
PROJECT_TYPES: Final = (
    ("Consulting", ""),
    ("Implementation", ""),
    ("Fixed Bid", "Implementation"),
    ("Support", ""),
    ("Internal", ""),
)
#: Items: (id, name, GL group, base price, standard cost).
ITEMS: Final = (
    ("LAB-CONS", "Consulting labor", "Labor", "175.00", "85.00"),
    ("LAB-ENG", "Engineering labor", "Labor", "195.00", "95.00"),
    ("LAB-PM", "Project management labor", "Labor", "160.00", "80.00"),
    ("LAB-SUP", "Support labor", "Labor", "120.00", "55.00"),
    ("EQ-LAPTOP", "Laptop rental (per day)", "Equipment", "25.00", "9.00"),
    ("EQ-SCANNER", "Site scanner rental (per day)", "Equipment", "140.00", "60.00"),
    ("EQ-VAN", "Service van (per day)", "Equipment", "210.00", "110.00"),
)
#: Values of the user-defined dimension: (id, name).
DIMENSION_VALUES: Final = (
    ("DISCOVERY", "Discovery"),
    ("DELIVERY", "Delivery"),
    ("ENABLEMENT", "Enablement"),
    ("WARRANTY", "Warranty"),
    ("PRESALES", "Pre-sales"),
)
#: Task templates: (TASKID, name, billable, utilized, milestone, time type, item).
_TASKS: Final = (
    ("DISC", "Discovery", True, True, False, "Salary", "LAB-CONS"),
    ("DSGN", "Design", True, True, False, "Salary", "LAB-ENG"),
    ("BUILD", "Build", True, True, False, "Salary", "LAB-ENG"),
    ("TEST", "Testing", True, True, False, "Salary", "LAB-ENG"),
    ("GOLIVE", "Go-live", True, True, True, "Overtime", "LAB-ENG"),
    ("PM", "Project management", True, False, False, "Salary", "LAB-PM"),
    ("TRAIN", "Training", False, True, False, "Salary", "LAB-CONS"),
    ("SUPPORT", "Hypercare support", False, False, False, "Salary", "LAB-SUP"),
)
_SUBJECTS: Final = (
    "ERP rollout", "Data platform", "Site survey", "Audit", "Redesign", "Migration",
    "Field service", "Security review", "Analytics", "Retainer",
)  # fmt: skip
_TASK_STATUSES: Final = ("Not Started", "Planned", "In Progress", "Completed", "On Hold")


@attrs.frozen(slots=True)
class _Names:
    """IDs every generator may refer to, fixed by the options alone."""

    department_ids: tuple[str, ...]
    location_ids: tuple[str, ...]  # where people and projects sit (sub-locations when entities)
    entity_of: dict[str, str]  # location id -> entity id ("" without entities)
    class_ids: tuple[str, ...]
    customer_ids: tuple[str, ...]
    employee_ids: tuple[str, ...]
    managers: int  # employees[:managers] are managers


def _department_id(i: int) -> str:
    code, _ = _DEPARTMENTS[i % len(_DEPARTMENTS)]
    return code if i < len(_DEPARTMENTS) else f"{code}{i // len(_DEPARTMENTS) + 1}"


def _class_id(i: int) -> str:
    code, _ = _CLASSES[i % len(_CLASSES)]
    return code if i < len(_CLASSES) else f"{code}{i // len(_CLASSES) + 1}"


def _names(options: SeedOptions) -> _Names:
    entity_ids = tuple(f"E{100 * (i + 1)}" for i in range(options.entities))
    location_ids = tuple(f"L{100 + i}" for i in range(options.locations))
    entity_of = {
        loc: (entity_ids[i % len(entity_ids)] if entity_ids else "")
        for i, loc in enumerate(location_ids)
    }
    return _Names(
        department_ids=tuple(_department_id(i) for i in range(options.departments)),
        location_ids=location_ids,
        entity_of=entity_of,
        class_ids=tuple(_class_id(i) for i in range(options.classes)),
        customer_ids=tuple(f"C{i + 1:05d}" for i in range(options.customers)),
        employee_ids=tuple(f"E{i + 1:05d}" for i in range(options.employees)),
        managers=max(1, options.employees // 8) if options.employees else 0,
    )


def _person(rng: random.Random) -> tuple[str, str]:
    return rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)


# -- generators --------------------------------------------------------------------------------


def _entity_locations(options: SeedOptions) -> Iterator[Record]:
    rng = _rng(options, "ENTITY")
    for i in range(options.entities):
        city, state, zipcode = _CITIES[i % len(_CITIES)]
        yield {
            "RECORDNO": str(i + 1),
            "LOCATIONID": f"E{100 * (i + 1)}",
            "NAME": f"Demo {city} Entity",
            "PARENTID": "",
            "STATUS": "active",
            "ENTITY": f"E{100 * (i + 1)}",
            "CONTACTINFO.CONTACTNAME": f"Demo {city} Entity",
            "CONTACTINFO.MAILADDRESS.CITY": city,
            "CONTACTINFO.MAILADDRESS.STATE": state,
            "CONTACTINFO.MAILADDRESS.ZIP": zipcode,
            "CONTACTINFO.MAILADDRESS.COUNTRY": "United States",
            "STARTDATE": _d(date(2021, 1, 1)),
            "FIRSTMONTH": "January",
            "WEEKSTART": "Monday",
            "CURRENCY": "USD",
            **_stamp(rng),
        }


def _locations(options: SeedOptions, names: _Names) -> Iterator[Record]:
    rng = _rng(options, "LOCATION")
    for i, loc in enumerate(names.location_ids):
        city, state, zipcode = _CITIES[i % len(_CITIES)]
        suffix = "" if i < len(_CITIES) else f" {i // len(_CITIES) + 1}"
        yield {
            "RECORDNO": str(options.entities + i + 1),
            "LOCATIONID": loc,
            "NAME": f"{city} Office{suffix}",
            "PARENTID": names.entity_of[loc],
            "STATUS": "active",
            "CONTACTINFO.CONTACTNAME": f"{city} Office{suffix}",
            "CONTACTINFO.PHONE1": f"555-01{i % 100:02d}",
            "CONTACTINFO.MAILADDRESS.CITY": city,
            "CONTACTINFO.MAILADDRESS.STATE": state,
            "CONTACTINFO.MAILADDRESS.ZIP": zipcode,
            "CONTACTINFO.MAILADDRESS.COUNTRY": "United States",
            "STARTDATE": _d(date(2021, 1, 1)),
            "CURRENCY": "USD",
            **_stamp(rng),
        }


def _departments(options: SeedOptions, names: _Names) -> Iterator[Record]:
    rng = _rng(options, "DEPARTMENT")
    for i, dept in enumerate(names.department_ids):
        _, title = _DEPARTMENTS[i % len(_DEPARTMENTS)]
        parent = "" if i < len(_DEPARTMENTS) else _department_id(i % len(_DEPARTMENTS))
        yield {
            "RECORDNO": str(i + 1),
            "DEPARTMENTID": dept,
            "TITLE": title if not parent else f"{title} {i // len(_DEPARTMENTS) + 1}",
            "PARENTID": parent,
            "SUPERVISORID": names.employee_ids[i % names.managers] if names.managers else "",
            "STATUS": "active",
            **_stamp(rng),
        }


def _classes(options: SeedOptions, names: _Names) -> Iterator[Record]:
    rng = _rng(options, "CLASS")
    for i, cls in enumerate(names.class_ids):
        _, name = _CLASSES[i % len(_CLASSES)]
        parent = "" if i < len(_CLASSES) else _class_id(i % len(_CLASSES))
        yield {
            "RECORDNO": str(i + 1),
            "CLASSID": cls,
            "NAME": name if not parent else f"{name} {i // len(_CLASSES) + 1}",
            "DESCRIPTION": f"{name} work",
            "PARENTID": parent,
            "STATUS": "active",
            **_stamp(rng),
        }


def _customer_name(rng: random.Random, i: int) -> str:
    base = f"{rng.choice(_COMPANY_WORDS)} {rng.choice(_COMPANY_KINDS)} {rng.choice(_SUFFIXES)}"
    return base if i < 300 else f"{base} ({i + 1})"


def _customers(options: SeedOptions, names: _Names) -> Iterator[Record]:
    rng = _rng(options, "CUSTOMER")
    seen: set[str] = set()
    for i, cid in enumerate(names.customer_ids):
        name = _customer_name(rng, i)
        if name in seen:
            name = f"{name} ({i + 1})"
        seen.add(name)
        first, last = _person(rng)
        city, state, zipcode = rng.choice(_CITIES)
        domain = "".join(ch for ch in name.split()[0].lower() if ch.isalnum())
        inactive = rng.random() < 0.05
        yield {
            "RECORDNO": str(i + 1),
            "CUSTOMERID": cid,
            "NAME": name,
            "STATUS": "inactive" if inactive else "active",
            "DISPLAYCONTACT.CONTACTNAME": f"{name} ({cid})",
            "DISPLAYCONTACT.PRINTAS": name,
            "DISPLAYCONTACT.COMPANYNAME": name,
            "DISPLAYCONTACT.FIRSTNAME": first,
            "DISPLAYCONTACT.LASTNAME": last,
            "DISPLAYCONTACT.EMAIL1": f"{first.lower()}.{last.lower()}@{domain}.example.com",
            "DISPLAYCONTACT.PHONE1": f"555-{rng.randrange(200, 999)}-{rng.randrange(10000):04d}",
            "DISPLAYCONTACT.MAILADDRESS.CITY": city,
            "DISPLAYCONTACT.MAILADDRESS.STATE": state,
            "DISPLAYCONTACT.MAILADDRESS.ZIP": zipcode,
            "DISPLAYCONTACT.MAILADDRESS.COUNTRY": "United States",
            "TERMNAME": rng.choice(("Net 30", "Net 45", "Net 15")),
            "CURRENCY": "USD",
            **_stamp(rng),
        }


def _employees(options: SeedOptions, names: _Names) -> Iterator[Record]:
    rng = _rng(options, "EMPLOYEE")
    used_contacts: set[str] = set()
    used_emails: set[str] = set()
    for i, eid in enumerate(names.employee_ids):
        first, last = _person(rng)
        contact = f"{last}, {first}"
        if contact in used_contacts:
            contact = f"{last}, {first} ({eid})"
        used_contacts.add(contact)
        local = f"{first.lower()}.{last.lower()}"
        email = f"{local}@demo.example.com"
        if email in used_emails:
            email = f"{local}.{i + 1}@demo.example.com"
        used_emails.add(email)
        manager = i < names.managers
        if i == 0:
            supervisor = ""
        elif manager:
            supervisor = names.employee_ids[rng.randrange(i)]
        else:
            supervisor = names.employee_ids[rng.randrange(names.managers)]
        dept_index = rng.randrange(len(names.department_ids))
        loc_index = rng.randrange(len(names.location_ids))
        location = names.location_ids[loc_index]
        start = _TODAY - timedelta(days=rng.randrange(30, 3650))
        inactive = not manager and rng.random() < 0.04
        record: Record = {
            "RECORDNO": str(i + 1),
            "EMPLOYEEID": eid,
            "PERSONALINFO.CONTACTNAME": contact,
            "PERSONALINFO.FIRSTNAME": first,
            "PERSONALINFO.LASTNAME": last,
            "PERSONALINFO.PRINTAS": f"{first} {last}",
            "PERSONALINFO.EMAIL1": email,
            "PERSONALINFO.PHONE1": f"555-{rng.randrange(200, 999)}-{rng.randrange(10000):04d}",
            "CONTACT_NAME": contact,
            "TITLE": rng.choice(_MANAGER_TITLES if manager else _TITLES),
            "DEPARTMENTID": names.department_ids[dept_index],
            "DEPARTMENTKEY": str(dept_index + 1),
            "LOCATIONID": location,
            "LOCATIONKEY": str(options.entities + loc_index + 1),
            "CLASSID": names.class_ids[rng.randrange(len(names.class_ids))],
            "SUPERVISORID": supervisor,
            "STARTDATE": _d(start),
            "EMPLOYEETYPE": rng.choices(("Full Time", "Part Time", "Contractor"), (80, 12, 8))[0],
            "EARNINGTYPENAME": "Salary" if rng.random() < 0.7 else "Hourly",
            "STATUS": "inactive" if inactive else "active",
            "CURRENCY": "USD",
            **_stamp(rng),
        }
        if inactive:
            record["ENDDATE"] = _d(start + timedelta(days=rng.randrange(1, 400)))
            record["TERMINATIONTYPE"] = rng.choice(("voluntary", "involuntary", "retired"))
        if names.entity_of[location]:
            record["MEGAENTITYID"] = names.entity_of[location]
        yield record


def _project_statuses(options: SeedOptions) -> Iterator[Record]:
    rng = _rng(options, "PROJECTSTATUS")
    for i, (name, description, prevent) in enumerate(PROJECT_STATUSES):
        yield {
            "RECORDNO": str(i + 1),
            "NAME": name,
            "DESCRIPTION": description,
            "PREVENTTIMESHEET": _b(prevent),
            "PREVENTEXPENSE": _b(prevent),
            "PREVENTAPPO": "false",
            "PREVENTGENINVOICE": "false",
            "STATUS": "active",
            **_stamp(rng),
        }


def _project_types(options: SeedOptions) -> Iterator[Record]:
    rng = _rng(options, "PROJECTTYPE")
    for i, (name, parent) in enumerate(PROJECT_TYPES):
        yield {
            "RECORDNO": str(i + 1),
            "NAME": name,
            "PARENT.NAME": parent,
            "PARENTNAME": parent,
            "STATUS": "active",
            **_stamp(rng),
        }


@attrs.frozen(slots=True)
class _Project:
    """What tasks need to know about their project."""

    record_no: int
    project_id: str
    name: str
    customer_id: str
    begin: date
    end: date
    billable: bool


def _project_rows(options: SeedOptions, names: _Names) -> Iterator[tuple[Record, _Project]]:
    rng = _rng(options, "PROJECT")
    for i in range(options.projects):
        pid = f"P{i + 1:05d}"
        internal = not names.customer_ids or rng.random() < 0.12
        kind = "Internal" if internal else rng.choice(PROJECT_TYPES[:4])[0]
        customer_index = -1 if internal else rng.randrange(len(names.customer_ids))
        customer_id = names.customer_ids[customer_index] if customer_index >= 0 else ""
        begin = _TODAY - timedelta(days=rng.randrange(0, 720))
        end = begin + timedelta(days=rng.randrange(60, 540))
        closed = end < _TODAY and rng.random() < 0.6
        status_name = (
            "Completed"
            if closed
            else rng.choices(("In Progress", "Not Started", "On Hold"), (80, 12, 8))[0]
        )
        subject = rng.choice(_SUBJECTS)
        name = f"{subject} {begin.year}-{i + 1}" if not internal else f"Internal: {subject} {i + 1}"
        loc_index = rng.randrange(len(names.location_ids))
        location = names.location_ids[loc_index]
        dept_index = rng.randrange(len(names.department_ids))
        manager_index = rng.randrange(names.managers) if names.managers else -1
        inactive = closed and rng.random() < 0.5
        billing = (
            "" if internal else rng.choice(("Time & Material", "Fixed Fee", "Fixed Fee & Expenses"))
        )
        record: Record = {
            "RECORDNO": str(i + 1),
            "PROJECTID": pid,
            "NAME": name,
            "DESCRIPTION": f"{subject} for {customer_id or 'internal use'}",
            "PROJECTCATEGORY": (
                rng.choice(("Internal Non-billable", "Internal Billable"))
                if internal
                else "Contract"
            ),
            "PROJECTSTATUS": status_name,
            "PROJECTSTATUSKEY": str(1 + [s[0] for s in PROJECT_STATUSES].index(status_name)),
            "PROJECTTYPE": kind,
            "PROJECTTYPEKEY": str(1 + [t[0] for t in PROJECT_TYPES].index(kind)),
            "PREVENTTIMESHEET": _b(status_name in ("Completed", "On Hold")),
            "STATUS": "inactive" if inactive else "active",
            "BEGINDATE": _d(begin),
            "ENDDATE": _d(end),
            "BILLINGTYPE": billing,
            "BUDGETQTY": str(rng.randrange(4, 200) * 10),
            "CURRENCY": "USD",
            "DEPARTMENTID": names.department_ids[dept_index],
            "PROJECTDEPTKEY": str(dept_index + 1),
            "LOCATIONID": location,
            "PROJECTLOCATIONKEY": str(options.entities + loc_index + 1),
            "CLASSID": names.class_ids[rng.randrange(len(names.class_ids))],
            **_stamp(rng),
        }
        if customer_index >= 0:
            record["CUSTOMERID"] = names.customer_ids[customer_index]
            record["CUSTOMERKEY"] = str(customer_index + 1)
            if rng.random() < 0.5:
                record["PONUMBER"] = f"PO-{rng.randrange(10000, 99999)}"
                record["POAMOUNT"] = f"{rng.randrange(5, 500) * 1000}.00"
            if rng.random() < 0.4:
                record["SONUMBER"] = f"SO-{rng.randrange(10000, 99999)}"
        if manager_index >= 0:
            record["MANAGERID"] = names.employee_ids[manager_index]
            record["MANAGERKEY"] = str(manager_index + 1)
        if names.entity_of[location]:
            record["MEGAENTITYID"] = names.entity_of[location]
        yield (
            record,
            _Project(i + 1, pid, name, record.get("CUSTOMERID", ""), begin, end, not internal),
        )


def _projects(options: SeedOptions, names: _Names) -> Iterator[Record]:
    for record, _ in _project_rows(options, names):
        yield record


def _tasks(options: SeedOptions, names: _Names) -> Iterator[Record]:
    rng = _rng(options, "TASK")
    record_no = 0
    for _, project in _project_rows(options, names):
        for t in range(options.tasks_per_project):
            record_no += 1
            if t < len(_TASKS):
                task_id, name, billable, utilized, milestone, time_type, item = _TASKS[t]
            else:
                task_id, name = f"T{t + 1:03d}", f"Work package {t + 1}"
                billable, utilized, milestone, time_type, item = (
                    True,
                    True,
                    False,
                    "Salary",
                    "LAB-ENG",
                )
            billable = billable and project.billable
            begin = project.begin + timedelta(days=rng.randrange(0, 30))
            end = min(project.end, begin + timedelta(days=rng.randrange(14, 180)))
            status = (
                "Completed"
                if end < _TODAY
                else rng.choices(_TASK_STATUSES, (10, 10, 60, 10, 10))[0]
            )
            yield {
                "RECORDNO": str(record_no),
                "TASKID": task_id,
                "NAME": name,
                "PROJECTID": project.project_id,
                "PROJECTKEY": str(project.record_no),
                "PROJECTNAME": project.name,
                "CUSTOMERID": project.customer_id,
                "PBEGINDATE": _d(begin),
                "PENDDATE": _d(max(begin, end)),
                "BILLABLE": _b(billable),
                "UTILIZED": _b(utilized),
                "ISMILESTONE": _b(milestone),
                "TASKSTATUS": status,
                "TIMETYPENAME": time_type,
                "ITEMID": item,
                "BUDGETQTY": str(rng.randrange(1, 40) * 4),
                "PRIORITY": str(rng.randrange(1, 6)),
                "DESCRIPTION": f"{name} for {project.project_id}",
                **_stamp(rng),
            }


def _time_types(options: SeedOptions) -> Iterator[Record]:
    rng = _rng(options, "TIMETYPE")
    for i, (name, account, offset, earning) in enumerate(TIME_TYPES):
        yield {
            "RECORDNO": str(i + 1),
            "NAME": name,
            "ACCOUNTNO": account,
            "OFFSETACCOUNTNO": offset,
            "EARNINGTYPENAME": earning,
            "STATUS": "active",
            **_stamp(rng),
        }


def _items(options: SeedOptions) -> Iterator[Record]:
    rng = _rng(options, "ITEM")
    for i, (item_id, name, group, price, cost) in enumerate(ITEMS):
        labor = group == "Labor"
        yield {
            "RECORDNO": str(i + 1),
            "ITEMID": item_id,
            "NAME": name,
            "STATUS": "active",
            "ITEMTYPE": "Non-Inventory",
            "PRODUCTTYPE": "Service" if labor else "Item not for Resale",
            "GLGROUP": group,
            "BASEPRICE": price,
            "STANDARD_COST": cost,
            "UOMGRP": "Time" if labor else "Count",
            "BASEUOM": "Hour" if labor else "Each",
            "TAXABLE": "false",
            **_stamp(rng),
        }


def _dimension_values(options: SeedOptions) -> Iterator[Record]:
    rng = _rng(options, DIMENSION)
    for i, (value_id, name) in enumerate(DIMENSION_VALUES):
        yield {
            "RECORDNO": str(i + 1),
            "ID": value_id,
            "NAME": name,
            "DESCRIPTION": f"{name} work",
            "STATUS": "active",
            **_stamp(rng),
        }


def demo_objects(options: SeedOptions) -> list[tuple[str, Iterator[Record]]]:
    """The demo company's records, object by object, in an order that respects references.

    Args:
        options: Sizes and seed.

    Returns:
        ``(object name, records)`` pairs; each ``records`` is a lazy iterator, so 100k rows
        never sit in memory at once. The user-defined dimension's values come under
        :data:`DIMENSION`.
    """
    names = _names(options)
    locations: Iterator[Record] = _locations(options, names)
    if options.entities:
        locations = _chain(_entity_locations(options), locations)
    return [
        ("LOCATION", locations),
        ("DEPARTMENT", _departments(options, names)),
        ("CLASS", _classes(options, names)),
        ("TIMETYPE", _time_types(options)),
        ("ITEM", _items(options)),
        ("PROJECTSTATUS", _project_statuses(options)),
        ("PROJECTTYPE", _project_types(options)),
        (DIMENSION, _dimension_values(options)),
        ("CUSTOMER", _customers(options, names)),
        ("EMPLOYEE", _employees(options, names)),
        ("PROJECT", _projects(options, names)),
        ("TASK", _tasks(options, names)),
    ]


def _chain(*parts: Iterator[Record]) -> Iterator[Record]:
    for part in parts:
        yield from part
