import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from selfbook.models import KINDS, DateRange, Entity
from selfbook.normalize import (
    canonical_url,
    classify_kind,
    derive_title,
    entity_date,
    extract_entities,
)
from selfbook.normalize.entities import arxiv_month, snowflake_day

TWEET = "https://x.com/HamelHusain/status/1800546715277357263"


def names(urls=(), text=""):
    return [str(e) for e in extract_entities([canonical_url(u) for u in urls], text)]


@pytest.mark.parametrize(
    ("urls", "text", "expected"),
    [
        (["https://arxiv.org/abs/2405.00208"], "", ["arxiv:2405.00208"]),
        (["https://arxiv.org/pdf/2405.00208v2.pdf"], "", ["arxiv:2405.00208"]),
        ([], "A Primer on Transformer LMs\narxiv 2405.00208", ["arxiv:2405.00208"]),
        ([], "see arXiv:2405.00208v2.", ["arxiv:2405.00208"]),
        ([], "at arxiv.org/abs/2310.03714", ["arxiv:2310.03714"]),
        ([], "classic: arXiv:hep-th/9901001", ["arxiv:hep-th/9901001"]),
        ([], "version 2405.00208 of something", []),
        (["https://huggingface.co/papers/2404.19756"], "", ["arxiv:2404.19756"]),
        (["https://doi.org/10.1145/3292500.ABC"], "", ["doi:10.1145/3292500.abc"]),
        ([], "doi: 10.1145/3292500.3330701.", ["doi:10.1145/3292500.3330701"]),
        ([], "(DOI 10.1000/XYZ-1)", ["doi:10.1000/xyz-1"]),
        (["https://dl.acm.org/doi/abs/10.1145/3292500.3330701"], "", ["doi:10.1145/3292500.3330701"]),
        (["https://doi.org/10.48550/arXiv.2405.00208"], "", ["arxiv:2405.00208"]),
        (
            ["https://github.com/google-research-datasets/indic-gen-bench/tree/main/src"],
            "",
            ["github:google-research-datasets/indic-gen-bench"],
        ),
        ([], "GitHub: google-research-datasets/indic-gen-bench", ["github:google-research-datasets/indic-gen-bench"]),
        ([], "Tamil-Llama (GitHub abhinand5/tamil-llama, based on Llama 2)", ["github:abhinand5/tamil-llama"]),
        (["https://github.com/RooVetGit/Roo-Code.git"], "", ["github:roovetgit/roo-code"]),
        (["https://github.com/VictorTaelin"], "", []),
        (["https://github.com/topics/llm"], "", []),
        (["https://github.com/features/copilot"], "", []),
        (["https://huggingface.co/nvidia/Llama-3.1-Nemotron-70B-Instruct"], "", []),
        ([TWEET], "", ["handle:hamelhusain", "tweet:1800546715277357263"]),
        (["https://twitter.com/svpino"], "", ["handle:svpino"]),
        (["https://x.com/search?q=rag"], "", []),
        (["https://x.com/i/web/status/1800546715277357263"], "", ["tweet:1800546715277357263"]),
        ([], "Santiago (@svpino): RAG tutorials", ["handle:svpino"]),
        ([], "Santiago: hallucinations, @eyelevelai release", ["handle:eyelevelai"]),
        ([], "mail me at someone@example.com", []),
        ([], "see medium.com/@kingston/some-post", []),
        (["https://youtu.be/sal78ACtGTc"], "", ["youtube:sal78ACtGTc"]),
        (["https://www.youtube.com/watch?v=eMlx5fFNoYc&t=4"], "", ["youtube:eMlx5fFNoYc"]),
        ([], "watch https://youtu.be/sal78ACtGTc.", ["youtube:sal78ACtGTc"]),
        ([], "ಕನ್ನಡ ಟಿಪ್ಪಣಿ @ಕನ್ನಡ", []),
    ],
)
def test_extract_entities(urls, text, expected):
    assert names(urls, text) == expected


def test_entities_are_sorted_and_unique():
    found = extract_entities(
        [canonical_url(TWEET), canonical_url("https://arxiv.org/abs/2405.00208v1")],
        "arxiv 2405.00208 by @HamelHusain",
    )
    assert list(found) == sorted(set(found))
    assert found.count(Entity("arxiv", "2405.00208")) == 1


