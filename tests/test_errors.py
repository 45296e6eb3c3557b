"""selfbook's errors cross process boundaries whole (a process pool pickles what a worker raises)."""

from __future__ import annotations

import pickle

from selfbook import InputError


def test_an_input_error_pickles_with_its_parts():
    error = InputError("dumps/self.md", "looks like a binary file", "export your notes as markdown", line=2)
    back = pickle.loads(pickle.dumps(error))
    assert type(back) is InputError and str(back) == str(error) == "dumps/self.md:2: looks like a binary file — export your notes as markdown"
    assert (back.path, back.problem, back.hint, back.line) == ("dumps/self.md", "looks like a binary file", "export your notes as markdown", 2)
