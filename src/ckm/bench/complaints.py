"""Complaints: CFPB narratives through the product's case import and learned triage, against
TF-IDF + logistic regression.

Both CFPB files become one customer data package (products.csv with the 5 consolidated product
classes of SOURCE.md, cases.csv with every narrative as a closed complaint, the issue as its
category) loaded by the real import. Product: the service app's classifier (TF-IDF words + chars,
MiniLM embeddings, channel and holdings, logistic regression) is trained on the earlier 80 % of the
multi-product file by date and tested on the latest 20 %. Issue: the same on the payday file.
Topics: the feedback app's topic discovery on the payday narratives, compared with the issue
labels (NMI, ARI). Latency: one case at a time through the classifier, as on arrival. The baseline
(TF-IDF + logistic regression with default settings) runs on the same splits in the same process."""

from __future__ import annotations

import csv
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ckm.bench.report import table

SAMPLE_FILE = "complaints_sample_2015_2020.csv.gz"
PAYDAY_FILE = "complaints_payday_2023.csv.gz"
# the 5 consolidated classes (SOURCE.md): legacy product names mapped as well
PRODUCT_CLASSES = {
    "Credit reporting, credit repair services, or other personal consumer reports": (
        "credit_reporting"
    ),
    "Credit reporting": "credit_reporting",
    "Debt collection": "debt_collection",
    "Mortgage": "mortgages_and_loans",
    "Student loan": "mortgages_and_loans",
    "Vehicle loan or lease": "mortgages_and_loans",
    "Payday loan, title loan, or personal loan": "mortgages_and_loans",
    "Payday loan": "mortgages_and_loans",
    "Consumer Loan": "mortgages_and_loans",
    "Credit card or prepaid card": "credit_card",
    "Credit card": "credit_card",
    "Prepaid card": "credit_card",
    "Checking or savings account": "retail_banking",
    "Bank account or service": "retail_banking",
    "Money transfer, virtual currency, or money service": "retail_banking",
    "Money transfers": "retail_banking",
    "Virtual currency": "retail_banking",
}
CLASS_NAMES = {
    "credit_reporting": "Credit reporting",
    "debt_collection": "Debt collection",
    "mortgages_and_loans": "Mortgages and loans",
    "credit_card": "Credit card",
    "retail_banking": "Retail banking",
}
TEST_SHARE = 0.2


def add_arguments(parser: Any) -> None:
    parser.add_argument(
        "--data", type=Path, default=Path("../shared/data/cfpb_complaints"), help="CFPB folder"
    )
    parser.add_argument(
        "--latency-cases", type=int, default=100, help="cases classified one at a time"
    )
    parser.add_argument(
        "--payday-limit",
        type=int,
        default=1200,
        help="use the latest N payday narratives for issue and topics (0: all 2,827)",
    )


def _read(path: Path, date_format: str) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame = frame[frame["Consumer complaint narrative"].str.strip() != ""].copy()
    frame["opened"] = pd.to_datetime(frame["Date received"], format=date_format)
    return frame


def write_package(data: Path, folder: Path, payday_limit: int = 0) -> dict[str, int]:
    """Both files as one customer data package (cases ids CFPB-<complaint id>)."""
    sample = _read(data / SAMPLE_FILE, "%Y/%m/%d")
    payday = _read(data / PAYDAY_FILE, "%m/%d/%y")
    if payday_limit:
        payday = payday.sort_values(["opened", "Complaint ID"]).tail(payday_limit)
    sample["product_id"] = sample["Product"].map(PRODUCT_CLASSES)
    payday["product_id"] = payday["Product"].map(PRODUCT_CLASSES)
    unmapped = sample["product_id"].isna().sum()
    sample = sample[sample["product_id"].notna()]
    with (folder / "products.csv").open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["product_id", "name", "family"])
        for key, name in CLASS_NAMES.items():
            writer.writerow([key, name, key])
    with (folder / "customers.csv").open("w", newline="", encoding="utf-8") as out:
        csv.writer(out).writerows(
            [["customer_id", "kind", "name"], ["CFPB", "organisation", "CFPB"]]
        )
    columns = ["case_id", "kind", "product_id", "opened_at", "subject", "text", "category"]
    columns += ["channel", "status", "closed_at"]
    with (folder / "cases.csv").open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(columns)
        for source, frame in (("S", sample), ("P", payday)):
            for complaint_id, product, opened, text, issue in zip(
                frame["Complaint ID"],
                frame["product_id"],
                frame["opened"],
                frame["Consumer complaint narrative"],
                frame["Issue"],
                strict=True,
            ):
                stamp = opened.strftime("%Y-%m-%dT12:00:00+00:00")
                writer.writerow(
                    [
                        f"CFPB-{source}{complaint_id}",
                        "complaint",
                        product,
                        stamp,
                        "",
                        text,
                        issue,
                        "portal",
                        "closed",
                        stamp,
                    ]
                )
    (folder / "manifest.yaml").write_text(
        "name: CFPB complaints (benchmark)\nas_of: 2024-01-01\n", encoding="utf-8"
    )
    return {"sample": len(sample), "payday": len(payday), "unmapped": int(unmapped)}


