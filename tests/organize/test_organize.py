import hashlib
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import yaml

from selfbook.organize import MISC_TITLE, OrganizeParams, _describe, organize
from selfbook.organize.vocab import labels
from selfbook.text import slug
from selfbook.text.phrases import STOPWORDS
from selfbook.text import terms, words

NOTES = yaml.safe_load((Path(__file__).parents[1] / "fixtures" / "organize" / "notes.yaml").read_text(encoding="utf-8"))
DOMAINS = ("ml", "health", "cooking", "kannada")


def hash_embed(texts: list[str], dim: int = 384) -> np.ndarray:
    """A deterministic bag-of-words embedder: each term hashed to a signed coordinate."""
    out = np.zeros((len(texts), dim), dtype=np.float32)
    for row, text in enumerate(texts):
        for term in terms(text):
            if term in STOPWORDS:
                continue
            digest = hashlib.md5(term.encode()).digest()
            out[row, int.from_bytes(digest[:4], "little") % dim] += 1.0 if digest[4] % 2 else -1.0
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return out / norms


def dataset(domains=DOMAINS, stragglers=True):
    labels, texts = [], []
    for domain in domains:
        labels += [domain] * len(NOTES[domain])
        texts += NOTES[domain]
    if stragglers:
        labels += ["straggler"] * len(NOTES["stragglers"])
        texts += NOTES["stragglers"]
    order = np.random.default_rng(7).permutation(len(texts))  # a dump is not sorted by topic
    texts = [texts[i] for i in order]
    labels = [labels[i] for i in order]
    ids = [f"e{i:03d}" for i in range(len(texts))]
    return ids, texts, hash_embed(texts), dict(zip(ids, labels))


@pytest.fixture(scope="module")
def built():
    ids, texts, vectors, label = dataset()
    return ids, texts, vectors, label, organize(ids, texts, vectors)


def test_every_id_appears_exactly_once(built):
    ids, _, _, _, outline = built
    placed = [e for c in outline.chapters for s in c.sections for e in s.entry_ids]
    assert sorted(placed) == sorted(ids)
    assert len(placed) == len(set(placed))


def test_domains_are_separated_into_chapters(built):
    """No chapter mixes domains; a domain may be split (health into fitness and strength
    training, say) but its largest chapter holds most of it."""
    ids, _, _, label, outline = built
    placement = outline.placement()
    for domain in DOMAINS:
        chapters = Counter(placement[i][0].id for i in ids if label[i] == domain)
        chapter, count = chapters.most_common(1)[0]
        assert count >= 0.55 * sum(chapters.values()), (domain, chapters)
    for chapter in outline.chapters:
        held = Counter(label[e] for e in chapter.entry_ids if label[e] != "straggler")
        if chapter.title != MISC_TITLE and held:
            assert held.most_common(1)[0][1] >= 0.8 * sum(held.values()), (chapter.title, held)


def test_same_input_gives_identical_outline(built):
    ids, texts, vectors, _, outline = built
    assert organize(ids, texts, vectors) == outline


def test_result_does_not_depend_on_array_layout(built):
    ids, texts, vectors, _, outline = built
    assert organize(list(ids), tuple(texts), np.asfortranarray(vectors.astype(np.float64))) == outline


def test_no_section_smaller_than_min_section_except_miscellany(built):
    outline = built[4]
    for chapter in outline.chapters:
        for section in chapter.sections:
            if not section.misc:
                assert len(section.entry_ids) >= OrganizeParams().min_section, section


def test_miscellany_is_last_and_catches_stragglers():
    ids, texts, vectors, label = dataset()
    outline = organize(ids, texts, vectors, OrganizeParams(min_section=4))
    placement = outline.placement()
    stragglers = [i for i in ids if label[i] == "straggler"]
    in_misc = [i for i in stragglers if placement[i][1].misc]
    assert len(in_misc) >= len(stragglers) - 1
    for chapter in outline.chapters:
        misc = [s for s in chapter.sections if s.misc]
        assert len(misc) <= 1
        if misc:
            assert chapter.sections[-1].misc and misc[0].title == MISC_TITLE


def test_chapters_and_sections_are_ordered_by_size(built):
    outline = built[4]
    regular = [c for c in outline.chapters if c.title != MISC_TITLE]
    sizes = [len(c.entry_ids) for c in regular]
    assert sizes == sorted(sizes, reverse=True)
    for chapter in outline.chapters:
        sizes = [len(s.entry_ids) for s in chapter.sections if not s.misc]
        assert sizes == sorted(sizes, reverse=True)


def test_entries_keep_input_order_inside_a_section(built):
    ids, _, _, _, outline = built
    position = {e: i for i, e in enumerate(ids)}
    for chapter in outline.chapters:
        for section in chapter.sections:
            assert [position[e] for e in section.entry_ids] == sorted(position[e] for e in section.entry_ids)


