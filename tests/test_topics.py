"""Topic models on the seed paragraphs: reproducible, coherent, guided by the themes."""

import math
import warnings

import numpy as np
import pytest
from jianghua import config
from jianghua.themes import load_themes, theme_scores
from jianghua.topics import _npmi, topic_coherence, topic_model
from pandas.testing import assert_frame_equal
from scipy import sparse


@pytest.fixture(scope="module")
def themes():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return load_themes(config.DATA_DIR / "themes.yaml")


@pytest.fixture(scope="module")
def nmf6(seed_corpus, themes):
    return topic_model(seed_corpus, k=6, seed=0, themes=themes)


def test_nmf_is_reproducible(seed_corpus, themes, nmf6):
    again = topic_model(seed_corpus, k=6, seed=0, themes=themes)
    assert_frame_equal(nmf6.terms, again.terms)
    assert_frame_equal(nmf6.shares, again.shares)
    assert nmf6.coherence == again.coherence


def test_lda_is_reproducible(seed_corpus, themes):
    a = topic_model(seed_corpus, k=4, method="lda", seed=7, themes=themes)
    b = topic_model(seed_corpus, k=4, method="lda", seed=7, themes=themes)
    assert_frame_equal(a.terms, b.terms)
    assert_frame_equal(a.shares, b.shares)


def test_tables_have_the_documented_shape(seed_corpus, nmf6):
    terms, shares = nmf6.terms, nmf6.shares
    assert list(terms.columns[:4]) == ["topic", "rank", "term", "weight"]
    assert terms.groupby("topic")["rank"].apply(list).tolist() == [list(range(1, 11))] * 6
    assert list(shares.columns[:3]) == ["speech_id", "topic", "share"]
    assert set(shares.speech_id) == set(seed_corpus.speeches.speech_id)
    totals = shares.groupby("speech_id")["share"].sum()
    assert np.allclose(totals, 1.0)
    # one topic carries 执行 and 落实 together: seed 000 is about nothing else
    execution = terms[terms.term == "执行"].topic.iloc[0]
    assert "落实" in set(terms[terms.topic == execution].term)
    assert -1 <= nmf6.coherence <= 1


def test_coherence_compares_choices_of_k(seed_corpus, nmf6):
    table = topic_coherence(seed_corpus, ks=(4, 6))
    assert table["k"].tolist() == [4, 6]
    assert table.set_index("k").loc[6, "coherence"] == pytest.approx(nmf6.coherence)
    assert table["coherence"].between(-1, 1).all()


def test_npmi_by_hand():
    # 4 paragraphs; A in 1,2; B in 1,2,3; C only in 4
    occurs = sparse.csc_matrix(np.array([[1, 1, 0], [1, 1, 0], [0, 1, 0], [0, 0, 1]], float))
    ab = math.log(0.5 / (0.5 * 0.75)) / -math.log(0.5)
    assert _npmi(occurs, [[0, 1]]) == pytest.approx([ab])
    assert _npmi(occurs, [[0, 2]]) == pytest.approx([-1.0])  # never together
    assert _npmi(occurs, [[0, 1, 2]]) == pytest.approx([(ab - 1 - 1) / 3])


def test_guided_topics_line_up_with_themes(seed_corpus, themes):
    model = topic_model(seed_corpus, k=6, guided=True, themes=themes)
    labels = model.labels
    # the six themes with the most hits in the seed speeches seed the six topics
    totals = theme_scores(seed_corpus, themes=themes).groupby("theme")["hits"].sum()
    top6 = set(totals.sort_values(ascending=False).index[:6])
    assert set(labels["seed_theme"]) == top6
    assert labels["seed_theme"].iloc[0] == "经济发展/招商引资"  # 675 hits, the most
    # after fitting, each topic still over-represents its own theme's words most
    assert labels["theme"].tolist() == labels["seed_theme"].tolist()
    assert labels["label"].tolist() == labels["seed_theme"].tolist()
    assert (labels["lift"] > 5).all()
    top = model.terms[model.terms.label == "执行落实"].term.head(3).tolist()
    assert set(top) <= set(themes["执行落实"])


def test_guided_models_are_reproducible(seed_corpus, themes):
    a = topic_model(seed_corpus, k=10, guided=True, seed=1, themes=themes)
    b = topic_model(seed_corpus, k=10, guided=True, seed=1, themes=themes)
    assert_frame_equal(a.terms, b.terms)
    assert a.labels["theme"].tolist() == a.labels["seed_theme"].tolist()


def test_bad_arguments(seed_corpus, themes):
    with pytest.raises(ValueError, match="method='nmf' only"):
        topic_model(seed_corpus, k=4, method="lda", guided=True, themes=themes)
    with pytest.raises(ValueError, match="k must be between 2"):
        topic_model(seed_corpus, k=1, themes=themes)
    with pytest.raises(ValueError, match="method must be one of"):
        topic_model(seed_corpus, k=4, method="lsa", themes=themes)
