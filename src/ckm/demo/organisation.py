"""The demo bank's organisation: offices, teams and staff, as plain data.

The generator reads it to spread ownership and contacts over real usernames; the services create
it in the database through ckm.core.services.
"""

from __future__ import annotations

from dataclasses import dataclass

from ckm.core.models import Office, Role

BANK_NAME = "Northbank"


@dataclass(frozen=True)
class OfficeSpec:
    code: str
    name: str
    kind: str
    city: str


@dataclass(frozen=True)
class TeamSpec:
    name: str
    office: str
    manager: str
    region: str = ""


@dataclass(frozen=True)
class StaffSpec:
    username: str
    role: str
    first_name: str
    last_name: str
    team: str = ""
    office: str = ""


@dataclass(frozen=True)
class Login:
    """One demo login per role, printed at the end of `ckm demo`."""

    username: str
    role: str
    try_first: str


OFFICES = (
    OfficeSpec("CC-BER", "Contact Centre Berlin", Office.Kind.CONTACT_CENTRE, "Berlin"),
    OfficeSpec("CC-LEI", "Contact Centre Leipzig", Office.Kind.CONTACT_CENTRE, "Leipzig"),
    OfficeSpec(
        "BO-LEI", "Back Office Leipzig (post and documents)", Office.Kind.BACK_OFFICE, "Leipzig"
    ),
    OfficeSpec("ONLINE", "Online and mobile banking", Office.Kind.ONLINE, ""),
    OfficeSpec("BR-BER", "Branch Berlin-Mitte", Office.Kind.BRANCH, "Berlin"),
    OfficeSpec("BR-HAM", "Branch Hamburg Jungfernstieg", Office.Kind.BRANCH, "Hamburg"),
    OfficeSpec("BR-KOE", "Branch Köln Innenstadt", Office.Kind.BRANCH, "Köln"),
    OfficeSpec("BR-MUC", "Branch München Marienplatz", Office.Kind.BRANCH, "München"),
    OfficeSpec("BR-FRA", "Branch Frankfurt Zeil", Office.Kind.BRANCH, "Frankfurt am Main"),
    OfficeSpec("BR-STR", "Branch Stuttgart Königstraße", Office.Kind.BRANCH, "Stuttgart"),
    OfficeSpec("BR-LEI", "Branch Leipzig Markt", Office.Kind.BRANCH, "Leipzig"),
    OfficeSpec("BR-DRE", "Branch Dresden Altmarkt", Office.Kind.BRANCH, "Dresden"),
)
BRANCHES = tuple(o for o in OFFICES if o.kind == Office.Kind.BRANCH)
CONTACT_CENTRES = ("CC-BER", "CC-LEI")
BACK_OFFICE = "BO-LEI"
ONLINE = "ONLINE"

REGIONS = {
    "ost": "RM Ost (Berlin, Leipzig, Dresden)",
    "nordwest": "RM Nord-West (Hamburg, Köln)",
    "sued": "RM Süd (München, Frankfurt, Stuttgart)",
}

TEAMS = (
    TeamSpec(REGIONS["ost"], "BR-BER", "manager", "ost"),
    TeamSpec(REGIONS["nordwest"], "BR-HAM", "manager.nordwest", "nordwest"),
    TeamSpec(REGIONS["sued"], "BR-MUC", "manager.sued", "sued"),
    TeamSpec("Contact Centre Berlin", "CC-BER", "manager"),
    TeamSpec("Contact Centre Leipzig", "CC-LEI", "manager.leipzig"),
    TeamSpec("Marketing & Analytics", "BR-FRA", "manager.sued"),
    TeamSpec("Knowledge & Service Design", "CC-LEI", "manager.leipzig"),
    TeamSpec("Products", "BR-FRA", "manager.sued"),
)