@pytest.mark.parametrize(
    ("urls", "text", "kind"),
    [
        (["https://arxiv.org/abs/2405.00208"], "", "paper"),
        ([], "DSPy\narxiv 2310.03714", "paper"),
        (["https://x.com/a/status/1800546715277357263"], "arxiv 2310.03714", "paper"),
        (["https://openreview.net/forum?id=abc"], "", "paper"),
        (["https://aclanthology.org/2024.acl-long.1"], "", "paper"),
        (["https://proceedings.neurips.cc/paper/2020/hash/abc"], "", "paper"),
        (["https://www.biorxiv.org/content/10.1101/2024.01.01"], "", "paper"),
        (["https://www.nature.com/articles/d41586-025-02917-9"], "", "paper"),
        (["https://www.nature.com/news"], "", "article"),
        (["https://example.com/report.pdf"], "", "paper"),
        (["https://github.com/x/y/blob/main/proofs.pdf"], "", "paper"),
        (["https://huggingface.co/papers/2404.19756"], "", "paper"),
        (["https://github.com/abhinand5/tamil-llama"], "", "repo"),
        (["https://github.com/VictorTaelin"], "", "repo"),
        (["https://gitlab.com/a/b"], "", "repo"),
        (["https://huggingface.co/nvidia/Llama-3.1-Nemotron-70B-Instruct"], "", "repo"),
        (["https://huggingface.co/datasets/ai4bharat/sangraha"], "", "repo"),
        (["https://huggingface.co/blog/scaling-test-time-compute"], "", "article"),
        (["https://pypi.org/project/rapidfuzz/"], "", "repo"),
        (["https://youtu.be/sal78ACtGTc"], "", "video"),
        (["https://vimeo.com/12345"], "", "video"),
        (["https://www.ted.com/talks/some_talk"], "", "video"),
        (["https://x.com/svpino"], "", "post"),
        (["https://bsky.app/profile/a.bsky.social/post/3k"], "", "post"),
        (["https://mastodon.example/@bob/1234567"], "", "post"),
        (["https://www.reddit.com/r/LocalLLaMA/"], "", "post"),
        (["https://news.ycombinator.com/item?id=1"], "", "post"),
        (["https://www.linkedin.com/posts/someone_activity-1"], "", "post"),
        (["https://www.linkedin.com/pulse/some-article"], "", "article"),
        (["https://www.quantamagazine.org/kan-20240911/"], "", "article"),
        (["https://example.com/a", "https://github.com/a/b"], "", "repo"),
        ([], "LLM Control Theory paper (Aman Bhargava)", "paper"),
        ([], "Large Language Models Part II (YouTube)", "video"),
        ([], "Jeff Dean talk on the future of ML", "video"),
        ([], "Model Parallelism chapter (Stas Bekman tweet)", "post"),
        ([], "GitHub: google-research-datasets/indic-gen-bench", "repo"),
        ([], "Santiago: hallucinations, @eyelevelai release", "note"),
        ([], "The hardest things in computer science", "note"),
        ([], "ಕನ್ನಡ ಪದಗಳ ಪಟ್ಟಿ", "note"),
    ],
)
def test_classify_kind(urls, text, kind):
    canonical = [canonical_url(u) for u in urls]
    assert classify_kind(canonical, extract_entities(canonical, text), text) == kind
    assert kind in KINDS


def test_snowflake_day():
    assert snowflake_day(1800546715277357263) == dt.date(2024, 6, 11)
    assert snowflake_day(20) is None  # an old, sequential id


def test_arxiv_month():
    assert arxiv_month("2405.00208") == DateRange(dt.date(2024, 5, 1), dt.date(2024, 5, 31), "arxiv:2405.00208")
    assert arxiv_month("hep-th/9901001").label() == "Jan 1999"
    assert arxiv_month("2412.00001").end == dt.date(2024, 12, 31)


def test_entity_date_prefers_the_narrowest():
    entities = extract_entities([canonical_url(TWEET)], "arxiv 2405.00208")
    assert entity_date(entities) == DateRange(dt.date(2024, 6, 11), dt.date(2024, 6, 11), "tweet:1800546715277357263")
    assert entity_date([Entity("arxiv", "2405.00208")]).label() == "May 2024"
    assert entity_date([Entity("github", "a/b")]) is None


@pytest.mark.parametrize(
    ("url", "title"),
    [
        ("https://github.com/RooVetGit/Roo-Code", "RooVetGit/Roo-Code"),
        ("https://arxiv.org/pdf/2405.00208v2", "arXiv 2405.00208"),
        ("https://doi.org/10.1145/ABC", "DOI 10.1145/abc"),
        ("https://youtu.be/sal78ACtGTc", "YouTube video sal78ACtGTc"),
        (TWEET, "Post by @HamelHusain"),
        ("https://twitter.com/svpino", "@svpino on X"),
        ("https://huggingface.co/nvidia/Llama-3.1-Nemotron-70B-Instruct", "nvidia/Llama-3.1-Nemotron-70B-Instruct"),
        (
            "https://medium.com/@kingston/understanding-the-difference-between-kan-and-mlp-ad3c2238097c",
            "medium.com — understanding the difference between kan and mlp",
        ),
        ("https://www.nytimes.com/2024/06/19/science/brain-language-thought.html", "nytimes.com — brain language thought"),
        ("https://www.deccanherald.com/india/the-dosa-code-3899925", "deccanherald.com — the dosa code"),
        ("https://www.mdpi.com/2079-9292/12/23/4732", "mdpi.com"),
        ("https://kn.wikipedia.org/wiki/ಕನ್ನಡ_ಸಾಹಿತ್ಯ", "kn.wikipedia.org — ಕನ್ನಡ ಸಾಹಿತ್ಯ"),
        ("https://tensoic.com/", "tensoic.com"),
    ],
)
def test_derive_title(url, title):
    assert derive_title([url]) == title


def test_derive_title_without_url():
    assert derive_title([], "first line\nsecond") == "first line"
    assert derive_title([]) == "Untitled"


@given(st.lists(st.text(max_size=30), max_size=3), st.text())
def test_entities_and_kinds_never_raise(urls, text):
    entities = extract_entities(urls, text)
    assert list(entities) == sorted(set(entities))
    assert classify_kind(urls, entities, text) in KINDS
    assert isinstance(derive_title(urls, text), str)
