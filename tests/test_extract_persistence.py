"""An Extract survives pickling and a trip through ``to_parquet`` / ``read_extract`` whole:
tables, rejects, row accounting, source and, for a synthetic register, its ground truth."""

from __future__ import annotations

import pickle
from dataclasses import fields

import pandas as pd
import pytest

from harkit import datasets, io, schema
from harkit.synth.params import Params, Truth


@pytest.fixture(scope="module")
def register():
    return datasets.load_synthetic(400, seed=21, sud_fraction=0.5)


def assert_same_truth(left: Truth, right: Truth) -> None:
    assert type(right) is Truth
    for f in fields(Truth):
        a, b = getattr(left, f.name), getattr(right, f.name)
        if isinstance(a, pd.DataFrame):
            pd.testing.assert_frame_equal(a, b, check_exact=True, obj=f"truth.{f.name}")
        else:
            assert a == b, f.name
            assert type(a) is type(b), f.name


def assert_same_extract(left, right, *, source: bool = True) -> None:
    for name in schema.TABLE_ORDER:
        pd.testing.assert_frame_equal(left.tables[name], right.tables[name],
                                      check_exact=True, obj=name)
    pd.testing.assert_frame_equal(left.rejects, right.rejects, obj="rejects")
    pd.testing.assert_frame_equal(left.row_counts, right.row_counts, obj="row_counts")
    if source:
        assert left.source == right.source
    if left.truth is None:
        assert right.truth is None
    else:
        assert_same_truth(left.truth, right.truth)


def test_params_pickle_and_stay_read_only():
    p = Params(log_hr={**Params().log_hr, "group_alcohol": 0.5})
    back = pickle.loads(pickle.dumps(p))
    assert back == p
    with pytest.raises(TypeError):
        back.log_hr["group_alcohol"] = 1.0  # type: ignore[index]


def test_synthetic_extract_pickles_with_its_truth(register):
    back = pickle.loads(pickle.dumps(register))
    assert_same_extract(register, back)
    assert back.truth.params.log_hr == register.truth.params.log_hr


def test_read_extract_pickles(tmp_path):
    # a delivery with rejects: every part of an Extract read from files pickles
    ex = io.read_extract(datasets.fixture_dir())
    assert_same_extract(ex, pickle.loads(pickle.dumps(ex)))


def test_to_parquet_round_trip_keeps_everything_and_the_truth(register, tmp_path):
    register.to_parquet(tmp_path / "pq")
    back = io.read_extract(tmp_path / "pq")
    assert_same_extract(register, back)
    # and the copy read back is itself stored and read back the same
    back.to_parquet(tmp_path / "pq2")
    assert_same_extract(back, io.read_extract(tmp_path / "pq2"))


def test_to_parquet_of_a_delivery_has_no_truth(tmp_path):
    ex = io.read_extract(datasets.fixture_dir())
    ex.to_parquet(tmp_path / "pq")
    assert not (tmp_path / "pq" / "_truth").exists()
    assert_same_extract(ex, io.read_extract(tmp_path / "pq"))


def test_truth_files_hold_no_code(register, tmp_path):
    # the truth is stored as Parquet and tagged JSON (never pickle)
    folder = register.truth.to_parquet(tmp_path / "truth")
    assert {p.suffix for p in folder.iterdir()} == {".parquet", ".json"}
