"""Strip scraper boilerplate and keyword spam from plain news text.

Scraped articles arrive with debris around and inside the story: SEO keyword spam glued before the
title, section labels ("US News"), photo captions with agency credits, share buttons, comment
forms, newsletter prompts, "Also Read:" cross-links, author bios, polls, licence lines.
:func:`clean_text` removes such lines and keeps every sentence of the article itself, in order,
with its paragraph breaks.  It works on plain-text lines (no HTML) with no per-outlet rules:

* a compact list of generic boilerplate patterns, each tagged with a kind (see :data:`KINDS`);
* a keyword-spam detector (few distinct tokens, repeated n-grams, hardly any stop words) that also
  cuts a spam run off the front of a real line;
* line-level heuristics (length, stop words, sentence punctuation, capitalisation, links) that only
  ever remove lines which are not sentences, so a real sentence ("He died.") always survives them.

:func:`clean_text_with_report` also returns what was removed and why.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, NamedTuple

__all__ = [
    "KINDS",
    "CleaningReport",
    "RemovedLine",
    "clean_text",
    "clean_text_with_report",
    "extract_html",
]

#: Every ``kind`` a :class:`RemovedLine` can carry.
KINDS: tuple[str, ...] = (
    "keyword_spam", "navigation", "share", "comment", "newsletter", "cross_link", "caption",
    "credit", "bio", "poll", "captcha", "ad", "other",
)  # fmt: skip

_STOP = frozenset((
    "a", "about", "after", "all", "also", "an", "and", "any", "are", "as", "at", "be", "been",
    "before", "but", "by", "can", "could", "did", "do", "does", "for", "from", "had", "has",
    "have", "he", "her", "him", "his", "how", "i", "if", "in", "into", "is", "it", "its", "it's",
    "last", "more", "most", "my", "no", "not", "of", "on", "or", "our", "out", "over", "said",
    "says", "she", "so", "than", "that", "the", "their", "them", "then", "there", "these", "they",
    "this", "those", "to", "up", "us", "was", "we", "were", "what", "when", "where", "which",
    "while", "who", "will", "with", "would", "you", "your",
))  # fmt: skip
_SECTIONS = frozenset((
    "news", "world", "local", "us", "uk", "national", "international", "politics", "business",
    "economy", "markets", "sport", "sports", "opinion", "home", "entertainment", "lifestyle",
    "health", "tech", "technology", "science", "crime", "video", "videos", "photos", "society",
    "nation", "europe", "asia", "africa", "americas", "culture", "travel", "weather", "latest",
    "trending", "metro",
))  # fmt: skip
_SOCIAL = (
    r"(?:twitter|facebook|whatsapp|telegram|linkedin|pinterest|reddit|tumblr|pocket|instagram"
    r"|youtube|google\+?|e-?mail|print|sms|messenger|flipboard|more)"
)
_NAME = r"(?-i:[A-Z])[\w.'\u2019-]*"  # a capitalised word of a person's or outlet's name
# Checked in this order, first match wins; "^...$" alternatives only match whole lines.
_RULES: dict[str, tuple[str, ...]] = {
    "captcha": (
        r"\bcaptcha\b|\bnot a robot\b|\bverify (?:that )?you(?:'|\u2019| a)re human\b",
        r"\btype the (?:characters|code|text|words?)\b|\bsecurity code\b|^enter the code\b",
    ),
    "share": (
        r"^(?:send|e-?mail) (?:this )?(?:(?:article|story|page) )?to a friend\b",
        r"^(?:your name|your e-?mail(?: address)?|(?:friend|recipient)(?:'|\u2019)?s? e-?mail"
        r"(?: address)?|recipients?|message|send|separate multiple (?:e-?mail )?addresses.*)\W*$",
        rf"^share(?: this| on| via)?(?: (?:story|article|post|page))?(?:\W*{_SOCIAL})*\W*$",
        rf"^{_SOCIAL}(?:\W+{_SOCIAL})*$|\bmdi-[a-z]|^like this:|^read or share\b",
        r"^(?:stay up to date,?\s+)?follow\s+(?:us\b|@|(?-i:[A-Z]{2}))"
        r".{0,60}\b(?:twitter|facebook|instagram|tiktok)\b",
        r"^follow(?:\s+(?:us|@?[\w.]+))?\s*:?$|view image on twitter|\bretweets?\b.*\blikes?$",
        r"^(?:tweet|pin it|print this|email this|copy link(?: copy)?)$",
    ),
    "comment": (
        r"^(?:leave a (?:reply|comment)|(?:post|add) (?:a )?comment|cancel reply|notify of"
        r"|inline feedbacks|view all comments|\d+\s+(?:pending\s+)?comments?|comments?|name"
        r"|website|submit)\W*$",
        r"email address will not be published|required fields are marked|save my name, email",
        r"members can comment|log ?in to (?:comment|reply)|comments are closed",
        r"^join the conversation\b|^have a question or comment about\b",
    ),
    "newsletter": (
        r"\bsign up for\b.{0,60}\b(?:newsletters?|alerts)\b|\bsubscribe to (?:our|my)\b",
        r"\bnewsletters?\b.{0,40}\binbox\b|\bbreaking news alerts\b|\bmanage newsletters\b",
        r"(?:^|[,.:]\s*|\s(?=(?-i:D)))download (?:the|our) .{0,40}\bapp\b",
        r"\bapp\b.{0,40}\b(?:iphone|android)\b|\bget alerts\b",
        r"^subscribe\b",
    ),
    "caption": (
        r"^(?:(?:file )?photo|image|picture|caption)\s*(?::|by\b|via\b|courtesy\b|credit\b)",
        r"^(?:pictured\s*:|buy photo\b)|\bimage \d+ of\b",
        r"\bcaption close\b|\bview full caption\b|\((?:ap |afp |file |[a-z]+ )?photo\b",
        r"\S\s+credit:\s",
    ),
    "credit": (
        r"^(?:credit|image credit|licen[cs]e)\s*:|\ball rights reserved\b|^\(?\u00a9",
        r"^\W*(?:tm and\W+)?copyright\b\W*(?:\d{4}|(?-i:[A-Z]))",
        r"\bcc by(?:-[a-z]+)*\s+\d|material may not be published|^information from:",
        r"^contributing:|\bcontributed to this (?:report|story|article)\.?$",
        r"(?:\b(?:reporters?|writers?|photographers?|staff)\b|'s |\u2019s )[^.]{0,60}"
        r" contributed\.$",
        r"^\((?:additional )?reporting by\b|^additional reporting by\b|^\W*with (?:news |wire )",
    ),
    "cross_link": (
        r"^\W*(?:also read|read also|read more|read next|more from|more on|see also"
        r"|related(?: \w+)?|recommended|you may also like|you might also like|latest news"
        r"|top trending|trending(?: now)?|more videos?|previous story|next story|story|videos?"
        r"|photos|pictures|watch|must read|don'?t miss|top stories|other news)\s*[:|>\u00bb]",
        r"^related (?:stories|articles|coverage|content|posts|links|news)\b|^see also$",
        r"^(?:read more|click here|more video|you may also be|what others are)\b",
        r"^(?:more from|for more)\b[^.]{0,80}:$",
    ),
    "navigation": (
        r"^(?:exit mobile version|skip to (?:main )?content|back to top|home|menu|search"
        r"|prev(?:ious)?(?:\s+next)?|next|close|toggle navigation|main menu|jump to \w+"
        r"|scroll down for video|enlarge)$",
        r"^(?:tags|filed under|categories|topics)\s*:|^tagged\s[^.!?]*$",
    ),
    "ad": (
        r"^(?:advertisement|advertise\b)\W*(?:\S+\W*){0,6}$|^(?:sponsored|promoted)(?: content)?$",
        r"^this (?:news )?report is (?:made possible|brought to you) by\b",
    ),
    "other": (
        r"^please enable javascript\b|^having trouble viewing the video\b|^[^\w]+$",
        r"^(?:loading\s*(?:\.\.\.|\u2026)?\s*)+$",
        r"^watch (?:the |this |latest |mobile )?(?:report|story|video)\b[^.!?,]{0,40}$",
    ),
    "bio": (
        rf"^(?:contact|to reach)\s+(?:{_NAME}(?:\s+{_NAME})*|the (?:writer|reporter|author))\b"
        r".{0,80}@",
        r"^(?:e-?mail|twitter):\s*\S+$",
    ),
}


def _alternatives(pattern: str) -> list[str]:
    """The top-level ``|`` alternatives of a regular expression's source."""
    parts: list[str] = []
    depth, start, i, in_class = 0, 0, 0, False
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            i += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            if pattern[i + 1 : i + 2] == "^":
                i += 1
            if pattern[i + 1 : i + 2] == "]":  # a leading "]" is a literal
                i += 1
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            parts.append(pattern[start:i])
            start = i + 1
        i += 1
    parts.append(pattern[start:])
    return parts


