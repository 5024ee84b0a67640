"""The material the offline model writes with: sentences, bullets, quotes, names and ids found
in the prompt itself, so its answers speak about the scenario rather than filler text."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from langchain_core.messages import BaseMessage, HumanMessage

from daedalus.llm._tokens import message_text

__all__ = ["STOPWORDS", "Material", "content_words", "gather_material"]

_STOPWORD_TEXT = """
    a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing down during each few
    for from further had has have having he her here hers herself him himself his how i if
    in into is it its itself just me more most my myself no nor not now of off on once only
    or other our ours out over own same she should so some such than that the their theirs
    them then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself one two
    may might must shall yet via per each every next last first new use using used
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())
"""Words too common to carry meaning; never chosen as keywords or focus words."""

_BULLET = re.compile(r"^\s*(?:[-*•+]|\d{1,3}[.)])\s+(.+?)\s*$")
_QUOTED = re.compile(r"[\"“]([^\"“”\n]{8,240})[\"”]")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"”')\]]*\s+(?=[\"“(\[]?[A-Z0-9])")
_ABBREVIATION = re.compile(r"\b(?:Mr|Mrs|Ms|Dr|Prof|St|Sr|Jr|Capt|Gen|Col|Lt|vs|etc|e\.g|i\.e)\.$")
_NAME = re.compile(
    r"\b(?:(?:Dr|Mr|Mrs|Ms|Prof|Capt)\.\s+)?[A-Z][a-zA-Z'’-]+"
    r"(?:\s+(?:(?:of|the|de|van|von|la|du)\s+)?[A-Z][a-zA-Z'’-]+)*"
)
_ID_TOKEN = re.compile(r"(?<![\w.:-])([a-z][a-z0-9]*(?:[_:.-][a-z0-9]+)+|[a-z]+\d+)(?![\w-]|:\w)")
_BRACKETED_ID = re.compile(r"\[([A-Za-z0-9][A-Za-z0-9_.:-]{0,63})\]")
_ISO_DATE = re.compile(
    r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?(?:Z|[+-]\d{2}:\d{2})?)?\b"
)
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]+")
_INSTRUCTION = re.compile(
    r"\b(?:you|your|reply|respond|return|json|schema|output|format|answer with|do not|don't|"
    r"must|write (?:the|a|one)|field|fields)\b",
    re.IGNORECASE,
)
_IMPERATIVE = re.compile(
    r"^(?:now\s+|then\s+|please\s+)?(?:write|speak|say|choose|answer|use|name|give|set|score|"
    r"skip|base|let|avoid|describe|narrate|rewrite|list|pick|decide|judge|read|cite|keep|add)\b",
    re.IGNORECASE,
)
_ASIDE = re.compile(r"^\(.*\)\.?$")
_LEADING_ID = re.compile(r"^\[[A-Za-z0-9_.:-]+\]\s*")
_LABELLED = re.compile(r"^[A-Za-z0-9_.:-]+\s*\(([^,)]+)[^)]*\):\s*(?=[a-z])")
_SLUG_LABEL = re.compile(r"^([a-z][a-z0-9]*(?:_[a-z0-9]+)*):\s+(?=[a-z])")
_LABEL = re.compile(r"^[A-Z][A-Za-z]*(?: [A-Za-z]+)?:\s+")
_MIN_WORDS = 4
_MAX_WORDS = 60


@dataclass(frozen=True)
class Material:
    """Pieces of the prompt to build answers from, in order of first appearance.

    ``sentences`` are prose sentences that read as scenario content; ``instructions`` are the
    ones addressed to the model (used only when nothing else exists); ``focus`` holds the
    content words of the last human message, which make material relevant.
    """

    sentences: tuple[str, ...] = ()
    bullets: tuple[str, ...] = ()
    quotes: tuple[str, ...] = ()
    instructions: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    ids: tuple[str, ...] = ()
    dates: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    focus: frozenset[str] = frozenset()
    last_human: str = ""
    text: str = ""

    @property
    def passages(self) -> tuple[str, ...]:
        """Everything that reads as content: quotes, bullets, then sentences, deduplicated."""
        seen: dict[str, None] = {}
        for item in (*self.quotes, *self.bullets, *self.sentences):
            seen.setdefault(item, None)
        return tuple(seen) or self.instructions

    def relevance(self, passage: str) -> int:
        """How many focus words ``passage`` shares with the last human message."""
        return len(content_words(passage) & self.focus)

    def mentions(self, value: str) -> int:
        """How often ``value`` (or its words, for a slug) appears in the prompt."""
        needle = value.strip().lower()
        if not needle:
            return 0
        haystack = self.text.lower()
        count = haystack.count(needle)
        spaced = re.sub(r"[_.:-]+", " ", needle)
        if spaced != needle:
            count += haystack.count(spaced)
        return count


