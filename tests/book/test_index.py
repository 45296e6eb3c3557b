"""The back-of-book index: which terms, how they are grouped and sorted, and that every link lands."""

from __future__ import annotations

import regex

from selfbook.book import BookMeta, render_book
from selfbook.book.index import INLINE_LINKS, SYMBOLS, letter_group, select_terms
from selfbook.models import Chapter, Entity, Entry, Outline, Section, Span


def entry(entry_id: str, title: str, note: str = "", entities: tuple[Entity, ...] = ()) -> Entry:
    return Entry(
        id=entry_id, title=title, urls=(), notes=(note,) if note else (), kind="note", entities=entities,
        date=None, lang="en", script="Latin", sources=(Span("self.md", 1, 1),),
    )


def book() -> tuple[Outline, dict[str, Entry]]:
    entries = [
        entry("e1", "Kolmogorov-Arnold networks explained", "Edge functions instead of weights; 3D printing"),
        entry("e2", "Kolmogorov-Arnold networks in practice", "Training tips; see @kan_author; 3D printing"),
        entry("e3", "Hamel Husain (@HamelHusain): fine-tuning beats prompting", "On adapters and fine-tuning",
              (Entity("handle", "hamelhusain"),)),
        entry("e4", "Fine-tuning small models", "Hamel Husain (@hamelhusain) again, with LoRA adapters",
              (Entity("handle", "hamelhusain"), Entity("github", "huggingface/peft"))),
        entry("e5", "KAN paper", "The Kolmogorov-Arnold networks paper", (Entity("arxiv", "2404.19756"),)),
        entry("e6", "ಕುವೆಂಪು ಅವರ ಕವನಗಳು", "ಕುವೆಂಪು ಕಾವ್ಯ ಓದು"),
        entry("e7", "ಕುವೆಂಪು ಕಾದಂಬರಿ", "ಕುವೆಂಪು ಕಾವ್ಯ ಮತ್ತು ಕಾದಂಬರಿ"),
        entry("e8", "ಸಾಹಿತ್ಯ ಸಮ್ಮೇಳನ", "ಸಾಹಿತ್ಯ ಸಮ್ಮೇಳನ ವರದಿ"),
        entry("e9", "ಸಾಹಿತ್ಯ ಸಮ್ಮೇಳನ ೨೦೨೪", "ಮತ್ತೊಂದು ವರದಿ", (Entity("github", "kannada/sahitya"),)),
        entry("e10", "2024 in review: PEFT adapters", "Adapters everywhere", (Entity("github", "huggingface/peft"),)),
    ]
    outline = Outline(
        (
            Chapter("ml", "Machine Learning", (
                Section("kan", "KAN", ("e1", "e2", "e5")),
                Section("ft", "Fine-tuning", ("e3", "e4", "e10")),
            )),
            Chapter("kn", "ಕನ್ನಡ", (Section("lit", "ಸಾಹಿತ್ಯ", ("e6", "e7", "e8", "e9")),)),
        )
    )
    return outline, {e.id: e for e in entries}


def render() -> dict[str, str]:
    outline, entries = book()
    return render_book(outline, entries, BookMeta("Index test", "2026-01-01", ("../self.md",)))


def part(index: str, key: str) -> str:
    start = index.index(f'<a id="{key}"></a>')
    following = regex.search(r'\n<a id="(terms|people|papers|repositories)"></a>', index[start + 1 :])
    return index[start : start + 1 + following.start()] if following else index[start:]


# -- letters -------------------------------------------------------------------------------------


def test_letter_groups() -> None:
    assert letter_group("Éclair") == "E"
    assert letter_group("kolmogorov") == "K"
    assert letter_group("@svpino") == "S"
    assert letter_group("2024 in review") == SYMBOLS
    assert letter_group("ಕುವೆಂಪು") == "ಕು"  # the first letter keeps its vowel sign
    assert letter_group("ಕನ್ನಡ") == "ಕ"
    assert letter_group("ಸಾಹಿತ್ಯ") == "ಸಾ"
    assert letter_group("ಸಂಗೀತ") == "ಸಂ"
    assert letter_group("Ωmega") == "Ω"


def test_groups_are_ordered_symbols_latin_then_other_scripts() -> None:
    terms = part(render()["INDEX.md"], "terms")
    headings = regex.findall(r"^### (.+)$", terms, flags=regex.M)
    assert headings[0] == SYMBOLS
    latin = [h for h in headings if h.isascii() and h != SYMBOLS]
    assert latin == sorted(latin)
    first_kannada = next(i for i, h in enumerate(headings) if not h.isascii() and h != SYMBOLS)
    assert all(not h.isascii() for h in headings[first_kannada:])
    assert "ಕು" in headings and "ಸಾ" in headings


# -- terms ---------------------------------------------------------------------------------------


def test_terms_need_two_entries_and_prefer_the_longer_phrase() -> None:
    terms = select_terms({
        "a": "Kolmogorov-Arnold networks explained",
        "b": "Kolmogorov-Arnold networks in practice",
        "c": "Something else entirely",
    })
    assert terms == {"Kolmogorov-Arnold networks": ("a", "b")}


