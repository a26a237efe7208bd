"""Finding customers recorded twice: probabilistic record linkage (Fellegi–Sunter, via splink on
an in-process DuckDB) over names, date of birth, e-mail, phone and address.

Blocking keeps the comparisons few: only records that share an e-mail, a phone number, a surname
and date of birth, a first name and date of birth, a surname and postcode, a whole name, or an
address are compared, and a key shared by very many records is not used. Each
compared pair gets a match weight per comparison (agree, nearly agree, disagree, missing), and the
weights add up to the probability that the two records are the same customer. How often two
different customers agree on a field (u) is learned from the firm's own records by random
sampling when there are enough of them; how often a true duplicate does (m) starts as set in
PRIORS and learns from the merges people made (learn_m): each merge is a pair known to be one
customer, and how its two records differed is how this firm's duplicates differ.

The model treats the comparisons as independent, which a household breaks: partners share a
surname, an address and often an e-mail address, a son may carry his father's first name. So
two persons whose first names clearly differ, or whose dates of birth are both known and more
than a year apart (and not one mistyped digit), are never proposed, however much else they
share; nor are two records that share nothing but a name, or a person and an organisation.
Pure: no database; the services feed records in and store the pairs."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

# below this many records u is not estimated and names count the same however common they
# are: the priors are used as they are
TRAIN_MIN_RECORDS = 2000
THRESHOLD = 0.5
SEED = 42
FIELDS = ("first_name", "last_name", "date_of_birth", "email", "phone", "street", "postcode")
COMPARISONS = ("first_name", "last_name", "date_of_birth", "email", "phone", "address")
# records are compared only when they share one of these (blocking); a key shared by more than
# MAX_BLOCK records is not used
BLOCKS: dict[str, tuple[str, ...]] = {
    "block_email": ("email",),
    "block_phone": ("phone",),
    "block_last_born": ("last_name", "date_of_birth"),
    "block_first_born": ("first_name", "date_of_birth"),
    "block_last_postcode": ("last_name", "postcode"),
    "block_name": ("first_name", "last_name"),
    "block_address": ("postcode", "street"),
}
MAX_BLOCK = 50
# before any comparison: about this share of the records have a twin, so the chance that two
# records picked at random are one customer is 2 * share / (n - 1) among n records
DUPLICATE_SHARE = 0.02
# per comparison, by level from the top (exact first, "anything else" last): how often the two
# records of a true duplicate reach the level (m) and how often two different customers do (u).
# m stays as set here: true duplicates are rare and unlabelled, and expectation maximisation on
# such data learns households (same surname, same address) instead of duplicates.
PRIORS: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = {
    "first_name": ((0.88, 0.06, 0.04, 0.02), (0.02, 0.01, 0.03, 0.94)),
    "last_name": ((0.85, 0.08, 0.04, 0.03), (0.003, 0.005, 0.02, 0.972)),
    "date_of_birth": ((0.9, 0.06, 0.015, 0.015, 0.01), (0.0001, 0.0005, 0.002, 0.03, 0.9674)),
    "email": ((0.6, 0.15, 0.25), (0.0001, 0.002, 0.9979)),
    "phone": ((0.6, 0.4), (0.0001, 0.9999)),
    "address": ((0.6, 0.1, 0.05, 0.25), (0.0005, 0.0005, 0.01, 0.989)),
}
# how firmly PRIORS' m holds against the merges: as if this many confirmed pairs had agreed as
# PRIORS says; 50 merges move m halfway to what they show
PRIOR_PAIRS = 50
M = Mapping[str, Sequence[float]]  # m by comparison, levels from the top
# what a level means to a person, in the same order
_LEVEL_WORDS = {
    "first_name": ("same", "similar", "similar", "different"),
    "last_name": ("same", "similar", "similar", "different"),
    "date_of_birth": ("same", "one digit apart", "within a month", "within a year", "different"),
    "email": ("same", "similar", "different"),
    "phone": ("same", "different"),
    "address": ("same", "same postcode, similar street", "same postcode", "different"),
}


@dataclass(frozen=True)
class Record:
    """One customer as linkage sees it: folded keys, "" when unknown."""

    id: int
    kind: str = "person"
    first_name: str = ""
    last_name: str = ""  # an organisation's name
    date_of_birth: str = ""  # ISO date
    email: str = ""
    phone: str = ""  # digits without trunk or international prefix
    street: str = ""
    postcode: str = ""


@dataclass(frozen=True)
class Pair:
    left_id: int
    right_id: int
    probability: float
    weight: float
    evidence: dict[str, str] = field(default_factory=dict)  # comparison -> agreement in words


@dataclass(frozen=True)
class Linkage:
    pairs: list[Pair]
    records: int
    compared: int
    trained: bool
    seconds: float


def prior(records: int) -> float:
    """The chance that two records picked at random are the same customer."""
    return min(0.01, 2 * DUPLICATE_SHARE / max(1, records - 1))


def _settings(
    *,
    frequencies: bool,
    records: int,
    m: M | None = None,
    blocks: Sequence[str] = tuple(BLOCKS),
) -> Any:
    """The model. With `frequencies`, agreeing on a common name or a shared e-mail counts less
    than on a rare one (splink's term frequency adjustment; meaningless on a handful of records).
    `m` replaces PRIORS' m where given."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    def exact(column: str) -> Any:
        level = cll.ExactMatchLevel(column)
        return level.configure(tf_adjustment_column=column) if frequencies else level

    def similar(column: str, *thresholds: float) -> Any:
        return cl.CustomComparison(
            output_column_name=column,
            comparison_levels=[
                cll.NullLevel(column),
                exact(column),
                *(cll.JaroWinklerLevel(column, t) for t in thresholds),
                cll.ElseLevel(),
            ],
        )

    # street and postcode in one comparison: they agree together (a household's members too),
    # so counting them as two independent agreements would double the evidence
    address = cl.CustomComparison(
        output_column_name="address",
        comparison_levels=[
            cll.NullLevel("postcode"),
            cll.And(cll.ExactMatchLevel("postcode"), cll.ExactMatchLevel("street")),
            cll.And(cll.ExactMatchLevel("postcode"), cll.JaroWinklerLevel("street", 0.9)),
            cll.ExactMatchLevel("postcode"),
            cll.ElseLevel(),
        ],
    )
    comparisons = [
        similar("first_name", 0.92, 0.85),
        similar("last_name", 0.92, 0.85),
        cl.DateOfBirthComparison(
            "date_of_birth",
            input_is_string=True,
            datetime_thresholds=[1, 1],
            datetime_metrics=["month", "year"],
        ),
        similar("email", 0.88),
        cl.ExactMatch("phone"),
        address,
    ]
    for name, comparison in zip(COMPARISONS, comparisons, strict=True):
        prior_m, u = PRIORS[name]
        levels = (m or {}).get(name) or prior_m
        comparison.configure(m_probabilities=list(levels), u_probabilities=list(u))
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="id",
        probability_two_random_records_match=prior(records),
        blocking_rules_to_generate_predictions=[block_on(key) for key in blocks],
        comparisons=comparisons,
        retain_intermediate_calculation_columns=True,
    )