def test_ids_are_unique_slugs(built):
    outline = built[4]
    chapter_ids = [c.id for c in outline.chapters]
    section_ids = [s.id for c in outline.chapters for s in c.sections]
    assert len(set(chapter_ids)) == len(chapter_ids)
    assert len(set(section_ids)) == len(section_ids)
    for chapter in outline.chapters:
        assert chapter.id.startswith(slug(chapter.title))


def test_titles_are_phrases_not_stopwords(built):
    _, texts, _, _, outline = built
    vocabulary = {t for text in texts for t in terms(text)}
    names = {label.name for label in labels()} | {MISC_TITLE}
    for chapter in outline.chapters:
        assert chapter.title
        for section in chapter.sections:
            title_words = [w.casefold() for w in words(section.title)]
            assert any(w not in STOPWORDS for w in title_words), section.title
            if section.title not in names:
                assert all(w in vocabulary for w in title_words if w not in STOPWORDS), section.title


def test_chapter_titles_name_the_domains(built):
    """Each domain's chapter has a name of its own, drawn from what its entries say or from a
    published vocabulary, never from a list written for a collection."""
    ids, texts, _, label, outline = built
    placement = outline.placement()
    title_of = {}
    for domain in DOMAINS:
        title_of[domain] = Counter(placement[i][0].title for i in ids if label[i] == domain).most_common(1)[0][0]
    assert len(set(title_of.values())) == len(DOMAINS)
    vocabulary = {t.casefold() for text in texts for t in words(text)}
    known = {label.name for label in labels()}
    for title in title_of.values():
        assert title in known or {w.casefold() for w in words(title)} & vocabulary, title


def test_vocabulary_names_gather_their_aliases():
    """Entries that say "postgres", "psql" or "PostgreSQL" all hold the GitHub topic's name, once
    the name itself is written; an alias alone never brings a name in ("growth" is not Marketing)."""
    from selfbook.organize.title import PhraseTable, title_groups

    texts = [
        "postgres vacuum settings", "psql tricks for the shell", "PostgreSQL window functions",
        "PostgreSQL index bloat", "Sourdough bread recipe", "Bread baking schedule", "Rye bread starter",
        "muscle growth and sleep", "growth plates in teens",
    ]
    table = PhraseTable.build(texts, labels())
    titles = title_groups(table, [np.arange(0, 4), np.arange(4, 7), np.arange(7, 9)], np.arange(len(texts)))
    assert titles[:2] == ["PostgreSQL", "Bread"]
    assert titles[2] == "Growth"
    assert "marketing" not in table.phrases


def test_a_vocabulary_name_written_only_as_a_modifier_is_another_sense():
    """"Source" in "Source Code" is not the game engine Source (a GitHub topic): the entries say
    "source code". A word at the head of the longer phrase keeps its label ("Nobel Prize in
    Physics" is physics), and so does one the entries also write alone."""
    from selfbook.organize.domains import chapter_titles
    from selfbook.organize.title import PhraseTable

    apps = [f"{kind} app {i}. (Demo, Source Code)" for kind in ("wiki", "photo", "mail") for i in range(4)]
    physics = ["Nobel Prize in Physics 2024", "Nobel Prize in Physics 2023", "Nobel Prize in Physics 1921",
               "Feynman lectures on physics"]
    table = PhraseTable.build(apps + physics, labels())
    assert "physics" in table.labelled
    assert "source" not in table.labelled
    titles = chapter_titles(table, [np.arange(12), np.arange(12, 16)])
    assert "Source" not in titles
    assert titles[1] == "Physics"


def test_a_possessive_is_not_part_of_a_title():
    from selfbook.organize.title import PhraseTable, title_groups

    texts = ["DoorDash’s dispatch system", "DoorDash's ETA model", "DoorDash’s menu search", "Sourdough bread",
             "Rye bread", "Bread starter"]
    table = PhraseTable.build(texts, labels())
    assert title_groups(table, [np.arange(3), np.arange(3, 6)], np.arange(6))[0] == "DoorDash"


def test_kannada_sections_keep_words_whole(built):
    ids, texts, _, label, outline = built
    kannada_words = {w for t in texts for w in words(t) if not w.isascii()}
    placement = outline.placement()
    sections = {placement[i][1] for i in ids if label[i] == "kannada"}
    titled = [s for s in sections if not s.misc]
    assert titled
    for section in titled:
        native = [w for w in words(section.title) if not w.isascii()]
        assert native, section.title  # a Kannada section gets a Kannada title
        assert all(w in kannada_words for w in native), section.title


def test_params_are_recorded(built):
    params = dict(built[4].params)
    assert params["seed"] == "0"
    assert params["chapters"] == str(len(built[4].chapters))
    assert "method" in params


