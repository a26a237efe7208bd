"""The demo bank's customers: persons in households and small businesses, with the attributes a
bank keeps (income, occupation, risk class, segment) and who looks after them."""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass, field

from ckm.core.models import Role
from ckm.demo import names
from ckm.demo.organisation import ONLINE, REGIONS, relationship_managers, staff_in_office

ORGANISATION_SHARE = 0.12
DRIFT_SHARE = 0.08
CHURN_SHARE_OF_DRIFT = 0.7
OWNED_SHARE = 0.35
_HOUSEHOLD_SHAPES = (
    ("single", 0.55, 1),
    ("couple", 0.30, 2),
    ("family", 0.12, 3),
    ("parent_child", 0.03, 2),
)
_MEAN_HOUSEHOLD = sum(share * size for _, share, size in _HOUSEHOLD_SHAPES)


@dataclass
class Drift:
    """How a customer drifts away: when it starts, what stops and whether they finally leave."""

    start: dt.date
    salary_mode: str  # stop or split
    closes_main: dt.date | None  # the day the main account is closed (churned), else None


@dataclass
class DemoCustomer:
    """One customer with everything the package files and the later knowledge need."""

    customer_id: str
    kind: str
    city: names.City
    office: str
    since: dt.date
    first_name: str = ""
    last_name: str = ""
    name: str = ""
    gender: str = ""
    dob: dt.date | None = None
    email: str = ""
    phone: str = ""
    address: str = ""
    postcode: str = ""
    household_id: str = ""
    household_role: str = "single"  # single, partner, child, parent
    partner_id: str = ""
    children: list[str] = field(default_factory=list)
    occupation: str = ""
    employer: str = ""
    income: float = 0.0  # persons: annual net income
    wealth: float = 0.0  # latent savings capacity in EUR
    industry: str = ""
    employees: int = 0
    revenue: float = 0.0  # organisations: annual revenue
    online_banking: bool = False
    credit_score: int = 0
    segment: str = ""
    risk_class: str = ""
    main_bank: bool = True
    tenant: bool = True
    owner: str = ""
    team: str = ""
    drift: Drift | None = None
    campaign_target: bool = False
    campaign_response: bool = False

    @property
    def is_person(self) -> bool:
        return self.kind == "person"

    def age(self, on: dt.date) -> int:
        """Age in whole years on a date (0 for organisations)."""
        if self.dob is None:
            return 0
        return on.year - self.dob.year - ((on.month, on.day) < (self.dob.month, self.dob.day))

    @property
    def value(self) -> float:
        """A rough value score used to decide who gets a relationship manager."""
        if not self.is_person:
            return self.revenue / 10
        return self.income + self.wealth * 0.4


def population_build(*, count: int, rng: random.Random, as_of: dt.date) -> list[DemoCustomer]:
    """Build count customers: households of persons and ~12 % small businesses."""
    customers: list[DemoCustomer] = []
    household_no = 0
    weights = [c.weight for c in names.CITIES]
    organisations_left = round(ORGANISATION_SHARE * count)
    while len(customers) < count:
        number = len(customers) + 1
        city = rng.choices(names.CITIES, weights)[0]
        persons_left = count - len(customers) - organisations_left
        # households bring several customers each, so weigh the draw by the mean household size
        draws_left = organisations_left + persons_left / _MEAN_HOUSEHOLD
        if organisations_left and rng.random() < organisations_left / draws_left:
            customers.append(_organisation(f"C{number:06d}", city, rng, as_of))
            organisations_left -= 1
            continue
        household_no += 1
        members = _household(household_no, number, city, rng, as_of)
        customers.extend(members[:persons_left])
    _unique_emails(customers)
    _assign_owners(customers, rng)
    _choose_drift(customers, rng, as_of)
    return customers


