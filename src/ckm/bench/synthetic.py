"""Synthetic customer data packages of any size, for the import and search benchmarks.

Not the demo (that lives in ckm.demo and reads like a bank): this writes many plausible rows fast,
streaming to disk, with a fixed seed."""

from __future__ import annotations

import csv
import datetime as dt
import random
from pathlib import Path

FIRST = [
    "Anna",
    "Ben",
    "Clara",
    "David",
    "Emma",
    "Felix",
    "Greta",
    "Hannah",
    "Jonas",
    "Jürgen",
    "Katrin",
    "Lena",
    "Lukas",
    "Marie",
    "Max",
    "Mia",
    "Noah",
    "Ole",
    "Paula",
    "Paul",
    "Sophie",
    "Tim",
    "Ulrike",
    "Zoë",
    "Élodie",
    "Søren",
    "Małgorzata",
    "Björn",
    "Ines",
    "Karim",
    "Aylin",
    "Mehmet",
    "Olga",
    "Piotr",
]
LAST = [
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Schulz",
    "Hoffmann",
    "Koch",
    "Richter",
    "Klein",
    "Wolf",
    "Schröder",
    "Neumann",
    "Schwarz",
    "Braun",
    "Zimmermann",
    "Krüger",
    "Hartmann",
    "Lange",
    "Werner",
    "Krause",
    "Lehmann",
    "Köhler",
    "Yılmaz",
    "Nowak",
    "Kowalski",
    "Jensen",
    "Dubois",
    "Rossi",
    "García",
    "Novák",
    "Öztürk",
    "Ivanova",
]
CITIES = ["Berlin", "Hamburg", "München", "Köln", "Frankfurt", "Leipzig", "Dresden", "Stuttgart"]
CHANNELS = ["phone", "email", "branch", "chat", "letter", "web"]
SUBJECTS = [
    "Card blocked",
    "Fees",
    "Transfer delayed",
    "Address change",
    "Mortgage rate",
    "App login",
]


def write_package(
    folder: Path, *, customers: int, interactions: int, seed: int = 7
) -> dict[str, int]:
    """Write customers.csv (+ products, holdings) and interactions.csv; returns row counts."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    (folder / "manifest.yaml").write_text(
        "name: synthetic\nas_of: 2026-10-31\ncolumns:\n  customers:\n    income: float\n    segment: category\n",
        encoding="utf-8",
    )
    with (folder / "products.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["product_id", "name", "family", "margin", "fee"])
        writer.writerows(
            [
                ["CUR", "Current account", "current_account", 0.01, 60],
                ["SAV", "Savings", "savings", 0.012, ""],
            ]
        )
    with (folder / "customers.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "customer_id",
                "kind",
                "first_name",
                "last_name",
                "email",
                "phone",
                "city",
                "country",
                "date_of_birth",
                "income",
                "segment",
            ]
        )
        for i in range(customers):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            born = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(0, 30_000))
            writer.writerow(
                [
                    f"C{i:07d}",
                    "person",
                    first,
                    last,
                    f"{first.lower()}.{last.lower()}.{i}@example.com",
                    f"+49 1{rng.randrange(50, 80)} {rng.randrange(1_000_000, 9_999_999)}",
                    rng.choice(CITIES),
                    "DE",
                    born.isoformat(),
                    round(rng.lognormvariate(10.6, 0.5), 2),
                    rng.choice(["mass", "affluent", "private"]),
                ]
            )
    with (folder / "holdings.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["customer_id", "product_id", "opened", "balance"])
        for i in range(customers):
            writer.writerow([f"C{i:07d}", "CUR", "2020-01-01", round(rng.uniform(-500, 8000), 2)])
    start = dt.datetime(2024, 11, 1, 8, 0)
    with (folder / "interactions.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "interaction_id",
                "customer_id",
                "occurred_at",
                "channel",
                "direction",
                "subject",
                "text",
                "outcome",
            ]
        )
        for j in range(interactions):
            moment = start + dt.timedelta(minutes=rng.randrange(0, 2 * 365 * 24 * 60))
            subject = rng.choice(SUBJECTS)
            writer.writerow(
                [
                    f"I{j:08d}",
                    f"C{rng.randrange(customers):07d}",
                    moment.isoformat(timespec="minutes"),
                    rng.choice(CHANNELS),
                    "inbound",
                    subject,
                    f"Customer called about {subject.lower()}; reference {rng.randrange(10**6)}. Explained next steps.",
                    rng.choice(["resolved", "information", "follow_up", ""]),
                ]
            )
    return {"customers": customers, "holdings": customers, "interactions": interactions}
