"""Tests for storycluster._text.cleaning: boilerplate removal that keeps every article sentence.

The seed articles and the GVC texts are copyrighted: they are read from ../shared at run time, never
copied here.  Only short boilerplate strings and short body fragments appear below.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from storycluster._text.cleaning import (
    KINDS,
    CleaningReport,
    RemovedLine,
    clean_text,
    clean_text_with_report,
)

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
SEEDS = SHARED / "seeds"
GVC = SHARED / "data" / "gvc" / "articles.jsonl"


def _seed(prefix: str) -> str:
    if not SEEDS.is_dir():
        pytest.skip(f"seed articles not found at {SEEDS}")
    found = sorted(SEEDS.glob(f"{prefix}_*.txt"))
    if not found:
        pytest.skip(f"seed {prefix}_*.txt not found in {SEEDS}")
    return found[0].read_text(encoding="utf-8")


# Per seed: boilerplate that must go, body fragments (first and last paragraphs included) that must
# stay, whole lines that must go, and the removal counts per kind.
SEED_CASES = {
    "000": (
        ["EyeQ Tech", "crab farming", "crab exports", "TASS / Barcroft Images", "Getty Images",
         "Shutterstock", "via REUTERS", "Kim Jong Un pictured by his armored train"],
        ["Kim Jong Un expected to meet with Putin in Russia",
         "North Korean leader Kim Jong Un is expected to head",
         "was not disclosed Monday by National Security Council spokesperson",
         "Privately, officials believe the meeting could happen as soon",
         "he will likely head from Pyongyang, North Korea, to Vladivostok",
         "North Korea is quite familiar with western sanctions.",
         "Next week, President Biden is set to attend the Group",
         "instead send Premier Li Qiang."],
        ["US News"],
        {"keyword_spam": 1, "navigation": 1, "caption": 6},
    ),
    "001": (
        ["Share this", "IAMBEST Networks", "Leave a Reply",
         "Your email address will not be published", "Required fields are marked"],
        ["Kim Jong-un is planning to meet with Russian President",
         "The pair will discuss the possibility of Pyongyang supplying weapons",
         "less than 100 miles from the minuscule border",
         "while the Eastern Economic Forum takes place",
         "At the end of last month, the UK, US, Japan",
         "We will continue to work with allies and partners",
         "the statement read."],
        [],
        {"share": 1, "navigation": 1, "comment": 2},
    ),
    "002": (
        ["Exit mobile version", "is a news writer for National Review", "Grove City College",
         "guides the 3rd Meeting of Activists", "via Reuters"],
        ["Kim Jong-un to Meet in Russia with Vladimir Putin",
         "will reportedly meet with Russian president Vladimir Putin next week",
         "Kim will travel in an armored train to Russia",
         "Kim will request Russian satellite and nuclear-powered submarine technology",
         "National Security Council spokeswoman Adrienne Watson addressed the intel",
         "The Kremlin declined to confirm on Tuesday",
         "Republican presidential candidate Nikki Haley criticized President Joe",
         "Dictators only understand strength."],
        ["News", "World"],
        {"navigation": 3, "caption": 1, "bio": 1},
    ),
    "003": (
        ["Credit: CC BY 4.0", "mdi-share-variant", "mdi-twitter", "Members can comment",
         "Notify of", "Inline Feedbacks", "View all comments", "reduce speed limits",
         "View Results", "Loading"],
        ["Kim to meet Putin to discuss arms deal",
         "North Korean Dictator Kim Jong-un may be planning a trip",
         "would be a rare international trip for the relatively reclusive Kim",
         "Notably, Kim and Putin previously met here in April of 2019",
         "The newspaper also claims that Kim may seek Russian technology",
         "According to German magazine Der Spiegel",
         "Politico later reported in late July of this year",
         "helmets and body armour, to aid Russia."],
        [],
        {"credit": 1, "share": 1, "comment": 3, "poll": 2, "other": 1},
    ),
    "004": (
        ["Also Read", "US Warns North Korea Against Selling Munitions", "Share this:",
         "WhatsApp", "Telegram", "LinkedIn", "Like this", "Like Loading"],
        ["North Korean leader Kim Jong Un is reportedly preparing to travel",
         "A US official informed CBS about this anticipated meeting",
         "Sources suggest that Kim Jong Un is likely to travel",
         "Weapons displayed during the visit included the Hwasong",
         "Kirby warned that the US would take action",
         "John Everard, the former UK ambassador to North Korea",
         "between Kim and then-US President Donald Trump."],
        ["Facebook", "Twitter"],
        {"cross_link": 1, "share": 6},
    ),
}  # fmt: skip


@pytest.mark.parametrize("prefix", sorted(SEED_CASES))
def test_seed_debris_removed_and_body_kept(prefix: str) -> None:
    text = _seed(prefix)
    debris, body, gone_lines, counts = SEED_CASES[prefix]
    cleaned, removed = clean_text_with_report(text)
    for fragment in debris:
        assert fragment in text, f"test fragment {fragment!r} not in seed {prefix}"
        assert fragment not in cleaned, f"{fragment!r} left in seed {prefix}"
    for fragment in body:
        assert fragment in " ".join(text.split()), f"test fragment {fragment!r} not in {prefix}"
        assert fragment in cleaned, f"body fragment {fragment!r} lost from seed {prefix}"
    lines = cleaned.split("\n")
    for line in gone_lines:
        assert line not in lines, f"line {line!r} left in seed {prefix}"
    assert CleaningReport(cleaned, removed).counts() == counts
    assert clean_text(cleaned) == cleaned


def test_seed_000_spam_gone_headline_first() -> None:
    cleaned = clean_text(_seed("000"))
    assert cleaned.startswith("Kim Jong Un expected to meet with Putin in Russia to discuss")
    assert "crab" not in cleaned.lower()
    assert "eyeq" not in cleaned.lower()


def test_seed_paragraph_breaks_kept() -> None:
    cleaned = clean_text(_seed("004"))
    paragraphs = cleaned.split("\n\n")
    assert paragraphs[0].startswith("North Korean leader Kim Jong Un is reportedly preparing")
    assert paragraphs[-1].endswith("President Donald Trump.")
    assert all(p.strip() == p and p for p in paragraphs)


def test_clean_text_passes_through_modulo_whitespace() -> None:
    text = (
        "  Storm closes the harbour for a second day  \n\n"
        "The harbour  master said on Tuesday that\tall boats must stay in port.\n"
        "Fishermen were told to wait.\n\n\n\n"
        '"We have never seen waves like this," one captain said.\n\n'
        "Officials expect the storm to pass by Friday."
    )
    expected = (
        "Storm closes the harbour for a second day\n\n"
        "The harbour master said on Tuesday that all boats must stay in port.\n"
        "Fishermen were told to wait.\n\n"
        '"We have never seen waves like this," one captain said.\n\n'
        "Officials expect the storm to pass by Friday."
    )
    assert clean_text(text) == expected
    assert clean_text_with_report(text).removed == []


@pytest.mark.parametrize("text", ["", "   ", "\n\n \n", "\r\n\r\n"])
def test_empty_input(text: str) -> None:
    assert clean_text(text) == ""
    assert clean_text_with_report(text) == ("", [])


def test_keyword_spam_line_removed() -> None:
    spam = "cheap flights cheap flights best cheap flights deals cheap flights cheap flights"
    text = f"{spam}\n\nThe airline cancelled twelve flights on Monday.\n\nNo one was hurt."
    cleaned, removed = clean_text_with_report(text)
    assert cleaned == "The airline cancelled twelve flights on Monday.\n\nNo one was hurt."
    assert removed == [RemovedLine(spam, "keyword_spam")]


def test_keyword_spam_glued_before_headline() -> None:
    spam = "crab farming crab farming crab farming crab exports crab farming crab farming"
    article = "Storm closes the harbour for a second day\n\nThe port stayed shut on Tuesday."
    cleaned, removed = clean_text_with_report(f"{spam} {article}")
    assert cleaned == article
    assert removed == [RemovedLine(spam, "keyword_spam")]


def test_also_read_line_removed() -> None:
    text = (
        "The council approved the budget on Monday.\n\n"
        "Also Read: Mayor Announces New Parks Plan For The City\n\n"
        "The vote was seven to two."
    )
    cleaned, removed = clean_text_with_report(text)
    assert "Also Read" not in cleaned
    assert "The vote was seven to two." in cleaned
    assert [r.kind for r in removed] == ["cross_link"]


def test_short_real_sentence_kept() -> None:
    text = "A man was shot on Main Street late on Friday.\n\nHe died.\n\nShare this"
    assert clean_text(text) == "A man was shot on Main Street late on Friday.\n\nHe died."
    assert clean_text("He died.") == "He died."


def test_section_label_removed_headline_kept() -> None:
    text = (
        "Local News\n\n"
        "Storm closes the harbour for a second day\n\n"
        "The harbour master said all boats must stay in port.\n\n"
        "Leave a Reply\n\nYour email address will not be published. Required fields are marked *\n"
        "Comment\nName\nEmail\nWebsite\n"
        "Save my name, email, and website in this browser for the next time I comment."
    )
    cleaned, removed = clean_text_with_report(text)
    assert cleaned == (
        "Storm closes the harbour for a second day\n\n"
        "The harbour master said all boats must stay in port."
    )
    assert {r.kind for r in removed} == {"navigation", "comment", "share"}


def test_caption_credit_poll_bio_removed() -> None:
    text = (
        "Firefighters fought the blaze for six hours on Sunday.\n\n"
        "A firefighter sprays water on the warehouse. (AP Photo/Jane Doe)\n\n"
        "The cause of the fire is not yet known.\n\n"
        "Copyright 2024 Example Media. All rights reserved.\n\n"
        "John Smith is a staff reporter for the Example Gazette. He covers city hall.\n\n"
        "Should the city hire more firefighters?\n\nYes\nNo\nView Results"
    )
    cleaned, removed = clean_text_with_report(text)
    assert cleaned == (
        "Firefighters fought the blaze for six hours on Sunday.\n\n"
        "The cause of the fire is not yet known."
    )
    kinds = [r.kind for r in removed]
    assert kinds == ["caption", "credit", "bio", "poll", "poll", "poll", "poll"]


def test_captcha_and_send_to_a_friend_removed() -> None:
    text = (
        "Police closed the bridge after the crash.\n\n"
        "Send to a Friend\nYour Name\nRecipient's Email\n"
        "Please type the characters you see in the image (CAPTCHA)\nSubmit"
    )
    cleaned, removed = clean_text_with_report(text)
    assert cleaned == "Police closed the bridge after the crash."
    assert {r.kind for r in removed} == {"share", "captcha", "comment"}


def test_report_kinds_and_unpacking() -> None:
    report = clean_text_with_report(
        "Share this\n\nThe bridge reopened on Monday morning.\n\nFacebook\nTwitter"
    )
    text, removed = report
    assert text == report.text == "The bridge reopened on Monday morning."
    assert report.counts() == {"share": 3}
    assert all(r.kind in KINDS for r in removed)
    assert len(set(KINDS)) == len(KINDS)


@pytest.mark.parametrize(
    "text",
    [
        "Local News\n\nHeadline About The Storm Today\n\nIt rained. He died.\n\nShare this",
        "spam spam spam spam spam spam spam spam spam spam Real headline of the story here\n\nOk.",
        "  A  b.\n\n\n\nC d e f g?\n\nView Results\n\nExit mobile version",
    ],
)
def test_idempotent_synthetic(text: str) -> None:
    once = clean_text(text)
    assert clean_text(once) == once


@pytest.fixture(scope="module")
def gvc_texts() -> list[str]:
    if not GVC.is_file():
        pytest.skip(f"GVC articles not found at {GVC}")
    with GVC.open(encoding="utf-8") as f:
        return [json.loads(line)["text"] for line in f if line.strip()]


# Scraper debris present in the GVC texts (they hold no captcha or "send to a friend" forms).
GVC_DEBRIS = (
    "Please enable Javascript to watch this video",
    "Caption Close",
    "View Full Caption",
    "Buy Photo",
    "Read or Share this story",
    "Like this: Like Loading",
    "Share this:",
    "All rights reserved",
    "Having trouble viewing the video",
    "Pending Comments",
    "Sign up for one of our email newsletters",
    "Join The Conversation On",
)


def test_gvc_debris_removed_and_body_kept(gvc_texts: list[str]) -> None:
    assert len(gvc_texts) > 100
    for text in gvc_texts:
        cleaned, removed = clean_text_with_report(text)
        lowered = cleaned.lower()
        for debris in GVC_DEBRIS:
            assert debris.lower() not in lowered, debris
        assert cleaned, text[:80]
        # Photo-gallery captions can outweigh a short story; everything else is kept in bulk.
        total = len("".join(text.split()))
        dropped = sum(len("".join(r.text.split())) for r in removed if r.kind != "caption")
        assert dropped <= 0.6 * total, text[:80]
        assert clean_text(cleaned) == cleaned


def test_extract_html_keeps_article_drops_chrome():
    pytest.importorskip("trafilatura")
    from storycluster._text.cleaning import extract_html

    page = (
        "<html><head><title>Quake hits Nepal</title></head><body>"
        "<nav>Home | World | Sport</nav><article><h1>Quake hits Nepal</h1>"
        "<p>A magnitude 7.8 earthquake struck Nepal on Saturday, killing hundreds of people in "
        "Kathmandu and surrounding districts, officials said.</p>"
        "<p>Rescue teams searched collapsed buildings through the night as aftershocks shook "
        "the valley.</p></article><footer>Share this: Twitter Facebook</footer></body></html>"
    )
    text = extract_html(page)
    assert "A magnitude 7.8 earthquake struck Nepal on Saturday" in text
    assert "aftershocks shook the valley." in text
    assert "Share this" not in text
    assert "Home | World" not in text


def test_prose_naming_an_agency_is_not_a_caption():
    # A lead whose last sentence starts with an agency name ("Reuters witnessed ...") is prose.
    line = (
        "Food and water has been scarce, around 20 migrants told the agency. "
        "Reuters witnessed hundreds of..."
    )
    assert clean_text(line) == line
    credit = "Migrants wait under the bridge in Del Rio on Sept. 16, 2021. REUTERS/Go Nakamura"
    assert clean_text(credit) == ""


def _reference_kind(line: str) -> str | None:
    """The first kind whose whole pattern (every alternative, case-insensitive) matches."""
    import re

    from storycluster._text.cleaning import _RULES

    for kind, sources in _RULES.items():
        if re.search("|".join(sources), line, re.IGNORECASE):
            return kind
    return None


_RULE_LINES = [
    "Please verify you're human", "I am not a robot", "Type the characters you see",
    "Enter the security code", "mdi-share-variant", "12 retweets 40 likes",
    "View image on Twitter", "Your email address will not be published.",
    "Required fields are marked *", "Save my name, email, and website in this browser",
    "Members can comment on this story", "Log in to comment", "Comments are closed.",
    "Sign up for our daily newsletters", "Subscribe to our channel",
    "Get the newsletter in your inbox",
    "Breaking news alerts", "Manage newsletters", "Now, download the free app today",
    "Our app for iPhone and Android", "Get alerts", "Caption close", "View full caption",
    "Protesters march (AP Photo/Jane Doe)", "A crowd gathers. Credit: Reuters",
    "All rights reserved.", "CC BY 4.0 licence", "This material may not be published, broadcast",
    "Jane Doe contributed to this report.", "Staff writers John Roe and Ann Poe contributed.",
    "Image 3 of 12", "A day like any other in the city", "He said the vote was close.",
    "DOWNLOAD THE APP", "ALL RIGHTS RESERVED", "Sign Up For Breaking News ALERTS today",
    "\u017fign up for our newsletters",  # long s: re's IGNORECASE folds it to "s"
    "All rights re\u017ferved", "\u0130mage 2 of 9", "Subscr\u0131be to our list",
    "\u212aeep reading: all rights reserved", "Caf\u00e9 owner's app for iPhone users",
]  # fmt: skip


def test_word_shortcut_never_changes_a_kind() -> None:
    """The required-word shortcut only skips patterns that cannot match."""
    lines = list(_RULE_LINES)
    if GVC.is_file():
        with GVC.open(encoding="utf-8") as f:
            texts = [json.loads(line)["text"] for line in f if line.strip()]
        for text in texts[:150]:
            lines.extend(line.strip() for line in text.splitlines() if line.strip())
    lines += [line.upper() for line in lines] + [line.title() for line in lines]
    from storycluster._text.cleaning import _pattern_kind

    assert [_pattern_kind(line) for line in lines] == [_reference_kind(line) for line in lines]


def test_odd_case_characters_are_all_listed() -> None:
    """Every non-ASCII character that IGNORECASE matches to an ASCII letter is in _ODD_CASE."""
    import re

    from storycluster._text.cleaning import _ODD_CASE

    letter = re.compile("[a-z]", re.IGNORECASE)
    odd = [chr(c) for c in range(128, 0x30000) if letter.match(chr(c))]
    assert odd and all(_ODD_CASE.match(char) for char in odd)


def test_required_words() -> None:
    from storycluster._text.cleaning import _required_words

    assert _required_words(r"\bsign up for\b.{0,60}\bnews") == frozenset({"sign up for"})
    assert _required_words(r"(?:foo|barbaz)|quux") == frozenset({"foo", "barbaz", "quux"})
    assert _required_words(r"(?:foo|barbaz) qux|quux") == frozenset({" qux", "quux"})
    assert _required_words(r"a?b*") is None
    assert _required_words(r"(?:x+yz)+") == frozenset({"yz"})


def _sample_lines() -> list[str]:
    """Rule lines, odd white space and case, and (when present) the GVC texts' lines."""
    lines = [*_RULE_LINES, "", " ", "He died.", "\u201cNo.\u201d", "Yes!)]", "(AP Photo/J. Doe)"]
    lines += ["a\u00a0b\u2028c\u200bd\ufeffe\x1cf\tg  h ", "\u200b lead", "end \ufeff"]
    lines += ["\u039f\u0394\u039f\u03a3.\u0392", "\u0130stanbul \u03a3\u039f\u03a3", "x\n"]
    lines += ["Wait\u2026", "It's \u2018done\u2019", "so-called 'word' - and", "a_b c__d"]
    if GVC.is_file():
        with GVC.open(encoding="utf-8") as f:
            texts = [json.loads(line)["text"] for line in f if line.strip()]
        lines.extend(line for text in texts[:200] for line in text.splitlines())
    return lines + [line.upper() for line in lines]


