"""CKM's template system for demo messages: slots, alternatives, greetings and small slips.

A template is plain text with three kinds of braces, resolved innermost first:

- ``{amount}``: a slot, filled from a :class:`SlotBag` (one value per message, so a slot used twice
  reads the same both times);
- ``{lost|misplaced|can't find}``: alternatives, one picked at random;
- ``{?sorry to bother you, }``: optional text, kept half of the time.

:func:`message` then wraps the body the way the channel does (an e-mail has a greeting and a
sign-off, a chat line has neither) and :func:`roughen` adds the typos real people make.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterator, Mapping

_BRACES = re.compile(r"\{([^{}]*)\}")
_SPACES = re.compile(r"[ \t]{2,}")
_SPACE_BEFORE_PUNCT = re.compile(r" +([,.!?;:])")


class SlotBag(Mapping[str, str]):
    """Slot values computed on first use and then kept for the rest of the message."""

    def __init__(self, makers: Mapping[str, Callable[[], str]]) -> None:
        self._makers = makers
        self._values: dict[str, str] = {}

    def __getitem__(self, name: str) -> str:
        if name not in self._values:
            maker = self._makers.get(name)
            if maker is None:
                raise KeyError(f"unknown slot {name!r}")
            self._values[name] = maker()
        return self._values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._makers)

    def __len__(self) -> int:
        return len(self._makers)


def render(template: str, rng: random.Random, slots: Mapping[str, str]) -> str:
    """Fill a template: slots, alternatives and optional parts, innermost braces first."""

    def replace(match: re.Match[str]) -> str:
        inner = match.group(1)
        if "|" in inner:
            return rng.choice(inner.split("|"))
        if inner.startswith("?"):
            return inner[1:] if rng.random() < 0.5 else ""
        return slots[inner]

    text = template
    while "{" in text:
        rendered = _BRACES.sub(replace, text)
        if rendered == text:
            break
        text = rendered
    return tidy(text)


def tidy(text: str) -> str:
    """Collapse the double spaces and stray spaces that optional parts leave behind."""
    lines = [
        _SPACE_BEFORE_PUNCT.sub(r"\1", _SPACES.sub(" ", line)).strip() for line in text.split("\n")
    ]
    text = "\n".join(lines).strip()
    return text[:1].upper() + text[1:] if text else text


_EMAIL_GREETINGS = (
    "Hello,",
    "Hi,",
    "Dear Sir or Madam,",
    "Good morning,",
    "Hello there,",
    "Dear {bank} team,",
    "Hi there,",
    "Good afternoon,",
    "Dear customer service,",
    "Hello {bank},",
    "To whom it may concern,",
)
_EMAIL_CLOSINGS = (
    "Thanks,",
    "Kind regards,",
    "Best regards,",
    "Many thanks in advance,",
    "Regards,",
    "Cheers,",
    "Thank you,",
    "Best wishes,",
    "Thanks a lot,",
    "Looking forward to your reply.",
    "Thanks and regards,",
)
_LETTER_OPENINGS = ("Dear Sir or Madam,", "Dear {bank} customer service,", "Ladies and gentlemen,")
_LETTER_CLOSINGS = ("Yours faithfully,", "Yours sincerely,", "Kind regards,", "With best regards,")
_CHAT_OPENERS = ("hi", "hello", "hey", "hi there", "good morning", "hallo", "")
_ASIDES = (
    "I have been a customer for {years} years.",
    "This is the second time I am writing about this.",
    "I tried calling but could not get through.",
    "I am travelling at the moment, so e-mail is best.",
    "Please reply quickly, it is urgent.",
    "My account number ends in {iban_tail}.",
    "I'd appreciate a quick answer.",
    "Sorry for my English, I hope it is understandable.",
    "We also have our savings with you.",
    "I looked in the FAQ but could not find an answer.",
)


def message(
    *,
    rng: random.Random,
    channel: str,
    body: str,
    slots: Mapping[str, str],
    first_name: str,
    last_name: str,
    roughness: float,
) -> str:
    """A customer's message as it arrives on the channel: greeting, body, asides, sign-off, typos."""
    if channel == "letter":
        parts = [render(rng.choice(_LETTER_OPENINGS), rng, slots), body]
        if rng.random() < 0.4:
            parts.append(render(rng.choice(_ASIDES), rng, slots))
        parts.append(rng.choice(_LETTER_CLOSINGS) + "\n" + f"{first_name} {last_name}".strip())
        return "\n\n".join(parts)
    if channel == "email":
        parts = []
        if rng.random() < 0.8:
            parts.append(render(rng.choice(_EMAIL_GREETINGS), rng, slots))
        parts.append(body)
        if rng.random() < 0.25:
            parts.append(render(rng.choice(_ASIDES), rng, slots))
        if rng.random() < 0.85:
            names: tuple[str, ...]
            if first_name:
                names = (
                    first_name,
                    f"{first_name} {last_name}",
                    f"{first_name[:1]}. {last_name}",
                    "",
                )
            else:  # an organisation signs with its name
                names = (last_name, "")
            parts.append((rng.choice(_EMAIL_CLOSINGS) + "\n" + rng.choice(names)).strip())
        return roughen("\n\n".join(parts), rng, roughness)
    if channel in ("chat", "sms", "social"):
        opener = rng.choice(_CHAT_OPENERS)
        text = f"{opener} {body}" if opener and rng.random() < 0.5 else body
        if rng.random() < 0.5:
            text = text[:1].lower() + text[1:]
        if rng.random() < 0.4:
            text = text.rstrip(".")
        return roughen(text, rng, roughness * 2)
    # web form and everything else: just the body, now and then an aside
    if rng.random() < 0.15:
        body = f"{body} {render(rng.choice(_ASIDES), rng, slots)}"
    return roughen(body, rng, roughness)


