"""Negation on real Norwegian biomedical text: NorMed_neg dev split, when present.

The corpus (https://github.com/marieef/NorMed_neg) states no licence, so it is not
shipped: set ``NORMED_NEG`` to a checkout or a bare git directory of it to run this test
(skipped otherwise). Only the train and dev splits are read; the test split is kept for
independent checking.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

ROOT = os.environ.get("NORMED_NEG")
pytestmark = pytest.mark.skipif(not ROOT, reason="NORMED_NEG not set (corpus not shipped)")


def _dev():
    from eval_negation import evaluate_split, load_split

    return evaluate_split(load_split(ROOT, "dev"))


def test_dev_split_nearest_and_false_negation_meet_the_targets():
    r = _dev()
    assert r["scopes"] == 50
    assert r["nearest"] >= 0.95
    assert r["false"] <= 0.01


@pytest.mark.xfail(strict=True, reason=(
    "last-in-scope 0.78 (word cues 0.90): NorMed_neg puts the noun after an affixed "
    "adjective in the scope (ubehandlet diabetes), which harkit leaves affirmed (7 of the "
    "50 scopes), and a few scopes of word cues run past 15 words or start before the cue"))
def test_dev_split_last_in_scope_meets_the_target():
    assert _dev()["last"] >= 0.80


def test_the_test_split_is_never_read():
    from eval_negation import load_split

    with pytest.raises(ValueError, match="only"):
        load_split(ROOT, "test")
