"""Every encoding (issue 17): a byte-order mark, then the file's declaration, then UTF-8, then
charset-normalizer's guess; files in multi-byte codecs read; a file that mixes encodings is one
InputError naming its line. Real files in these encodings are in test_real_encodings.py."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from selfbook.errors import InputError
from selfbook.importers import read_source
from selfbook.importers.decoding import TextChunks, choose_codec, html_charset, xml_as_utf8, xml_charset

KN = "ಕನ್ನಡ ಸಾಹಿತ್ಯ"
RU = "Наверное, единственное, во что сегодня можно верить безоговорочно, так это в то, что Новый год наступит"
JA = "色々調べてたら、MT3.2がRSS1.0をサポートしていないことが判明。もともとの設定では記事投稿が反映されないようだ"


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_declarations_are_read_from_the_bytes():
    assert xml_charset(b'<?xml version="1.0" encoding="Shift_JIS"?><rss/>') == "Shift_JIS"
    assert xml_charset(b"<rss/>") is None
    assert html_charset(b'<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=EUC-KR">') == "EUC-KR"
    assert html_charset(b'<meta charset="koi8-r">') == "koi8-r"


def test_the_order_of_evidence():
    text = RU.encode("koi8-r")
    assert choose_codec(codecs.BOM_UTF8 + "é".encode(), "f", "latin-1") == "utf-8-sig"  # the mark wins
    assert choose_codec(text, "f", "KOI8-R") == "koi8-r"  # a declaration that fits
    assert choose_codec("ok".encode(), "f", "no-such-codec") == "utf-8"  # an unknown one is ignored
    assert choose_codec("é".encode(), "f", "ascii") == "utf-8"  # one the bytes do not fit is ignored
    assert choose_codec(text, "f") == "koi8-r"  # undeclared: guessed
    assert choose_codec(JA.encode("shift_jis"), "f") in ("shift-jis", "cp932")


def test_xml_is_handed_on_as_utf8_with_its_declaration_fixed():
    data = f'<?xml version="1.0" encoding="euc-kr"?>\n<rss><channel><title>{"한국어"}</title></channel></rss>'.encode("euc-kr")
    out = xml_as_utf8(data, "f.xml")
    assert out.startswith(b'<?xml version="1.0" encoding="utf-8"?>\n') and "한국어".encode() in out


@pytest.mark.parametrize("codec", ["shift_jis", "euc-jp", "big5", "gb18030", "koi8-r", "utf-16"])
def test_a_declared_feed_in_any_codec_reads(tmp_path: Path, codec: str):
    title = {"shift_jis": JA, "euc-jp": JA, "big5": "我希望這篇文章很容易翻譯成中文", "gb18030": "不归移民漫画系列：专业工作", "koi8-r": RU, "utf-16": KN}[codec]
    feed = f'<?xml version="1.0" encoding="{codec}"?>\n<rss version="2.0"><channel>\n<item><title>{title}</title><link>https://example.com/a</link></item>\n</channel></rss>\n'
    (entry,) = read_source(write(tmp_path, "feed.xml", feed.encode(codec)), "feed").entries
    assert entry.title == title and entry.source.start == 3


def test_an_opml_list_in_euc_kr_reads(tmp_path: Path):
    opml = '<?xml version="1.0" encoding="EUC-KR"?>\n<opml version="2.0"><body><outline text="뉴스">\n<outline text="한겨레" xmlUrl="https://www.hani.co.kr/rss/"/>\n</outline></body></opml>\n'
    (entry,) = read_source(write(tmp_path, "list.opml", opml.encode("euc-kr")), "opml").entries
    assert entry.title == "한겨레" and entry.headings == ("뉴스",) and entry.source.start == 3


def test_netscape_file_with_a_meta_charset(tmp_path: Path):
    html = f'<!DOCTYPE NETSCAPE-Bookmark-file-1>\n<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=Shift_JIS">\n<DL><p>\n<DT><A HREF="https://example.jp/a">{JA}</A>\n</DL><p>\n'
    (entry,) = read_source(write(tmp_path, "bookmarks.html", html.encode("shift_jis")), "netscape").entries
    assert entry.title == JA


def test_netscape_file_that_is_ascii_for_its_first_block_then_cp1252(tmp_path: Path):
    """The codec is chosen from the first 64 KiB; plain ASCII there, then a cp1252 title later."""
    filler = "".join(f'<DT><A HREF="https://example.com/{n}">Page {n}</A>\n' for n in range(2000))
    html = "<DL><p>\n" + filler + '<DT><A HREF="https://example.com/cafe">Caf\u00e9 \u2019s menu</A>\n</DL><p>\n'
    assert len(filler) > 1 << 16
    dump = read_source(write(tmp_path, "bookmarks.html", html.encode("cp1252")), "netscape")
    assert len(dump.entries) == 2001 and dump.entries[-1].title == "Café ’s menu"


@pytest.mark.parametrize("codec", ["utf-8-sig", "utf-16", "cp1252", "shift_jis", "koi8-r"])
def test_csv_in_any_encoding(tmp_path: Path, codec: str):
    title = {"utf-8-sig": KN, "utf-16": KN, "cp1252": "Café crème", "shift_jis": JA, "koi8-r": RU}[codec]
    rows = "url,title,tags\n" + "".join(f'https://example.com/{n},"{title} {n}",t\n' for n in range(5))
    dump = read_source(write(tmp_path, "links.csv", rows.encode(codec)), "csv")
    assert [e.title for e in dump.entries] == [f"{title} {n}" for n in range(5)]


def test_a_csv_row_without_a_link_is_a_note_and_an_odd_link_a_skip(tmp_path: Path):
    rows = "url,title,note\nhttps://example.com/a,A link,\n,A note,its text\nftp://example.com/f,A file,\n,,\n"
    dump = read_source(write(tmp_path, "links.csv", rows.encode()), "csv")
    assert [(e.title, e.urls, e.note) for e in dump.entries] == [("A link", ("https://example.com/a",), ""), ("A note", (), "its text")]
    assert [s.reason for s in dump.skips] == ["no http(s) link in this row ('ftp://example.com/f')"]


def test_mixed_encodings_name_the_line(tmp_path: Path):
    data = f"url,title\nhttps://example.com/a,{KN}\nhttps://example.com/b,caf".encode() + b"\xe9\n"
    with pytest.raises(InputError, match="mixes encodings") as caught:
        read_source(write(tmp_path, "links.csv", data), "csv")
    assert caught.value.line == 3


def test_text_chunks_stream_a_multibyte_codec_across_blocks(tmp_path: Path):
    text = (JA + "\n") * 500
    path = write(tmp_path, "notes.txt", text.encode("shift_jis"))
    chunks = TextChunks(path, "notes.txt", None, size=1001)  # blocks end inside two-byte characters
    assert "".join(chunks) == text and chunks.codec in ("shift-jis", "cp932") and chunks.line == 501


def test_a_later_block_mixing_utf8_and_another_codec_names_its_line(tmp_path: Path):
    head = "url,title\n" + "".join(f"https://example.com/{n},Page {n}\n" for n in range(3000))
    tail = f"https://example.com/kn,{KN}\n".encode() + b"https://example.com/fr,caf\xe9\n"
    assert len(head) > 1 << 16
    with pytest.raises(InputError, match="mixes encodings") as caught:
        read_source(write(tmp_path, "links.csv", head.encode() + tail), "csv")
    assert caught.value.line == 3003


def test_a_utf16_file_is_detected_without_format(tmp_path):
    from selfbook.importers import detect_format, read_source

    path = tmp_path / "bookmarks.html"
    text = '<!DOCTYPE NETSCAPE-Bookmark-file-1>\n<DL><p>\n<DT><A HREF="https://example.com/ಕನ್ನಡ">ಕನ್ನಡ ಪುಸ್ತಕ</A>\n</DL>\n'
    path.write_bytes(text.encode("utf-16"))
    assert detect_format(path) == "netscape"
    assert [e.title for e in read_source(path).entries] == ["ಕನ್ನಡ ಪುಸ್ತಕ"]


def test_a_wide_xml_file_cut_inside_a_character_is_refused_by_name(tmp_path: Path):
    """A UTF-16 OPML file cut one byte short no longer reads as UTF-16; read as another codec its
    bytes hold NULs, and expat took its declared encoding ("autf-16", unknown) and crashed with a
    LookupError (found by tests/importers/test_importers_fuzz.py). The whole-file decoder refuses NULs, as
    the streamed one (TextChunks) always did."""
    path = tmp_path / "list.opml"
    path.write_bytes(codecs.BOM_UTF16_LE + '<?xml version="1.0" encoding="autf-16"?>\n'.encode("utf-16-le")[:-1])
    with pytest.raises(InputError, match=r"list\.opml:1: looks like a binary file"):
        read_source(path, "opml")