def _split(prefix: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Imported cases of one file, oldest first, cut at 80 % by date."""
    from ckm.service.models import Case

    rows: list[dict[str, Any]] = [
        dict(row)
        for row in Case.objects.filter(external_id__startswith=f"CFPB-{prefix}")
        .order_by("opened_at", "external_id")
        .values("subject", "body", "channel", "customer_id", "product__external_id", "category")
    ]
    cut = int(len(rows) * (1 - TEST_SHARE))
    return rows[:cut], rows[cut:]


class CachedEmbed:
    """Embeddings computed once per text (the trial and final fits share them) and kept on disk
    between runs (ckm.knowledge.embeddings cache)."""

    def __init__(self) -> None:
        self.cache: dict[str, np.ndarray] = {}
        self.seconds = 0.0

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        from ckm.knowledge.embeddings import embed

        missing = [t for t in dict.fromkeys(texts) if t not in self.cache]
        if missing:
            started = time.perf_counter()
            for text, vector in zip(missing, embed(missing, cache=True), strict=True):
                self.cache[text] = vector
            self.seconds += time.perf_counter() - started
        return np.stack([self.cache[t] for t in texts])


def _baseline(train: Sequence[Any], test: Sequence[Any], target: str) -> dict[str, float]:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, f1_score

    vectorizer = TfidfVectorizer()
    x = vectorizer.fit_transform([e.text for e in train])
    y = [getattr(e, target) for e in train]
    started = time.perf_counter()
    model = LogisticRegression(max_iter=3000).fit(x, y)
    seconds = time.perf_counter() - started
    predicted = model.predict(vectorizer.transform([e.text for e in test]))
    truth = [getattr(e, target) for e in test]
    return {
        "accuracy": round(float(accuracy_score(truth, predicted)), 4),
        "macro_f1": round(float(f1_score(truth, predicted, average="macro")), 4),
        "training_s": round(seconds, 2),
    }


def _product_run(
    train: Sequence[Any], test: Sequence[Any], target: str, embed: CachedEmbed
) -> dict[str, Any]:
    from dataclasses import replace

    from ckm.service.learning import classifier_fit, embedding_pieces, evaluate

    other = "category" if target == "product" else "product"
    train = [replace(e, **{other: ""}) for e in train]
    test = [replace(e, **{other: ""}) for e in test]
    # embeddings first: training time is the fit
    embed([piece for e in train for piece in embedding_pieces(e.text)])
    started = time.perf_counter()
    fitted = classifier_fit(train, embed=embed)
    training = time.perf_counter() - started
    metrics = evaluate(fitted, test, embed=embed)[target]
    choice = getattr(fitted.models.get(target), "choice", {})
    return {**metrics, "training_s": round(training, 2), "cv_choice": choice, "fitted": fitted}


def _latency(fitted: Any, examples: Sequence[Any], n: int) -> dict[str, float]:
    """One case at a time through features, embedding (uncached) and both models."""
    from ckm.knowledge.embeddings import embed

    samples = []
    for example in list(examples)[:n]:
        started = time.perf_counter()
        fitted.predict([example], embed)
        samples.append(time.perf_counter() - started)
    ordered = sorted(samples)
    return {
        "p50_ms": round(1000 * statistics.median(ordered), 1),
        "p95_ms": round(1000 * ordered[int(0.95 * (len(ordered) - 1))], 1),
        "n": len(ordered),
    }


def _topics(texts: Sequence[str], issues: Sequence[str], embed: CachedEmbed) -> dict[str, Any]:
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    from ckm.service.learning import EMBED_CHARS

    vectors = embed([t[:EMBED_CHARS] for t in texts])
    discover_topics: Any
    try:
        from ckm.feedback.topics import discover_topics
    except ImportError:
        discover_topics = None
    started = time.perf_counter()
    if discover_topics is not None:
        result = discover_topics(list(texts), embeddings=vectors)
        labels = np.asarray(result.labels)
        method, k = "ckm.feedback.topics.discover_topics", int(result.k)
    else:
        from sklearn.cluster import KMeans

        k = len(set(issues))
        labels = KMeans(n_clusters=k, n_init=5, random_state=42).fit_predict(vectors)
        method = "k-means over embeddings (feedback topics not available)"
    return {
        "method": method,
        "k": k,
        "nmi": round(float(normalized_mutual_info_score(issues, labels)), 4),
        "ari": round(float(adjusted_rand_score(issues, labels)), 4),
        "seconds": round(time.perf_counter() - started, 2),
    }


def run(*, data: Path, latency_cases: int = 100, payday_limit: int = 1200) -> dict[str, Any]:
    from ckm.bench.churn import import_package
    from ckm.service.services.classify import examples_of

    data = data.resolve()
    with tempfile.TemporaryDirectory(prefix="ckm-bench-complaints-") as tmp:
        counts = write_package(data, Path(tmp), payday_limit)
        imported = import_package(Path(tmp))
    print(f"imported {imported['files']} in {imported['seconds']} s")
    embed = CachedEmbed()
    results: dict[str, Any] = {"import": imported, "rows": counts}
    rows = []
    for name, prefix, target in (("product", "S", "product"), ("issue", "P", "category")):
        train_rows, test_rows = _split(prefix)
        train, test = examples_of(train_rows), examples_of(test_rows)
        ours = _product_run(train, test, target, embed)
        fitted = ours.pop("fitted")
        base = _baseline(train, test, target)
        latency = _latency(fitted, test, latency_cases) if name == "product" else None
        results[name] = {
            "n_train": len(train),
            "n_test": len(test),
            "classes": len({getattr(e, target) for e in train}),
            "ckm": ours,
            "baseline_tfidf_lr": base,
            **({"latency": latency} if latency else {}),
        }
        rows.append(
            [
                name,
                len(train),
                len(test),
                ours["accuracy"],
                ours["macro_f1"],
                base["accuracy"],
                base["macro_f1"],
                ours["training_s"],
            ]
        )
    print(
        table(
            rows,
            ["target", "train", "test", "acc", "macro-F1", "base acc", "base F1", "train s"],
            title="\ncase classification, latest 20 % by date held out",
        )
    )
    payday_train, payday_test = _split("P")
    payday = payday_train + payday_test
    topics = _topics(
        [f"{r['subject']}\n{r['body']}".strip() for r in payday],
        [r["category"] for r in payday],
        embed,
    )
    results["topics"] = topics
    latency = results["product"]["latency"]
    print(
        f"\ntopics on the payday file ({topics['method']}): k={topics['k']}, "
        f"NMI {topics['nmi']}, ARI {topics['ari']}"
    )
    print(f"per-case latency: p50 {latency['p50_ms']} ms, p95 {latency['p95_ms']} ms")
    print(f"embedding time (all texts, once): {embed.seconds:.0f} s")
    return {
        **results,
        "product_macro_f1": results["product"]["ckm"]["macro_f1"],
        "product_accuracy": results["product"]["ckm"]["accuracy"],
        "baseline_macro_f1": results["product"]["baseline_tfidf_lr"]["macro_f1"],
        "baseline_accuracy": results["product"]["baseline_tfidf_lr"]["accuracy"],
        "issue_macro_f1": results["issue"]["ckm"]["macro_f1"],
        "issue_baseline_macro_f1": results["issue"]["baseline_tfidf_lr"]["macro_f1"],
        "topic_nmi": topics["nmi"],
        "topic_ari": topics["ari"],
        "training_s": results["product"]["ckm"]["training_s"],
        "embedding_s": round(embed.seconds, 1),
        "p95_ms": latency["p95_ms"],
    }
