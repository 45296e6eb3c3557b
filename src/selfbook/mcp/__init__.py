"""The book as an MCP server, for agents: ``selfbook mcp``.

::

    server.py    the tools (read, search, ask, add) as thin calls into a SharedBook
    command.py   the ``selfbook mcp`` command: stdio, or streamable HTTP under the rule of
                 :mod:`selfbook.web.access`

Nothing is imported here: the CLI imports :mod:`.command` to register the command, and the MCP
SDK loads only when the server starts.
"""
