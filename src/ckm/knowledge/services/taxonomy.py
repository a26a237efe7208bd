"""The category tree and the article templates."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.text import slugify

from ckm.core.audit import audit_record, snapshot
from ckm.core.errors import DomainError
from ckm.core.permissions import require_perm
from ckm.knowledge.models import ArticleTemplate, Category

SEPARATOR = " / "


def normalise_path(path: str) -> str:
    """'cards/lost and stolen ' -> 'Cards / Lost and stolen' (one spelling per node)."""
    parts = [p.strip() for p in path.replace(">", "/").split("/") if p.strip()]
    return SEPARATOR.join(p[0].upper() + p[1:] for p in parts)


def category_ensure(*, path: str) -> Category:
    """The category with this path, created with its parents when missing."""
    path = normalise_path(path)
    if not path:
        raise DomainError("A category needs a name.", field="category")
    existing = Category.objects.filter(path__iexact=path).first()
    if existing is not None:
        return existing
    parent: Category | None = None
    so_far: list[str] = []
    for name in path.split(SEPARATOR):
        so_far.append(name)
        node_path = SEPARATOR.join(so_far)
        node = Category.objects.filter(path__iexact=node_path).first()
        if node is None:
            node = Category.objects.create(
                name=name[:120], slug=slugify(name)[:140] or "category", parent=parent,
                path=node_path[:400],
            )  # fmt: skip
        parent = node
    assert parent is not None
    return parent


@transaction.atomic
def category_create(*, actor: Any, path: str) -> Category:
    """An editor adds a category (and its parents) to the navigation tree."""
    require_perm(actor, "knowledge.add_category")
    category = category_ensure(path=path)
    audit_record(actor=actor, action="create", obj=category, after=snapshot(category))
    return category


def _sections(sections: list[dict[str, str]] | list[str]) -> list[dict[str, str]]:
    result = []
    for section in sections:
        if isinstance(section, str):
            section = {"title": section, "hint": ""}
        title = str(section.get("title", "")).strip()[:120]
        if title:
            result.append({"title": title, "hint": str(section.get("hint", "")).strip()[:300]})
    if not result:
        raise DomainError("A template needs at least one section.", field="sections")
    return result


@transaction.atomic
def template_save(
    *,
    actor: Any,
    name: str,
    sections: list[dict[str, str]] | list[str],
    description: str = "",
) -> ArticleTemplate:
    """Create or change the template with this name."""
    require_perm(actor, "knowledge.add_articletemplate", "knowledge.change_articletemplate")
    template, created = ArticleTemplate.objects.get_or_create(name=name.strip()[:120])
    before = snapshot(template)
    template.sections = _sections(sections)
    template.description = description.strip()[:300]
    template.full_clean()
    template.save()
    audit_record(
        actor=actor,
        action="create" if created else "update",
        obj=template,
        before=None if created else before,
        after=snapshot(template),
    )
    return template


HOUSE_TEMPLATES: list[dict[str, Any]] = [
    {
        "name": "How-to",
        "description": "Steps a customer or an agent follows to get one thing done.",
        "sections": [
            {"title": "What to do", "hint": "1. Numbered steps, one action each."},
            {"title": "Good to know", "hint": "- Fees, limits, exceptions."},
        ],
    },
    {
        "name": "Product fact sheet",
        "description": "What a product is, who it is for, what it costs.",
        "sections": [
            {"title": "What it is", "hint": "Two sentences a customer understands."},
            {"title": "Who it is for", "hint": ""},
            {"title": "Prices and conditions", "hint": "| item | price |\n|---|---|"},
            {"title": "How to apply", "hint": "1. ..."},
        ],
    },
    {
        "name": "Known issue",
        "description": "A fault customers report, what to tell them, the workaround.",
        "sections": [
            {"title": "Symptoms", "hint": "What the customer sees."},
            {"title": "Workaround", "hint": "1. ..."},
            {"title": "Status", "hint": "When it will be fixed; who to tell."},
        ],
    },
    {
        "name": "Policy",
        "description": "A rule agents apply, with its reason and exceptions.",
        "sections": [
            {"title": "The rule", "hint": ""},
            {"title": "Why", "hint": ""},
            {"title": "Exceptions", "hint": "- ..."},
        ],
    },
]