def _required_words(pattern: str) -> frozenset[str] | None:
    """Lower-case strings one of which is in every line that ``pattern`` (case-insensitive)
    matches, lower-cased; ``None`` when there are none to name. Read from the parsed pattern:
    runs of literal characters, through groups, alternations and repeats of at least one.

    The parse comes from ``re._parser`` and ``re._constants``, private modules of CPython's
    ``re`` (named so from Python 3.11, which storycluster requires). They are an optimisation
    only: a Python without them, or whose parse trees differ, gets ``None`` (no shortcut; every
    rule is tried on every line) and the same cleaning."""
    try:
        from re import _constants as sre  # type: ignore[attr-defined]
        from re import _parser  # type: ignore[attr-defined]
    except ImportError:  # pragma: no cover - not CPython's re: no shortcut
        return None

    def better(a: frozenset[str] | None, b: frozenset[str] | None) -> frozenset[str] | None:
        if a is None or b is None:
            return a or b
        # Prefer long words, then few of them.
        return b if (min(map(len, b)), -len(b)) > (min(map(len, a)), -len(a)) else a

    def walk(items: list[tuple[Any, Any]]) -> frozenset[str] | None:
        best: frozenset[str] | None = None
        run: list[str] = []
        for op, arg in [*items, (None, None)]:
            # Literal ASCII or caseless characters: others may fold in ways str.lower does not.
            if op is sre.LITERAL and (chr(arg).isascii() or chr(arg).lower() == chr(arg).upper()):
                run.append(chr(arg))
                continue
            if run:
                best = better(best, frozenset(["".join(run).lower()]))
                run = []
            if op is sre.SUBPATTERN:
                best = better(best, walk(arg[3].data))
            elif op is sre.BRANCH:
                branches = [walk(branch.data) for branch in arg[1]]
                if all(branch is not None for branch in branches):
                    best = better(best, frozenset().union(*branches))  # type: ignore[arg-type]
            elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT) and arg[0] >= 1:
                best = better(best, walk(arg[2].data))
        return best

    try:
        return walk(_parser.parse(pattern, re.IGNORECASE).data)
    except Exception:  # pragma: no cover - a Python whose parser differs: no shortcut
        return None


