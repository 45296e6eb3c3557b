"""Reading dumps: a markdown or text file of links and notes becomes raw entries, each with its
file and line range.

::

    read_dump(path)            the file → Dump; a bad file raises InputError naming file and line
    parse_markdown(text, path) text → Dump, no I/O
    find_date(text)            "Jan 2025", "Sep 17, 2024", "2024-06-19" → DateRange
    find_date_range(text)      also "Oct 2024 – Feb 2026" and "2023", for headings
    find_urls(line)            the http(s) URLs of a line
"""

from ..text.dates import find_date, find_date_range
from .markdown import Dump, find_urls, parse_markdown
from .reader import read_dump

__all__ = ["Dump", "find_date", "find_date_range", "find_urls", "parse_markdown", "read_dump"]