def test_fixed_chapter_count_is_respected():
    ids, texts, vectors, _ = dataset(stragglers=False)
    outline = organize(ids, texts, vectors, OrganizeParams(chapters=2))
    assert len([c for c in outline.chapters if c.title != MISC_TITLE]) <= 2


@pytest.mark.parametrize("count", [0, 1, 2, 5])
def test_tiny_inputs(count):
    ids, texts, vectors, _ = dataset(domains=("health",), stragglers=False)
    outline = organize(ids[:count], texts[:count], vectors[:count])
    assert sorted(e for c in outline.chapters for e in c.entry_ids) == sorted(ids[:count])


def test_mismatched_lengths_are_rejected():
    with pytest.raises(ValueError, match="differ in length"):
        organize(["a", "b"], ["x"], np.zeros((2, 4), dtype=np.float32))


def test_section_titles_expand_acronyms_and_widen_phrases():
    from selfbook.organize.title import PhraseTable, title_groups

    texts = [
        "RAG tutorial: retrieval-augmented generation with LlamaIndex",
        "RAG evaluation, retrieval-augmented generation judges",
        "Retrieval-augmented generation (RAG) from scratch",
        "Kolmogorov-Arnold Networks paper",
        "Kolmogorov-Arnold Networks explained",
        "Kolmogorov-Arnold Networks demos",
        "Sourdough bread recipe",
        "Bread baking schedule",
    ]
    table = PhraseTable.build(texts)
    groups = [np.arange(0, 3), np.arange(3, 6), np.arange(6, 8)]
    titles = title_groups(table, groups, np.arange(len(texts)))
    assert titles[0] == "RAG — Retrieval-Augmented Generation"
    assert titles[1] == "Kolmogorov-Arnold Networks"
    assert titles[2] == "Bread"


# -- chapter count, determinism -----------------------------------------------------------------
SIX = ("ml", "health", "cooking", "kannada", "history", "finance")


@pytest.mark.parametrize("choice", ["silhouette", "gap"])
def test_six_domains_give_six_chapters(choice):
    ids, texts, vectors, label = dataset(SIX, stragglers=False)
    outline = organize(ids, texts, vectors, OrganizeParams(chapter_choice=choice))
    placement = outline.placement()
    regular = [c for c in outline.chapters if c.title != MISC_TITLE]
    assert 5 <= len(regular) <= 8, [c.title for c in regular]
    majority = {}
    for domain in SIX:
        chapters = Counter(placement[i][0].id for i in ids if label[i] == domain)
        chapter, count = chapters.most_common(1)[0]
        assert count >= 0.4 * sum(chapters.values()), (domain, chapters)
        majority[domain] = chapter
    assert len(set(majority.values())) == len(SIX)  # no domain folded into another's chapter
    assert dict(outline.params)["chapter_choice"] == ("silhouette" if choice == "silhouette" else "merge-gap")


def test_chapter_count_comes_from_the_entries_alone():
    """No label set is consulted: the same vectors give the same chapters whatever the texts say."""
    ids, texts, vectors, _ = dataset(SIX, stragglers=False)
    renamed = [f"note {i}" for i in range(len(texts))]
    first = organize(ids, texts, vectors)
    second = organize(ids, renamed, vectors)
    assert sorted(sorted(c.entry_ids) for c in first.chapters) == sorted(sorted(c.entry_ids) for c in second.chapters)


def test_seed_does_not_matter_below_the_exact_tree_limit(built):
    ids, texts, vectors, _, outline = built
    other = organize(ids, texts, vectors, OrganizeParams(seed=7))
    assert other.chapters == outline.chapters


def test_same_input_with_headings_gives_identical_outline():
    ids, texts, vectors, label = dataset(SIX)
    headings = [("self", label[i].title()) for i in ids]
    first = organize(ids, texts, vectors, headings=headings)
    second = organize(list(ids), list(texts), vectors.copy(), headings=list(headings))
    assert first == second


# -- titles ---------------------------------------------------------------------------------------
MONTHS = {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}


def test_dates_in_notes_never_make_titles():
    ids, texts, vectors, label = dataset(SIX, stragglers=False)
    months = ["Oct 2024", "Feb 2025", "Aug 2025", "Jan 2026"]
    dated = [f"{t}; {months[i % 4]}. First read on a Monday, light notes, events of the day." for i, t in enumerate(texts)]
    outline = organize(ids, dated, vectors)
    for chapter in outline.chapters:
        for section in chapter.sections:
            title_words = {w.casefold() for w in words(section.title)}
            assert not title_words & MONTHS, section.title
            assert not title_words <= {"first", "light", "events", "day", "monday", "notes", "&"}, section.title