def _frame(records: Sequence[Record]) -> Any:
    """The records as splink reads them, with one column per blocking key; a key shared by more
    than MAX_BLOCK records (a shared mailbox, a branch's phone number, a block of flats, a common
    name without a date of birth) is left out of blocking, or it alone would make n² pairs."""
    import pandas as pd

    rows = []
    for r in records:
        row: dict[str, Any] = {
            "id": r.id,
            "kind": r.kind,
            **{name: getattr(r, name) or None for name in FIELDS},
        }
        if r.kind != "person" and r.last_name:
            # an organisation's name stands in the surname's place, marked so that it never
            # agrees with a person's surname
            row["last_name"] = f"org {r.last_name}"
        for key, parts in BLOCKS.items():
            values = [row[part] for part in parts]
            row[key] = "|".join(values) if all(values) else None
        rows.append(row)
    frame = pd.DataFrame(rows, columns=["id", "kind", *FIELDS, *BLOCKS])
    for key in BLOCKS:
        sizes = frame[key].map(frame[key].value_counts())
        frame.loc[sizes > MAX_BLOCK, key] = None
    return frame


def _plausible(evidence: dict[str, str]) -> bool:
    """Whether a pair can be one customer: not two members of a household (first names that
    differ, or dates of birth years apart), and more in common than a name."""
    if evidence["first_name"] == "different" or evidence["date_of_birth"] == "different":
        return False
    beyond_name = ("date_of_birth", "email", "phone", "address")
    return any(evidence[name] not in ("missing", "different") for name in beyond_name)


