"""API of the core app: who am I, import runs and their problems, the audit log."""

import datetime as dt
from typing import Any

from django.conf import settings
from ninja import File, Query, Router, Schema, Status, UploadedFile
from ninja.pagination import paginate

from ckm.core import selectors, services
from ckm.core.apikit import In, Pages
from ckm.core.errors import DomainError
from ckm.core.http import AuthedRequest

router = Router(tags=["core"])


class MeOut(Schema):
    id: int
    username: str
    full_name: str
    role: str
    team: str | None
    office: str | None
    permissions: list[str]


@router.get("/me", response=MeOut, summary="The authenticated user, role and permissions")
def me(request: AuthedRequest) -> dict[str, Any]:
    user = request.user
    return {
        "id": user.pk,
        "username": user.get_username(),
        "full_name": user.get_full_name(),
        "role": user.role,
        "team": str(user.team) if user.team_id else None,
        "office": str(user.office) if user.office_id else None,
        "permissions": sorted(user.get_all_permissions()),
    }


class ImportFileOut(Schema):
    file: str
    status: str
    rows: int
    inserted: int
    updated: int
    rejected_rows: int
    issue_count: int
    seconds: float
    rows_per_second: int | None = None
    notes: list[str] = []


class ImportRunOut(Schema):
    id: int
    package_name: str
    status: str
    as_of: dt.date | None
    created_at: dt.datetime
    finished_at: dt.datetime | None
    issue_count: int
    files: list[ImportFileOut]
    notes: list[str]
    progress_percent: int | None

    @staticmethod
    def resolve_progress_percent(run: Any) -> int | None:
        return run.job.percent if run.job_id else None


@router.get("/imports", response=list[ImportRunOut], summary="Import runs, newest first")
@paginate(Pages, page_size=25)
def import_list(request: AuthedRequest) -> Any:
    return selectors.import_run_list(user=request.user)


@router.get(
    "/imports/{run_id}", response=ImportRunOut, summary="One import run with its report per file"
)
def import_get(request: AuthedRequest, run_id: int) -> Any:
    return selectors.import_run_get(user=request.user, run_id=run_id)


class ImportIssueOut(Schema):
    file: str
    line: int
    column: str
    value: str
    reason: str


@router.get(
    "/imports/{run_id}/issues",
    response=list[ImportIssueOut],
    summary="Every problem an import found",
)
@paginate(Pages, page_size=200)
def import_issues(request: AuthedRequest, run_id: int, file: str = "") -> Any:
    return selectors.import_issue_list(user=request.user, run_id=run_id, file=file)


@router.post(
    "/imports",
    response={202: ImportRunOut},
    summary="Upload a package (.zip) and import it in the background",
)
def import_create(request: AuthedRequest, package: File[UploadedFile]) -> Status[Any]:
    name = (package.name or "").lower()
    if not name.endswith(".zip"):
        raise DomainError("Send the package as one .zip file.", field="package")
    if (package.size or 0) > settings.CKM_IMPORT_MAX_BYTES:
        raise DomainError("The package is larger than the upload limit.", field="package")
    run = services.import_upload(
        user=request.user, uploads=[package], label=f"API upload {package.name}"
    )
    return Status(202, selectors.import_run_get(user=request.user, run_id=run.pk))


class AuditOut(Schema):
    id: int
    at: dt.datetime
    actor: str
    action: str
    object_type: str
    object_id: str
    object_repr: str
    customer_id: int | None
    summary: str
    changes: dict[str, Any]

    @staticmethod
    def resolve_actor(entry: Any) -> str:
        return str(entry.actor_label)

    @staticmethod
    def resolve_customer_id(entry: Any) -> int | None:
        return entry.customer_ref  # type: ignore[no-any-return]


class AuditFilters(In):
    actor: str = ""
    action: str = ""
    object_type: str = ""
    object_id: str = ""
    customer_id: int | None = None
    since: dt.date | None = None
    until: dt.date | None = None


@router.get("/audit", response=list[AuditOut], summary="The audit log (administrators, managers)")
@paginate(Pages, page_size=100)
def audit(request: AuthedRequest, filters: Query[AuditFilters]) -> Any:
    return selectors.audit_list(user=request.user, **filters.dict())