def test_generic_words_do_not_title_a_group_alone():
    from selfbook.organize.title import PhraseTable, title_groups

    texts = [
        "First light: hours of events in life",
        "First light and life events, hours later",
        "Sourdough starter, first feeding in the morning light",
        "Sourdough starter hydration, first hours",
    ]
    table = PhraseTable.build(texts)
    titles = title_groups(table, [np.arange(0, 2), np.arange(2, 4)], np.arange(4))
    assert titles[0] == ""  # nothing but generic words: the caller sends it to Miscellany
    assert titles[1] == "Sourdough Starter"


def test_a_size_titles_nothing_alone():
    """"7B" titled a section of model releases in the ML papers book, and "4K" stood beside
    "WebRTC": a number with a unit of size says how big, not what about. Names with digits
    ("3D", "GPT-4", "H100") stay titles."""
    from selfbook.text.phrases import is_title_phrase

    assert not any(is_title_phrase(p) for p in ["7b", "128k", "1.58-bit", "24gb", "10x", "70b"])
    assert all(is_title_phrase(p) for p in ["3d", "5g", "gpt-4", "h100", "7b models"])


def test_sibling_sections_do_not_share_a_title():
    from selfbook.organize.title import PhraseTable, title_groups

    texts = ["Sleep and recovery", "Sleep hygiene", "Sleep tracking", "Sleep and protein timing", "Protein per meal", "Sleep, protein"]
    table = PhraseTable.build(texts)
    titles = title_groups(table, [np.arange(0, 3), np.arange(3, 6)], np.arange(6))
    assert titles[0] == "Sleep"
    assert titles[1] and titles[1] != "Sleep"



def test_a_kind_of_thing_is_titled_in_the_plural_a_verb_is_not():
    from selfbook.organize.title import PhraseTable, title_groups

    texts = [
        "Course on deep learning", "Free course by Stanford", "A course for beginners", "Online courses",
        "Courses by MIT", "Customer support desk. Supports the chat widget", "Customer support tickets. Supports email",
        "Customer support inbox. Supports multiple mailboxes", "Sourdough starter", "Sourdough loaf",
    ]
    groups = [np.arange(0, 5), np.arange(5, 8), np.arange(8, 10)]
    plain = title_groups(PhraseTable.build(texts), groups, np.arange(10))
    assert plain[0] == "Course"  # as written most, when plurals are off
    titles = title_groups(PhraseTable.build(texts, plural_share=0.1), groups, np.arange(10))
    assert titles[0] == "Courses"
    assert "Supports" not in titles[1]  # "supports the chat widget": a verb with its object
    assert titles[2] == "Sourdough"  # never written in the plural


def test_a_vocabulary_name_every_chapter_says_does_not_name_one():
    from selfbook.organize.domains import chapter_titles
    from selfbook.organize.title import PhraseTable

    topics = ["music player", "music streaming", "wiki engine", "wiki farm", "photo gallery", "photo album",
              "mail server", "mail client"]
    texts = [f"{topic} {i}. (Demo, Source Code)" for topic in topics for i in range(3)]
    table = PhraseTable.build(texts, labels())
    chapters = [np.arange(6 * c, 6 * c + 6) for c in range(4)]
    titles = chapter_titles(table, chapters)
    assert "Music" in titles  # a topic one chapter holds
    assert not {"Source", "Demo", "Code"} & set(titles)  # on every line of every chapter


def test_a_word_said_only_inside_compounds_titles_as_its_compound():
    """"Learning" named chapters and "Systems" sections: words the entries say almost only as
    the head of compounds ("deep learning", "machine learning"; "recommender system") name none
    of them alone. The compound most of the group holds titles it; a word said on its own too
    ("Sleep" beside "sleep hygiene") and a name stay as they are."""
    from selfbook.organize.domains import chapter_titles
    from selfbook.organize.title import PhraseTable, title_groups

    texts = ([f"deep learning course {i}" for i in range(4)] + [f"machine learning basics {i}" for i in range(3)]
             + [f"sourdough bread recipe {i}" for i in range(7)])
    table = PhraseTable.build(texts, labels())
    assert chapter_titles(table, [np.arange(7), np.arange(7, 14)])[0] == "Deep Learning"
    texts = ["Blueprints for recommender systems", "A recommender system at scale", "Recommender systems in retail",
             "Evaluating a recommender system", "Music recommender systems",
             "Why we sleep", "Sleep hygiene basics", "Sleep and recovery", "How much sleep", "Sleep tracking rings"]
    table = PhraseTable.build(texts)
    titles = title_groups(table, [np.arange(5), np.arange(5, 10)], np.arange(10))
    assert titles == ["Recommender Systems", "Sleep"]


def test_a_chapter_named_by_the_vocabulary_is_in_title_case():
    """GitHub writes its topics in sentence case ("Machine learning"); a chapter's name reads
    like the section titles beside it."""
    from selfbook.organize.domains import chapter_titles
    from selfbook.organize.title import PhraseTable

    texts = [f"machine learning notes {i}" for i in range(6)] + [f"sourdough bread recipe {i}" for i in range(6)]
    table = PhraseTable.build(texts, labels())
    assert chapter_titles(table, [np.arange(6), np.arange(6, 12)])[0] == "Machine Learning"

