"""Authoring, workflow, versions, schedule, evidence and feedback through the services."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from ckm.core.errors import ConflictError, DomainError
from ckm.core.models import AuditEntry
from ckm.knowledge import selectors, services
from ckm.knowledge.models import Article, ArticleEvidence, ArticleFeedback, Category
from ckm.knowledge.tests.docx import docx_bytes

pytestmark = pytest.mark.django_db


def make(editor, **kwargs):
    fields = {
        "title": "Lost card",
        "body_source": "Block it **at once**.",
        "category": "Cards / Lost",
    }
    fields.update(kwargs)
    return services.article_create(actor=editor, **fields)


def test_create_renders_sanitised_html_and_records_version_one(editor) -> None:
    article = make(
        editor, body_source="Block it.\n\n<script>alert(1)</script><a href='javascript:x'>y</a>"
    )
    assert article.status == Article.Status.DRAFT
    assert article.slug == "lost-card"
    assert "<script" not in article.body_html and "javascript:" not in article.body_html
    assert article.summary == "Block it."
    assert article.category.path == "Cards / Lost"
    assert Category.objects.get(path="Cards").children.count() == 1
    assert list(article.versions.values_list("number", flat=True)) == [1]
    assert AuditEntry.objects.filter(object_type="knowledge.article", action="create").count() == 1


def test_a_change_of_products_alone_is_audited(editor) -> None:
    from ckm.customers.tests.factories import ProductFactory

    article = make(editor)
    card = ProductFactory(name="Gold card")
    services.article_update(actor=editor, article=article, products=[card.pk])
    entry = AuditEntry.objects.filter(object_type="knowledge.article", action="update").latest("pk")
    assert entry.changes["products"] == [[], ["Gold card"]]


def test_a_tag_too_long_or_too_many_tags_are_refused_not_cut(editor) -> None:
    from django.core.exceptions import ValidationError

    for tags in (["x" * 41], [f"t{n}" for n in range(21)], "a, " + "y" * 50):
        with pytest.raises(ValidationError) as refused:
            services.article_create(actor=editor, title="Fees", tags=tags)
        assert "at most" in refused.value.message_dict["tags"][0]
    assert not Article.objects.exists()
    article = services.article_create(actor=editor, title="Fees", tags=[" Cards ", "x" * 40])
    assert article.tags == ["cards", "x" * 40]
    with pytest.raises(ValidationError):
        services.article_update(actor=editor, article=article, tags=["z" * 41])
    # a draft the system proposes keeps its (shortened) tags
    draft = services.article_draft_create(
        actor=editor, title="Gap", summary="s", body_markdown="b", tags=["w" * 60]
    )
    assert draft.tags == ["w" * 40]


def test_the_api_refuses_a_tag_too_long(client, editor) -> None:
    from ckm.api.tests.test_api import send

    response = send(
        client, "post", "/knowledge/articles", editor, {"title": "x", "tags": ["x" * 41]}
    )
    assert response.status_code == 422 and "tags.0" in response.json()["errors"]
    assert not Article.objects.exists()


def test_agents_may_not_write_articles(agent) -> None:
    with pytest.raises(PermissionDenied):
        services.article_create(actor=agent, title="x")


def test_every_save_is_a_version_and_restore_brings_old_text_back(editor) -> None:
    article = make(editor)
    services.article_update(actor=editor, article=article, body_source="Second text.")
    article = services.article_update(actor=editor, article=article, title="Lost or stolen card")
    assert article.slug == "lost-or-stolen-card"
    assert article.versions.count() == 3
    diff = selectors.version_diff(user=editor, article=article, old=1, new=2)
    assert ("del", "Block it **at once**.") in diff.lines
    assert ("add", "Second text.") in diff.lines
    restored = services.article_restore(actor=editor, article=article, number=1)
    assert restored.body_source == "Block it **at once**."
    assert restored.versions.first().note == "Restored version 1"
    assert restored.version_number == 4


def test_workflow_needs_an_editor_who_may_publish(editor, make_user, agent) -> None:
    author = make_user("knowledge_editor", username="author")
    article = make(editor)
    article = services.article_submit(actor=editor, article=article)
    assert article.status == Article.Status.IN_REVIEW
    with pytest.raises(PermissionDenied):
        services.article_publish(actor=agent, article=article)
    article = services.article_publish(actor=editor, article=article)
    assert article.status == Article.Status.PUBLISHED and article.published_at
    with pytest.raises(ConflictError):
        services.article_submit(actor=author, article=article)
    article = services.article_archive(actor=editor, article=article)
    with pytest.raises(ConflictError):
        services.article_update(actor=editor, article=article, title="x")
    assert [v.status for v in article.versions.order_by("number")] == [
        "draft",
        "in_review",
        "published",
        "archived",
    ]


def test_reject_sends_back_to_draft(editor) -> None:
    article = services.article_submit(actor=editor, article=make(editor))
    with pytest.raises(ValidationError, match="At most 150 characters"):
        services.article_reject(actor=editor, article=article, reason="x" * 151)  # not cut short
    article.refresh_from_db()
    assert article.status == Article.Status.IN_REVIEW
    article = services.article_reject(actor=editor, article=article, reason="needs fees")
    assert article.status == Article.Status.DRAFT
    assert article.versions.first().note == "Sent back: needs fees"


def test_scheduled_publish_is_visible_on_read_and_applied_by_the_scheduler(editor, agent) -> None:
    article = make(editor)
    soon = timezone.now() + dt.timedelta(hours=1)
    article = services.article_publish(actor=editor, article=article, at=soon)
    assert article.status == Article.Status.IN_REVIEW and article.publish_at == soon
    assert not selectors.article_queryset(user=agent).filter(pk=article.pk).exists()
    Article.objects.filter(pk=article.pk).update(
        publish_at=timezone.now() - dt.timedelta(minutes=1)
    )
    # the read check shows it before the scheduler ran
    assert selectors.article_queryset(user=agent).filter(pk=article.pk).exists()
    assert services.articles_schedule_apply() == {"published": 1, "archived": 0}
    article.refresh_from_db()
    assert article.status == Article.Status.PUBLISHED


def test_expired_articles_disappear_and_are_archived(editor, agent) -> None:
    article = services.article_publish(actor=editor, article=make(editor))
    Article.objects.filter(pk=article.pk).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    assert not selectors.article_queryset(user=agent).filter(pk=article.pk).exists()
    assert services.articles_schedule_apply()["archived"] == 1
    article.refresh_from_db()
    assert article.status == Article.Status.ARCHIVED


def test_expiry_before_publishing_is_refused(editor) -> None:
    with pytest.raises(DomainError):
        services.article_publish(
            actor=editor, article=make(editor), expires_at=timezone.now() - dt.timedelta(days=1)
        )


def test_docx_upload_creates_a_draft_in_house_layout(editor) -> None:
    data = docx_bytes(
        title="PIN change", paragraphs=["Open the app."], hidden="<script>x()</script>"
    )
    article, _ = services.article_docx_upload(
        actor=editor, fileobj=io.BytesIO(data), filename="pin_change.docx"
    )
    assert article.title == "pin change"
    assert article.source_format == Article.SourceFormat.DOCX
    assert "<h2>PIN change</h2>" in article.body_html and "<script" not in article.body_html


def test_broken_docx_is_a_domain_error(editor) -> None:
    with pytest.raises(DomainError):
        services.article_docx_upload(
            actor=editor, fileobj=io.BytesIO(b"not a zip"), filename="x.docx"
        )


def test_template_prefills_sections(editor) -> None:
    template = services.template_save(
        actor=editor, name="How-to", sections=["What to do", "Good to know"]
    )
    article = services.article_create(actor=editor, title="Order a card", template=template)
    assert "## What to do" in article.body_source and "<h2>Good to know</h2>" in article.body_html


def test_link_resolution_is_idempotent_audited_and_checks_access(
    editor, agent, rm, south_customer
) -> None:
    article = services.article_publish(actor=editor, article=make(editor))
    first = services.article_link_resolution(
        actor=agent, article=article, text="I lost my card", source="import", source_id="17"
    )
    again = services.article_link_resolution(
        actor=agent, article=article, text="I lost my card", source="import", source_id="17"
    )
    assert first.pk == again.pk and ArticleEvidence.objects.count() == 1
    assert AuditEntry.objects.filter(object_type="knowledge.articleevidence").count() == 1
    with pytest.raises(DomainError):
        services.article_link_resolution(
            actor=agent, article=article, text="x", source="mail", source_id="1"
        )
    from ckm.core.errors import NotFound

    with pytest.raises(NotFound, match="No such customer"):
        # rm of team North may not name a South customer, even on an untied message
        services.article_link_resolution(
            actor=rm,
            article=article,
            text="x",
            source="import",
            source_id="9",
            customer=south_customer,
        )
    from ckm.interactions.tests.factories import InteractionFactory

    theirs = InteractionFactory(customer=south_customer)
    with pytest.raises(NotFound, match="No such interaction"):  # nor cite their message
        services.article_link_resolution(
            actor=rm, article=article, text="x", source="interaction", source_id=str(theirs.pk)
        )


def test_draft_create_contract(editor) -> None:
    article = services.article_draft_create(
        actor=editor,
        title="Fees abroad",
        summary="What cards cost abroad",
        body_markdown="## Fees\n\n1%",
        tags=["fees", "Cards"],
    )
    assert article.status == Article.Status.DRAFT and article.tags == ["fees", "cards"]
    system = services.article_draft_create(
        actor=None, title="From a topic", summary="", body_markdown="x"
    )
    assert system.owner is None


def test_feedback_one_vote_per_user_can_change(editor, agent) -> None:
    article = services.article_publish(actor=editor, article=make(editor))
    services.article_feedback_record(actor=agent, article=article, helpful=True)
    services.article_feedback_record(actor=agent, article=article, helpful=True)
    services.article_feedback_record(actor=agent, article=article, helpful=False)
    article.refresh_from_db()
    assert (article.helpful_yes, article.helpful_no) == (0, 1)
    assert ArticleFeedback.objects.count() == 1


def test_schedule_command_publishes_due_articles(editor, capsys) -> None:
    from django.core.management import call_command

    article = services.article_publish(
        actor=editor, article=make(editor), at=timezone.now() + dt.timedelta(hours=1)
    )
    Article.objects.filter(pk=article.pk).update(
        publish_at=timezone.now() - dt.timedelta(minutes=1)
    )
    call_command("knowledge-schedule")
    assert "published 1, archived 0" in capsys.readouterr().out
    article.refresh_from_db()
    assert article.status == Article.Status.PUBLISHED


def test_an_author_who_may_not_publish_cannot_change_a_published_article(
    editor, make_user, settings
) -> None:
    from ckm.core.roles import ROLE_PERMISSIONS

    # a firm's own split: authors write, editors approve
    author_perms = [
        p for p in ROLE_PERMISSIONS["knowledge_editor"] if p != "knowledge.publish_article"
    ]
    settings.CKM_ROLE_PERMISSIONS = {"agent": author_perms}
    author = make_user("agent", username="author")
    draft = make(editor)
    assert services.article_update(actor=author, article=draft, summary="Shorter").summary == (
        "Shorter"
    )
    live = services.article_publish(actor=editor, article=draft)
    with pytest.raises(PermissionDenied):
        services.article_update(actor=author, article=live, summary="Changed live")
    live.refresh_from_db()
    assert live.summary == "Shorter"
    # what the author may do: a revision, which the editor publishes
    revision = services.article_revise(
        actor=author, article=live, summary="Changed", category="Cards / Fees", note="clearer"
    )
    live.refresh_from_db()
    assert live.summary == "Shorter" and live.revision_number == revision.number
    with pytest.raises(PermissionDenied):
        services.article_publish(actor=author, article=live)
    live = services.article_publish(actor=editor, article=live)
    assert live.summary == "Changed" and live.category.path == "Cards / Fees"
    assert live.revision_number is None and live.status == Article.Status.PUBLISHED
    entry = AuditEntry.objects.filter(summary__contains="saved for review").get()
    assert entry.actor == author


def test_the_lead_is_the_summary_only_when_the_body_does_not_open_with_it(editor) -> None:
    assert make(editor).lead == ""  # the summary is the first paragraph: not shown twice
    own = make(editor, title="Own summary", summary="What to do at once.")
    assert own.lead == "What to do at once."


def test_restoring_a_version_of_a_published_article_waits_as_a_revision(
    editor, make_user, settings
) -> None:
    from ckm.core.roles import ROLE_PERMISSIONS

    article = make(editor)
    services.article_update(actor=editor, article=article, body_source="Call us first.")
    article = services.article_publish(actor=editor, article=article)
    live = article.version_number
    article = services.article_restore(actor=editor, article=article, number=1)
    # the live text and version stay until an editor publishes the revision
    assert article.status == "published" and article.version_number == live
    assert article.body_source == "Call us first."
    revision = selectors.article_revision(article)
    assert revision.body_source == "Block it **at once**."
    assert revision.note == "Restored version 1" and article.revision_number == revision.number
    # an author who may not publish restores the same way (no live change)
    settings.CKM_ROLE_PERMISSIONS = {
        "agent": [
            p for p in ROLE_PERMISSIONS["knowledge_editor"] if p != "knowledge.publish_article"
        ]
    }
    author = make_user("agent", username="author")
    services.article_restore(actor=author, article=article, number=1)
    article.refresh_from_db()
    assert article.body_source == "Call us first."
    article = services.article_publish(actor=editor, article=article)
    assert article.body_source == "Block it **at once**." and article.revision_number is None


def test_restoring_on_a_draft_makes_the_newest_version_at_once(editor) -> None:
    article = make(editor)
    services.article_update(actor=editor, article=article, body_source="Second text.")
    article = services.article_restore(actor=editor, article=article, number=1)
    assert article.status == "draft" and article.body_source == "Block it **at once**."
    assert article.version_number == 3 and article.revision_number is None


def test_a_next_review_before_today_is_refused_naming_the_field(editor) -> None:
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    with pytest.raises(ValidationError) as refused:
        make(editor, review_at=dt.date(1999, 1, 1))
    assert "review_at" in refused.value.message_dict
    assert not Article.objects.exists()
    article = make(editor, review_at=timezone.localdate())
    with pytest.raises(ValidationError):
        services.article_update(actor=editor, article=article, review_at=yesterday)
    article = services.article_publish(actor=editor, article=article)
    with pytest.raises(ValidationError):
        services.article_revise(actor=editor, article=article, review_at=yesterday)
    with pytest.raises(ValidationError):
        services.article_reviewed(actor=editor, article=article, next_review=yesterday)
    # an overdue article (its date has passed since) is still edited with its date unchanged
    Article.objects.filter(pk=article.pk).update(review_at=yesterday)
    article.refresh_from_db()
    article = services.article_update(
        actor=editor, article=article, body_source="New text.", review_at=yesterday
    )
    assert article.body_source == "New text." and article.review_at == yesterday


def test_the_slug_is_made_of_the_titles_words_not_its_markup(editor) -> None:
    article = make(editor, title="Card fees <script>alert(1)</script> <b>abroad</b>")
    assert article.slug == "card-fees-abroad"
    article = services.article_update(actor=editor, article=article, title="<i>Lost</i> & found")
    assert article.slug == "lost-found"
