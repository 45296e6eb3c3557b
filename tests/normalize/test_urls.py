import pytest
from hypothesis import given
from hypothesis import strategies as st

from selfbook.normalize import canonical_url, dedupe_key, is_specific, page_key, saved_url
from selfbook.normalize.urls import anchor, content_fragment

KN = "ಕನ್ನಡ"  # "Kannada", in Kannada script
KN_ESCAPED = "%E0%B2%95%E0%B2%A8%E0%B3%8D%E0%B2%A8%E0%B2%A1"

CANONICAL = [
    # scheme, host, www, ports, trailing slash
    ("HTTPS://Example.COM/Path", "https://example.com/Path"),
    ("https://www.example.com/a/", "https://example.com/a"),
    ("https://example.com/", "https://example.com"),
    ("https://example.com:443/x", "https://example.com/x"),
    ("http://example.com:80/x", "http://example.com/x"),
    ("http://example.com:8080/x", "http://example.com:8080/x"),
    ("http://example.com/x", "http://example.com/x"),  # no http → https
    ("https://example.com./x", "https://example.com/x"),
    ("  <https://example.com/x>  ", "https://example.com/x"),
    ("www.quantamagazine.org", "https://quantamagazine.org"),
    ("arxiv.org/abs/2405.00208", "https://arxiv.org/abs/2405.00208"),
    # fragments
    ("https://isotopes.ai/#about-us", "https://isotopes.ai"),
    ("https://example.com/x#section-2", "https://example.com/x"),
    ("https://example.com/#!/inbox", "https://example.com#!/inbox"),
    ("https://translate.google.com/#en/zh/", "https://translate.google.com#en/zh/"),  # a route
    ("https://pan.baidu.com/s/1a#path=%2fphotos", "https://pan.baidu.com/s/1a#path=%2Fphotos"),  # parameters
    ("https://example.com/x#", "https://example.com/x"),  # an empty fragment
    # tracking parameters, sorted rest
    ("https://example.com/x?utm_source=tw&utm_medium=social&id=3", "https://example.com/x?id=3"),
    ("https://example.com/x?b=2&a=1&fbclid=abc&gclid=1", "https://example.com/x?a=1&b=2"),
    ("https://example.com/x?mc_cid=1&mc_eid=2&_hsenc=3&_hsmi=4&mkt_tok=5", "https://example.com/x"),
    ("https://example.com/x?igshid=1&msclkid=2&yclid=3&dclid=4&spm=5&cmpid=6", "https://example.com/x"),
    ("https://example.com/?q=kan&share=1", "https://example.com/?q=kan"),
    ("https://example.com/x?t=10&ref=home", "https://example.com/x?ref=home&t=10"),  # only on x.com
    ("https://medium.com/@k/kan-mlp-ad3c2238097c?source=post_page-----ad3c", "https://medium.com/@k/kan-mlp-ad3c2238097c"),
    ("https://open.spotify.com/episode/4rOo?si=abc123", "https://open.spotify.com/episode/4rOo"),
    ("https://example.com/x?a=2&a=1", "https://example.com/x?a=2&a=1"),  # repeated names keep order
    ("https://example.com/x?", "https://example.com/x"),
    # x.com and twitter.com
    ("https://twitter.com/svpino", "https://x.com/svpino"),
    ("https://mobile.twitter.com/svpino/", "https://x.com/svpino"),
    ("https://nitter.net/svpino", "https://x.com/svpino"),
    ("https://x.com/HamelHusain/status/1800546715277357263?s=20&t=Ab_c", "https://x.com/HamelHusain/status/1800546715277357263"),
    ("http://twitter.com/timClicks/status/1799926065642852725/photo/1", "https://x.com/timClicks/status/1799926065642852725"),
    ("https://x.com/i/web/status/1799926065642852725", "https://x.com/i/status/1799926065642852725"),
    ("https://twitter.com/search?q=rag&ref_src=twsrc", "https://x.com/search?q=rag"),
    # arXiv
    ("https://arxiv.org/abs/2405.00208", "https://arxiv.org/abs/2405.00208"),
    ("https://arxiv.org/abs/2405.00208v2", "https://arxiv.org/abs/2405.00208"),
    ("https://arxiv.org/pdf/2405.00208", "https://arxiv.org/abs/2405.00208"),
    ("http://arxiv.org/pdf/2405.00208v3.pdf", "https://arxiv.org/abs/2405.00208"),
    ("https://arxiv.org/html/2405.00208v1", "https://arxiv.org/abs/2405.00208"),
    ("https://export.arxiv.org/abs/2310.03714", "https://arxiv.org/abs/2310.03714"),
    ("https://arxiv.org/abs/hep-th/9901001v2", "https://arxiv.org/abs/hep-th/9901001"),
    ("https://arxiv.org/abs/math.GT/0309136", "https://arxiv.org/abs/math/0309136"),
    ("https://arxiv.org/", "https://arxiv.org"),
    ("https://arxiv.org/list/cs.AI/recent", "https://arxiv.org/list/cs.AI/recent"),
    # YouTube
    ("https://youtu.be/sal78ACtGTc", "https://youtube.com/watch?v=sal78ACtGTc"),
    ("https://youtu.be/sal78ACtGTc?si=Xy&t=30", "https://youtube.com/watch?v=sal78ACtGTc"),
    ("https://www.youtube.com/watch?v=eMlx5fFNoYc&t=42s&list=PLx", "https://youtube.com/watch?v=eMlx5fFNoYc"),
    ("https://www.youtube.com/watch?feature=share&v=eMlx5fFNoYc", "https://youtube.com/watch?v=eMlx5fFNoYc"),
    ("https://m.youtube.com/watch?v=eMlx5fFNoYc", "https://youtube.com/watch?v=eMlx5fFNoYc"),
    ("https://youtube.com/shorts/eMlx5fFNoYc?feature=share", "https://youtube.com/watch?v=eMlx5fFNoYc"),
    ("https://www.youtube-nocookie.com/embed/eMlx5fFNoYc", "https://youtube.com/watch?v=eMlx5fFNoYc"),
    ("https://www.youtube.com/@3blue1brown?si=x", "https://youtube.com/@3blue1brown"),
    # DOI
    ("https://doi.org/10.1145/3292500.ABC", "https://doi.org/10.1145/3292500.abc"),
    ("http://dx.doi.org/10.1000/XYZ123", "https://doi.org/10.1000/xyz123"),
    ("https://doi.org/10.48550/arXiv.2405.00208", "https://arxiv.org/abs/2405.00208"),
    # Wikipedia, percent-encoding, Kannada, IDN
    ("https://en.m.wikipedia.org/wiki/Kannada", "https://en.wikipedia.org/wiki/Kannada"),
    (f"https://kn.wikipedia.org/wiki/{KN_ESCAPED}", f"https://kn.wikipedia.org/wiki/{KN}"),
    (f"https://kn.m.wikipedia.org/wiki/{KN}", f"https://kn.wikipedia.org/wiki/{KN}"),
    (f"https://example.com/{KN}/?q={KN_ESCAPED.lower()}", f"https://example.com/{KN}?q={KN}"),
    ("https://example.com/a%7eb%2fc%3f", "https://example.com/a~b%2Fc%3F"),
    ("https://example.com/a%2fb", "https://example.com/a%2Fb"),
    ("https://example.com/a b", "https://example.com/a%20b"),
    ("https://example.com/100%", "https://example.com/100%25"),
    ("https://example.com/%ff", "https://example.com/%FF"),
    ("https://xn--2scrj9c.example/x", "https://ಭಾರತ.example/x"),
    ("https://ಭಾರತ.EXAMPLE/x", "https://ಭಾರತ.example/x"),
    # things that are not web links stay as written
    ("mailto:someone@example.com", "mailto:someone@example.com"),
    ("not a url", "not a url"),
    ("", ""),
    ("http://[::1", "http://[::1"),
]


