import numpy as np
import pytest

from selfbook.embed import HashingEmbedder, embed_pending, get_embedder
from selfbook.errors import ConfigError
from selfbook.models import Entry, Span, is_byline
from selfbook.store import open_store


class CountingEmbedder(HashingEmbedder):
    def __init__(self):
        super().__init__()
        self.calls: list[int] = []

    def embed(self, texts, query=False):
        self.calls.append(len(texts))
        return super().embed(texts, query)


def test_hashing_embedder_is_normalized_and_deterministic():
    e = HashingEmbedder()
    a = e.embed(["ಕನ್ನಡ ಸಾಹಿತ್ಯ", "retrieval augmented generation", ""])
    assert a.shape == (3, 384) and a.dtype == np.float32
    assert np.allclose(np.linalg.norm(a[:2], axis=1), 1.0)
    assert np.array_equal(a, HashingEmbedder().embed(["ಕನ್ನಡ ಸಾಹಿತ್ಯ", "retrieval augmented generation", ""]))


def test_cache_skips_known_texts(tmp_path):
    store = open_store(tmp_path)
    embedder = CountingEmbedder()
    first, new = embed_pending(["a b", "c d", "a b"], embedder, store, batch=1)
    assert new == 2 and embedder.calls == [1, 1]
    second, new = embed_pending(["c d", "a b", "e f"], embedder, store)
    assert new == 1 and embedder.calls == [1, 1, 1]
    assert np.array_equal(second[0], first[1]) and np.array_equal(second[1], first[0])
    store.close()


def test_cache_is_per_model(tmp_path):
    store = open_store(tmp_path)
    embed_pending(["x"], HashingEmbedder(), store)
    other = HashingEmbedder(dim=8)
    vectors, new = embed_pending(["x"], other, store)
    assert new == 1 and vectors.shape == (1, 8)
    store.close()


def test_unknown_embedder_lists_known():
    with pytest.raises(ConfigError, match="e5-small"):
        get_embedder("word2vec")


@pytest.mark.slow
def test_default_model_matches_kannada_with_english():
    e5 = get_embedder("e5-small")
    v = e5.embed(["ಕನ್ನಡ ಸಾಹಿತ್ಯದ ಇತಿಹಾಸ", "the history of Kannada literature", "how to train a neural network"])
    assert v[0] @ v[1] > v[0] @ v[2]
    q = e5.embed(["Kannada poetry"], query=True)
    assert q.shape == (1, 384)


@pytest.mark.slow
def test_fast_embedder_reads_only_the_first_tokens():
    """``e5-small-fast`` embeds the start of a long text (cut after a word, Kannada whole), keeps
    short texts whole, leaves queries alone, and caches under its own model id."""
    full, fast = get_embedder("e5-small"), get_embedder("e5-small-fast")
    assert fast.model_id != full.model_id
    model = fast._load()
    long = "Attention is all you need. " + "The dominant sequence transduction models are based on recurrent networks. " * 8
    start = fast._first_tokens(model, long)
    assert model.token_count(start) <= fast.max_tokens < model.token_count(long)
    assert long.startswith(start) and long[len(start)] == " "
    kannada = "ಕನ್ನಡ ಭಾಷೆ ದ್ರಾವಿಡ ಭಾಷಾ ಕುಟುಂಬಕ್ಕೆ ಸೇರಿದ ಭಾಷೆಯಾಗಿದ್ದು ಕರ್ನಾಟಕದ ಅಧಿಕೃತ ಭಾಷೆ " * 3
    assert kannada.startswith(fast._first_tokens(model, kannada) + " ")
    assert model.token_count(fast._first_tokens(model, "x" * 500)) <= fast.max_tokens
    short = ["Attention is all you need", "ರಾಗಿ ಮುದ್ದೆ recipe"]
    assert np.allclose(fast.embed(short), full.embed(short), atol=1e-6)
    assert np.allclose(fast.embed([long]), full.embed([start]), atol=1e-6)
    assert np.allclose(fast.embed([long], query=True), full.embed([long], query=True), atol=1e-6)


@pytest.mark.parametrize(
    "note, byline",
    [
        ("(Paper) Walmart 2014", True),
        ("Netflix 2022", True),
        ("Stitch Fix 2021", True),
        ("(2015), R. Girshick [pdf]", True),
        ("(Code) WeWork", True),
        ("AT&T 2019", True),
        ("Uber", False),  # a name alone may be the person's own tag for the topic
        ("Rust", False),
        ("Persian BERT.", False),
        ("A great talk on Rust (2019)", False),  # a sentence, not names
        ("by Adam Coates", False),
        ("Netflix 2022\nWhat they learned running recommendations", False),
    ],
)
def test_a_byline_is_names_with_a_year_or_a_tag(note, byline):
    assert is_byline(note) is byline


def _entry(title: str, *notes: str) -> Entry:
    return Entry(id="e", title=title, urls=(), notes=notes, kind="post", entities=(), date=None,
                 lang="en", script="Latin", sources=(Span("self.md", 1, 1),))


def test_the_model_does_not_see_a_byline_note():
    title = "RecSysOps: best practices for operating a large-scale recommender system"
    assert _entry(title, "Netflix 2022").embed_text() == title
    assert _entry(title, "(Paper) Netflix 2022").embed_text() == _entry(title).embed_text()
    assert _entry(title, "Netflix").embed_text() == f"{title}\nNetflix"
    both = _entry(title, "Netflix 2022", "read with the team").embed_text()
    assert both == f"{title}\nread with the team"


def test_the_model_does_not_see_licence_identifiers():
    """Lists of software end every line with a licence ("AGPL-3.0 Ruby"): seen by the model, it
    grouped programs by licence (awesome-selfhosted's "Alternative" chapter held AGPL-3.0
    projects of every kind). Identifiers are left out; names that are also words or other things
    ("Apache Kafka", "MIT 18.06", "BSD") and the language tag stay."""
    mastodon = _entry("Mastodon", "Federated microblogging server. (Source Code, Clients) AGPL-3.0 Ruby")
    assert mastodon.embed_text() == "Mastodon\nFederated microblogging server. (Source Code, Clients) Ruby"
    assert _entry("Tracim", "Collaboration. AGPL-3.0/LGPL-3.0/MIT Python").embed_text() == "Tracim\nCollaboration. Python"
    assert _entry("Caddy", "Web server. Apache-2.0 Go").embed_text() == "Caddy\nWeb server. Go"
    for kept in ["Apache Kafka in practice", "MIT 18.06 Linear Algebra", "BSD kernel notes", "GPT-3 and Llama-2-7B"]:
        assert _entry(kept).embed_text() == kept
    assert mastodon.note.endswith("AGPL-3.0 Ruby")  # what the book shows keeps it