def content_words(text: str) -> frozenset[str]:
    """Lower-case words of three letters or more that are not stopwords."""
    return frozenset(
        word
        for word in (w.lower().strip("'’-") for w in _WORD.findall(text))
        if len(word) > 2 and word not in STOPWORDS
    )


def gather_material(
    messages: Sequence[BaseMessage], field_names: frozenset[str] = frozenset()
) -> Material:
    """Extract the material of a prompt; JSON blocks (schemas, state dumps) are left out, and
    so are lines that describe an output field (``"- reason: one sentence on why"``) when the
    field is one of ``field_names``."""
    texts = [_without_json(message_text(m)) for m in messages if m.type in ("system", "human")]
    humans = [m for m in messages if isinstance(m, HumanMessage)]
    last_human = _without_json(message_text(humans[-1])) if humans else ""
    sentences: list[str] = []
    bullets: list[str] = []
    instructions: list[str] = []
    quotes: list[str] = []
    if field_names:
        texts = [_without_field_lines(t, field_names, instructions) for t in texts]
    for text in texts:
        quoted = (q.strip().rstrip(",;:").strip() for q in _QUOTED.findall(text))
        quotes.extend(q for q in quoted if len(q.split()) >= 3)  # single quoted words are examples
        for block in _blocks(text, bullets, instructions):
            for sentence in _split_sentences(block):
                # the question being asked is the prompt, not material to answer with
                asked = text == last_human and sentence.endswith("?")
                _file(sentence, instructions if asked else sentences, instructions)
    full = "\n".join(texts)
    return Material(
        sentences=_unique(sentences),
        bullets=_unique(bullets),
        quotes=_unique(quotes),
        instructions=_unique(instructions),
        names=_names(full),
        ids=_ids(full),
        dates=_unique(_ISO_DATE.findall(full)),
        keywords=_keywords(full),
        focus=content_words(last_human),
        last_human=last_human,
        text=full,
    )


_FIELD_LINE = re.compile(r"^\s*(?:[-*•+]\s*)?([A-Za-z_][A-Za-z0-9_ ]{0,30}?)\s*:\s+\S")


def _without_field_lines(text: str, field_names: frozenset[str], instructions: list[str]) -> str:
    """``text`` without the lines that explain an output field (they are instructions)."""
    kept = []
    for line in text.splitlines():
        label = _FIELD_LINE.match(line)
        if label and label.group(1).strip().lower().replace(" ", "_") in field_names:
            instructions.append(line.strip(" -*•+"))
            continue
        kept.append(line)
    return "\n".join(kept)


def _file(piece: str, content: list[str], instructions: list[str]) -> None:
    bare = piece.strip()
    if bare.endswith(":"):
        return  # a heading introducing what follows, not content
    if _INSTRUCTION.search(piece) or _IMPERATIVE.match(piece) or _ASIDE.match(bare):
        # addressed to the model ("Your beat: ...", "Now speak as ...", "(nothing yet)")
        if _MIN_WORDS <= len(piece.split()) <= _MAX_WORDS:
            instructions.append(piece)
        return
    label = _LABEL.match(piece)
    if label and len(piece[label.end() :].split()) >= _MIN_WORDS:
        piece = piece[label.end() :]  # "Scene: the hall..." -> "the hall..."
        piece = piece[0].upper() + piece[1:]
    words = piece.split()
    if not _MIN_WORDS <= len(words) <= _MAX_WORDS or not any(c.isalpha() for c in piece):
        return
    if ":" in piece and len(piece.split(":", 1)[0].split()) <= 3 and not piece.endswith("."):
        return  # "Speaker: ada" style header lines are labels, not content
    (instructions if _INSTRUCTION.search(piece) else content).append(piece)


