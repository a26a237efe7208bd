"""Browser journeys of knowledge, in Chromium: an editor uploads a Word document with a hidden
script and publishes it (no script runs or survives); an agent finds it by a paraphrase; a customer
finds it on the public portal without logging in; the editor sees it on the usage charts."""

from __future__ import annotations

import pytest

from ckm.knowledge.tests.docx import docx_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DOCX = docx_bytes(
    title="Card payments abroad",
    heading="What it costs",
    paragraphs=[
        "Paying by card outside the euro area costs 1.5 % of the amount; cash machines abroad charge 2 %.",
        "<script>document.title='pwned'</script>",
    ],
    hidden="<img src=x onerror=\"document.title='pwned'\"><script>alert('hidden')</script>",
    link=("javascript:alert('link')", "More about fees"),
)


def test_editor_uploads_docx_agent_finds_paraphrase_customer_finds_it_on_portal(
    browser_login, page, editor, agent
) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

    # the editor uploads the Word document and publishes it
    browser_login("editor")
    page.goto(f"{page.base}/knowledge/upload/")
    page.set_input_files(
        "#id_file",
        files=[
            {
                "name": "fees-abroad.docx",
                "mimeType": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                "buffer": DOCX,
            }
        ],
    )
    page.fill("#id_title", "Card payments abroad")
    page.fill("#id_category", "Cards / Abroad")
    page.select_option("#id_audience", "public")
    page.click("#upload-form button[type=submit]")
    page.wait_for_selector("h1:has-text('Card payments abroad')")
    page.click("#publish-form button[type=submit]")
    page.wait_for_selector(".message-success:has-text('Published')")
    body = page.inner_html("#article-body")
    assert "What it costs" in page.inner_text("#article-body")
    assert page.locator("#article-body script").count() == 0
    assert page.locator("#article-body [onerror]").count() == 0
    assert "javascript:" not in body
    assert page.title() != "pwned" and dialogs == []
    page.click("form[action='/logout/'] button")

    # vectors are computed by a background task after the commit; run it now
    from ckm.knowledge.services import articles_embed

    articles_embed()
    from ckm.knowledge.search import semantic_index_clear

    semantic_index_clear()

    # an agent asks in other words and finds it
    browser_login("agent")
    page.goto(f"{page.base}/knowledge/")
    page.fill("#kb-q", "what do I pay for using my debit card on holiday in the USA")
    page.wait_for_selector("#kb-results :text('for “what do I pay')", timeout=30_000)
    first = page.locator("#kb-results .kb-hit a.kb-title").first
    assert first.inner_text() == "Card payments abroad"
    first.click()
    page.wait_for_selector("h1:has-text('Card payments abroad')")
    page.click("#vote-box button[value=yes]")
    page.wait_for_selector("#vote-box .message-success")
    page.click("form[action='/logout/'] button")

    # a customer finds it on the public portal, without logging in
    page.context.clear_cookies()
    page.goto(f"{page.base}/portal/")
    assert page.url == f"{page.base}/portal/"
    page.fill("#portal-q", "fees abroad card")
    page.wait_for_selector("#portal-results :text('for “fees abroad card”')", timeout=30_000)
    page.locator("#portal-results a.kb-title", has_text="Card payments abroad").click()
    page.wait_for_selector("h1:has-text('Card payments abroad')")
    assert page.locator("#article-body script").count() == 0
    page.click("#portal-vote button[value=yes]")
    page.wait_for_selector("#portal-vote .message-success")
    assert dialogs == []

    # the editor sees it on the usage charts, and can narrow them to the article
    page.context.clear_cookies()
    browser_login("editor")
    page.goto(f"{page.base}/knowledge/usage/")
    assert page.locator("svg[aria-label='Views and searches per week']").count() == 1
    page.locator("a", has_text="Card payments abroad").first.click()
    page.wait_for_selector("#usage-scope:has-text('Card payments abroad')")
    this_week = page.locator("#usage-table tbody tr").last.inner_text()
    # both searches led to it, both votes were "yes", the visitor did not write to us
    assert this_week.count("100 %") == 3
    from ckm.knowledge.models import SearchQuery

    assert SearchQuery.objects.filter(where="portal", clicked_article__isnull=False).exists()


def test_editor_writes_with_live_preview(browser_login, page, editor) -> None:
    browser_login("editor")
    page.goto(f"{page.base}/knowledge/new/")
    page.fill("#id_title", "Changing your PIN")
    page.fill("#id_body_source", "## Steps\n\n1. Open the app\n\n<script>alert(1)</script>")
    page.wait_for_selector("#preview h2:has-text('Steps')")
    assert page.locator("#preview script").count() == 0
    page.click("#article-form button[type=submit]")
    page.wait_for_selector("h1:has-text('Changing your PIN')")
    assert page.locator(".badge.status-draft").count() == 1


def test_editor_revises_a_published_article_while_it_stays_live(
    browser_login, page, editor
) -> None:
    from ckm.knowledge import services
    from ckm.knowledge.models import Article

    article = services.article_create(
        actor=editor, title="Card limits", body_source="The daily limit is 1,000 EUR."
    )
    services.article_publish(actor=editor, article=article)
    browser_login("editor")
    page.goto(f"{page.base}/knowledge/a/{article.slug}/edit/")
    page.fill("#id_body_source", "The daily limit is 2,000 EUR from January.")
    page.click("[data-testid=save-revision]")
    page.wait_for_selector("[data-testid=revision-waiting]")
    assert "1,000 EUR" in page.inner_text("main")  # the reader still sees the published text
    page.click("text=What changes")
    page.wait_for_selector(":text('2,000 EUR')")
    page.go_back()
    page.click("[data-testid=publish-revision]")
    page.wait_for_selector(":text('2,000 EUR from January')")
    assert page.locator("[data-testid=revision-waiting]").count() == 0
    assert Article.objects.get(pk=article.pk).body_source.startswith("The daily limit is 2,000")


def test_versions_fit_at_1440_and_restoring_a_published_article_asks_first(
    browser_login, page, editor
) -> None:
    from ckm.knowledge import services
    from ckm.knowledge.models import Article

    article = services.article_create(
        actor=editor, title="Card limits", body_source="The daily limit is 1,000 EUR."
    )
    services.article_update(
        actor=editor,
        article=article,
        body_source="The daily limit is 2,000 EUR.",
        note="New limit agreed with the card team after the review in November",
    )
    article = services.article_publish(actor=editor, article=article)
    page.set_viewport_size({"width": 1440, "height": 900})
    browser_login("editor")
    page.goto(f"{page.base}/knowledge/a/{article.slug}/versions/")
    wrap = page.locator(".table-wrap").first
    assert wrap.evaluate("e => e.scrollWidth <= e.clientWidth"), "the table scrolls sideways"
    restore = page.locator("button[form=restore-1]")
    assert restore.is_visible() and restore.bounding_box()["x"] + 40 < 1440
    asked: list[str] = []
    page.once("dialog", lambda d: (asked.append(d.message), d.dismiss()))
    restore.click()
    page.wait_for_timeout(300)
    assert asked and "revision for review" in asked[0]
    assert Article.objects.get(pk=article.pk).revision_number is None  # dismissed: nothing
    page.once("dialog", lambda d: d.accept())
    restore.click()
    page.wait_for_selector("[data-testid=revision-waiting]")
    assert "2,000 EUR" in page.inner_text("#article-body")  # still live
    assert Article.objects.get(pk=article.pk).revision_number == 4
