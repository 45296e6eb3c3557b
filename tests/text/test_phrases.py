from selfbook.text.phrases import STOPWORDS, candidate_phrases, surface_forms


def test_phrases_are_lowercased_ngrams_up_to_three_words():
    got = candidate_phrases("Retrieval-Augmented Generation for Question Answering")
    assert "retrieval-augmented generation" in got
    assert "question answering" in got
    assert "generation for question" in got
    assert all(1 <= len(p.split()) <= 3 for p in got)
    assert all(p == p.casefold() for p in got)


def test_max_len_limits_phrase_length():
    got = candidate_phrases("deep residual networks for image recognition", max_len=2)
    assert max(len(p.split()) for p in got) == 2


def test_no_phrase_starts_or_ends_with_a_stopword_or_number():
    got = candidate_phrases("The state of the art in 2024: a survey of the Transformer via tweet")
    for phrase in got:
        first, last = phrase.split()[0], phrase.split()[-1]
        assert first not in STOPWORDS and last not in STOPWORDS
        assert not first.isdigit() and not last.isdigit()
    assert "state of the art" not in got  # four words
    assert "survey" in got and "transformer" in got


def test_urls_and_host_names_are_dropped():
    got = candidate_phrases(
        "Listening with LLM (paul.mou.dev)\nhttps://paul.mou.dev/posts/listening-with-llm\narxiv 2405.00208"
    )
    assert got == ["listening", "listening with llm", "llm"]


def test_phrases_do_not_cross_punctuation():
    got = candidate_phrases("sleep, recovery — stretching\ncold showers")
    assert "sleep recovery" not in got
    assert "recovery stretching" not in got
    assert "stretching cold" not in got
    assert "cold showers" in got


def test_link_dump_noise_is_a_stopword():
    for word in ("tweet", "thread", "via", "http", "www", "com", "paper"):
        assert word in STOPWORDS
    for word in ("video", "data", "computer", "system", "code"):
        assert word not in STOPWORDS


def test_kannada_words_stay_whole():
    got = candidate_phrases("ಕನ್ನಡ ಸಾಹಿತ್ಯ ಮತ್ತು ವ್ಯಾಕರಣ")
    assert "ಕನ್ನಡ" in got
    assert "ಕನ್ನಡ ಸಾಹಿತ್ಯ" in got
    assert "ವ್ಯಾಕರಣ" in got
    assert "ಮತ್ತು" not in got  # "and"
    assert all("ಕನ" != p and "ನಡ" != p for p in got)


def test_surface_forms_pick_the_most_common_casing():
    texts = ["RAG from scratch", "rag tricks", "More RAG", "DeepSeek R1", "Kolmogorov-Arnold Networks"]
    got = surface_forms(texts, ["rag", "deepseek", "kolmogorov-arnold networks", "absent"])
    assert got == {
        "rag": "RAG",
        "deepseek": "DeepSeek",
        "kolmogorov-arnold networks": "Kolmogorov-Arnold Networks",
        "absent": "absent",
    }


def test_surface_forms_do_not_depend_on_text_order():
    texts = ["Rag cloth", "RAG pipeline"]
    assert surface_forms(texts, ["rag"]) == surface_forms(texts[::-1], ["rag"]) == {"rag": "RAG"}


def test_surface_forms_keep_kannada():
    assert surface_forms(["ಕನ್ನಡ ಸಾಹಿತ್ಯ"], ["ಕನ್ನಡ ಸಾಹಿತ್ಯ"]) == {"ಕನ್ನಡ ಸಾಹಿತ್ಯ": "ಕನ್ನಡ ಸಾಹಿತ್ಯ"}


def test_licence_identifiers_do_not_make_phrases():
    got = candidate_phrases("Simple wiki engine. AGPL-3.0 Docker; Apache-2.0 PHP")
    assert "wiki engine" in got
    assert not any(p.startswith(("agpl", "apache")) or p.endswith(("agpl-3.0", "apache-2.0")) for p in got)