def _blocks(text: str, bullets: list[str], instructions: list[str]) -> list[str]:
    """Prose blocks of ``text``; bullet lines are filed on the way. A line joins the next
    only when it wraps mid-sentence (no end punctuation, next line starts in lower case)."""
    blocks: list[str] = []
    current: list[str] = []
    for line in (*text.splitlines(), ""):
        stripped = line.strip()
        bullet = _BULLET.match(line)
        if bullet and len(bullet.group(1).split()) >= 3:
            _file(_clean_bullet(bullet.group(1)), bullets, instructions)
            stripped = ""
        if current and (not stripped or not stripped[0].islower() or current[-1][-1] in ".!?:"):
            blocks.append(" ".join(current))
            current = []
        if stripped:
            current.append(stripped)
    return blocks


def _clean_bullet(item: str) -> str:
    """``"[e1] Ada saw it"`` -> ``"Ada saw it"``; ``"ada (Ada Byron, analyst): wants X"`` ->
    ``"Ada Byron wants X"``; ``"ada_byron: wants X"`` -> ``"Ada Byron wants X"``: prompt
    bookkeeping is not prose."""
    item = _LEADING_ID.sub("", item)
    labelled = _LABELLED.match(item)
    if labelled:
        return f"{labelled.group(1)} {item[labelled.end() :]}"
    slug = _SLUG_LABEL.match(item)
    if slug:  # "hanna_ross: fears X" -> "Hanna Ross fears X"
        name = " ".join(part.capitalize() for part in slug.group(1).split("_"))
        return f"{name} {item[slug.end() :]}"
    return item


def _split_sentences(block: str) -> list[str]:
    merged: list[str] = []
    for part in _SENTENCE_END.split(block.strip()):
        if merged and _ABBREVIATION.search(merged[-1]):
            merged[-1] = f"{merged[-1]} {part}"
        else:
            merged.append(part)
    return [piece.strip() for piece in merged if piece.strip()]


def _without_json(text: str) -> str:
    """``text`` with every top-level JSON object or array removed."""
    decoder = json.JSONDecoder()
    out: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char in "{[":
            try:
                _, end = decoder.raw_decode(text, index)
            except json.JSONDecodeError:
                out.append(char)
                index += 1
                continue
            out.append("\n")
            index = end
            continue
        out.append(char)
        index += 1
    return "".join(out)


def _names(text: str) -> tuple[str, ...]:
    counts: Counter[str] = Counter()
    order: dict[str, None] = {}
    for match in _NAME.finditer(text):
        name = match.group(0).strip()
        words = name.split()
        if len(words) == 1:
            before = text[: match.start()].rstrip()
            starts_sentence = not before or before[-1] in '.!?:\n-*•"“('
            if starts_sentence or name.lower() in STOPWORDS or len(name) < 3:
                continue
        if _INSTRUCTION.fullmatch(words[-1]):
            continue
        elif words[0].lower() in STOPWORDS and len(words) == 2:
            name = words[1]
        counts[name] += 1
        order.setdefault(name, None)
    return tuple(sorted(order, key=lambda n: -counts[n]))


def _ids(text: str) -> tuple[str, ...]:
    found = [m.group(1) for m in _BRACKETED_ID.finditer(text)]
    found += [m.group(1) for m in _ID_TOKEN.finditer(text)]
    return _unique([token.rstrip(".:-") for token in found if not _ISO_DATE.fullmatch(token)])


def _keywords(text: str) -> tuple[str, ...]:
    counts: Counter[str] = Counter()
    order: dict[str, None] = {}
    for raw in _WORD.findall(text):
        word = raw.lower().strip("'’-")
        if len(word) > 2 and word not in STOPWORDS and not _INSTRUCTION.fullmatch(word):
            counts[word] += 1
            order.setdefault(word, None)
    return tuple(sorted(order, key=lambda w: -counts[w]))


def _unique(items: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(item for item in items if item))
