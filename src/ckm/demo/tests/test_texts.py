import random

from ckm.demo import texts
from ckm.demo.articles import ARTICLES
from ckm.demo.intents import INTENTS
from ckm.demo.ledger import LedgerResult
from ckm.demo.population import population_build
from ckm.demo.slots import slot_makers

from .conftest import AS_OF


def test_render_fills_slots_alternatives_and_optional_parts():
    rng = random.Random(1)
    slots = texts.SlotBag({"amount": lambda: "€12.50"})
    seen = {
        texts.render("I paid {amount}{? twice} at {REWE|EDEKA}.", rng, slots) for _ in range(40)
    }
    assert seen == {
        "I paid €12.50 at REWE.",
        "I paid €12.50 twice at REWE.",
        "I paid €12.50 at EDEKA.",
        "I paid €12.50 twice at EDEKA.",
    }


def test_a_slot_keeps_its_value_within_one_message():
    rng = random.Random(3)
    slots = texts.SlotBag({"amount": lambda: str(rng.random())})
    text = texts.render("{amount} and again {amount}", rng, slots)
    first, second = text.split(" and again ")
    assert first == second


def test_every_intent_template_renders_with_the_slots_the_generator_offers():
    rng = random.Random(5)
    customer = population_build(count=5, rng=rng, as_of=AS_OF)[0]
    ledger = LedgerResult(holdings=[])
    import datetime as dt

    when = dt.datetime(2026, 3, 1, 10, 0)
    for intent in INTENTS:
        for template in intent.subjects + intent.messages + intent.notes + intent.resolutions:
            slots = texts.SlotBag(slot_makers(customer, ledger, rng, when, intent.family))
            rendered = texts.render(template, rng, slots)
            assert "{" not in rendered and "}" not in rendered, (intent.code, template)


def test_each_intent_reads_many_different_ways():
    rng = random.Random(11)
    customer = population_build(count=5, rng=rng, as_of=AS_OF)[0]
    import datetime as dt

    when = dt.datetime(2026, 3, 1, 10, 0)
    for intent in INTENTS:
        messages = set()
        for _ in range(60):
            slots = texts.SlotBag(
                slot_makers(customer, LedgerResult(holdings=[]), rng, when, intent.family)
            )
            body = texts.render(rng.choice(intent.messages), rng, slots)
            messages.add(
                texts.message(
                    rng=rng,
                    channel="email",
                    body=body,
                    slots=slots,
                    first_name="Anna",
                    last_name="Weiß",
                    roughness=0.1,
                )
            )
        assert len(messages) >= 40, intent.code


def test_every_intent_category_has_a_help_article():
    categories = {article.category for article in ARTICLES}
    assert {intent.category for intent in INTENTS} <= categories
    assert len({a.article_id for a in ARTICLES}) == len(ARTICLES) >= 40
    assert {a.audience for a in ARTICLES} == {"internal", "public"}


def test_roughen_changes_some_messages_but_not_all():
    rng = random.Random(2)
    text = "Please block my card immediately because somebody stole my wallet yesterday"
    results = [texts.roughen(text, rng, 0.1) for _ in range(200)]
    changed = sum(r != text for r in results)
    assert 20 < changed < 180