class _Rule(NamedTuple):
    """One kind's patterns, split for speed: alternatives anchored at the start of the line
    (cheap to try) and the others, tried only when the line holds one of their ``words``."""

    kind: str
    anchored: re.Pattern[str] | None
    loose: re.Pattern[str] | None
    words: tuple[str, ...] | None


def _rule(kind: str, sources: tuple[str, ...]) -> _Rule:
    alternatives = [alt for source in sources for alt in _alternatives(source)]
    anchored = [alt for alt in alternatives if alt.startswith("^")]
    loose = [alt for alt in alternatives if not alt.startswith("^")]
    words = _required_words("|".join(loose)) if loose else None
    return _Rule(
        kind,
        re.compile("|".join(anchored), re.IGNORECASE) if anchored else None,
        re.compile("|".join(loose), re.IGNORECASE) if loose else None,
        tuple(sorted(words)) if words else None,
    )


_PATTERNS = tuple(_rule(kind, sources) for kind, sources in _RULES.items())
# Most lines are prose that no rule matches.  Two tests rule that out at once, before trying the
# kinds one by one: no anchored alternative of any kind matches at the start (one regex instead
# of one per kind) and the lower-cased line holds no required word of any loose pattern.  Neither
# changes which kind wins: a line that fails either goes through the loop of
# :func:`_pattern_kind` as before.
_ANY_ANCHORED = re.compile(
    "|".join(rule.anchored.pattern for rule in _PATTERNS if rule.anchored is not None),
    re.IGNORECASE,
)


