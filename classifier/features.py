"""A bag-of-features text classifier: spaCy's TextCatBOW, with features that suit chat text.

spaCy's own BOW model hashes case-sensitive word n-grams. Reports typed in Slack
mix case freely, misspell and inflect, so this one hashes lower-cased words and
bigrams, a crude stem and a word prefix (both robust to typos and endings), and
the team, system and handoff matches of the rule components. Everything is a
sparse linear model over hashed keys, as fast as TextCatBOW.v3.
"""

from __future__ import annotations

from functools import partial
from typing import cast

import numpy
from spacy.attrs import LOWER
from spacy.ml.models.textcat import resize_and_set_ref
from spacy.strings import hash_string  # type: ignore[attr-defined]  # missing from spaCy's strings.pyi
from spacy.tokens import Doc
from spacy.util import registry
from thinc.api import (
    Model,
    SparseLinear_v2,
    chain,
    resizable,
    with_cpu,
)
from thinc.layers.resizable import resize_linear_weighted
from thinc.types import Floats1d, Floats2d

__all__ = ["build_snag_bow", "doc_features", "fit_idf", "stem"]

_NEG_VALUE = -5000
_SUFFIXES = ("ings", "ing", "ied", "ies", "ed", "es", "s", "ly", "er")
_CACHE_KEY = "snag_features.v2"


def stem(word: str) -> str:
    """A crude stem: strips a common English ending from a longer word."""
    for suffix in _SUFFIXES:
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def _word_keys(word: str, prefix_size: int, chars: tuple[int, int]) -> tuple[int, ...]:
    keys = [hash_string("s:" + stem(word))]
    if prefix_size and len(word) > prefix_size:
        keys.append(hash_string("p:" + word[:prefix_size]))
    if chars[1] and word.isalpha():
        padded = f"<{word}>"
        for n in range(chars[0], chars[1] + 1):
            keys.extend(hash_string("c:" + padded[i : i + n]) for i in range(len(padded) - n + 1))
    return tuple(keys)


def _mention_keys(doc: Doc) -> list[int]:
    keys = [hash_string(f"e:{ent.label_}:{ent.ent_id_}") for ent in doc.ents]
    teams = list(dict.fromkeys(e.ent_id_ for e in doc.ents if e.label_ == "TEAM"))
    # which team is named first and second: the usual order of a handoff
    keys.extend(hash_string(f"m{i}:{team}") for i, team in enumerate(teams[:3]))
    keys.append(hash_string(f"mentions:{min(len(teams), 3)}"))
    cues = doc._.get("cues") if Doc.has_extension("cues") else ()
    keys.extend(hash_string(f"q:{label}") for label in cues)
    rule = doc._.get("handoff_rule") if Doc.has_extension("handoff_rule") else None
    if rule is not None:
        keys.append(hash_string(f"h:from:{rule[0]}"))
        keys.append(hash_string(f"h:to:{rule[1]}"))
    return keys


def doc_features(
    doc: Doc,
    cache: dict[int, tuple[int, ...]],
    ngram_size: int,
    prefix_size: int,
    chars: tuple[int, int] = (0, 0),
) -> tuple[numpy.ndarray, numpy.ndarray]:
    """Hashed feature keys of a doc and how often each occurs (memoised on the doc)."""
    config = (ngram_size, prefix_size, chars)
    memo = doc.user_data.setdefault(_CACHE_KEY, {})  # per feature set: the textcats share docs
    if config in memo:
        return memo[config]
    lows = doc.to_array(LOWER).astype(numpy.uint64)
    parts = [lows]
    for n in range(2, ngram_size + 1):
        if len(lows) >= n:
            parts.append(_ngrams(lows, n))
    extra: list[int] = []
    strings = doc.vocab.strings
    for low in lows.tolist():
        word_keys = cache.get(low)
        if word_keys is None:
            word_keys = cache[low] = _word_keys(strings[low], prefix_size, chars)
        extra.extend(word_keys)
    mentions = memo.get("mentions")
    if mentions is None:
        mentions = memo["mentions"] = _mention_keys(doc)
    extra.extend(mentions)
    if extra:
        parts.append(numpy.asarray(extra, dtype=numpy.uint64))
    keys, counts = numpy.unique(numpy.concatenate(parts), return_counts=True)
    memo[config] = (keys, counts)
    return keys, counts


def _ngrams(ids: numpy.ndarray, n: int) -> numpy.ndarray:
    """Order-sensitive hash of each run of n ids (wraps on overflow, as intended)."""
    out = ids[: len(ids) - n + 1].copy()
    with numpy.errstate(over="ignore"):
        for i in range(1, n):
            out = out * numpy.uint64(1_000_003) ^ ids[i : len(ids) - n + 1 + i]
    return out


