"""The word tokens of every speech (jieba semantics), and the stopword lists.

tokens() segments each distinct text once (see jianghua.segment) and keeps the result in the
on-disk token cache (see jianghua.token_cache); the last tokens table is also kept in memory,
so the many analyses of one notebook read the disk cache once.
"""

import os
import re
from pathlib import Path

import numpy as np

from jianghua import config
from jianghua.cache_files import forget_text_hashes, text_hashes
from jianghua.segment import Recoder, Vocabulary, read_word_file, segment_coded, segmenter
from jianghua.token_cache import count_matrix, segment_cached

TOKEN_COLUMNS = ["speech_id", "position", "token", "start"]


# The last tokens table, so that the many analyses of one notebook read the disk cache once.
_LAST = {}


def clear_memory():
    """Forget the tokens table and text hashes kept in memory (the disk cache stays)."""
    _LAST.clear()
    forget_text_hashes()


def tokens(corpus, userdict=None, engine="auto", workers=None, cache=True):
    """Return speech_id, position, token, start for every word token of every speech.

    `attrs["segmented"]` counts the distinct texts segmented by this call (0: all cached).
    """
    return _coded_tokens(corpus, userdict, engine, workers, cache)[0]


def token_counts(corpus, userdict=None, engine="auto", workers=None):
    """Return (words, speeches x words sparse matrix of token counts) of tokens(corpus).

    The matrix of the corpus whose tokens are kept in memory is kept too: callers must not
    change it in place.
    """

    _, sizes, codes, words = _coded_tokens(corpus, userdict, engine, workers, True)
    kept = _LAST.get("counts")
    if kept is not None and kept[0] is codes:  # the same tokens as the last call
        return words, kept[1]
    bags = _LAST.get("bags")
    if bags is not None and bags[0] is codes:
        counts = _counts_from_bags(bags[1], sizes, codes, len(words))
    else:
        counts = count_matrix(sizes, codes, len(words))
    if "coded" in _LAST and _LAST["coded"][2] is codes:
        _LAST["counts"] = (codes, counts)
    return words, counts


def _counts_from_bags(bags: list, sizes, codes, n_words: int):
    """Return the speeches x words count matrix from each speech's word bag (None: counted
    here from its codes)."""
    from scipy import sparse

    ends = np.cumsum(sizes)
    for i in [i for i, bag in enumerate(bags) if bag is None]:
        bags[i] = np.unique(codes[ends[i] - sizes[i] : ends[i]], return_counts=True)
    # each bag is ascending already: joined, they make the matrix with no sort at all
    indices = np.concatenate([b[0] for b in bags] or [np.zeros(0, np.int32)])
    data = np.concatenate([b[1] for b in bags] or [np.zeros(0, np.int64)]).astype(np.int64)
    indptr = np.r_[0, np.cumsum([len(b[0]) for b in bags])]
    counts = sparse.csr_matrix((data, indices, indptr), shape=(len(sizes), n_words))
    counts.has_sorted_indices = True
    return counts


def membership(group_codes, n_groups: int):
    """Return the groups x speeches 0/1 sparse matrix of each speech's group (-1: none)."""
    from scipy import sparse

    group_codes = np.asarray(group_codes)
    inside = np.flatnonzero(group_codes >= 0)
    ones = np.ones(len(inside), dtype=np.int64)
    shape = (n_groups, len(group_codes))
    return sparse.csr_matrix((ones, (group_codes[inside], inside)), shape=shape)


def counts_without_stopwords(corpus, stopwords="default"):
    """Return (words, speeches x words sparse float counts) of token_counts without stopwords."""
    import pandas as pd

    words, counts = token_counts(corpus)
    stop = load_stopwords(stopwords, corpus_root=corpus.root)
    counts = counts.astype(np.float64)
    counts.data *= ~pd.Series(words).isin(stop).to_numpy()[counts.indices]
    counts.eliminate_zeros()
    return words, counts


def token_codes(corpus, userdict=None, engine="auto", workers=None):
    """Return (tokens per speech, a word code per row of tokens(corpus), the words by code)."""
    return _coded_tokens(corpus, userdict, engine, workers, True)[1:]


def _coded_tokens(corpus, userdict, engine, workers, cache):
    """Return (tokens table, tokens per speech, word code per token, words by code)."""
    seg = segmenter(userdict, corpus.root, engine)
    texts = corpus.speeches["text"].fillna("").tolist()
    ids = corpus.speeches["speech_id"].tolist()
    if not cache:
        vocab = Vocabulary()
        recode = Recoder(vocab)
        coded = [(s, recode(w, c)) for s, w, c in segment_coded(seg, texts, workers)]
        return _coded_frame(ids, coded, vocab, seg, len(set(texts)))
    digests = text_hashes(texts)
    key = (seg, str(config.cache_dir()), tuple(ids), tuple(digests))
    if _LAST.get("key") == key:
        frame, *rest = _LAST["coded"]
        frame = frame.copy(deep=False)
    elif (part := _part_of_last(key)) is not None:
        frame, *rest = part  # a few speeches of the table in memory (an analysis by speech)
    else:
        coded, vocab, segmented, bags = segment_cached(seg, texts, workers, digests=digests)
        _LAST.clear()
        _LAST.update(key=key, coded=_coded_frame(ids, coded, vocab, seg, segmented))
        frame, *rest = _LAST["coded"]
        _LAST["bags"] = (rest[1], bags)  # the word bags go with these codes
        return (frame.copy(deep=False), *rest)
    frame.attrs = {**frame.attrs, "segmented": 0}
    return (frame, *rest)