def _cover(words: set[str]) -> tuple[str, ...]:
    """The words of ``words`` that hold no other one: a line holds one of ``words`` only if it
    holds one of these (fewer to look for)."""
    return tuple(sorted(w for w in words if not any(v != w and v in w for v in words)))


_ALL_WORDS: tuple[str, ...] | None = (
    None  # some loose pattern names no required word: every line must take the loop
    if any(rule.loose is not None and rule.words is None for rule in _PATTERNS)
    else _cover({w for rule in _PATTERNS for w in rule.words or ()})
)
# The only non-ASCII characters that a case-insensitive pattern matches to ASCII letters
# (tested); ``str.lower`` does not fold them, so lines holding one skip the word shortcut.
_ODD_CASE = re.compile("[\u0130\u0131\u017f\u212a]")

# Widget debris glued before real text: a modal's close glyph, a video player's buttons.
_PREFIXES = (
    ("navigation", re.compile(r"^\u00d7\s+")),
    ("ad", re.compile(r"^skip ad\b.*?\bx share\s+", re.IGNORECASE)),
)
_TIMESTAMP = re.compile(
    r"^(?:(?:originally )?posted|published|updated|created)(?:\s+(?:on|at))?\s*(?::|\d|$)"
    r"[\w\s,.:/|-]*$",
    re.IGNORECASE,
)
_POLL_MARKER = re.compile(
    r"^(?:view results|see results|show results|vote(?: now)?|total votes?.*)$", re.IGNORECASE
)
_BIO = re.compile(  # "Jane Doe is a news writer for ...", only tried at the end of the text
    rf"^{_NAME}(?:\s+{_NAME}){{1,3}}\s+(?:is|was|has been)\s+(?:a|an|the)\b[^.]{{0,80}}?"
    r"\b(?:writer|reporter|correspondent|editor|journalist|contributor|columnist|producer)\b"
)
_BYLINE = re.compile(rf"^[Bb][Yy]:?\s+{_NAME}(?:,?\s+(?:and\s+)?{_NAME}){{0,6}}")
_AGENCY = re.compile(
    r"\b(?:getty|shutterstock|reuters|afp|ap|epa(?:-efe)?|tass|sputnik|barcroft|alamy|istock\w*"
    r"|sipa|xinhua|anadolu|pool|photo|images?|courtesy|via)\b",
    re.IGNORECASE,
)
_CLOSERS = "\"'\u201d\u2019)\\]"
_SENTENCE_END = re.compile(rf"(?:[.!?\u2026][{_CLOSERS}]*|[\"\u201d\u2019])$")
# The last sentence stop followed by more text: the greedy ``.*`` backs off from the end, so the
# match ends where the last of ``finditer``'s matches of the stop alone would (a stop's match
# holds one of ".!?" only, at its start, so no stop hides inside another's match).
_LAST_STOP = re.compile(rf"(?s:.*)[.!?][{_CLOSERS}]*\s+(?=\S)")
_WORD = re.compile(r"[^\W_]+(?:['\u2019-][^\W_]+)*")
_LINK = re.compile(
    r"^(?:https?://|www\.)\S+|^\S+@\S+\.\w+|^@\w+$|^\S+\.(?:com|org|net|ws|ly)(?:/\S*)?$"
)
_SPACE = re.compile(r"[\s\u200b\ufeff]+")
_PARAGRAPH = re.compile(r"\n\s*\n")