@pytest.mark.parametrize(("url", "expected"), CANONICAL)
def test_canonical_url(url, expected):
    assert canonical_url(url) == expected


@pytest.mark.parametrize(("url", "expected"), CANONICAL)
def test_canonical_url_is_idempotent(url, expected):
    assert canonical_url(expected) == expected


def test_the_table_covers_enough_rules():
    assert len(CANONICAL) >= 40


@given(st.text())
def test_canonical_url_never_raises(text):
    assert isinstance(canonical_url(text), str)


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=40))
def test_canonical_url_never_raises_on_link_like_text(tail):
    assert isinstance(canonical_url("https://example.com/" + tail), str)
    assert isinstance(canonical_url("http://" + tail), str)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("http://example.com/post", "https://www.example.com/post/"),
        ("https://x.com/HamelHusain/status/1800546715277357263", "https://x.com/hamelhusain/status/1800546715277357263"),
        ("https://x.com/i/status/1800546715277357263", "https://twitter.com/HamelHusain/status/1800546715277357263"),
        ("https://github.com/RooVetGit/Roo-Code", "https://github.com/roovetgit/roo-code/"),
    ],
)
def test_dedupe_key_treats_spellings_alike(a, b):
    assert dedupe_key(canonical_url(a)) == dedupe_key(canonical_url(b))