def _household(
    household_no: int, number: int, city: names.City, rng: random.Random, as_of: dt.date
) -> list[DemoCustomer]:
    shape = rng.choices([s[0] for s in _HOUSEHOLD_SHAPES], [s[1] for s in _HOUSEHOLD_SHAPES])[0]
    street = f"{rng.choice(city.streets)} {rng.randint(1, 180)}{rng.choice(('', '', '', 'a', 'b'))}"
    postcode = rng.choice(city.postcodes)
    european = rng.random() < 0.22
    last = rng.choice(names.LAST_EUROPEAN if european else names.LAST_GERMAN)
    household_id = f"HH{household_no:06d}" if shape != "single" else ""
    first_age = _adult_age(rng, shape)
    first = _person(f"C{number:06d}", city, street, postcode, last, first_age, european, rng, as_of)
    members = [first]
    if shape in ("couple", "family"):
        partner_last = last if rng.random() < 0.75 else rng.choice(names.LAST_GERMAN)
        if partner_last != last and rng.random() < 0.2:
            partner_last = f"{last}-{partner_last}"
        partner_age = max(19, min(95, first_age + rng.randint(-6, 6)))
        partner = _person(
            f"C{number + 1:06d}",
            city,
            street,
            postcode,
            partner_last,
            partner_age,
            european,
            rng,
            as_of,
            gender="f" if first.gender == "m" else "m",
        )
        first.partner_id, partner.partner_id = partner.customer_id, first.customer_id
        if first.email and rng.random() < 0.1:
            partner.email = first.email  # one shared family address
        first.household_role = partner.household_role = "partner"
        members.append(partner)
    if shape in ("family", "parent_child"):
        child_age = rng.randint(18, 26)
        child = _person(
            f"C{number + len(members):06d}",
            city,
            street,
            postcode,
            last,
            child_age,
            european,
            rng,
            as_of,
        )
        child.household_role = "child"
        for parent in members:
            parent.children.append(child.first_name)
            if shape == "parent_child":
                parent.household_role = "parent"
        members.append(child)
    for member in members:
        member.household_id = household_id
        if len(members) > 1:
            # a household keeps one home and shares the rent; the younger members rarely pay it
            member.tenant = members[0].tenant and member.household_role != "child"
    for parent in members[:2]:
        if rng.random() < 0.4 and parent.household_role != "child":
            parent.children.extend(rng.sample(names.CHILD_NAMES, rng.randint(1, 2)))
    return members


def _adult_age(rng: random.Random, shape: str) -> int:
    if shape == "family":
        return rng.randint(44, 62)
    if shape == "parent_child":
        return rng.randint(42, 68)
    return int(min(94, max(18, rng.gauss(47, 17))))


def _person(
    customer_id: str,
    city: names.City,
    street: str,
    postcode: str,
    last: str,
    age: int,
    european: bool,
    rng: random.Random,
    as_of: dt.date,
    gender: str = "",
) -> DemoCustomer:
    gender = gender or rng.choice("mf")
    pool = (
        (names.MALE_EUROPEAN if european and rng.random() < 0.7 else names.MALE_GERMAN)
        if gender == "m"
        else (names.FEMALE_EUROPEAN if european and rng.random() < 0.7 else names.FEMALE_GERMAN)
    )
    first = rng.choice(pool)
    dob = as_of - dt.timedelta(days=age * 365 + rng.randint(0, 364))
    occupation = _occupation(age, rng)
    income = _income(occupation, age, rng)
    wealth = max(0.0, rng.lognormvariate(math.log(max(income, 6000) * 0.35), 1.0) * (1 + age / 60))
    since_years = min(age - 16, int(rng.expovariate(1 / 11)) + 1)
    since = as_of - dt.timedelta(days=max(40, since_years * 365 + rng.randint(-200, 200)))
    online = rng.random() < max(0.25, min(0.95, 1.15 - age / 80))
    customer = DemoCustomer(
        customer_id=customer_id,
        kind="person",
        city=city,
        office=ONLINE if online and age < 40 and rng.random() < 0.25 else city.branch,
        since=since,
        first_name=first,
        last_name=last,
        gender=gender,
        dob=dob,
        address=street,
        postcode=postcode,
        occupation=occupation,
        employer=_employer(occupation, rng),
        income=income,
        wealth=round(wealth, -2),
        online_banking=online,
        tenant=rng.random() < (0.75 if age < 40 else 0.55),
        main_bank=rng.random() < 0.68,
    )
    customer.email = _email(first, last, rng) if rng.random() < (0.9 if online else 0.55) else ""
    customer.phone = _phone(city, rng) if rng.random() < 0.82 else ""
    customer.credit_score = int(min(850, max(300, rng.gauss(560 + income / 600 + age * 1.5, 70))))
    customer.risk_class = (
        "low"
        if customer.credit_score >= 680
        else "medium"
        if customer.credit_score >= 540
        else "high"
    )
    customer.segment = _segment(customer, age)
    return customer