def test_an_entry_that_says_a_siblings_title_and_fits_it_moves_there():
    from selfbook.organize import _follow_titles

    rng = np.random.default_rng(0)
    git, version = rng.normal(size=8), rng.normal(size=8)
    x = np.stack([git + 0.1 * rng.normal(size=8) for _ in range(4)] + [version + 0.1 * rng.normal(size=8) for _ in range(4)]
                 + [git + 0.1 * rng.normal(size=8), version + 0.1 * rng.normal(size=8)])
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    rows = np.arange(10)
    groups = [np.array([0, 1, 2, 3]), np.array([4, 5, 6, 7, 8, 9])]
    says_git = np.array([1, 1, 1, 1, 0, 0, 0, 0, 1, 1], dtype=bool)  # 8 and 9 say "git" but sit in "Version"
    says_version = np.array([0, 0, 0, 0, 1, 1, 1, 1, 0, 0], dtype=bool)
    out = _follow_titles(x, rows, groups, [says_git, says_version], OrganizeParams())
    assert out[0].tolist() == [0, 1, 2, 3, 8]  # 8 is like the Git entries
    assert out[1].tolist() == [4, 5, 6, 7, 9]  # 9 says "git" but is not like them: it stays
    assert sorted(np.concatenate(out).tolist()) == list(range(10))
    small = _follow_titles(x, rows, groups, [says_git, says_version], OrganizeParams(min_section=6))
    assert [g.tolist() for g in small] == [g.tolist() for g in groups]  # "Version" would fall under min_section

