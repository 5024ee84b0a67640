"""Whether a piece of text is backed by another: normalised containment or token overlap."""

from __future__ import annotations

import re
import unicodedata

__all__ = ["content_tokens", "normalise_text", "support_score"]

_WORD = re.compile(r"[^\W_]+")
# fmt: off
_STOPWORDS = frozenset(
    {
        "a", "an", "the", "and", "or", "but", "if", "of", "to", "in", "on", "at", "by", "for",
        "from", "with", "as", "is", "are", "was", "were", "be", "been", "being", "it", "its",
        "this", "that", "these", "those", "he", "she", "they", "them", "his", "her", "their",
        "we", "our", "you", "your", "i", "me", "my", "has", "have", "had", "do", "does", "did",
        "so", "than", "then", "there", "here", "which", "who", "whom", "what", "when", "where",
        "will", "would", "shall", "should", "can", "could", "may", "might", "must", "about",
        "into", "over", "under",
    }
)
# fmt: on
# Negation words stay content words, and token overlap requires the same polarity on both
# sides, so "the vault is not empty" never backs "the vault is empty" by overlap alone.
_NEGATIONS = frozenset({"not", "no", "never", "nor", "none", "nothing", "nobody", "neither", "t"})


def normalise_text(text: str) -> str:
    """Case-folded words separated by single spaces (NFKC; punctuation and underscores dropped)."""
    return " ".join(_WORD.findall(unicodedata.normalize("NFKC", text).casefold()))


def _stem(word: str) -> str:
    # Only a trailing plural or third-person "s": predictable, and needs no stemming library.
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def content_tokens(text: str) -> frozenset[str]:
    """The normalised words of ``text`` that carry content (stopwords removed, plural s cut)."""
    return frozenset(_stem(w) for w in normalise_text(text).split() if w not in _STOPWORDS)


def support_score(claim: str, source: str) -> float:
    """How well ``source`` backs ``claim``, in [0, 1].

    1.0 when the normalised claim appears whole-word inside the normalised source; otherwise the
    share of the claim's content tokens that also occur in the source, or 0.0 if the claim has
    no content token or only one side is negated ("not", "never", "isn't"...). A lexical check:
    it does not understand paraphrase.
    """
    wanted = normalise_text(claim)
    if f" {wanted} " in f" {normalise_text(source)} ":
        return 1.0
    tokens, backing = content_tokens(claim), content_tokens(source)
    if not tokens or bool(tokens & _NEGATIONS) != bool(backing & _NEGATIONS):
        return 0.0
    return len(tokens & backing) / len(tokens)