def _level(gamma: Any) -> int | None:
    """splink's level number, counted from the bottom (0 = anything else); None when missing."""
    if gamma is None or (isinstance(gamma, float) and math.isnan(gamma)) or int(gamma) < 0:
        return None
    return int(gamma)


def _words(name: str, gamma: Any) -> str:
    level = _level(gamma)
    if level is None:
        return "missing"
    words = _LEVEL_WORDS[name]
    # splink numbers levels from the bottom (0 = anything else); ours read from the top
    position = len(words) - 1 - level
    return words[max(0, min(position, len(words) - 1))]


def learn_m(
    confirmed: Sequence[tuple[Record, Record]], *, prior_pairs: float = PRIOR_PAIRS
) -> dict[str, tuple[float, ...]]:
    """How often the two records of a true duplicate reach each level, learned from pairs people
    confirmed as one customer (their merges) and blended with PRIORS as if `prior_pairs` pairs had
    agreed as PRIORS says. A comparison missing on a pair (no e-mail on one side) teaches nothing
    about it. Each level keeps some weight, so no level ever rules a pair out."""
    counts = {name: [0.0] * len(PRIORS[name][0]) for name in COMPARISONS}
    if confirmed:
        from splink import DuckDBAPI, Linker

        logging.getLogger("splink").setLevel(logging.ERROR)
        records = [
            replace(record, id=2 * index + side)
            for index, pair in enumerate(confirmed)
            for side, record in enumerate(pair)
        ]
        frame = _frame(records)
        frame["pair"] = [r.id // 2 for r in records]  # each record compared with its twin only
        settings = _settings(frequencies=False, records=len(records), blocks=("pair",))
        linker = Linker(DuckDBAPI().register(frame), settings, log_level=None)
        table = linker.inference.predict().as_pandas_dataframe()
        for name in COMPARISONS:
            top = len(counts[name]) - 1
            for gamma in table[f"gamma_{name}"]:
                level = _level(gamma)
                if level is not None:
                    counts[name][top - min(level, top)] += 1
    learned = {}
    for name in COMPARISONS:
        seen = sum(counts[name])
        prior_m = PRIORS[name][0]
        learned[name] = tuple(
            (prior_pairs * p + n) / (prior_pairs + seen)
            for p, n in zip(prior_m, counts[name], strict=True)
        )
    return learned


def find_pairs(
    records: Sequence[Record],
    *,
    threshold: float = THRESHOLD,
    train: bool | None = None,
    m: M | None = None,
) -> Linkage:
    """Every pair of records that are probably the same customer, most probable first; `m` as
    learned from merges (learn_m), else PRIORS'."""
    started = time.perf_counter()
    if len(records) < 2:
        return Linkage(pairs=[], records=len(records), compared=0, trained=False, seconds=0.0)
    from splink import DuckDBAPI, Linker

    logging.getLogger("splink").setLevel(logging.ERROR)
    db_api = DuckDBAPI()
    trained = len(records) >= TRAIN_MIN_RECORDS if train is None else train
    settings = _settings(frequencies=trained, records=len(records), m=m)
    linker = Linker(db_api.register(_frame(records)), settings, log_level=None)
    if trained:
        try:
            linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=SEED)
        except ValueError:  # a level no sampled pair reaches: keep the priors
            trained = False
    table = linker.inference.predict().as_pandas_dataframe()
    pairs = []
    kinds = {r.id: r.kind for r in records}
    for row in table[table["match_probability"] >= threshold].itertuples(index=False):
        values = row._asdict()
        evidence = {name: _words(name, values.get(f"gamma_{name}")) for name in COMPARISONS}
        if not _plausible(evidence) or kinds[values["id_l"]] != kinds[values["id_r"]]:
            continue
        left, right = sorted((int(values["id_l"]), int(values["id_r"])))
        pairs.append(
            Pair(
                left_id=left,
                right_id=right,
                probability=float(values["match_probability"]),
                weight=float(values["match_weight"]),
                evidence=evidence,
            )
        )
    pairs.sort(key=lambda p: (-p.probability, p.left_id, p.right_id))
    return Linkage(
        pairs=pairs,
        records=len(records),
        compared=len(table),
        trained=trained,
        seconds=time.perf_counter() - started,
    )
