"""Factories for knowledge: categories and articles (published through the real service when the
test is about behaviour; these are for the data around it)."""

from __future__ import annotations

import factory
from django.utils import timezone

from ckm.knowledge import content
from ckm.knowledge.models import Article, Category


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("path",)

    name = factory.Sequence(lambda n: f"Topic {n}")
    slug = factory.LazyAttribute(lambda o: o.name.lower().replace(" ", "-"))
    path = factory.LazyAttribute(lambda o: o.name)


class ArticleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Article

    title = factory.Sequence(lambda n: f"Article {n}")
    slug = factory.Sequence(lambda n: f"article-{n}")
    summary = "A short summary."
    body_source = "Some **body** text."
    body_html = factory.LazyAttribute(lambda o: content.markdown_to_html(o.body_source))
    body_text = factory.LazyAttribute(lambda o: content.plain_text(o.body_html))
    audience = Article.Audience.INTERNAL
    status = Article.Status.PUBLISHED
    published_at = factory.LazyFunction(timezone.now)
