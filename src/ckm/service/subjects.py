"""A case's subject when the sender gave none: the first line that says something, not the
greeting a letter or an e-mail opens with ("Dear customer service," / "Good morning,")."""

from __future__ import annotations

import re

SUBJECT_CHARS = 120
_GREETING = re.compile(
    r"^(dear\b|hello\b|hi\b|hey\b|hallo\b|good (morning|afternoon|evening|day)\b|"
    r"ladies and gentlemen\b|to whom it may concern\b|sehr geehrte|liebe[rs]?\b|guten tag\b)",
    re.IGNORECASE,
)


def is_greeting(line: str) -> bool:
    """A salutation line: starts like one and is short (a greeting, not a sentence)."""
    line = line.strip()
    return bool(line) and len(line) <= 60 and bool(_GREETING.match(line))


def subject_from_text(text: str) -> str:
    """The first line of the text that is not empty and not a greeting (the first line when
    every line is one), cut to SUBJECT_CHARS."""
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    chosen = next((line for line in lines if not is_greeting(line)), lines[0] if lines else "")
    return chosen[:SUBJECT_CHARS]