def test_fast_paths_match_what_they_replace() -> None:
    """Each shortcut gives what the plain expression it stands for gives."""
    import re

    from storycluster._text import cleaning as c

    old_last_stop = re.compile(rf"[.!?][{c._CLOSERS}]*\s+(?=\S)")
    for line in _sample_lines():
        assert c._collapse_space(line) == c._SPACE.sub(" ", line).strip()
        assert c._words(line) == [w.lower() for w in c._WORD.findall(line)]
        assert c._ends_sentence(line) == bool(c._SENTENCE_END.search(line))
        assert c._has_odd_case(line) == bool(c._ODD_CASE.search(line))
        ends = list(old_last_stop.finditer(line))
        last = c._LAST_STOP.match(line)
        assert (last.end() if last else None) == (ends[-1].end() if ends else None)


def test_lower_casing_keeps_word_classes() -> None:
    """What _collapse_space and _words rely on, on every code point: ``\\s`` is str.isspace,
    and lower-casing keeps each character's class for _WORD except the dotted capital I."""
    import re
    import sys

    space, word = re.compile(r"\s"), re.compile(r"[^\W_]")
    joiners = "'\u2019-"

    def kind(char: str) -> int:
        return 2 if word.match(char) else 1 if char in joiners else 0

    changed = []
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        assert bool(space.match(char)) == char.isspace()
        lower = char.lower()
        if len(lower) != 1 or kind(lower) != kind(char):
            changed.append(char)
    assert changed == ["\u0130"]