_NOTE_ENDINGS = (
    "Customer satisfied.",
    "Customer was upset at first, calmer at the end.",
    "Info also sent by e-mail.",
    "Long call - system slow today.",
    "Customer thanked us.",
    "Told customer to call again if needed.",
    "Ref. in case notes.",
    "Customer in a hurry.",
    "Spoke with the customer's partner, authorised.",
    "Second call about this.",
    "Customer was very friendly.",
    "Checked ID with security questions.",
)


def note(body: str, rng: random.Random) -> str:
    """An agent's note of a call or visit, now and then with a remark of their own."""
    if rng.random() < 0.45:
        return f"{body} {rng.choice(_NOTE_ENDINGS)}"
    return body


_NEIGHBOURS = dict(zip("qwertyuiopasdfghjklzxcvbnm", "wqrtyuiopoasdfghjklkzxcvbn", strict=True))
_SHORTHAND = (
    (" you ", " u "),
    (" please ", " pls "),
    (" thanks", " thx"),
    (" because ", " bc "),
    (" are ", " r "),
    ("I am ", "im "),
    ("don't", "dont"),
    ("can't", "cant"),
    ("I'm", "im"),
)


def roughen(text: str, rng: random.Random, rate: float) -> str:
    """Add the slips people make when typing fast: swapped, doubled or missing letters, shorthand."""
    if rate <= 0 or rng.random() > rate * 4:
        return text
    words = text.split(" ")
    for _ in range(1 + int(rng.random() * 3)):
        i = rng.randrange(len(words))
        word = words[i]
        if len(word) < 4 or not word.isalpha():
            continue
        j = rng.randrange(1, len(word) - 1)
        kind = rng.random()
        if kind < 0.35:
            word = word[:j] + word[j + 1] + word[j] + word[j + 2 :]
        elif kind < 0.6:
            word = word[:j] + word[j + 1 :]
        elif kind < 0.8:
            word = word[:j] + word[j] + word[j:]
        else:
            word = word[:j] + _NEIGHBOURS.get(word[j].lower(), word[j]) + word[j + 1 :]
        words[i] = word
    text = " ".join(words)
    if rng.random() < rate:
        old, new = rng.choice(_SHORTHAND)
        text = text.replace(old, new)
    return text
