"""Finding customers recorded twice (identity resolution), on a bank whose duplicates are known.

The demo bank's population (households whose partners share a surname, an address and often an
e-mail address; children named after a parent) gets second records for a share of its persons,
written the way branches and call centres write them: a mistyped surname, a nickname or misspelt
first name, a new address after a move, the phone number written another way, e-mail or address
left out. The customers go through the real import; then the product's duplicate search runs
(services.duplicates_find: splink, blocking and the household guard) and, in the same process,
the baseline a CRM ships as its standard matching rule: same e-mail, or same phone, or same name
and date of birth. Both are scored against the known pairs: precision, recall, F1, and time.

With --learn N, a data steward then works down the proposals, most probable first, merging the
true pairs and keeping the others apart until N merges are made (the real merge service), and the
search runs again: it now learns from those merges how this bank's duplicates differ. The first
and the second search are scored on the pairs nobody has decided yet."""

from __future__ import annotations

import csv
import datetime as dt
import random
import tempfile
import time
from collections import defaultdict
from dataclasses import replace
from itertools import combinations
from pathlib import Path
from typing import Any

from ckm.bench.report import table


def add_arguments(parser: Any) -> None:
    parser.add_argument("--customers", type=int, default=20_000, help="customers before twins")
    parser.add_argument(
        "--share", type=float, default=0.03, help="share of persons recorded a second time"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--learn",
        type=int,
        default=0,
        metavar="N",
        help="merge the first N true proposals, then search again learning from the merges",
    )


def _write(folder: Path, customers: list[Any]) -> None:
    from ckm.demo.generator import CUSTOMER_COLUMNS, customer_row

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "manifest.yaml").write_text("name: linkage benchmark\n", encoding="utf-8")
    with (folder / "customers.csv").open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(CUSTOMER_COLUMNS)
        for c in customers:
            # no users in the scratch database: nobody owns a customer
            out.writerow(customer_row(replace(c, owner=""), status="active", last_login=None))


def _baseline() -> set[tuple[int, int]]:
    """Same e-mail, or same phone number (its last nine digits, as the product compares them),
    or same name and date of birth."""
    from ckm.customers import keys
    from ckm.customers.models import ContactPoint, Customer
    from ckm.customers.services.identity import phone_key

    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    points = ContactPoint.objects.filter(kind__in=("email", "phone", "mobile"))
    for customer_id, kind, value in points.values_list("customer_id", "kind", "value"):
        key = keys.contact_key("email", value) if kind == "email" else phone_key(value)
        if key:
            groups[("email" if kind == "email" else "phone", key)].append(customer_id)
    rows = Customer.objects.filter(date_of_birth__isnull=False)
    for customer_id, name_key, born in rows.values_list("id", "name_key", "date_of_birth"):
        groups[("name+dob", f"{name_key}|{born}")].append(customer_id)
    pairs: set[tuple[int, int]] = set()
    for members in groups.values():
        for a, b in combinations(sorted(set(members)), 2):
            pairs.add((a, b))
    return pairs


def _score(found: set[tuple[int, int]], truth: set[tuple[int, int]]) -> dict[str, float]:
    hits = len(found & truth)
    precision = hits / len(found) if found else 0.0
    recall = hits / len(truth) if truth else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "pairs": len(found),
        "true_pairs_found": hits,
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
    }