def test_dedupe_key_keeps_other_paths_apart():
    assert dedupe_key(canonical_url("https://example.com/A")) != dedupe_key(
        canonical_url("https://example.com/a")
    )


@pytest.mark.parametrize(
    ("url", "specific"),
    [
        ("https://arxiv.org/", False),
        ("https://x.com/svpino", False),
        ("https://github.com/VictorTaelin", False),
        ("https://www.reddit.com/r/LocalLLaMA/", False),
        ("https://huggingface.co/ai4bharat/", False),
        ("https://www.youtube.com/@3blue1brown", False),
        ("https://arxiv.org/abs/2405.00208", True),
        ("https://x.com/svpino/status/1800546715277357263", True),
        ("https://github.com/abhinand5/tamil-llama", True),
        ("https://www.reddit.com/r/LocalLLaMA/comments/abc/title/", True),
        ("https://example.com/?p=12", True),
        ("https://paul.mou.dev/", False),
    ],
)
def test_is_specific(url, specific):
    assert is_specific(canonical_url(url)) is specific


@pytest.mark.parametrize(
    ("fragment", "content"),
    [("!/inbox", True), ("/settings", True), ("en/zh/", True), ("path=/photos", True), ("t=30", True),
     ("dailydave", False), ("section-2", False), ("readme", False), ("", False), ("L10-L20", False)],
)
def test_content_fragment(fragment, content):
    assert content_fragment(fragment) is content


def test_a_place_in_a_page_is_kept_in_the_key_not_in_the_canonical_url():
    dd, fd = "http://seclists.org/#dailydave", "http://seclists.org/#fulldisclosure"
    assert canonical_url(dd) == canonical_url(fd) == "http://seclists.org"
    assert (dedupe_key(dd), dedupe_key(fd)) == ("seclists.org#dailydave", "seclists.org#fulldisclosure")
    assert page_key(dd) == page_key(fd) == dedupe_key("https://seclists.org") == "seclists.org"
    assert (anchor(dd), anchor("https://example.com/#!/inbox"), anchor("https://example.com/x#")) == ("dailydave", "", "")
    assert is_specific(dd) and not is_specific("http://seclists.org/")
    assert dedupe_key("https://youtu.be/sal78ACtGTc#t=30") == dedupe_key("https://www.youtube.com/watch?v=sal78ACtGTc")


@pytest.mark.parametrize(
    ("saved", "url"),
    [
        ("<https://x.org/a>", "https://x.org/a"),
        (" < https://x.org/a > ", "https://x.org/a"),
        ("<<https://x.org>>", "https://x.org"),  # wrapped twice: still only the brackets that wrap it
        ("https://x.org/a>", "https://x.org/a>"),  # a bracket at one end only was saved with the URL
        ("<https://x.org/a", "<https://x.org/a"),
        ("<https://x.org/a>>", "https://x.org/a>"),
        ("https://x.org/<a>", "https://x.org/<a>"),
    ],
)
def test_saved_url_takes_off_only_the_brackets_that_wrap_it(saved, url):
    assert saved_url(saved) == url


def test_a_bracket_at_one_end_keeps_the_url_apart_from_the_bare_one():
    assert canonical_url("<<https://x.org/a>>") == canonical_url("https://x.org/a")
    assert dedupe_key("https://x.org/a>") != dedupe_key("https://x.org/a")


def test_functions_take_a_url_as_saved():
    saved = " <https://www.example.com/post/?utm_source=feed&id=2> "
    assert saved_url(saved) == "https://www.example.com/post/?utm_source=feed&id=2"
    assert dedupe_key(saved) == dedupe_key(canonical_url(saved)) == "example.com/post?id=2"
    assert is_specific(saved) is is_specific(canonical_url(saved)) is True
