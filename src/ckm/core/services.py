"""Writes of the core app: users and roles, API tokens, import runs."""

from __future__ import annotations

import datetime as dt
import secrets
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ckm.core.audit import audit_record, snapshot
from ckm.core.auth import token_generate, token_hash
from ckm.core.errors import DomainError, NotFound
from ckm.core.jobs import (
    Progress,
    job_create,
    job_enqueue,
    job_fail,
    job_finish,
    job_progress,
    job_start,
    progress_chain,
)
from ckm.core.models import ApiToken, AuditEntry, ImportRun, Office, Role, Team, User
from ckm.core.permissions import require_perm

USER_FIELDS = ["username", "first_name", "last_name", "email", "role", "team_id", "office_id"]


@transaction.atomic
def office_get_or_create(
    *, code: str, name: str = "", kind: str = Office.Kind.BRANCH, city: str = "", country: str = ""
) -> Office:
    """The office with this code, created when new."""
    office, _ = Office.objects.get_or_create(
        code=code,
        defaults={"name": name or code, "kind": kind, "city": city, "country": country.upper()},
    )
    return office


@transaction.atomic
def team_get_or_create(
    *, name: str, office: Office | None = None, manager: User | None = None
) -> Team:
    """The team with this name, created when new."""
    team, _created = Team.objects.get_or_create(name=name, defaults={"office": office})
    if manager is not None and team.manager_id != manager.pk:
        team.manager = manager
        team.save(update_fields=["manager"])
    return team


@transaction.atomic
def user_create(
    *,
    actor: Any,
    username: str,
    password: str,
    role: str,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    team: Team | None = None,
    office: Office | None = None,
) -> User:
    """Create a user with a role; admins become staff so they can use the admin site."""
    if actor is not None:
        require_perm(actor, "core.add_user")
    if role not in Role.values:
        raise DomainError(f"unknown role {role!r}", field="role")
    user = User(
        username=username,
        first_name=first_name,
        last_name=last_name,
        email=email,
        role=role,
        team=team,
        office=office,
        is_staff=role == Role.ADMIN,
    )
    user.set_password(password)
    user.full_clean()
    user.save()
    audit_record(
        actor=actor, action=AuditEntry.Action.CREATE, obj=user, after=snapshot(user, USER_FIELDS)
    )
    return user


@transaction.atomic
def api_token_create(*, user: User, name: str, days: int | None = 365) -> tuple[ApiToken, str]:
    """Create a personal API token; returns the token row and the secret, shown only once."""
    if not name.strip():
        raise DomainError("give the token a name", field="name")
    key = token_generate()
    token = ApiToken.objects.create(
        user=user,
        name=name.strip()[:100],
        prefix=key[:12],
        key_hash=token_hash(key),
        expires_at=timezone.now() + dt.timedelta(days=days) if days else None,
    )
    audit_record(
        actor=user, action=AuditEntry.Action.CREATE, obj=token, summary="API token created"
    )
    return token, key


@transaction.atomic
def api_token_revoke(*, user: User, token_id: int) -> None:
    """Revoke one of the user's own tokens."""
    token = ApiToken.objects.filter(pk=token_id, user=user).first()
    if token is None:
        raise NotFound("no such token")
    token.revoked = True
    token.save(update_fields=["revoked"])
    audit_record(
        actor=user, action=AuditEntry.Action.UPDATE, obj=token, summary="API token revoked"
    )


def import_start(
    *, user: Any, source: Path, label: str = "", name: str = "", enqueue: bool = True
) -> ImportRun:
    """Register an import of a package (folder, .zip or upload folder) and queue its task.
    `name` names the package until its manifest does (default: the folder's or file's name)."""
    if user is not None:
        require_perm(user, "core.add_importrun")
    if not source.exists():
        raise DomainError(f"{source} does not exist", field="source")
    with transaction.atomic():
        job = job_create(kind="core.import", label=label or f"Import {source.name}", user=user)
        run = ImportRun.objects.create(
            source=str(source),
            package_name=(name or source.stem)[:200],
            created_by=job.created_by,
            job=job,
        )
        audit_record(
            actor=user,
            action=AuditEntry.Action.CREATE,
            obj=run,
            summary=f"import of {run.package_name} queued",
        )
        if enqueue:
            from ckm.core.tasks import import_package_task

            job_enqueue(run.job, import_package_task, run_id=run.pk)
    return run


def import_run(*, run_id: int, progress: Progress | None = None) -> ImportRun:
    """Run a registered import now (in a worker, or in the CLI process)."""
    from ckm.core.imports.package import package_run

    run = ImportRun.objects.select_related("created_by", "job").get(pk=run_id)
    job_id = run.job_id
    if job_id:
        job_start(job_id=job_id)
    report = progress_chain(job_progress(job_id) if job_id else None, progress)
    try:
        run = package_run(run, user=run.created_by, progress=report)
    except Exception as exc:
        if job_id:
            job_fail(job_id=job_id, message=f"{type(exc).__name__}: {exc}")
        ImportRun.objects.filter(pk=run_id).update(
            status=ImportRun.Status.FAILED, finished_at=timezone.now(), notes=[str(exc)]
        )
        raise
    if job_id and run.status == ImportRun.Status.FAILED:
        # nothing was loaded: the job failed too (not "Succeeded" with the message "Failed")
        reason = "every file was rejected" if run.files else "; ".join(run.notes or [])
        job_fail(job_id=job_id, message=f"Failed: {reason or 'nothing was loaded'}")
    elif job_id:
        job_finish(
            job_id=job_id,
            result={"run": run.pk, "status": run.status},
            message=run.get_status_display(),
        )
    return run


def import_upload_dir(*, run_key: str) -> Path:
    """A fresh folder for uploaded package files."""
    folder = Path(settings.VAR_DIR) / "uploads" / run_key
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    return folder


def _safe_name(name: str | None) -> str:
    base = (name or "upload").replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(ch for ch in base if ch.isalnum() or ch in "._-")[:100] or "upload"


def import_upload(*, user: Any, uploads: Sequence[Any], label: str = "") -> ImportRun:
    """Store uploaded package files (one .zip, or the package's files) in a fresh folder and
    register their import. A user who may not import writes nothing to disk, and an upload the
    import refuses leaves no folder behind."""
    require_perm(user, "core.add_importrun")
    if not uploads:
        raise DomainError("Choose the package's files or one .zip file.", field="files")
    folder = import_upload_dir(run_key=secrets.token_hex(8))
    try:
        for upload in uploads:
            with (folder / _safe_name(upload.name)).open("wb") as out:
                for chunk in upload.chunks():
                    out.write(chunk)
        first = uploads[0].name or ""
        single_zip = len(uploads) == 1 and first.lower().endswith(".zip")
        source = folder / _safe_name(first) if single_zip else folder
        # loose files sit in a folder with a random name: the package is named after its files
        names = ", ".join(upload.name or "upload" for upload in uploads)
        return import_start(
            user=user,
            source=source,
            label=label or f"Upload {first}",
            name=Path(first).stem if single_zip else names,
        )
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
