"""Save and load a fitted :class:`storycluster.StoryClusterer`, without pickle.

A saved model is a directory::

    manifest.json     "format": "storycluster.model", "format_version", the storycluster
                      version that wrote it, the constructor parameters, the embedding model's
                      name (or the type of the embedder object, which is not saved), the fitted
                      threshold and weights, sizes, and the SHA-256 and length of every other
                      file
    events.json       the events, as ``Event.model_dump(mode="json")``, largest first
    stories.json      the stories, as ``Story.model_dump(mode="json")``, largest first (each
                      event's story follows from the story's event ids)
    articles.json     the fitted article ids, in input order (``labels_`` indexes them)
    terms.json        the lexical and entity vocabularies (the columns of the TF-IDF arrays)
    *.npy             numeric arrays, read with ``allow_pickle=False``:
                      labels                      each article's event (index into events.json)
                      dense, days, words          embeddings, publication days, word counts
                      weekdays                    weekday names of title and lead (bit masks;
                                                  absent in models saved before: none named)
                      background_mean, _sd        each article's background, shape (3, n)
                      lexical_*, entities_*       TF-IDF rows as CSR (indptr, indices, data)
                      lexical_idf, entity_idf     the fitted IDF
                      sample_*                    the background sample's features (the rows
                                                  every background was measured against)

What :meth:`~storycluster.StoryClusterer.predict`, :meth:`~storycluster.StoryClusterer.transform`,
:meth:`~storycluster.StoryClusterer.find_events` and the views need is there; the cleaned
article texts (``cleaned_texts_``) are not. A loaded model has the same ``labels_``, events and
predictions as the saved one.

:func:`save_model` writes into a temporary directory beside the target and renames it into
place, so a reader sees the old model or the new one, never half of one. It replaces only an
empty directory or a model it wrote before (nothing but the files its manifest lists), and
refuses any other existing path. :func:`load_model` raises :class:`ModelFormatError` (a
``ValueError``) for a directory that is not a saved model, a format version it does not read,
or a missing or corrupted file.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import secrets
import shutil
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import sparse

from .._features.features import ArticleFeatures, TermWeights
from .._scoring.events import FittedCorpus
from .._scoring.similarity import Background, SimilarityWeights
from ..models import ClusteringResult, Event, Story

if TYPE_CHECKING:
    from .._features.embedding import Embedder
    from ..batch import StoryClusterer

__all__ = ["FORMAT", "FORMAT_VERSION", "ModelFormatError", "load_model", "save_model"]

FORMAT = "storycluster.model"
#: Version of the layout above. 2 added the weekday arrays and ``weekday_penalty`` (in the
#: parameters and the weights); an older storycluster refuses it with "upgrade storycluster".
FORMAT_VERSION = 2
#: Versions this loader reads: version 1 loads with no weekdays named and the default
#: ``weekday_penalty``.
_READABLE_VERSIONS = (1, 2)
_MANIFEST = "manifest.json"


class ModelFormatError(ValueError):
    """A saved model that cannot be read: not a model, another format version, a missing or
    corrupted file."""


class MissingEmbedder:
    """Stands for an embedder object that was not saved with the model: any use says so."""

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def encode(self, texts: Any) -> np.ndarray:
        raise ValueError(
            f"this model was fitted with an embedder object ({self.kind}), which is not saved: "
            "pass it to StoryClusterer.load(path, model=...), or pass embeddings= to predict"
        )

    def __repr__(self) -> str:
        return f"<embedder not saved: {self.kind}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MissingEmbedder) and other.kind == self.kind

    def __hash__(self) -> int:
        return hash(self.kind)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(array), allow_pickle=False)
    return buffer.getvalue()


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, allow_nan=False).encode("utf-8")


def _feature_arrays(prefix: str, features: ArticleFeatures) -> dict[str, np.ndarray]:
    arrays = {
        f"{prefix}dense": features.dense,
        f"{prefix}days": features.days,
        f"{prefix}words": features.words,
        f"{prefix}weekdays": features.weekday_masks,
    }
    for name, matrix in (("lexical", features.lexical), ("entities", features.entities)):
        csr = sparse.csr_matrix(matrix)
        arrays[f"{prefix}{name}_indptr"] = csr.indptr.astype(np.int64)
        arrays[f"{prefix}{name}_indices"] = csr.indices.astype(np.int32)
        arrays[f"{prefix}{name}_data"] = csr.data.astype(np.float32)
    return arrays


def _params(estimator: StoryClusterer) -> tuple[dict[str, Any], dict[str, Any]]:
    params = estimator.get_params()
    model = params.pop("model")
    if isinstance(model, str):
        recorded = {"name": model, "type": None}
    elif isinstance(model, MissingEmbedder):
        recorded = {"name": None, "type": model.kind}
    else:
        recorded = {"name": None, "type": type(model).__name__}
    cache = params["cache"]
    if not isinstance(cache, bool):
        params["cache"] = os.fspath(cache)
    return params, recorded


def _files(estimator: StoryClusterer) -> dict[str, bytes]:
    corpus: FittedCorpus = estimator._fitted_corpus()
    arrays = {"labels": np.asarray(estimator.labels_, dtype=np.int64)}
    arrays.update(_feature_arrays("", corpus.features))
    arrays["background_mean"] = corpus.background.mean
    arrays["background_sd"] = corpus.background.sd
    arrays["lexical_idf"] = corpus.terms.lexical_idf
    arrays["entity_idf"] = corpus.terms.entity_idf
    arrays.update(_feature_arrays("sample_", corpus.sample))
    files = {f"{name}.npy": _npy(array) for name, array in arrays.items()}
    try:
        files["events.json"] = _json([e.model_dump(mode="json") for e in estimator.events_])
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"cannot save the events as JSON ({exc}); article metadata must hold JSON values "
            "(str, numbers, bools, None, lists and dicts of them)"
        ) from None
    files["stories.json"] = _json([s.model_dump(mode="json") for s in estimator.stories_])
    files["articles.json"] = _json({"ids": estimator.result_.article_ids})
    files["terms.json"] = _json(
        {
            "lexical": [str(t) for t in corpus.terms.lexical_vocabulary.tolist()],
            "entities": [str(t) for t in corpus.terms.entity_vocabulary.tolist()],
        }
    )
    return files


def save_model(estimator: StoryClusterer, path: str | os.PathLike[str]) -> None:
    """Write a fitted ``estimator`` to the directory ``path`` (see the module docstring)."""
    from .. import __version__

    files = _files(estimator)
    params, recorded = _params(estimator)
    corpus = estimator._fitted_corpus()
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "storycluster_version": __version__,
        "params": params,
        "model": recorded,
        "fitted": {
            "threshold_": float(estimator.threshold_),
            "weights_": asdict(estimator.weights_),
            "story_threshold_": float(estimator.story_threshold_),
            "story_weights_": asdict(estimator.story_weights_),
            "n_articles": len(corpus.features),
            "n_events": len(estimator.events_),
            "dim": int(corpus.features.dense.shape[1]),
        },
        "files": {
            name: {"sha256": _sha256(data), "bytes": len(data)}
            for name, data in sorted(files.items())
        },
    }
    files[_MANIFEST] = json.dumps(manifest, indent=1, allow_nan=False).encode("utf-8")

    target = Path(path)
    replaced = _replaceable(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    token = f"{os.getpid()}.{secrets.token_hex(4)}"
    temporary = target.with_name(f".{target.name}.{token}.tmp")
    temporary.mkdir()
    try:
        for name, data in files.items():
            with open(temporary / name, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
        old = target.with_name(f".{target.name}.{token}.old")
        if replaced is not None:
            os.replace(target, old)
        os.replace(temporary, target)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    if replaced is not None:
        # Only what the old manifest lists (the check above found nothing else).
        for name in replaced:
            (old / name).unlink(missing_ok=True)
        old.rmdir()


def _replaceable(target: Path) -> list[str] | None:
    """``None`` when ``target`` does not exist, else the files of the model (or empty
    directory) it holds, which saving replaces; anything else is refused."""
    if not target.exists() and not target.is_symlink():
        return None
    refusal = (
        f"{target} exists and is not a saved storycluster model; save to a new path or remove it"
    )
    if target.is_symlink() or not target.is_dir():
        raise FileExistsError(refusal)
    present = sorted(entry.name for entry in target.iterdir())
    if not present:
        return []
    try:
        manifest = json.loads((target / _MANIFEST).read_bytes())
        listed = set(manifest["files"]) | {_MANIFEST}
        is_model = manifest["format"] == FORMAT
    except (OSError, ValueError, KeyError, TypeError):
        raise FileExistsError(refusal) from None
    if not is_model or not set(present) <= listed:
        raise FileExistsError(
            f"{target} holds files a saved model does not "
            f"({', '.join(sorted(set(present) - listed)) or 'another format'}); save to a new "
            "path or remove it"
        )
    if not all((target / name).is_file() and not (target / name).is_symlink() for name in present):
        raise FileExistsError(refusal)
    return present


def _read(root: Path, name: str, listed: dict[str, Any]) -> bytes:
    entry = listed.get(name)
    if not isinstance(entry, dict) or "sha256" not in entry:
        raise ModelFormatError(f"saved model {root}: the manifest does not list {name}")
    try:
        data = (root / name).read_bytes()
    except FileNotFoundError:
        raise ModelFormatError(f"saved model {root} is missing {name}") from None
    if _sha256(data) != entry["sha256"]:
        raise ModelFormatError(
            f"saved model {root}: {name} is corrupted (its SHA-256 does not match the "
            "manifest); save the model again or restore the directory from a copy"
        )
    return data


def _manifest(root: Path) -> dict[str, Any]:
    if not root.is_dir():
        raise ModelFormatError(f"no saved model at {root} (not a directory)")
    try:
        manifest = json.loads((root / _MANIFEST).read_bytes())
    except FileNotFoundError:
        raise ModelFormatError(
            f"{root} is not a saved storycluster model (no {_MANIFEST})"
        ) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelFormatError(f"saved model {root}: {_MANIFEST} is corrupted ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ModelFormatError(f"{root} is not a saved storycluster model ({_MANIFEST} format)")
    version = manifest.get("format_version")
    if version not in _READABLE_VERSIONS:
        writer = manifest.get("storycluster_version", "unknown")
        if isinstance(version, int) and version > FORMAT_VERSION:
            advice = "upgrade storycluster to load it"
        else:
            advice = "fit the model again with this version and save it"
        raise ModelFormatError(
            f"saved model {root} has format version {version!r} (written by storycluster "
            f"{writer}); this storycluster reads versions {_READABLE_VERSIONS}: {advice}"
        )
    return manifest


def _features(arrays: dict[str, np.ndarray], prefix: str, terms: TermWeights) -> ArticleFeatures:
    def csr(name: str, columns: int) -> sparse.csr_matrix:
        indptr = arrays[f"{prefix}{name}_indptr"]
        return sparse.csr_matrix(
            (arrays[f"{prefix}{name}_data"], arrays[f"{prefix}{name}_indices"], indptr),
            shape=(indptr.size - 1, columns),
        )

    weekdays = arrays.get(f"{prefix}weekdays")
    return ArticleFeatures(
        dense=arrays[f"{prefix}dense"].astype(np.float32, copy=False),
        lexical=csr("lexical", terms.lexical_vocabulary.size),
        entities=csr("entities", terms.entity_vocabulary.size),
        days=arrays[f"{prefix}days"].astype(np.float64, copy=False),
        vocabulary=terms.lexical_vocabulary,
        words=arrays[f"{prefix}words"].astype(np.int64, copy=False),
        weekdays=None if weekdays is None else weekdays.astype(np.int64, copy=False),
    )


_ARRAYS = (
    "labels",
    "background_mean",
    "background_sd",
    "lexical_idf",
    "entity_idf",
    *(
        f"{prefix}{name}"
        for prefix in ("", "sample_")
        for name in (
            "dense",
            "days",
            "words",
            "lexical_indptr",
            "lexical_indices",
            "lexical_data",
            "entities_indptr",
            "entities_indices",
            "entities_data",
        )
    ),
)


#: Arrays that models saved by earlier versions lack (loaded as "none known").
_OPTIONAL_ARRAYS = ("weekdays", "sample_weekdays")


def load_model(
    cls: type[StoryClusterer],
    path: str | os.PathLike[str],
    *,
    model: str | Embedder | None = None,
) -> StoryClusterer:
    """Read a model written by :func:`save_model`; raises :class:`ModelFormatError`."""
    root = Path(path)
    manifest = _manifest(root)
    try:
        listed = manifest["files"]
        arrays = {
            name: np.load(io.BytesIO(_read(root, f"{name}.npy", listed)), allow_pickle=False)
            for name in _ARRAYS
        }
        for name in _OPTIONAL_ARRAYS:
            if f"{name}.npy" in listed:
                data = _read(root, f"{name}.npy", listed)
                arrays[name] = np.load(io.BytesIO(data), allow_pickle=False)
        events = [Event.model_validate(e) for e in json.loads(_read(root, "events.json", listed))]
        ids = list(json.loads(_read(root, "articles.json", listed))["ids"])
        vocabularies = json.loads(_read(root, "terms.json", listed))
        terms = TermWeights(
            lexical_vocabulary=np.array(vocabularies["lexical"], dtype=object),
            lexical_idf=arrays["lexical_idf"],
            entity_vocabulary=np.array(vocabularies["entities"], dtype=object),
            entity_idf=arrays["entity_idf"],
        )
        features = _features(arrays, "", terms)
        sample = _features(arrays, "sample_", terms)
        fitted = manifest["fitted"]
        recorded = manifest["model"]
        chosen: Any = model
        if chosen is None:
            chosen = recorded["name"] or MissingEmbedder(str(recorded["type"]))
        estimator = cls(model=chosen, **manifest["params"])
        labels = arrays["labels"].astype(np.int64)
        background = Background(mean=arrays["background_mean"], sd=arrays["background_sd"])
        result = ClusteringResult(events=events, article_ids=ids, labels=labels.tolist())
        weights = SimilarityWeights(**fitted["weights_"])
        threshold = float(fitted["threshold_"])
        stories = [Story.model_validate(s) for s in json.loads(_read(root, "stories.json", listed))]
        story_weights = SimilarityWeights(**fitted["story_weights_"])
        story_threshold = float(fitted["story_threshold_"])
    except ModelFormatError:
        raise
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise ModelFormatError(f"saved model {root} is inconsistent: {exc!r}") from None
    n = len(ids)
    lengths = {
        labels.size,
        len(features),
        features.lexical.shape[0],
        features.entities.shape[0],
        features.days.size,
        features.words.size,
        features.weekday_masks.size,
        background.mean.shape[1],
        background.sd.shape[1],
    }
    if lengths != {n} or (n and int(labels.max()) != len(events) - 1):
        raise ModelFormatError(f"saved model {root} is inconsistent: sizes do not match")
    position = {event.id: index for index, event in enumerate(events)}
    story_of_event = np.full(len(events), -1, dtype=np.int64)
    for index, story in enumerate(stories):
        for event in story.events:
            if event not in position or story_of_event[position[event]] != -1:
                raise ModelFormatError(f"saved model {root} is inconsistent: stories")
            story_of_event[position[event]] = index
    if (story_of_event < 0).any():
        raise ModelFormatError(f"saved model {root} is inconsistent: an event has no story")
    story_labels = story_of_event[labels]
    estimator.threshold_ = threshold
    estimator.weights_ = weights
    estimator.story_threshold_ = story_threshold
    estimator.story_weights_ = story_weights
    estimator.labels_ = labels
    estimator.events_ = events
    estimator.stories_ = stories
    estimator.story_of_event_ = story_of_event
    estimator.story_labels_ = story_labels
    estimator.result_ = result.model_copy(
        update={"stories": stories, "story_labels": story_labels.tolist()}
    )
    estimator.embeddings_ = features.dense
    estimator._corpus = FittedCorpus(
        features=features, background=background, labels=labels, terms=terms, sample=sample
    )
    return estimator