def _weights(model: Model, found: list[tuple[numpy.ndarray, numpy.ndarray]]) -> numpy.ndarray:
    """Sublinear tf x idf, scaled to a fixed length per doc (as TF-IDF with l2 norm)."""
    keys = numpy.concatenate([k for k, _ in found])
    counts = numpy.concatenate([c for _, c in found])
    idf = cast(numpy.ndarray, model.get_param("idf"))  # a numpy array: the features run on CPU
    vals = (1.0 + numpy.log(counts)) * idf[keys % numpy.uint64(idf.shape[0])]
    owner = numpy.repeat(numpy.arange(len(found)), [len(k) for k, _ in found])
    norms = numpy.sqrt(numpy.bincount(owner, weights=vals * vals, minlength=len(found)))
    vals *= (model.attrs["scale"] / numpy.maximum(norms, 1e-6))[owner]
    return vals.astype("f")


def _extract(ngram_size: int, prefix_size: int, chars: tuple[int, int], idf_size: int, scale: float) -> Model:
    cache: dict[int, tuple[int, ...]] = {}

    def forward(model: Model, docs: list[Doc], is_train: bool) -> tuple:
        found = [doc_features(d, cache, ngram_size, prefix_size, chars) for d in docs]
        lengths = model.ops.asarray([len(k) for k, _ in found], dtype="int32")
        if not found:
            empty = numpy.zeros((0,), dtype=numpy.uint64)
            return (empty, model.ops.alloc1f(0), lengths), lambda d: []
        keys = numpy.concatenate([k for k, _ in found])
        return (keys, _weights(model, found), lengths), lambda d: []

    def init(model: Model, X: object = None, Y: object = None) -> None:
        if not model.has_param("idf"):
            model.set_param("idf", cast(Floats1d, numpy.ones((idf_size,), dtype="f")))

    return Model(
        "snag_features",
        forward,
        init=init,
        params={"idf": None},
        attrs={
            "ngram_size": ngram_size,
            "prefix_size": prefix_size,
            "chars": chars,
            "scale": scale,
        },
    )


def fit_idf(model: Model, docs: list[Doc]) -> None:
    """Set the idf weights of every feature layer in the model from training docs."""
    for layer in model.walk():
        if layer.name != "snag_features":
            continue
        a = layer.attrs
        cache: dict[int, tuple[int, ...]] = {}
        size = numpy.uint64(layer.get_param("idf").shape[0])
        df = numpy.zeros((int(size),), dtype="f")
        for doc in docs:
            keys, _ = doc_features(doc, cache, a["ngram_size"], a["prefix_size"], a["chars"])
            numpy.add.at(df, numpy.unique(keys % size).astype(numpy.int64), 1.0)
        idf = numpy.log((1.0 + len(docs)) / (1.0 + df)) + 1.0
        layer.set_param("idf", cast(Floats1d, idf.astype("f")))


def _activation(exclusive: bool) -> Model:
    """Softmax or sigmoid whose backward pass is that of cross-entropy.

    spaCy's textcat loss hands back (scores - truth). Passed straight through, that
    is the exact gradient of cross-entropy with respect to the logits, so the linear
    model is trained as logistic regression rather than on squared error.
    """

    def forward(model: Model, X: Floats2d, is_train: bool) -> tuple:
        if exclusive:
            Y = model.ops.softmax(X)
        else:
            Y = model.ops.sigmoid(X)
        return Y, lambda dY: dY

    return Model("snag_softmax" if exclusive else "snag_sigmoid", forward)


@registry.architectures("snag.TextCatBOW.v1")
def build_snag_bow(
    exclusive_classes: bool,
    ngram_size: int = 2,
    prefix_size: int = 5,
    char_min: int = 3,
    char_max: int = 5,
    scale: float = 2.0,
    length: int = 262144,
    nO: int | None = None,
) -> Model:
    """A sparse linear classifier over lower-cased n-grams, stems, prefixes and rule matches."""
    length = 2 ** (length - 1).bit_length()
    sparse = SparseLinear_v2(nO=nO, length=length)
    fill = {"b": _NEG_VALUE, "W": 0}
    resizable_layer: Model = resizable(sparse, resize_layer=partial(resize_linear_weighted, fill_defaults=fill))
    with Model.define_operators({">>": chain}):
        features = _extract(ngram_size, prefix_size, (char_min, char_max), length, scale)
        model = with_cpu(features >> resizable_layer, resizable_layer.ops)
        model = model >> with_cpu(_activation(exclusive_classes), resizable_layer.ops)
    if nO is not None:
        model.set_dim("nO", nO)
    model.set_ref("output_layer", sparse)
    model.attrs["multi_label"] = not exclusive_classes
    model.attrs["resize_output"] = partial(resize_and_set_ref, resizable_layer=resizable_layer)
    return model