def _collapse_space(raw: str) -> str:
    """``_SPACE.sub(" ", raw).strip()``: runs of white space as one space, none at the ends.

    ``str.split()`` splits on exactly the characters that ``\\s`` matches (tested on every code
    point) and is several times faster than a substitution that rewrites every single space;
    only the two invisible spaces that are not white space to Python need replacing first.
    """
    if "\u200b" in raw or "\ufeff" in raw:
        raw = raw.replace("\u200b", " ").replace("\ufeff", " ")
    return " ".join(raw.split())


@dataclass(frozen=True)
class RemovedLine:
    """A removed line, or the removed part of a line, and why (one of :data:`KINDS`)."""

    text: str
    kind: str


class CleaningReport(NamedTuple):
    """The cleaned text and the removals in document order; unpacks as ``(text, removed)``."""

    text: str
    removed: list[RemovedLine]

    def counts(self) -> dict[str, int]:
        """Number of removals per kind."""
        return dict(Counter(r.kind for r in self.removed))


@dataclass
class _Line:
    para: int
    text: str
    kind: str | None = None
    sentence: bool | None = None  # _is_sentence(text), once known


def _has_odd_case(line: str) -> bool:
    """``_ODD_CASE.search(line)`` as substring tests (several times faster)."""
    return not line.isascii() and (
        "\u0130" in line or "\u0131" in line or "\u017f" in line or "\u212a" in line
    )


def _words(text: str) -> list[str]:
    """The lower-cased words of ``text``.

    Lower-cases the text, then finds its words: one call instead of one per word, and the
    same words unless the text holds a character whose lower-casing changes the length of the
    text (dotted capital I) or depends on its neighbours (capital sigma, final or not); every
    other character keeps its class (word character, joiner, other) when lower-cased (tested
    on every code point).
    """
    if text.isascii() or ("\u0130" not in text and "\u03a3" not in text):
        return _WORD.findall(text.lower())
    return [word.lower() for word in _WORD.findall(text)]


_SENTENCE_CLOSERS = "\"'\u201d\u2019)]"  # the characters of _CLOSERS, unescaped


def _ends_sentence(line: str) -> bool:
    """``_SENTENCE_END.search(line)``, read from the end of the line instead of tried at every
    position: a stop followed only by closing quotes and brackets, or a closing quote."""
    if line.endswith("\n"):  # where ``$`` also matches: never a line of _split_lines
        return _SENTENCE_END.search(line) is not None
    return line.endswith(('"', "\u201d", "\u2019")) or line.rstrip(_SENTENCE_CLOSERS).endswith(
        (".", "!", "?", "\u2026")
    )


def _reads_as_sentence(line: str, words: list[str]) -> bool:
    """:func:`_is_sentence` of ``line``, whose words are ``words``."""
    return _ends_sentence(line) and not _STOP.isdisjoint(words)


@functools.lru_cache(maxsize=4096)
def _is_sentence(line: str) -> bool:
    """Ends like a sentence and reads like prose (has a stop word): body text, never chrome."""
    return _ends_sentence(line) and not _STOP.isdisjoint(_words(line))


def _line_is_sentence(line: _Line) -> bool:
    """:func:`_is_sentence` of the line's text, remembered on the line."""
    if line.sentence is None:
        line.sentence = _is_sentence(line.text)
    return line.sentence


def _is_spam(words: list[str]) -> bool:
    if len(words) < 8 or sum(w in _STOP for w in words) > 0.2 * len(words):
        return False
    if len(set(words)) <= 0.5 * len(words):
        return True
    return max(Counter(pairwise(words)).values()) >= 4


def _split_spam(line: str, words: list[str]) -> tuple[str, str]:
    """Split ``line`` (whose words are ``words``) into (keyword-spam prefix, rest); either part
    may be empty."""
    if len(words) < 8:  # too short to be spam (see _is_spam)
        return "", line
    # Words seen three times or more that are not stop words: in prose, seldom any.
    repeated = {w for w, n in Counter(words).items() if n >= 3}
    repeated.difference_update(_STOP)
    if not repeated:
        return "", line
    cut = next(i for i in range(len(words) - 1, -1, -1) if words[i] in repeated) + 1
    if not _is_spam(words[:cut]):
        return "", line
    if len(words) - cut < 4 or _is_spam(words[cut:]):
        return line, ""
    start = list(_WORD.finditer(line))[cut].start()
    return line[:start].strip(), line[start:].strip()


