"""Writes of the knowledge app (articles, taxonomy, evidence, usage). Import from here."""

from ckm.knowledge.services.articles import (
    article_archive,
    article_create,
    article_docx_upload,
    article_draft_create,
    article_publish,
    article_reject,
    article_reopen,
    article_restore,
    article_reviewed,
    article_revise,
    article_revision_discard,
    article_submit,
    article_update,
    articles_schedule_apply,
)
from ckm.knowledge.services.embedding import article_vectors, articles_embed, evidence_embed
from ckm.knowledge.services.evidence import article_link_resolution
from ckm.knowledge.services.taxonomy import category_create, category_ensure, template_save
from ckm.knowledge.services.usage import (
    article_feedback_record,
    article_view_record,
    portal_contact_record,
    search_click_record,
    search_query_record,
    usage_bump,
)

__all__ = [
    "article_archive",
    "article_create",
    "article_docx_upload",
    "article_draft_create",
    "article_feedback_record",
    "article_link_resolution",
    "article_publish",
    "article_reject",
    "article_reopen",
    "article_restore",
    "article_reviewed",
    "article_revise",
    "article_revision_discard",
    "article_submit",
    "article_update",
    "article_vectors",
    "article_view_record",
    "articles_embed",
    "articles_schedule_apply",
    "category_create",
    "category_ensure",
    "evidence_embed",
    "portal_contact_record",
    "search_click_record",
    "search_query_record",
    "template_save",
    "usage_bump",
]