def _occupation(age: int, rng: random.Random) -> str:
    if age >= 66:
        return "retired" if rng.random() < 0.93 else "self_employed"
    if age < 25:
        return rng.choices(
            ("student", "employee", "apprentice", "unemployed"), (0.55, 0.3, 0.12, 0.03)
        )[0]
    return rng.choices(
        (
            "employee",
            "civil_servant",
            "self_employed",
            "executive",
            "unemployed",
            "homemaker",
            "retired",
        ),
        (0.62, 0.10, 0.10, 0.06, 0.04, 0.05, 0.03 if age > 58 else 0.0),
    )[0]


_INCOME = {
    "student": 9000,
    "apprentice": 14000,
    "employee": 31000,
    "civil_servant": 38000,
    "self_employed": 42000,
    "executive": 78000,
    "unemployed": 12000,
    "homemaker": 6000,
    "retired": 21000,
}


def _income(occupation: str, age: int, rng: random.Random) -> float:
    base = _INCOME[occupation] * (1 + max(0, min(age, 55) - 25) * 0.012)
    return float(round(rng.lognormvariate(math.log(base), 0.3), -2))


def _employer(occupation: str, rng: random.Random) -> str:
    if occupation in ("employee", "executive", "apprentice"):
        return rng.choice(names.EMPLOYERS)
    if occupation == "civil_servant":
        return rng.choice(names.PUBLIC_EMPLOYERS)
    if occupation == "retired":
        return "Deutsche Rentenversicherung"
    if occupation == "unemployed":
        return "Bundesagentur für Arbeit"
    return ""


def _segment(customer: DemoCustomer, age: int) -> str:
    if customer.occupation in ("student", "apprentice"):
        return "students"
    if customer.income > 60000 or customer.wealth > 80000:
        return "affluent"
    if age >= 65:
        return "seniors"
    if age < 35:
        return "young_professionals"
    if customer.children:
        return "families"
    return "mass_retail"


_TRANSLITERATE = str.maketrans(
    {
        "ä": "ae",
        "ö": "oe",
        "ü": "ue",
        "ß": "ss",
        "é": "e",
        "è": "e",
        "á": "a",
        "í": "i",
        "ó": "o",
        "ú": "u",
        "ñ": "n",
        "ç": "c",
        "ş": "s",
        "ğ": "g",
        "ı": "i",
        "ł": "l",
        "ś": "s",
        "ń": "n",
        "ż": "z",
        "ź": "z",
        "ć": "c",
        "č": "c",
        "š": "s",
        "ž": "z",
        "ř": "r",
        "ě": "e",
        "ý": "y",
        "å": "a",
        "ø": "o",
        "æ": "ae",
        "ã": "a",
        "õ": "o",
        "ê": "e",
        "ô": "o",
        "ë": "e",
        "ï": "i",
        "ő": "o",
        "ű": "u",
        "ů": "u",
        "ά": "a",
        "'": "",
        " ": "",
    }
)


def _ascii(text: str) -> str:
    return text.lower().translate(_TRANSLITERATE)


def _email(first: str, last: str, rng: random.Random) -> str:
    f, la = _ascii(first), _ascii(last)
    local = rng.choice(
        (
            f"{f}.{la}",
            f"{f}{la}",
            f"{f[0]}.{la}",
            f"{f}.{la}{rng.randint(1, 99)}",
            f"{la}.{f}",
            f"{f}_{la}",
            f"{f}{rng.randint(60, 99)}",
            f"{la}{rng.randint(1, 999)}",
        )
    )
    return f"{local}@{rng.choice(names.EMAIL_DOMAINS)}"


def _phone(city: names.City, rng: random.Random) -> str:
    if rng.random() < 0.7:
        prefix, number = rng.choice(names.MOBILE_PREFIXES), rng.randint(1000000, 99999999)
        return rng.choice((f"+49 {prefix} {number}", f"0{prefix} {number}", f"0{prefix}/{number}"))
    number = rng.randint(100000, 9999999)
    return rng.choice(
        (
            f"+49 {city.area_code} {number}",
            f"0{city.area_code} {number}",
            f"(0{city.area_code}) {number}",
        )
    )


