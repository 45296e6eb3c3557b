"""Answers from the book: a question asked of it, and what is new in it.

::

    ask.py      retrieve → prompt → LLM → answer with citations (or extracts, with no LLM)
    corpus.py   questions about the whole book ("how many…", "when did I first…"), counted, not guessed
    digest.py   what is new since a date, per chapter (``selfbook digest``)
    llm.py      the LLM seam and its backends (Ollama, OpenAI-compatible); the organizer's titles use it too

Nothing is imported here: the organizer imports :mod:`.llm` alone, without the rest.
"""
