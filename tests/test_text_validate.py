"""Tests for harkit.text.validate: scoring against annotations and hand validation."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from harkit.text import search
from harkit.text.validate import (
    evaluate,
    export_sample,
    read_brat,
    read_labels,
    read_spans,
    validation_sample,
    validation_summary,
)


def wilson(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """Wilson score interval written out (the reference for the module's intervals)."""
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


DOCS = pd.DataFrame({
    "document_id": ["a", "b", "c", "d"],
    "person_id": [1, 2, 3, 4],
    "text": ["Alkoholmisbruk i mange år. Bruker heroin.",
             "Ingen alkoholmisbruk.",
             "Drikker alkohol daglig, hasj i helgene.",
             "Innlagt for brudd."],
})


def test_evaluate_spans_and_documents():
    hits = search(DOCS, "@alcohol OR @opioids OR @cannabis")
    ann = read_spans([
        {"document_id": "a", "concept": "alcohol", "start": 0, "end": 14},
        {"document_id": "a", "concept": "opioids", "start": 35, "end": 41},
        {"document_id": "b", "concept": "alcohol", "start": 6, "end": 20, "negated": True},
        {"document_id": "d", "concept": "alcohol", "start": 12, "end": 18},  # missed
    ])
    got = evaluate(hits, ann, suppress=False).set_index("concept")
    # alcohol: hits a (right), c "alkohol" (no annotation) -> tp 1, fp 1;
    # truth a, d (b is negated and the hit there is negated too) -> found 1 of 2
    assert got.loc["alcohol", ["tp", "fp", "found", "n_true"]].tolist() == [1, 1, 1, 2]
    assert got.loc["alcohol", "precision"] == 0.5 and got.loc["alcohol", "recall"] == 0.5
    lo, hi = wilson(1, 2)
    assert got.loc["alcohol", "precision_low"] == pytest.approx(lo)
    assert got.loc["alcohol", "precision_high"] == pytest.approx(hi)
    assert got.loc["opioids", ["tp", "fp", "fn"]].tolist() == [1, 0, 0]
    assert got.loc["cannabis", ["tp", "fp", "n_true"]].tolist() == [0, 1, 0]
    docs = evaluate(hits, ann, level="document", suppress=False).set_index("concept")
    assert docs.loc["alcohol", ["tp", "fp", "fn"]].tolist() == [1, 1, 1]
    everything = evaluate(hits, ann, affirmed=False, suppress=False).set_index("concept")
    assert everything.loc["alcohol", ["tp", "fp", "found", "n_true"]].tolist() == [2, 1, 2, 3]
    # shown tables hide small counts and the shares made from them
    shown = evaluate(hits, ann)
    assert shown.attrs["hidden_rows"] >= 1


def test_read_brat(tmp_path):
    (tmp_path / "doc1.ann").write_text(
        "T1\talcohol 0 14\tAlkoholmisbruk\n"
        "T2\topioids 35 38;39 41\therin\n"
        "A1\tNegated T2\n", encoding="utf-8")
    (tmp_path / "doc2.ann").write_text("T1\tcannabis 4 8\thasj\n", encoding="utf-8")
    got = read_brat(tmp_path)
    assert got.to_dict("records") == [
        {"document_id": "doc1", "concept": "alcohol", "start": 0, "end": 14, "negated": False},
        {"document_id": "doc1", "concept": "opioids", "start": 35, "end": 41, "negated": True},
        {"document_id": "doc2", "concept": "cannabis", "start": 4, "end": 8, "negated": False}]
    (tmp_path / "bad.ann").write_text("T1\talcohol x y\tz\n", encoding="utf-8")
    with pytest.raises(ValueError, match="bad.ann: line 1"):
        read_brat(tmp_path / "bad.ann")


def test_read_spans_errors_name_the_annotation():
    with pytest.raises(ValueError, match="annotation 1 ends before"):
        read_spans([{"document_id": "a", "concept": "x", "start": 0, "end": 2},
                    {"document_id": "a", "concept": "x", "start": 5, "end": 2}])


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_hand_validation_round_trip(tmp_path, suffix):
    hits = search(DOCS, "@alcohol OR @opioids")
    sample = validation_sample(hits, DOCS, n_hits=5, n_non_hits=5, seed=1)
    alc = sample[sample.concept == "alcohol"]
    assert set(alc.kind) == {"hit", "non_hit"}
    assert set(alc[alc.kind == "hit"].stratum) == {"affirmed", "negated"}
    assert set(alc[alc.kind == "non_hit"].document_id) == {"d"}
    f = export_sample(sample, tmp_path / f"sample{suffix}")
    with pytest.raises(ValueError, match="item 0 has label"):
        read_labels(f)
    sample["label"] = "yes"
    export_sample(sample, f)
    back = read_labels(f)
    assert back["label"].tolist() == ["yes"] * len(sample)


def test_validation_summary_against_hand_computation():
    # alcohol: stratum affirmed, 40 hits in all, 10 labelled, 9 yes; stratum negated,
    # 20 hits, 10 labelled, 2 yes; non-hits 1000 documents, 50 labelled, 1 yes
    rows = ([("hit", "affirmed", 4.0, "yes")] * 9 + [("hit", "affirmed", 4.0, "no")]
            + [("hit", "negated", 2.0, "yes")] * 2 + [("hit", "negated", 2.0, "no")] * 8
            + [("non_hit", "no hit", 20.0, "yes")] + [("non_hit", "no hit", 20.0, "no")] * 49)
    df = pd.DataFrame(rows, columns=["kind", "stratum", "weight", "label"])
    df.insert(0, "item", range(len(df)))
    df["concept"] = "alcohol"
    got = validation_summary(df, suppress=False, n_boot=4000).iloc[0]
    true_hits = 40 * 0.9 + 20 * 0.2   # 40
    missed = 1000 * 1 / 50            # 20
    assert got["ppv"] == pytest.approx(true_hits / 60)
    assert got["sensitivity"] == pytest.approx(true_hits / (true_hits + missed))
    assert got["sensitivity_low"] < got["sensitivity"] < got["sensitivity_high"]
    assert got["false_omission"] == pytest.approx(1 / 50)
    lo, hi = wilson(11, 20)
    assert (got["ppv_low"], got["ppv_high"]) == pytest.approx((lo, hi))
    assert np.isfinite(got["sensitivity_low"])