def _organisation(
    customer_id: str, city: names.City, rng: random.Random, as_of: dt.date
) -> DemoCustomer:
    pattern, industry = rng.choice(names.BUSINESS_PATTERNS)
    last = rng.choice(names.LAST_GERMAN + names.LAST_EUROPEAN)
    legal = pattern.format(
        last=last,
        last2=rng.choice(names.LAST_GERMAN),
        first=rng.choice(names.FEMALE_GERMAN + names.MALE_GERMAN),
        city=city.name.split(" ")[0],
        restaurant=rng.choice(names.RESTAURANTS),
        square=rng.choice(names.SQUARES),
        year=rng.choice(("1860", "1896", "04", "1911")),
    )
    employees = max(0, int(rng.lognormvariate(math.log(6), 0.9)))
    revenue = round(rng.lognormvariate(math.log(120000 + employees * 55000), 0.5), -3)
    since = as_of - dt.timedelta(days=rng.randint(200, 25 * 365))
    domain = _ascii(last).replace("-", "") + rng.choice(("-gmbh.de", ".de", "-online.de", ".com"))
    customer = DemoCustomer(
        customer_id=customer_id,
        kind="organisation",
        city=city,
        office=city.branch,
        since=since,
        name=legal,
        address=f"{rng.choice(city.streets)} {rng.randint(1, 120)}",
        postcode=rng.choice(city.postcodes),
        industry=industry,
        employees=employees,
        revenue=float(revenue),
        online_banking=rng.random() < 0.85,
        segment="small_business",
        main_bank=rng.random() < 0.8,
        tenant=rng.random() < 0.8,
    )
    customer.email = (
        f"{rng.choice(('info', 'kontakt', 'buchhaltung', 'office'))}@{domain}"
        if rng.random() < 0.9
        else ""
    )
    customer.phone = _phone(city, rng) if rng.random() < 0.95 else ""
    customer.credit_score = int(min(850, max(300, rng.gauss(620, 80))))
    customer.risk_class = (
        "low"
        if customer.credit_score >= 680
        else "medium"
        if customer.credit_score >= 560
        else "high"
    )
    return customer


def _unique_emails(customers: list[DemoCustomer]) -> None:
    """One address per person, as mail providers allow; only a household may share one."""
    holders: dict[str, str] = {}
    for customer in customers:
        if not customer.email:
            continue
        holder = customer.household_id or customer.customer_id
        local, _, domain = customer.email.partition("@")
        number = 1
        while holders.get(customer.email, holder) != holder:
            number += 1
            customer.email = f"{local}{number}@{domain}"
        holders[customer.email] = holder


def _assign_owners(customers: list[DemoCustomer], rng: random.Random) -> None:
    """The most valuable persons and every organisation get a relationship manager; a relationship
    manager looks after the whole household."""
    households: dict[str, list[DemoCustomer]] = {}
    for customer in customers:
        if customer.household_id:
            households.setdefault(customer.household_id, []).append(customer)
    organisations = [c for c in customers if not c.is_person]
    wanted = int(OWNED_SHARE * len(customers))
    owned: list[DemoCustomer] = list(organisations)
    chosen = {c.customer_id for c in owned}
    for person in sorted((c for c in customers if c.is_person), key=lambda c: -c.value):
        if len(owned) >= wanted:
            break
        for member in (
            households.get(person.household_id, [person]) if person.household_id else [person]
        ):
            if member.customer_id not in chosen:
                chosen.add(member.customer_id)
                owned.append(member)
    owner_of_household: dict[str, str] = {}
    for customer in owned:
        owner = owner_of_household.get(customer.household_id) if customer.household_id else None
        if owner is None:
            local = staff_in_office(customer.city.branch, Role.RELATIONSHIP_MANAGER)
            owner = rng.choice(local or relationship_managers(customer.city.region))
            if customer.household_id:
                owner_of_household[customer.household_id] = owner
        customer.owner = owner
        customer.team = REGIONS[customer.city.region]


def _choose_drift(customers: list[DemoCustomer], rng: random.Random, as_of: dt.date) -> None:
    """Pick the ~8 % of persons who drift away, and the ~70 % of them who close their main account."""
    candidates = [
        c
        for c in customers
        if c.is_person
        and c.main_bank
        and (as_of - c.since).days > 400
        and c.household_role != "child"
    ]
    count = round(DRIFT_SHARE * sum(1 for c in customers if c.is_person))
    for customer in rng.sample(candidates, min(count, len(candidates))):
        start = as_of - dt.timedelta(days=rng.randint(95, 180))
        closes = None
        if rng.random() < CHURN_SHARE_OF_DRIFT:
            closes = as_of - dt.timedelta(
                days=rng.randint(3, max(4, min(60, (as_of - start).days - 60)))
            )
        customer.drift = Drift(
            start=start, salary_mode=rng.choice(("stop", "stop", "split")), closes_main=closes
        )
