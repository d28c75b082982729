"""Command line: ``storycluster cluster``, ``storycluster evaluate``, ``storycluster clean``."""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .models import Article, Event, Story

if TYPE_CHECKING:
    from datetime import datetime

    from ._features.embedding import Embedder
    from .batch import StoryClusterer

__all__ = ["main"]


class _InputError(Exception):
    """A problem with what the user gave: printed as ``error: ...``, exit status 2."""


def _finite_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}")
    return value


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {text!r}")
    return value


def _read_articles(path: str) -> list[Article]:
    """The articles of a JSONL file; an empty file is an error for every command."""
    from .io import read_jsonl

    articles = read_jsonl(path)
    if not articles:
        raise _InputError(f"{path} holds no articles (it is empty or only blank lines)")
    return articles


def _check_output(target: str | None, option: str) -> None:
    """Fail before any work if ``target`` cannot be written; create its folder (a CLI user
    expects ``-o out/x.jsonl`` to create ``out/``)."""
    if not target:
        return
    path = Path(target)
    if path.is_dir() or target.endswith((os.sep, "/")):
        raise _InputError(f"{option} {target}: is a directory; give a file name")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise _InputError(
            f"{option} {target}: cannot create the folder {path.parent} (a file is in the way)"
        ) from None
    except OSError as exc:
        raise _InputError(f"{option} {target}: cannot create {path.parent}: {exc}") from None
    if not os.access(path.parent, os.W_OK):
        raise _InputError(f"{option} {target}: the folder {path.parent} is not writable")


def _add_clusterer_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", help="articles as JSONL (id, title, text, published_at, ...)")
    parser.add_argument(
        "--model", default=None, help="sentence-transformers model name or directory"
    )
    parser.add_argument(
        "--threshold",
        type=_finite_float,
        default=None,
        help="event threshold in background SDs (default 4.75)",
    )
    parser.add_argument("--no-clean", action="store_true", help="do not strip scraper debris")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def _clusterer(args: argparse.Namespace) -> StoryClusterer:
    from .batch import StoryClusterer

    options: dict[str, Any] = {"clean": not args.no_clean}
    embedder = getattr(args, "embedder", None)
    if embedder is not None:
        options["model"] = embedder
    elif args.model is not None:
        options["model"] = args.model
    if args.threshold is not None:
        options["threshold"] = args.threshold
    if args.quiet:
        options["show_progress_bar"] = False
    return StoryClusterer(**options)