_CREDIT_STOPS = _STOP - {"of", "and", "us"}  # a credit may hold these ("Sea of Japan")
_CREDIT_JOINERS = frozenset(
    ("via", "for", "of", "and", "by", "photo", "photos", "image", "images", "file")
)
_CREDIT_TOKEN = re.compile(r"[^\W\d_][\w'\u2019.-]*")


def _credit_trailer(line: str) -> bool:
    """A caption: text ending in a short photo/agency credit ("... in 2019. TASS / Barcroft")."""
    last = _LAST_STOP.match(line)
    if last is None:
        return False
    trailer = line[last.end() :]
    words = _words(trailer)
    # The most selective tests first: the last sentence of prose has stop words.
    if not 0 < len(words) <= 15 or not _CREDIT_STOPS.isdisjoint(words):
        return False
    if _AGENCY.search(trailer) is None:
        return False
    # A credit is a name, not prose: every word capitalised but a few joiners
    # ("Reuters witnessed hundreds of..." is the start of a sentence, not a credit).
    return all(
        token[:1].isupper() or token.lower() in _CREDIT_JOINERS
        for token in _CREDIT_TOKEN.findall(trailer)
    )


def _is_label(line: str) -> bool:
    """Up to three capitalised words and no sentence punctuation: a section or widget label."""
    tokens = line.split()
    return (
        0 < len(tokens) <= 3
        and not _ends_sentence(line)
        and not any(c.isdigit() for c in line)
        and all(t[0].isupper() or t in {"&", "|", "/"} for t in tokens)
    )


def _pattern_kind(line: str) -> str | None:
    """The first kind (in :data:`_RULES` order) with a pattern matching ``line``, or None."""
    lowered = None if _has_odd_case(line) else line.lower()
    if lowered is not None and _ALL_WORDS is not None and _ANY_ANCHORED.match(line) is None:
        # A loop of ``in`` beats one regex of all the words (which sre tries at every position).
        for word in _ALL_WORDS:
            if word in lowered:
                break
        else:
            return None  # no anchored alternative matches and no loose one can
    for kind, anchored, loose, words in _PATTERNS:
        if anchored is not None and anchored.search(line):
            return kind
        if loose is None:
            continue
        if words is not None and lowered is not None and not any(w in lowered for w in words):
            continue  # the line lacks every word that a match needs
        if loose.search(line):
            return kind
    return None


def _classify_line(line: _Line, words: list[str]) -> str | None:
    """The kind of boilerplate ``line.text`` (whose words are ``words``) is by context-free
    rules, or None; sets ``line.sentence`` when it is worked out."""
    text = line.text
    kind = _pattern_kind(text)
    if kind is not None:
        return kind
    if _credit_trailer(text):
        return "caption"
    line.sentence = _reads_as_sentence(text, words)
    if line.sentence:
        return None
    return _classify_fragment(text, words)


def _classify_fragment(line: str, words: list[str]) -> str | None:
    """The kind of ``line`` (words ``words``), which matches no pattern and is no sentence."""
    tokens = line.split()
    # Only a token holding ".", "@" or ":" can match _LINK; ``links`` is only tested for truth.
    links = ("." in line or "@" in line or ":" in line) and any(
        _LINK.match(t.strip("()<>,;:")) for t in tokens
    )
    if links and sum(w in _STOP for w in words) <= 2 and len(tokens) <= 15:
        return "bio" if "@" in line else "other"  # contact addresses / bare links
    if _BYLINE.match(line) and len(tokens) <= 15:
        return "credit"
    if _TIMESTAMP.match(line):
        return "other"
    if line.count("|") >= 2 and all(len(part.split()) <= 4 for part in line.split("|")):
        return "navigation"  # a menu: "Home | News | Sport"
    if _is_label(line) and all(w in _SECTIONS for w in words):
        return "navigation"
    return None


