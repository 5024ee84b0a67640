"""Writing with the prompt's material: passages, reasons, names, phrases, slugs and paragraphs.

Every choice is weighted toward material that shares words with the last human message and
drawn from a ``Dice`` stream, so the same prompt and seed always write the same words.
"""

from __future__ import annotations

import re

from daedalus.llm._dice import Dice
from daedalus.llm._material import STOPWORDS, Material, content_words
from daedalus.llm._tokens import estimate_tokens

__all__ = ["TONES", "Writer"]

_TONE_WORDS = """
    calm tense hopeful wary resolute anxious warm guarded curious frustrated defiant
    conciliatory urgent sceptical relieved somber confident hesitant amused formal neutral
    angry fearful proud
"""
TONES = tuple(_TONE_WORDS.split())
"""Emotional tones; one that the prompt itself uses is preferred."""

_CLAUSE_BREAK = re.compile(r"\s*[,;:—]\s+|\s+-\s+")
_REASON_FORMS = ("{a} because {b}.", "Given that {b}, {a}.", "{a}, since {b}.")
_SLUG_JUNK = re.compile(r"[^a-z0-9]+")


class Writer:
    """Composes strings from one prompt's ``Material``."""

    def __init__(self, material: Material) -> None:
        self.material = material
        self._passages = material.passages
        # Listed facts and quoted lines are what a prompt offers to draw on: they weigh most.
        listed = set(material.bullets) | set(material.quotes)
        self._weights = [
            (1.0 + 2.0 * material.relevance(p)) * (4.0 if p in listed else 1.0)
            for p in self._passages
        ]

    def passage(self, dice: Dice, sentences: int = 1) -> str:
        """``sentences`` sentences recombined from the material, relevant ones first.

        A sentence is either taken whole or spliced: the head clause of one passage joined to
        the tail clause of another, so answers vary without leaving the scenario's words.
        """
        if not self._passages:
            return ""
        weights = self._weights
        picks = dice.sample(weights, sentences)
        written: list[str] = []
        for index in picks:
            text = self._passages[index]
            other = dice.weighted(weights)
            heads, tails = _clauses(text), _clauses(self._passages[other])
            if other != index and len(heads) > 1 and len(tails) > 1 and dice.chance(0.4):
                text = f"{heads[0]}, and {_decapitalise(tails[-1])}"
            written.append(_sentence(text))
        return " ".join(written)

    def reason(self, dice: Dice) -> str:
        """One sentence that explains, in the material's words."""
        first = self.passage(dice.child("claim")).rstrip(".!?")
        second = self.passage(dice.child("ground")).rstrip(".!?")
        if not first:
            return ""
        if not second or second == first:
            return _sentence(f"Because {_decapitalise(first)}")
        form = _REASON_FORMS[dice.below(len(_REASON_FORMS))]
        text = form.format(a=first, b=_decapitalise(second))
        return text[0].upper() + text[1:]

    def name(self, dice: Dice) -> str:
        """A capitalised name from the prompt, frequent names first; else a title from
        keywords."""
        names = self.material.names
        if names:
            weights = [
                1.0 / (rank + 1) + self.material.relevance(n) for rank, n in enumerate(names)
            ]
            return names[dice.weighted(weights)]
        words = self.phrase(dice, 1, 2)
        return " ".join(word.capitalize() for word in words.split())

    def phrase(self, dice: Dice, shortest: int = 2, longest: int = 4) -> str:
        """A short lower-case phrase of consecutive content words from one passage (relevant
        passages first), or of top keywords when there are no passages."""
        if self._passages:
            passage = self._passages[dice.weighted(self._weights)]
            words = [w.lower() for w in re.findall(r"[A-Za-z][A-Za-z'-]+", passage)]
            content = [i for i, w in enumerate(words) if w not in STOPWORDS and len(w) > 2]
            if content:
                start = content[dice.below(len(content))]
                window = words[start : start + dice.between(shortest, longest)]
                while len(window) > 1 and window[-1] in STOPWORDS:
                    window.pop()
                return " ".join(window)
        keywords = self.material.keywords
        if not keywords:
            return ""
        count = min(len(keywords), dice.between(shortest, longest))
        ranks = [1.0 / (rank + 1) for rank in range(len(keywords))]
        return " ".join(keywords[i] for i in sorted(dice.sample(ranks, count)))

    def tone(self, dice: Dice) -> str:
        """An emotional tone word, preferring tones the prompt mentions."""
        words = content_words(self.material.text)
        weights = [1.0 + 6.0 * (tone in words) for tone in TONES]
        return TONES[dice.weighted(weights)]

    def slugs(self, dice: Dice, hint: str, *, fresh: bool = False) -> list[str]:
        """Id candidates, best first: ids seen in the prompt (those sharing words with
        ``hint`` ahead), and slugs made of keywords; ``fresh`` (an id for a new object) puts
        the keyword slugs first."""
        hint_words = set(_SLUG_JUNK.split(hint.lower())) - {"", "id", "ids"}
        ids = list(self.material.ids)
        weights = [1.0 + 4.0 * len(hint_words & set(_SLUG_JUNK.split(i))) for i in ids]
        seen = [ids[i] for i in dice.sample(weights, len(ids))]
        made: list[str] = []
        keywords = self.material.keywords or tuple(w for w in hint_words if w)
        for _ in range(3):
            if keywords:
                count = min(len(keywords), dice.between(1, 2))
                ranks = [1.0 / (r + 1) for r in range(len(keywords))]
                made.append("_".join(keywords[i] for i in sorted(dice.sample(ranks, count))))
        ordered = [*made, *seen] if fresh else [*seen, *made]
        return list(dict.fromkeys(_SLUG_JUNK.sub("_", s.lower()).strip("_") or s for s in ordered))

    def keys(self, dice: Dice, count: int) -> list[str]:
        """``count`` distinct map keys: keywords of the prompt, relevant and frequent first."""
        keywords = [_SLUG_JUNK.sub("_", k.lower()).strip("_") for k in self.material.keywords]
        keywords = [k for k in dict.fromkeys(keywords) if k]
        weights = [
            1.0 / (rank + 1) + 2.0 * (k in self.material.focus) for rank, k in enumerate(keywords)
        ]
        picked = [keywords[i] for i in dice.sample(weights, min(count, len(keywords)))]
        return picked + [f"key_{n}" for n in range(count - len(picked))]

    def paragraph(self, dice: Dice, max_tokens: int | None) -> tuple[str, bool]:
        """A paragraph of two to four passages relevant to the last human message, cut to
        ``max_tokens`` by the token estimate. Returns the text and whether it was cut."""
        wanted = dice.between(2, 4)
        sentences = [self.passage(dice.child(i)) for i in range(wanted)]
        sentences = list(dict.fromkeys(s for s in sentences if s))
        if max_tokens is None:
            return " ".join(sentences), False
        kept: list[str] = []
        for sentence in sentences:
            if estimate_tokens(" ".join([*kept, sentence])) > max_tokens:
                break
            kept.append(sentence)
        if len(kept) == len(sentences):
            return " ".join(kept), False
        if kept:
            return " ".join(kept), True
        words: list[str] = []
        for word in sentences[0].split():
            if estimate_tokens(" ".join([*words, word])) > max_tokens:
                break
            words.append(word)
        return " ".join(words), True

    def fit(self, text: str, dice: Dice, shortest: int, longest: int | None) -> str:
        """``text`` lengthened with more material up to ``shortest`` characters and cut at a
        word boundary to ``longest``; the result always has a length in that range."""
        if longest is not None and longest < shortest:
            raise ValueError(f"maxLength {longest} is below minLength {shortest}")
        attempt = 0
        while len(text) < shortest and attempt < 8:
            extra = self.passage(dice.child(f"more{attempt}")) or self.phrase(dice)
            text = f"{text} {extra}".strip() if extra else text
            attempt += 1
        if len(text) < shortest:  # no material left: repeat what there is
            base = text.strip() or "x"
            text = " ".join([base] * (shortest // (len(base) + 1) + 1))
        if longest is not None and len(text) > longest:
            cut = text[: longest + 1]
            boundary = cut.rfind(" ")
            text = cut[:boundary] if boundary >= max(shortest, 1) else text[:longest]
            text = text.rstrip(" ,;:-")
            if len(text) < shortest:
                text = cut[:longest]
        return text


def _clauses(text: str) -> list[str]:
    parts = [p.strip(' .!?"“”') for p in _CLAUSE_BREAK.split(text)]
    return [p for p in parts if len(p.split()) >= 3]


def _decapitalise(text: str) -> str:
    first = text.split(" ", 1)[0]
    if first.lower() in STOPWORDS and not first.isupper():
        return text[0].lower() + text[1:]
    return text


def _sentence(text: str) -> str:
    text = text.strip().strip('"“”').strip()
    if text.count('"') % 2 or text.count("“") != text.count("”"):
        text = re.sub(r'\s*["“”]\s*', " ", text).strip()
    if not text:
        return ""
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?" else text.rstrip(",;:") + "."
