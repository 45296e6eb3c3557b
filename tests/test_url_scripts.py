"""URL finding that knows scripts: a URL ends where CJK, Indic or Thai text or CJK punctuation
begins, as it ends at a space; an IRI keeps its own letters after "/", "=", "#", "_" or "(".
Every URL pattern in selfbook shares :data:`selfbook.text.WEB_URL`, so each is checked here."""

import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from selfbook.text import phrases
from selfbook.importers import read_source
from selfbook.ingest import find_urls
from selfbook.text.dates import _mask_urls, find_date
from selfbook.ingest.links import strip_urls
from selfbook.ingest.note import note_dump
from selfbook.normalize.entities import extract_entities
from selfbook.text import WEB_URL

CASES = [
    # Chinese: full-width comma, then Han letters (issue 17, from a real note)
    ("http://blog.csdn.net/yyplc/article/details/7065722，谢谢！Linux系统定时器，在内核中", "http://blog.csdn.net/yyplc/article/details/7065722"),
    ("详见https://github.com/torvalds/linux。非常好", "https://github.com/torvalds/linux"),
    ("链接：https://zhuanlan.zhihu.com/p/123456（推荐）", "https://zhuanlan.zhihu.com/p/123456"),
    ("https://example.cn/a?id=3、https://example.cn/b", "https://example.cn/a?id=3"),
    ("网址https://example.cn/path/file.html中有说明", "https://example.cn/path/file.html"),
    ("「https://example.cn/quoted」と書いた", "https://example.cn/quoted"),
    # Japanese: kana and Han right after the link, ideographic full stop, full-width brackets
    ("詳しくはhttps://qiita.com/items/abc123を参照してください。", "https://qiita.com/items/abc123"),
    ("https://zenn.dev/articles/xyz】【次の記事", "https://zenn.dev/articles/xyz"),
    ("https://example.jp/ａｂｃ", "https://example.jp/"),  # full-width letters are not URL letters
    # Korean: Hangul particles glued to the link
    ("자세한 내용은 https://ko.example.com/post/42에서 확인하세요", "https://ko.example.com/post/42"),
    ("https://blog.naver.com/abc/223344를 참고", "https://blog.naver.com/abc/223344"),
    # Kannada and Devanagari: letters and the danda
    ("ಇಲ್ಲಿ ನೋಡಿ https://kannada.example.org/lesson/3ಕನ್ನಡ ಪಾಠ", "https://kannada.example.org/lesson/3"),
    ("देखें https://hindi.example.in/page।", "https://hindi.example.in/page"),
    # Thai writes no spaces between words either
    ("อ่านที่https://example.co.th/newsวันนี้", "https://example.co.th/news"),
    # IRIs keep their own letters after "/", "=", "#"
    ("https://ja.wikipedia.org/wiki/日本 は国", "https://ja.wikipedia.org/wiki/日本"),
    ("https://ja.wikipedia.org/wiki/日本。", "https://ja.wikipedia.org/wiki/日本"),
    ("https://kn.wikipedia.org/wiki/ಕನ್ನಡ ಭಾಷೆ", "https://kn.wikipedia.org/wiki/ಕನ್ನಡ"),
    ("https://zh.wikipedia.org/wiki/汉字/简化字，见", "https://zh.wikipedia.org/wiki/汉字/简化字"),
    ("https://www.google.com/search?q=日本語&hl=ja", "https://www.google.com/search?q=日本語&hl=ja"),
    # spaced scripts and ASCII behaviour unchanged
    ("https://de.wikipedia.org/wiki/Müller, a name", "https://de.wikipedia.org/wiki/Müller"),
    ("https://ru.wikipedia.org/wiki/Москва is big", "https://ru.wikipedia.org/wiki/Москва"),
    ("(see https://en.wikipedia.org/wiki/Heat_(film))", "https://en.wikipedia.org/wiki/Heat_(film)"),
    ("https://example.com/a.", "https://example.com/a"),
    ("https://example.com/%E6%97%A5%E6%9C%AC，ok", "https://example.com/%E6%97%A5%E6%9C%AC"),
]


@pytest.mark.parametrize("text,url", CASES)
def test_a_url_ends_where_another_script_begins(text: str, url: str):
    assert find_urls(text)[0] == url


@pytest.mark.parametrize("text,url", CASES)
def test_every_url_pattern_agrees(text: str, url: str):
    """The date finder, phrase finder and entity finder blank out or read the same URL."""
    masked = _mask_urls(text)
    start = text.index(url)
    end = start + len(url)
    tail = text[end:].split("http")[0]  # up to a second link, if any
    assert masked[start:end].strip() == ""
    assert masked[end : end + len(tail)] in (tail, " " + tail[1:])  # trailing ASCII punctuation aside
    assert phrases._URL.search(text)[0] in (url, text[start : end + 1])  # trailing ASCII punctuation aside
    assert re.compile(WEB_URL, re.IGNORECASE).search(text)[0] in (url, text[start : end + 1])


def test_the_text_after_a_url_survives():
    text = "http://blog.csdn.net/yyplc/article/details/7065722，谢谢！Linux系统定时器"
    assert strip_urls(text) == "，谢谢！Linux系统定时器"
    assert "Linux系统定时器" in " ".join(" ".join(run) for run in phrases._runs(text))
    assert find_date("https://example.cn/a，2024-03-01 发布").start.isoformat() == "2024-03-01"  # after the link


def test_entities_from_a_link_glued_to_chinese():
    found = extract_entities((), "项目地址：https://github.com/karpathy/nanoGPT，欢迎star")
    assert any(e.kind == "github" and e.value.lower() == "karpathy/nanogpt" for e in found)


def test_a_typed_note_url_must_be_the_url_alone():
    assert note_dump("标题", "https://ja.wikipedia.org/wiki/日本").endswith("https://ja.wikipedia.org/wiki/日本\n")
    with pytest.raises(Exception, match="not a web address"):
        note_dump("标题", "https://example.cn/a，谢谢")


@given(
    st.from_regex(r"https?://[a-z]{1,10}\.(com|org|cn)(/[A-Za-z0-9_\-]{0,8}){0,3}", fullmatch=True),
    st.text(alphabet="，。！？、；：「」『』（）【】谢了日本語한국어ಕನ್ನಡ", min_size=1, max_size=8),
)
@example(url="http://a.com/_", tail="ಕ")  # found by this test in a newcomer's run (2026-12-07)
def test_an_ascii_url_never_swallows_cjk_text(url: str, tail: str):
    """An ASCII URL ends where CJK or Indic text begins, except right after a path delimiter,
    where an IRI's letters go on (text.URL_CHAR: "/wiki/ಕುವೆಂಪು", "/Kempe_ಗೌಡ"): "/" and "_" are
    the delimiters these URLs can end with."""
    found = find_urls(url + tail)
    assert found == [url.rstrip(".,;:!?")] or (url.endswith(("/", "_")) and found and found[0].startswith(url))


def test_a_url_list_line_with_a_chinese_title(tmp_path):
    path = tmp_path / "urls.txt"
    path.write_text("http://blog.csdn.net/yyplc/article/details/7065722，Linux系统定时器\nhttps://ja.wikipedia.org/wiki/日本 日本の記事\n", encoding="utf-8")
    first, second = read_source(path, "urls").entries
    assert first.urls == ("http://blog.csdn.net/yyplc/article/details/7065722",) and first.title == "Linux系统定时器"
    assert second.urls == ("https://ja.wikipedia.org/wiki/日本",) and second.title == "日本の記事"
