"""Where entries go after the organizer, and what the person decided about them.

::

    update.py    a dump added to a finished book (``selfbook add``), and the replay of the
                 installments and decisions on every build
    assign.py    where an added dump's entries go, without moving anything already there
    curate.py    the person's decisions (move, rename, merge, pin), kept and replayed as constraints
    resolve.py   what a person or an agent named: an entry by id or prefix, a chapter or section
                 by id, title or words of its title (the CLI, curation, search filters and MCP)

Nothing is imported here: search imports :mod:`.resolve` alone, the organizer :mod:`.curate`.
"""