def test_title_phrases_exclude_dates_and_generic_words():
    from selfbook.text.phrases import is_title_phrase

    for phrase in ("sleep", "dead hang", "art of fermentation", "hoysala temples", "ಕನ್ನಡ ಸಾಹಿತ್ಯ", "sqlite"):
        assert is_title_phrase(phrase), phrase
    for phrase in ("oct", "feb", "monday", "first", "light", "life", "events", "hours", "side", "first light",
                   "oct nobel", "nobel oct", "ಡಿಸೆಂಬರ್"):
        assert not is_title_phrase(phrase), phrase


def test_a_title_phrase_reads_as_a_noun_phrase():
    """Titles name things: a phrase that starts with a word that is only a verb or an adverb, or
    a lone word that cannot be a noun, never titles ("Install", "Nifty", "Remove & Delete" were
    section titles of a developer's notes). Activities (-ing), participles (-ed) and words the
    lexicon does not know (names) stay titles."""
    from selfbook.text.phrases import is_title_phrase

    for phrase in ["install docker", "nifty", "remove", "found", "quickly", "googling i found", "recurrent neural"]:
        assert not is_title_phrase(phrase), phrase
    for phrase in ["sleep", "cooking", "dead hang", "named entity recognition", "free-threaded build", "docker",
                   "sqlite", "ಕನ್ನಡ", "basic configuration", "recurrent neural networks", "open source"]:
        assert is_title_phrase(phrase), phrase
    assert not is_title_phrase("react") and is_title_phrase("react", name=True)  # a vocabulary's name


def test_a_word_the_lexicon_lacks_is_read_by_how_english_forms_words():
    """"Convolutional", "Large-Scale" and "End-to-End" titled
    sections of paper lists: words the lexicon lacks were all taken for names. A compound that
    describes (an adjective first part, a participle or adjective last part, "X-to-X", "of")
    and a derived adjective (-ional, -ive, -ous...) are adjectives now; a compound that names a
    thing or a task is a noun; an idiom the parts do not tell, and a capitalized coinage, stay
    names."""
    from selfbook.text.phrases import is_title_phrase

    for phrase in ["convolutional", "large-scale", "end-to-end", "peer-to-peer", "state-of-the-art",
                   "instruction-tuned", "pretrained", "autoregressive", "self-hosted"]:
        assert not is_title_phrase(phrase), phrase
    for phrase in ["e-commerce", "self-attention", "text-to-speech", "long-context", "to-do", "in-memory",
                   "kolmogorov-arnold", "word2vec", "yt-dlp", "convolutional networks", "large-scale recommendation"]:
        assert is_title_phrase(phrase), phrase
    # A title-cased compound is not written as a name: its capitals start its parts.
    from selfbook.organize.title import _preference

    assert _preference("large-scale", "Large-Scale") == 0.0
    assert _preference("sqlite", "SQLite") > 0 and _preference("kolmogorov-arnold", "Kolmogorov-Arnold") > 0


def test_a_phrase_with_a_clause_word_inside_never_titles():
    """"Finds That LLMs" titled a section of paper summaries ("…; finds that LLMs surpass
    experts"): a function word inside a phrase that is not an article, a preposition or
    "and"/"or" makes it part of a clause, even when a name ("LLMs") is in it."""
    from selfbook.text.phrases import is_title_phrase

    for phrase in ["finds that llms", "what is rag", "cms that allows", "models can reason"]:
        assert not is_title_phrase(phrase) and not is_title_phrase(phrase, name=True), phrase
    for phrase in ["art of fermentation", "retrieval for question answering", "search and ranking",
                   "alternative to google"]:
        assert is_title_phrase(phrase), phrase


def test_a_word_written_with_a_capital_inside_sentences_is_a_name():
    """"Go" the language titles a section though "go" is a common verb: the notes write it with a
    capital inside their sentences. A title-cased first line proves nothing ("Running Specific
    Test"), nor does a capital after a full stop."""
    from selfbook.text.phrases import is_title_phrase, proper_names

    texts = ["Running Specific Test\nWhen your Go project grows, run one test.",
             "Multiline strings\nStrings in Go are quoted with backticks. Specific rules apply.",
             "Go home\nTime to go."]
    assert proper_names(texts) == {"go"}
    assert not is_title_phrase("go") and is_title_phrase("go", proper=True)