def _split_lines(text: str) -> list[_Line]:
    """Normalise whitespace, split into paragraphs and lines, classify, cut glued prefixes."""
    lines: list[_Line] = []
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    for p, para in enumerate(_PARAGRAPH.split(text)):
        for raw in para.split("\n"):
            line = _collapse_space(raw)
            words = _words(line)
            spam, rest = _split_spam(line, words)
            if spam:
                lines.append(_Line(p, spam, "keyword_spam"))
            for kind, prefix in _PREFIXES:
                if (m := prefix.match(rest)) and m.end() < len(rest):
                    lines.append(_Line(p, m.group().strip(), kind))
                    rest = rest[m.end() :]
            if rest:
                if rest is not line:  # a part was cut off: find the words of the rest
                    words = _words(rest)
                entry = _Line(p, rest)
                entry.kind = _classify_line(entry, words)
                lines.append(entry)
    return lines


def _mark_in_context(lines: list[_Line]) -> None:
    """Polls, end-of-text bios and stray labels: rules that need the neighbouring lines."""
    for i, line in enumerate(lines):  # "View Results" + the question (and options) before it
        if line.kind is None and _POLL_MARKER.match(line.text):
            line.kind = "poll"
            for prev in reversed([x for x in lines[:i] if x.kind is None]):
                if not prev.text.endswith("?") and (
                    _line_is_sentence(prev) or len(prev.text.split()) > 6
                ):
                    break
                prev.kind = "poll"
                if prev.text.endswith("?"):
                    break
    for line in reversed([x for x in lines if x.kind is None][-5:]):
        if _BIO.match(line.text):
            line.kind = "bio"
        elif _line_is_sentence(line):
            break
    kept = [x for x in lines if x.kind is None]
    body = [i for i, x in enumerate(kept) if _line_is_sentence(x) and len(x.text.split()) >= 5]
    if not body:
        return
    first, last = body[0], body[-1]
    for i, line in enumerate(kept):
        if not _is_label(line.text):
            continue
        # A label after the story, or before a headline-like line that precedes the story.
        headline_follows = any(
            not _line_is_sentence(x) and len(x.text.split()) >= 4 for x in kept[i + 1 : first]
        )
        if i > last or (i < first and headline_follows):
            line.kind = "navigation"


def _kept_text(lines: list[_Line]) -> str:
    """The kept lines: those of a paragraph joined by a newline, paragraphs by a blank line."""
    paragraphs: dict[int, list[str]] = {}
    for line in lines:
        if line.kind is None:
            paragraphs.setdefault(line.para, []).append(line.text)
    return "\n\n".join("\n".join(para) for para in paragraphs.values())


def _classified_lines(text: str) -> list[_Line]:
    """The lines of ``text``, each with its kind (None for a kept line)."""
    lines = _split_lines(text)
    _mark_in_context(lines)
    return lines


def clean_text_with_report(text: str) -> CleaningReport:
    """Clean ``text`` like :func:`clean_text`; also return every removal with its kind."""
    lines = _classified_lines(text)
    removed = [RemovedLine(x.text, x.kind) for x in lines if x.kind is not None]
    return CleaningReport(_kept_text(lines), removed)


def clean_text(text: str) -> str:
    """Remove boilerplate lines and keyword spam from plain scraped news text.

    Keeps every sentence of the article, in order.  Whitespace inside a line is collapsed; kept
    lines of one paragraph are joined by a newline and kept paragraphs by a blank line, so
    ``clean_text(clean_text(x)) == clean_text(x)``.
    """
    return _kept_text(_classified_lines(text))  # no report to build


def extract_html(html: str) -> str:
    """Main text of an HTML page, extracted with trafilatura, then cleaned with :func:`clean_text`.

    Requires the ``html`` extra (``pip install "storycluster[html]"``). Returns ``""`` when the
    page has no main text.
    """
    try:
        import trafilatura
    except ImportError as error:
        raise ImportError(
            'extract_html needs trafilatura: pip install "storycluster[html]"'
        ) from error
    extracted = trafilatura.extract(html, include_comments=False, include_tables=False)
    return clean_text(extracted or "")