def _shorten(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _dates(first_published: datetime | None, last_published: datetime | None) -> str:
    """``"first..last"`` (days; one day when they are equal), or ``""`` without dates."""
    if not (first_published and last_published):
        return ""
    first, last = first_published.date(), last_published.date()
    return str(first) if first == last else f"{first}..{last}"


def format_events(events: Sequence[Event], top: int) -> str:
    """A plain-text table of the ``top`` largest events."""
    lines = [f"{'size':>4}  {'event id':<19}  {'dates':<23}  label / keywords"]
    for event in events[:top]:
        dates = _dates(event.first_published, event.last_published)
        lines.append(f"{event.size:>4}  {event.id:<19}  {dates:<23}  {_shorten(event.label, 70)}")
        if event.keywords:
            lines.append(f"{'':>4}  {'':<19}  {'':<23}  [{', '.join(event.keywords[:6])}]")
    singletons = sum(1 for event in events if event.size == 1)
    lines.append(f"{len(events)} events ({singletons} of a single article)")
    return "\n".join(lines)


def format_stories(stories: Sequence[Story], top: int) -> str:
    """A plain-text table of the ``top`` largest stories (articles, events, label)."""
    lines = [f"{'size':>4}  {'events':>6}  {'story id':<19}  {'dates':<23}  label"]
    for story in stories[:top]:
        dates = _dates(story.first_published, story.last_published)
        lines.append(
            f"{story.size:>4}  {story.n_events:>6}  {story.id:<19}  {dates:<23}  "
            f"{_shorten(story.label, 62)}"
        )
    several = sum(1 for story in stories if story.n_events > 1)
    lines.append(f"{len(stories)} stories ({several} of more than one event)")
    return "\n".join(lines)


def _cmd_cluster(args: argparse.Namespace) -> int:
    from .io import write_assignments_jsonl, write_events_jsonl, write_stories_jsonl

    _check_output(args.output, "-o")
    _check_output(args.events, "--events")
    _check_output(args.stories, "--stories")
    articles = _read_articles(args.input)
    started = time.perf_counter()
    model = _clusterer(args).fit(articles)
    elapsed = time.perf_counter() - started
    print(
        f"{len(articles)} articles -> {len(model.events_)} events in "
        f"{len(model.stories_)} stories in {elapsed:.1f} s"
    )
    print(format_events(model.events_, args.top))
    print()
    print(format_stories(model.stories_, args.top))
    if args.output:
        write_assignments_jsonl(model.result_, articles, args.output)
        print(f"wrote one line per article (event_id, story_id) to {args.output}")
    if args.events:
        write_events_jsonl(model.events_, args.events, stories=model.stories_)
        print(f"wrote one line per event (with its story_id) to {args.events}")
    if args.stories:
        write_stories_jsonl(model.stories_, args.stories)
        print(f"wrote one line per story to {args.stories}")
    return 0


def _gold_labels(articles: Sequence[Article], field: str) -> list[str]:
    missing = [a.id for a in articles if a.metadata.get(field) is None]
    if missing:
        shown = ", ".join(repr(i) for i in missing[:5])
        raise SystemExit(
            f"error: {len(missing)} articles have no {field!r} label (e.g. {shown}); "
            "use --label-field to name the field that holds the gold event"
        )
    return [str(a.metadata[field]) for a in articles]


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from .evaluation import evaluate

    articles = _read_articles(args.input)
    gold = _gold_labels(articles, args.label_field)
    started = time.perf_counter()
    model = _clusterer(args).fit(articles)
    elapsed = time.perf_counter() - started
    report = evaluate(model.labels_, gold)
    print(f"{args.input}: {len(articles)} articles, clustered in {elapsed:.1f} s")
    print(f"events against {args.label_field!r}:")
    print(report.to_table())
    if args.story_label_field:
        story_gold = _gold_labels(articles, args.story_label_field)
        print(f"stories against {args.story_label_field!r}:")
        print(evaluate(model.story_labels_, story_gold).to_table())
    return 0


def _cmd_clean(args: argparse.Namespace) -> int:
    from ._text.cleaning import clean_text_with_report

    articles = _read_articles(args.input)
    counts: Counter[str] = Counter()
    examples: dict[str, list[str]] = {}
    removed_chars = total_chars = 0
    for article in articles:
        text = article.text or ""
        report = clean_text_with_report(text)
        total_chars += len(text)
        removed_chars += max(len(text) - len(report.text), 0)
        for line in report.removed:
            counts[line.kind] += 1
            examples.setdefault(line.kind, [])
            if len(examples[line.kind]) < args.examples:
                examples[line.kind].append(_shorten(line.text, 90))
    print(
        f"{args.input}: {len(articles)} articles, {sum(counts.values())} lines removed, "
        f"{removed_chars / max(total_chars, 1):.1%} of the characters"
    )
    print(f"{'kind':<14} {'lines':>6}  examples")
    for kind, count in counts.most_common():
        shown = examples[kind]
        print(f"{kind:<14} {count:>6}  {shown[0] if shown else ''}")
        for example in shown[1:]:
            print(f"{'':<14} {'':>6}  {example}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The ``storycluster`` argument parser."""
    parser = argparse.ArgumentParser(
        prog="storycluster", description="Cluster news articles into events."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    cluster = commands.add_parser(
        "cluster", help="cluster a JSONL file and print the largest events"
    )
    _add_clusterer_options(cluster)
    cluster.add_argument("-o", "--output", help="write one JSON line per article with its event")
    cluster.add_argument("--events", help="write one JSON line per event")
    cluster.add_argument("--stories", help="write one JSON line per story (its events)")
    cluster.add_argument(
        "--top", type=_count, default=10, help="events and stories to print (default 10)"
    )
    cluster.set_defaults(handler=_cmd_cluster)

    evaluate = commands.add_parser("evaluate", help="cluster a labelled JSONL file and score it")
    _add_clusterer_options(evaluate)
    evaluate.add_argument(
        "--label-field", default="event_id", help="field holding the gold event (default event_id)"
    )
    evaluate.add_argument(
        "--story-label-field",
        default=None,
        help="field holding the gold story, to score the stories too (e.g. topic_id)",
    )
    evaluate.set_defaults(handler=_cmd_evaluate)

    clean = commands.add_parser("clean", help="report what the text cleaner removes")
    clean.add_argument("input", help="articles as JSONL")
    clean.add_argument("--report", action="store_true", help="print removals per kind (default)")
    clean.add_argument("--examples", type=_count, default=3, help="examples per kind (default 3)")
    clean.set_defaults(handler=_cmd_clean)
    return parser


def main(argv: Sequence[str] | None = None, *, embedder: Embedder | None = None) -> int:
    """Entry point of the ``storycluster`` command.

    Bad input (a missing, empty or unreadable file, invalid lines, an output path that cannot
    be written, a bad option value) prints ``error: ...`` and exits with status 2, never a
    traceback.

    ``embedder`` (any object with ``encode(texts)``, e.g.
    :class:`storycluster.testing.HashingEmbedder`) replaces the model that ``--model`` names or
    the default one: the seam for tests and for programs that embed with their own model.
    """
    args = build_parser().parse_args(argv)
    args.embedder = embedder
    try:
        return int(args.handler(args))
    except (_InputError, ValueError, OSError, RecursionError) as error:
        # ValueError covers ArticleValidationError and bad parameters, OSError unreadable
        # inputs and unwritable outputs (a full disk, a permission).
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