def test_plural_forms_merge_and_generic_words_stay_out() -> None:
    terms = select_terms({
        "a": "An agent framework, explained",
        "b": "Agents that plan, explained",
        "c": "Reading list of agent papers",
    })
    assert "explained" not in {t.casefold() for t in terms}
    merged = [t for t in terms if t.casefold() in ("agent", "agents")]
    assert len(merged) == 1 and terms[merged[0]] == ("a", "b", "c")


def test_plain_words_must_cluster_but_names_need_not() -> None:
    texts = {"a": "budget travel in spring", "b": "budget cooking at home", "c": "GRPO training", "d": "GRPO maths"}
    assert set(select_terms(texts, {"a": "s1", "b": "s2", "c": "s3", "d": "s4"})) == {"GRPO"}
    assert set(select_terms(texts, {"a": "s1", "b": "s1", "c": "s3", "d": "s4"})) == {"budget", "GRPO"}


def test_terms_in_most_entries_are_left_to_the_contents() -> None:
    texts = {f"e{i}": f"transformers note number {i}" for i in range(30)}
    texts |= {"x1": "a rare KAN result", "x2": "KAN networks again"}
    assert set(select_terms(texts)) == {"KAN"}


def test_terms_are_capped_and_deterministic() -> None:
    texts = {f"e{i:02d}": f"topic{i // 2}x alpha{i // 2}y" for i in range(40)}
    first = select_terms(texts, max_terms=5)
    assert list(first) == ["topic0x alpha0y", "topic10x alpha10y", "topic11x alpha11y", "topic12x alpha12y", "topic13x alpha13y"]
    assert list(select_terms(dict(reversed(list(texts.items()))), max_terms=5)) == list(first)


def test_index_shows_terms_with_links() -> None:
    index = render()["INDEX.md"]
    assert "- **Kolmogorov-Arnold networks** — [Kolmogorov-Arnold networks explained](01-machine-learning.md#e-e1) · " in index
    assert "- **ಸಾಹಿತ್ಯ ಸಮ್ಮೇಳನ** — [ಸಾಹಿತ್ಯ ಸಮ್ಮೇಳನ](02-ಕನ್ನಡ.md#e-e8) · [ಸಾಹಿತ್ಯ ಸಮ್ಮೇಳನ ೨೦೨೪](02-ಕನ್ನಡ.md#e-e9)\n" in index


def test_a_busy_term_is_split_by_chapter() -> None:
    entries = [entry(f"a{i}", f"Retrieval pipelines part {i}") for i in range(INLINE_LINKS + 2)]
    entries += [entry(f"b{i}", f"Retrieval pipelines in production {i}") for i in range(2)]
    ids = [e.id for e in entries]
    outline = Outline((
        Chapter("one", "One", (Section("s", "S", tuple(ids[: INLINE_LINKS + 2])),)),
        Chapter("two", "Two", (Section("t", "T", tuple(ids[INLINE_LINKS + 2 :])),)),
    ))
    index = render_book(outline, {e.id: e for e in entries}, BookMeta())["INDEX.md"]
    assert f"- **Retrieval pipelines** — {INLINE_LINKS + 4} entries\n  - One: [Retrieval pipelines part 0](01-one.md#e-a0) · " in index
    assert "\n  - Two: [Retrieval pipelines in production 0](02-two.md#e-b0) · [Retrieval pipelines in production 1](02-two.md#e-b1)\n" in index


# -- people, papers, repositories ----------------------------------------------------------------


def test_people_with_names_and_handle_casing() -> None:
    people = part(render()["INDEX.md"], "people")
    assert "- Hamel Husain (@HamelHusain) — [Hamel Husain (@HamelHusain): fine-tuning beats…](01-machine-learning.md#e-e3) · [Fine-tuning small models](01-machine-learning.md#e-e4)\n" in people


def test_papers_and_repositories() -> None:
    index = render()["INDEX.md"]
    assert "- [KAN paper](01-machine-learning.md#e-e5) — arXiv [2404.19756](https://arxiv.org/abs/2404.19756)\n" in part(index, "papers")
    repos = part(index, "repositories")
    assert "- [huggingface/peft](https://github.com/huggingface/peft) — [Fine-tuning small models](01-machine-learning.md#e-e4) · [2024 in review: PEFT adapters](01-machine-learning.md#e-e10)\n" in repos
    assert repos.index("huggingface/peft") < repos.index("kannada/sahitya")


def test_empty_book_has_an_index_that_says_so() -> None:
    index = render_book(Outline(()), {}, BookMeta())["INDEX.md"]
    assert "Nothing to index yet" in index


# -- links ---------------------------------------------------------------------------------------


def test_every_index_link_lands_on_an_anchor() -> None:
    files = render()
    anchors = {name: set(regex.findall(r'<a id="([^"]+)"></a>', text)) for name, text in files.items()}
    targets = regex.findall(r"(?<!\\)\]\(([^)\s]+)\)", files["INDEX.md"])
    internal = [t for t in targets if not t.startswith("https://")]
    assert len(internal) > 10
    for target in internal:
        page, _, anchor = target.partition("#")
        page = page or "INDEX.md"
        assert page in files, target
        if anchor:
            assert anchor in anchors[page], target


def test_index_is_deterministic() -> None:
    outline, entries = book()
    meta = BookMeta("Index test", "2026-01-01", ("../self.md",))
    first = render_book(outline, entries, meta)["INDEX.md"]
    again = render_book(outline, dict(reversed(list(entries.items()))), meta)["INDEX.md"]
    assert first == again
