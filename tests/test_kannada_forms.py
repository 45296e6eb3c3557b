"""bench/kannada_forms.py, the Kannada word forms ``bench/retrieval.py --terms`` compares: its
baseline is the engine's own forms, and the forms it swaps in are the engine's again after."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from selfbook.search import search_terms
from selfbook.search import terms as terms_module

_SPEC = importlib.util.spec_from_file_location(
    "bench_kannada_forms", Path(__file__).resolve().parent.parent / "bench" / "kannada_forms.py"
)
kannada_forms = sys.modules[_SPEC.name] = importlib.util.module_from_spec(_SPEC)  # a dataclass reads its module
_SPEC.loader.exec_module(kannada_forms)

TEXT = "ಕನ್ನಡ ತೋಟ ತೋಟಗಳು ಭಾರತದಲ್ಲಿ Transformers cafés"


def test_the_default_forms_are_the_engines():
    shipped = search_terms(TEXT)
    with kannada_forms.patched(kannada_forms.KannadaForms()):
        assert search_terms(TEXT) == shipped
    assert search_terms(TEXT) == shipped


def test_patched_forms_apply_inside_the_block_only_and_leave_english_alone():
    forms = kannada_forms.KannadaForms(prefixes=(), letters=(2,), endings=True)
    engine = terms_module._index_forms
    with kannada_forms.patched(forms):
        inside = search_terms(TEXT)
    assert terms_module._index_forms is engine
    assert "ತೋಟ~" not in search_terms(TEXT)  # the engine gives a 3-code-point word no stem
    assert {"ತೋಟ~", "ಭಾರತ"} <= set(inside)  # ತೋಟ meets ತೋಟಗಳು; ಭಾರತದಲ್ಲಿ also yields ಭಾರತ
    assert [t for t in inside if t.isascii()] == [t for t in search_terms(TEXT) if t.isascii()] == ["transform", "cafe"]

def test_grams_are_runs_of_graphemes_marked_apart_from_prefixes():
    assert kannada_forms.KannadaForms(prefixes=(), grams=(2,)).of("ಕನ್ನಡ") == ("ಕನ್ನಡ", "~ಕನ್~", "~ನ್ನ~", "~ನಡ~")
    assert kannada_forms.KannadaForms(prefixes=(4,)).of("ತೋಟ") == ("ತೋಟ",)  # shorter than the prefix: the word alone
    assert kannada_forms.strip_ending("ಚಳುವಳಿಯನ್ನು") == "ಚಳುವಳಿ" and kannada_forms.strip_ending("ತೋಟ") == "ತೋಟ"