def _part_of_last(key):
    """Return _coded_tokens' answer for key's speeches from the kept one, if it holds them."""
    if "key" not in _LAST or _LAST["key"][:2] != key[:2]:
        return None
    whole, sizes, codes, words = _LAST["coded"]
    if "rows" not in _LAST:  # where each speech's rows start and end, found once
        last_ids, last_digests = _LAST["key"][2:]
        ends = np.cumsum(sizes).tolist()
        _LAST["rows"] = {
            i: (d, e - n, e)
            for i, d, n, e in zip(last_ids, last_digests, sizes.tolist(), ends, strict=True)
        }
    rows = _LAST["rows"]
    wanted = [rows.get(i) for i in key[2]]
    if any(r is None or r[0] != d for r, d in zip(wanted, key[3], strict=True)):
        return None
    index = np.concatenate([np.arange(b, e) for _, b, e in wanted] or [np.zeros(0, np.int64)])
    part = whole.iloc[index].reset_index(drop=True)
    part.attrs = dict(whole.attrs)
    part_sizes = np.array([e - b for _, b, e in wanted], dtype=np.int64)
    return part, part_sizes, codes[index], words


def _coded_frame(ids, coded, vocab: Vocabulary, seg, segmented):
    """Return (tokens table, tokens per speech, code per token, words) from (starts, codes)."""
    import pandas as pd  # here, so that worker processes start without loading pandas

    counts = np.fromiter((len(c) for _, c in coded), dtype=np.int64, count=len(coded))
    first = np.cumsum(counts) - counts
    codes = np.concatenate([c for _, c in coded] or [np.zeros(0, np.int32)])
    words = vocab.words()
    # one object per distinct word: 16 million tokens as separate strings would take gigabytes
    frame = pd.DataFrame(
        {
            "speech_id": np.repeat(np.array(ids, dtype=object), counts),
            "position": np.arange(counts.sum(), dtype=np.int64) - np.repeat(first, counts),
            "token": words[codes],
            "start": np.concatenate([s for s, _ in coded] or [[]]).astype(np.int64),
        }
    )
    frame.attrs.update(segmented=segmented, engine=seg.engine, dictionary=seg.dictionary.version)
    return frame, counts, codes, words


# ---------------------------------------------------------------- stopwords

STOPWORD_LISTS = {
    "general": "stopwords_general.txt",
    "officialese": "stopwords_officialese.txt",
}
_STOPWORD_SEPARATORS = re.compile(r"[\s,，、;；]+")


def read_stopwords(path) -> frozenset:
    """Return the words of a stopword file: one per line or separated by spaces/commas/、."""
    text = read_word_file(path)
    words = set()
    for line in text.splitlines():
        if line.lstrip().startswith("#"):
            continue
        words.update(w for w in _STOPWORD_SEPARATORS.split(line) if w)
    return frozenset(words)


def analyst_stopword_files(corpus_root=None) -> list:
    """Return the analyst's stopword files in the corpus folder (stopwords*.txt), sorted."""
    folder = config.analyst_folder(corpus_root)
    return sorted(folder.glob("stopwords*.txt")) if folder.is_dir() else []


def load_stopwords(spec="default", corpus_root=None) -> frozenset:
    """Return a stopword set from a spec.

    spec: "default" (general + officialese + the analyst's corpus/stopwords*.txt), "general",
    "officialese", "analyst", None (no stopwords), a file path, or an iterable of words.
    """
    if spec is None:
        return frozenset()
    if isinstance(spec, str) and spec in ("default", "analyst"):
        files = analyst_stopword_files(corpus_root)
        if spec == "default":
            files = [config.DATA_DIR / name for name in STOPWORD_LISTS.values()] + files
        return frozenset().union(*(read_stopwords(f) for f in files))
    if isinstance(spec, str) and spec in STOPWORD_LISTS:
        return read_stopwords(config.DATA_DIR / STOPWORD_LISTS[spec])
    if isinstance(spec, (str, os.PathLike)):
        if not Path(spec).is_file():
            names = ", ".join(["default", "analyst", *STOPWORD_LISTS])
            raise ValueError(f"stopwords {spec!r} is neither a list name ({names}) nor a file")
        return read_stopwords(spec)
    return frozenset(spec)