def test_sections_no_phrase_describes_are_not_lumped_into_one():
    """People or datasets named only by themselves: no phrase titles any group. The groups are
    merged only up to 2.5 sections' worth, and the tighter ones are named after their central
    entries, instead of the whole chapter becoming one untitled section."""
    from collections import Counter

    from selfbook.organize import _sections
    from selfbook.organize.title import PhraseTable

    rng = np.random.default_rng(1)
    names = [f"{a} {b}" for a, b in zip(rng.permutation([f"Ab{i:02d}" for i in range(60)]), [f"Cd{i:02d}" for i in range(60)])]
    centres = rng.normal(size=(6, 16))
    x = np.stack([centres[i // 10] + 0.2 * rng.normal(size=16) for i in range(60)]).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    p = OrganizeParams(section_size=10).resolved(60)
    drafts = _sections(PhraseTable.build(names), np.arange(60), np.arange(60) // 10, [None] * 60, Counter(), p, "", x)
    assert len(drafts) > 1
    assert all(len(d.rows) <= 2.5 * p.section_size for d in drafts if not d.misc)
    assert sorted(np.concatenate([d.rows for d in drafts]).tolist()) == list(range(60))

def test_a_group_is_not_named_after_web_addresses():
    """A list of labs saved as bare addresses titled a section "cs.washington.edu/research/ai,
    cs.brown.edu/research/ai, …": an address is not a name, so such a group stays untitled
    (re-homed or in Miscellany), while people's names still name theirs."""
    from selfbook.organize import _name_coherent
    from selfbook.organize.title import PhraseTable

    texts = ["cs.washington.edu/research/ai", "cs.brown.edu/research/ai", "Yoshua Bengio", "Geoffrey Hinton"]
    x = np.array([[1, 0], [1, 0.01], [0, 1], [0.01, 1]], dtype=np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    titles = _name_coherent(x, np.arange(4), [np.arange(2), np.arange(2, 4)], ["", ""], PhraseTable.build(texts))
    assert titles[0] == "" and titles[1].startswith(("Yoshua Bengio", "Geoffrey Hinton"))


def test_key_phrases_do_not_repeat_a_word_in_the_plural():
    from selfbook.organize.title import PhraseTable, key_phrases

    texts = ["image formats", "images of cats", "image database", "images, tiff", "formats of images", "cats", "dogs", "dogs"]
    table = PhraseTable.build(texts, plural_share=0.1)
    shown = key_phrases(table, np.arange(5), np.arange(8), 5)
    assert [s.casefold() for s in shown].count("images") == 1

def test_a_second_title_phrase_does_not_repeat_a_hyphenated_word_of_the_first():
    from selfbook.organize.title import _overlaps

    assert _overlaps("long-context", "long contexts")
    assert _overlaps("mixture-of-experts", "experts")
    assert not _overlaps("retrieval-augmented generation", "agents")

def test_a_chapter_named_by_its_sections_takes_one_lead_phrase_of_each():
    from selfbook.organize import _lead_pair

    assert _lead_pair(["QA & Reasoning", "Open Information Extraction & Few-Shot", "Bias"]) == "QA & Open Information Extraction"
    assert _lead_pair(["RAG — Retrieval-Augmented Generation", "RAG & Agents", "Vim"]) == "RAG & Vim"
    assert _lead_pair(["Sleep"]) == "Sleep"
    assert _lead_pair(["Yoshua Bengio, Geoffrey Hinton, …", "Datasets", "Vision"]) == "Datasets & Vision"
    assert _lead_pair(["Yoshua Bengio, Geoffrey Hinton, …"]) == "Yoshua Bengio, Geoffrey Hinton, …"


def test_titles_that_differ_only_in_case_are_made_distinct():
    from selfbook.organize.title import disambiguate

    out = disambiguate(["Natural Language Processing", "Natural language processing"], [[], ["NLP", "Libraries"]])
    assert out == ["Natural Language Processing", "Natural language processing: Libraries"]  # not its own acronym


# -- headings ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "heading, topical",
    [
        ("Health", True),
        ("Kitchen notebook", True),
        ("Trips: Hampi, Belur, Halebidu", True),
        ("History / anthropology", True),
        ("ಕನ್ನಡ ಸಾಹಿತ್ಯ", True),
        ("2023", False),
        ("March 2024", False),
        ("Pocket export — June 2024", False),
        ("X bookmarks", False),
        ("From self-1.md (Oct 2024 – Feb 2026)", False),
        ("unsorted", False),
        ("LLM stuff (cleanup Sep 2024)", False),
        ("2024-06-01", False),
        ("New things", False),
        ("ML papers, 2023Q1", False),
        ("Reading 2024-H1", False),
        ("FY2024 notes", False),
    ],
)
def test_topical_headings(heading, topical):
    from selfbook.organize.headings import is_topical

    assert is_topical(heading) is topical


def test_a_heading_over_most_entries_is_the_dumps_title():
    from selfbook.organize.headings import entry_headings

    paths = [("self", "Health")] * 3 + [("self", "2023")] * 3 + [("self",)] * 2
    assert entry_headings(paths, 8) == ["Health"] * 3 + [None] * 5


def test_section_heading_rules():
    from selfbook.organize.headings import section_heading

    heading_of = ["Kitchen notebook"] * 5 + ["Health"] * 4 + [None]
    totals = Counter(h for h in heading_of if h)
    assert section_heading(heading_of, np.arange(0, 5), totals, "Cooking & Food") == "Kitchen notebook"
    assert section_heading(heading_of, np.arange(5, 10), totals, "Sleep") == "Health"
    assert section_heading(heading_of, np.arange(5, 10), totals, "Health & Fitness") is None  # repeats the chapter
    assert section_heading(heading_of, np.arange(0, 2), totals, "Cooking & Food") is None  # holds too few of them
    assert section_heading(heading_of, np.array([0, 1, 9, 5, 6]), totals, "x") is None  # no heading dominates


def test_a_chapter_no_name_fits_takes_the_heading_its_filed_entries_share():
    """Entries from the dump's dated parts ("X bookmarks") do not vote: "Software, tools" names a
    chapter of 25 entries filed under it and 36 saved elsewhere (the bundled example)."""
    from selfbook.organize.headings import chapter_heading

    heading_of = ["Software, tools"] * 6 + [None] * 9 + ["Health"] * 2
    totals = Counter(h for h in heading_of if h) + Counter({"Health": 8})
    assert chapter_heading(heading_of, np.arange(17), totals, least=6) == "Software, tools"
    assert chapter_heading(heading_of, np.arange(17), totals, least=7) is None  # too few entries to name a chapter
    assert chapter_heading(heading_of, np.arange(6, 15), totals, least=1) is None  # none of them was filed
    mixed = ["Software, tools"] * 6 + ["Health"] * 6
    assert chapter_heading(mixed, np.arange(12), Counter(mixed), least=2) is None  # no heading dominates


def test_a_chapter_is_not_named_after_one_of_its_sections():
    """A name said in a smaller section only ("Redis" over SSH and Redis) is that section's, not
    the chapter's; a name said across two sections is broader than either, and the largest
    section's is the topic of most of the chapter ("Transformers" over "Attention &
    Transformers" and "Experts")."""
    from selfbook.organize import _across, _Draft
    from selfbook.organize.title import PhraseTable

    texts = [f"ssh key number {i} on linux" for i in range(9)] + [f"redis cache trick {i} on linux" for i in range(6)]
    table = PhraseTable.build(texts)
    sections = [_Draft("SSH", np.arange(9)), _Draft("Redis", np.arange(9, 15))]
    assert not _across(table, ["redis"], sections)  # the smaller section's
    assert _across(table, ["ssh"], sections)  # the largest section's
    assert _across(table, ["linux"], sections)  # said across both
    assert _across(table, ["redis"], sections[1:])  # a chapter of one section


def test_headings_title_the_sections_they_dominate():
    ids, texts, vectors, label = dataset(SIX, stragglers=False)
    rng = np.random.default_rng(3)
    notebook = {i for i in ids if label[i] == "finance"}
    headings = [("self", "Money notes" if i in notebook else str(rng.choice(["2023", "X bookmarks"]))) for i in ids]
    outline = organize(ids, texts, vectors, headings=headings)
    titles = [s.title for c in outline.chapters for s in c.sections] + [c.title for c in outline.chapters]
    assert "Money notes" in titles
    assert not {"2023", "X bookmarks", "self"} & set(titles)
    placement = outline.placement()
    held = [placement[i][1].title if placement[i][1].title == "Money notes" else placement[i][0].title for i in notebook]
    assert held.count("Money notes") >= 0.6 * len(held)


def test_headings_pull_short_entries_to_their_notebook():
    ids, texts, vectors, label = dataset(SIX, stragglers=False)
    short = ["Idli", "Dosa", "Ragi mudde", "Filter coffee"]
    ids2 = ids + [f"short{i}" for i in range(len(short))]
    texts2 = texts + short
    vectors2 = np.vstack([vectors, hash_embed(short)])
    headings = [("self", "Kitchen notebook") if label[i] == "cooking" else ("self", "2023") for i in ids]
    headings += [("self", "Kitchen notebook")] * len(short)
    outline = organize(ids2, texts2, vectors2, headings=headings)
    placement = outline.placement()
    cooking_chapter = Counter(placement[i][0].id for i in ids if label[i] == "cooking").most_common(1)[0][0]
    assert all(placement[f"short{i}"][0].id == cooking_chapter for i in range(len(short)))


def test_headings_must_match_the_entries():
    ids, texts, vectors, _ = dataset(stragglers=False)
    with pytest.raises(ValueError, match="headings"):
        organize(ids, texts, vectors, headings=[("a",)])


def test_chapter_description_is_a_sentence():
    """A blurb as the person's own chapter heads one ("Links, notes, papers, and code snippets on
    LLMs, RAG…"): the kinds its entries are, most first (a tenth of them at least), on what its
    sections are about (four at most; a title made of central entries' names is no topic)."""
    kinds = ["paper"] * 5 + ["note"] * 3 + ["repo"] * 2 + ["video"]  # a video is under a tenth
    assert _describe(["Sleep", "Peter Attia", "Dead Hang"], kinds) == "Papers, notes and repositories on Sleep, Peter Attia and Dead Hang."
    assert _describe(["Sleep", "Peter Attia", "Dead Hang"]) == "On Sleep, Peter Attia and Dead Hang."
    assert _describe(["A", "B", "C", "D", "E"], ["note"]) == "Notes on A, B, C and D."
    assert _describe(["ಕನ್ನಡ", "ಕನ್ನಡ", "Yoshua Bengio, Geoffrey Hinton, …"], ["article"]) == "Articles on ಕನ್ನಡ."
    assert _describe([], ["video", "video"]) == "Videos."
    assert _describe([]) == ""
    # Kinds are named where they tell the chapter from the book: not in a book of papers.
    assert _describe(["LoRA"], ["paper"] * 4, ["papers"]) == "On LoRA."
    assert _describe(["LoRA"], ["paper"] * 3 + ["repo"], ["papers"]) == "Papers and repositories on LoRA."


def test_a_book_of_one_kind_does_not_repeat_it_in_every_blurb():
    texts = [f"Sourdough starter feeding paper {i}" for i in range(6)] + [f"Marathon training plan paper {i}" for i in range(6)]
    vectors = np.array([[1.0, 0.05 * i, 0.0] for i in range(6)] + [[0.0, 0.05 * i, 1.0] for i in range(6)])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = [f"e{i}" for i in range(12)]
    params = OrganizeParams(min_section=2, section_size=3)
    papers = organize(ids, texts, vectors, params, kinds=["paper"] * 12)
    assert len(papers.chapters) == 2 and all(c.description.startswith("On ") for c in papers.chapters), [c.description for c in papers.chapters]
    mixed = organize(ids, texts, vectors, params, kinds=["paper"] * 11 + ["repo"])  # a twelfth of the book, a sixth of one chapter
    blurbs = sorted(c.description.split(" on ")[0].split(" ")[0] for c in mixed.chapters)
    assert blurbs == ["On", "Papers"], [c.description for c in mixed.chapters]  # "Papers and repositories on …"


def test_a_chapter_blurb_says_what_kinds_of_entries_it_holds():
    texts = [f"Sourdough starter feeding note {i}" for i in range(6)] + [f"Marathon training plan week {i}" for i in range(6)]
    vectors = np.array([[1.0, 0.05 * i, 0.0] for i in range(6)] + [[0.0, 0.05 * i, 1.0] for i in range(6)])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = [f"e{i}" for i in range(12)]
    kinds = ["note"] * 6 + ["video"] * 6
    out = organize(ids, texts, vectors, OrganizeParams(min_section=2, section_size=3), kinds=kinds)
    blurbs = [c.description for c in out.chapters]
    assert blurbs and all(b.startswith(("Notes", "Videos")) for b in blurbs), blurbs
    with pytest.raises(ValueError, match="kinds and ids differ"):
        organize(ids, texts, vectors, kinds=kinds[:3])


def test_refine_moves_rows_to_the_nearest_group_and_renumbers():
    from selfbook.organize.cluster import refine

    x = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9], [0.95, 0.05]])
    assert refine(x, np.array([0, 0, 1, 1, 1]), 5).tolist() == [0, 0, 1, 1, 0]
    assert refine(x, np.array([3, 3, 1, 1, 1]), 0).tolist() == [0, 0, 1, 1, 1]


def test_vocabulary_slugs_are_shown_as_titles():
    names = {label.name for label in labels()}
    assert "Flight Simulator" in names and "flight-simulator" not in names
    assert "PostgreSQL" in names  # a name the catalogue writes with capitals stays as written


def test_a_second_phrase_is_not_widened_into_the_first():
    from selfbook.organize.title import PhraseTable, title_groups

    texts = [
        "Nobel Prize in Physics 2024: Hopfield and Hinton", "Nobel Prize in Physics 2025: quantum tunnelling",
        "Nobel Prize in Chemistry 2024: protein design", "Nobel Prize in Medicine 2025: immune tolerance",
        "The Feynman Lectures on Physics",
        "Nobel Prize in Literature 2024: Han Kang", "Nobel Prize in Literature 2023: Jon Fosse",
        "Nobel Prize in Literature 2022: Annie Ernaux",
        *(f"Sourdough {word}" for word in "starter hydration crumb levain bake flour salt oven proof fold shape score steam cool slice".split()),
    ]
    table = PhraseTable.build(texts)
    everything = np.arange(len(texts))
    titles = title_groups(table, [np.arange(0, 5), np.arange(5, 8), np.arange(8, len(texts))], everything)
    assert titles[0] == "Nobel Prize & Physics"  # not "Nobel Prize & Prize in Physics"


def test_siblings_are_not_titled_by_an_acronym_or_another_number_of_one_title():
    """"LLMs" or "Large Language Model" beside "Large Language Models" names one topic twice:
    once a group's title leads with a phrase, no later sibling leads with its acronym, its
    expansion, or its singular or plural."""
    from selfbook.organize.title import PhraseTable, title_groups

    texts = ["Large language models: scaling laws", "Large language models and alignment",
             "Evaluating large language models", "Large language models as agents",
             "Tool use in large language models", "Large language models for code",
             "LLMs at inference time", "LLMs as judges", "Quantizing LLMs", "Sleep and memory", "Sleep debt", "Sleep hygiene"]
    table = PhraseTable.build(texts, labels())
    titles = title_groups(table, [np.arange(6), np.arange(6, 9), np.arange(9, 12)], np.arange(len(texts)))
    assert titles[0] == "Large Language Models" and titles[2] == "Sleep"
    assert not {"LLM", "Large Language Model"} & set(titles[1].split(" & "))


def test_a_fragment_of_a_siblings_title_titles_nothing():
    """"Answer" beside a sibling titled "Final Answer", "Large Language" beside "Large Language
    Models": once a sibling's title takes a phrase, the words a group says almost only inside
    it are fragments, not a title. The group is left untitled (the organizer merges it, an add
    falls back to its own rule) rather than named by half a phrase."""
    from selfbook.organize.fragments import is_modifier
    from selfbook.organize.title import PhraseTable, title_groups

    texts = ["Final answer accuracy", "Grading the final answer", "The final answer is often wrong", "Final answer extraction",
             "Checking a final answer", "Final answer formats",
             "Final answer verifiers for math", "A final answer judge", "Final answer consistency in agents",
             "Tool calls and final answer", "Sleep and memory", "Sleep debt", "Sleep hygiene"]
    table = PhraseTable.build(texts)
    assert title_groups(table, [np.arange(6), np.arange(6, 10), np.arange(10, 13)], np.arange(len(texts))) == [
        "Final Answer", "", "Sleep"]
    texts = [f"Large language models for task {i}" for i in range(6)] + ["A large language model for finance",
             "Pruning a large language model", "Large language models can be distracted", "Sleep debt", "Sleep hygiene"]
    table = PhraseTable.build(texts)
    held = table.matrix[np.arange(6, 9)].tocsc()
    assert is_modifier(table, held, table.column["large language"])  # said only in "…model(s)", in either number
    assert not is_modifier(table, held, table.column["large language models"])
    assert not is_modifier(table, table.matrix[np.arange(9, 11)].tocsc(), table.column["sleep"])