def run(*, customers: int, share: float, seed: int, learn: int = 0) -> dict[str, Any]:
    from ckm.core.services import import_run, import_start
    from ckm.customers.models import Customer, DuplicatePair
    from ckm.customers.services import duplicates_find
    from ckm.demo.duplicates import duplicates_make
    from ckm.demo.population import population_build

    rng = random.Random(seed)
    population = population_build(count=customers, rng=rng, as_of=dt.date(2026, 10, 31))
    made = duplicates_make(population, random.Random(f"{seed}:twins"), share=share)
    twins = [twin for _, twin in made]
    with tempfile.TemporaryDirectory(prefix="ckm-bench-linkage-") as tmp:
        _write(Path(tmp), population + twins)
        started = time.perf_counter()
        run_ = import_run(run_id=import_start(user=None, source=Path(tmp), enqueue=False).pk)
        import_s = time.perf_counter() - started
    ids = dict(Customer.objects.values_list("external_id", "id"))
    truth_pairs = {
        (min(pair), max(pair))
        for pair in ((ids[o.customer_id], ids[t.customer_id]) for o, t in made)
    }

    started = time.perf_counter()
    result = duplicates_find()
    product_s = time.perf_counter() - started

    product = set(DuplicatePair.objects.values_list("customer_id", "other_id"))
    started = time.perf_counter()
    baseline = _baseline()
    baseline_s = time.perf_counter() - started

    probability = dict(
        ((a, b), p)
        for a, b, p in DuplicatePair.objects.values_list("customer_id", "other_id", "probability")
    )
    curve = []
    for cut in (0.5, 0.8, 0.9, 0.95, 0.99):
        kept = {pair for pair, p in probability.items() if p >= cut}
        curve.append({"threshold": cut, **_score(kept, truth_pairs)})
    scores = {
        "product": {**_score(product, truth_pairs), "seconds": round(product_s, 2)},
        "baseline_rules": {**_score(baseline, truth_pairs), "seconds": round(baseline_s, 2)},
    }
    print(
        f"\n{len(population):,} customers + {len(twins):,} second records imported in "
        f"{import_s:.0f} s ({run_.status}); {result['compared']:,} candidate pairs compared"
    )
    print(
        table(
            [
                [
                    name,
                    s["pairs"],
                    s["true_pairs_found"],
                    s["precision"],
                    s["recall"],
                    s["f1"],
                    s["seconds"],
                ]
                for name, s in (
                    ("product (splink + household guard)", scores["product"]),
                    ("baseline: same e-mail | phone | name+dob", scores["baseline_rules"]),
                )
            ],
            ["method", "pairs", "true", "precision", "recall", "F1", "seconds"],
            title=f"\nduplicates among {len(population) + len(twins):,} customers "
            f"({len(truth_pairs):,} known pairs)",
        )
    )
    learned = _learn(learn, probability, truth_pairs) if learn else {}
    for label, pairs in (
        ("missed", truth_pairs - product),
        ("wrongly paired", product - truth_pairs),
    ):
        if pairs:
            print(f"\n{label} ({len(pairs)}), e.g.:")
            by_id = Customer.objects.in_bulk({i for p in pairs for i in p})
            for a, b in sorted(pairs)[:6]:
                print(f"  {_shown(by_id[a])}\n  {_shown(by_id[b])}\n")
    return {
        "customers": len(population) + len(twins),
        "known_pairs": len(truth_pairs),
        "compared": result["compared"],
        "learned": result["learned"],
        "import_s": round(import_s, 1),
        "precision": scores["product"]["precision"],
        "recall": scores["product"]["recall"],
        "f1": scores["product"]["f1"],
        "baseline_f1": scores["baseline_rules"]["f1"],
        "by_threshold": curve,
        **scores,
        **learned,
    }


def _learn(
    merges: int, probability: dict[tuple[int, int], float], truth: set[tuple[int, int]]
) -> dict[str, Any]:
    """A steward merges the first `merges` true proposals (keeping false ones apart on the way),
    then the search runs again, learning from the merges; both searches are scored on the pairs
    left to decide."""
    from django.contrib.auth import get_user_model

    from ckm.customers.models import DuplicatePair
    from ckm.customers.services import customer_merge, duplicate_dismiss, duplicates_find

    steward = get_user_model().objects.create(username="steward", is_superuser=True)
    decided: set[int] = set()
    made = 0
    started = time.perf_counter()
    for pair in DuplicatePair.objects.order_by("-probability", "id"):
        if made >= merges:
            break
        if pair.customer_id in decided or pair.other_id in decided:
            continue
        if (pair.customer_id, pair.other_id) in truth:
            customer_merge(actor=steward, customer_id=pair.customer_id, other_id=pair.other_id)
            made += 1
        else:
            duplicate_dismiss(actor=steward, pair_id=pair.pk)
        decided |= {pair.customer_id, pair.other_id}
    steward_s = time.perf_counter() - started
    started = time.perf_counter()
    result = duplicates_find()
    second_s = time.perf_counter() - started

    def undecided(pairs: Any) -> set[tuple[int, int]]:
        return {p for p in pairs if p[0] not in decided and p[1] not in decided}

    left = undecided(truth)
    open_pairs = DuplicatePair.objects.filter(status=DuplicatePair.Status.OPEN)
    before = _score(undecided(probability), left)
    after = _score(undecided(open_pairs.values_list("customer_id", "other_id")), left)
    print(
        table(
            [
                [name, s["pairs"], s["true_pairs_found"], s["precision"], s["recall"], s["f1"]]
                for name, s in (("m as set (PRIORS)", before), ("m learned from merges", after))
            ],
            ["search", "pairs", "true", "precision", "recall", "F1"],
            title=f"\nafter {made} merges ({len(decided) // 2 - made} pairs kept apart on the way, "
            f"{steward_s:.0f} s): the {len(left):,} pairs left to decide",
        )
    )
    return {
        "merges": made,
        "merges_learned_from": result["merges_learned_from"],
        "before_learning": before,
        "after_learning": {**after, "seconds": round(second_s, 2)},
        "f1_before_learning": before["f1"],
        "f1_after_learning": after["f1"],
    }


def _shown(customer: Any) -> str:
    contacts = ", ".join(customer.contact_points.values_list("value", flat=True))
    return (
        f"{customer.external_id} {customer.display_name} | {customer.date_of_birth} | "
        f"{customer.address} {customer.postcode} | {contacts}"
    )