_RM_OST, _RM_NW, _RM_SUED = REGIONS["ost"], REGIONS["nordwest"], REGIONS["sued"]
STAFF = (
    # one login per role first: these are the usernames the README and the login table name
    StaffSpec("agent", Role.AGENT, "Lena", "Hoffmann", "Contact Centre Berlin", "CC-BER"),
    StaffSpec("rm", Role.RELATIONSHIP_MANAGER, "Markus", "Brandt", _RM_OST, "BR-BER"),
    StaffSpec("marketer", Role.MARKETER, "Julia", "Kaya", "Marketing & Analytics", "BR-FRA"),
    StaffSpec(
        "editor", Role.KNOWLEDGE_EDITOR, "Tobias", "Lindner", "Knowledge & Service Design", "CC-LEI"
    ),
    StaffSpec("pm", Role.PRODUCT_MANAGER, "Sabine", "Roth", "Products", "BR-FRA"),
    StaffSpec("manager", Role.MANAGER, "Claudia", "Neumann", _RM_OST, "BR-BER"),
    StaffSpec("admin", Role.ADMIN, "Ole", "Petersen", "", ""),
    # more managers
    StaffSpec("manager.nordwest", Role.MANAGER, "Henning", "Jürgensen", _RM_NW, "BR-HAM"),
    StaffSpec("manager.sued", Role.MANAGER, "Theresa", "Huber", _RM_SUED, "BR-MUC"),
    StaffSpec("manager.leipzig", Role.MANAGER, "Anke", "Voigt", "Contact Centre Leipzig", "CC-LEI"),
    # relationship managers, at least one per branch
    StaffSpec("rm.berlin2", Role.RELATIONSHIP_MANAGER, "Ayşe", "Demir", _RM_OST, "BR-BER"),
    StaffSpec("rm.leipzig1", Role.RELATIONSHIP_MANAGER, "Jens", "Köhler", _RM_OST, "BR-LEI"),
    StaffSpec("rm.dresden1", Role.RELATIONSHIP_MANAGER, "Franziska", "Seidel", _RM_OST, "BR-DRE"),
    StaffSpec("rm.hamburg1", Role.RELATIONSHIP_MANAGER, "Malte", "Hansen", _RM_NW, "BR-HAM"),
    StaffSpec("rm.hamburg2", Role.RELATIONSHIP_MANAGER, "Wiebke", "Ohlsen", _RM_NW, "BR-HAM"),
    StaffSpec("rm.koeln1", Role.RELATIONSHIP_MANAGER, "Dirk", "Schmitz", _RM_NW, "BR-KOE"),
    StaffSpec(
        "rm.muenchen1", Role.RELATIONSHIP_MANAGER, "Benedikt", "Oberhuber", _RM_SUED, "BR-MUC"
    ),
    StaffSpec("rm.muenchen2", Role.RELATIONSHIP_MANAGER, "Giulia", "Rossi", _RM_SUED, "BR-MUC"),
    StaffSpec("rm.frankfurt1", Role.RELATIONSHIP_MANAGER, "Oliver", "Schäfer", _RM_SUED, "BR-FRA"),
    StaffSpec(
        "rm.stuttgart1", Role.RELATIONSHIP_MANAGER, "Katharina", "Kaltenbach", _RM_SUED, "BR-STR"
    ),
    # contact-centre agents
    StaffSpec("agent.berlin2", Role.AGENT, "Mehmet", "Yılmaz", "Contact Centre Berlin", "CC-BER"),
    StaffSpec("agent.berlin3", Role.AGENT, "Sophie", "Wagner", "Contact Centre Berlin", "CC-BER"),
    StaffSpec("agent.berlin4", Role.AGENT, "Piotr", "Nowak", "Contact Centre Berlin", "CC-BER"),
    StaffSpec("agent.berlin5", Role.AGENT, "Hannah", "Schulze", "Contact Centre Berlin", "CC-BER"),
    StaffSpec(
        "agent.leipzig1", Role.AGENT, "Kerstin", "Lehmann", "Contact Centre Leipzig", "CC-LEI"
    ),
    StaffSpec(
        "agent.leipzig2", Role.AGENT, "Sören", "Böttcher", "Contact Centre Leipzig", "CC-LEI"
    ),
    StaffSpec("agent.leipzig3", Role.AGENT, "Elena", "Popescu", "Contact Centre Leipzig", "CC-LEI"),
    StaffSpec("agent.leipzig4", Role.AGENT, "Felix", "Krause", "Contact Centre Leipzig", "CC-LEI"),
)

LOGINS = (
    Login("agent", Role.AGENT, "search a customer and log a call"),
    Login(
        "rm", Role.RELATIONSHIP_MANAGER, "open your customers and see birthdays and personal facts"
    ),
    Login(
        "marketer", Role.MARKETER, "look at segments, consents and the past campaign's responses"
    ),
    Login(
        "editor",
        Role.KNOWLEDGE_EDITOR,
        "the open knowledge gap on the start page: draft its article",
    ),
    Login("pm", Role.PRODUCT_MANAGER, "see complaints and ideas per product"),
    Login("manager", Role.MANAGER, "Performance: SLA attainment and satisfaction of the desk"),
    Login("admin", Role.ADMIN, "see the import report and the audit log"),
)


def staff_in_office(code: str, role: str) -> list[str]:
    """Usernames of staff with this role working in the office."""
    return [s.username for s in STAFF if s.office == code and s.role == role]


def relationship_managers(region: str) -> list[str]:
    """Usernames of the relationship managers of a region's team."""
    team = REGIONS[region]
    return [s.username for s in STAFF if s.team == team and s.role == Role.RELATIONSHIP_MANAGER]


def team_of(username: str) -> str:
    """The team name of a staff member ('' when none)."""
    return next((s.team for s in STAFF if s.username == username), "")


def office_name(code: str) -> str:
    """The display name of a demo office."""
    return next((o.name for o in OFFICES if o.code == code), code)
