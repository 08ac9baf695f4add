"""The generator's register survives a trip through delivery files unchanged."""

import pandas as pd
import pytest

from harkit import datasets, io, schema, synth


@pytest.fixture(scope="module")
def small_register():
    return synth.generate(600, seed=11, sud_fraction=0.5, progress=False)


def assert_same_tables(left, right):
    for name in schema.TABLE_ORDER:
        pd.testing.assert_frame_equal(
            left.tables[name].reset_index(drop=True),
            right.tables[name].reset_index(drop=True),
            check_exact=True, obj=name,
        )


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
@pytest.mark.parametrize("layout", ["norwegian", "canonical"])
def test_synth_files_read_back_identically(small_register, tmp_path, fmt, layout):
    out = io.write_extract(small_register, tmp_path / "delivery", format=fmt, layout=layout)
    back = io.read_extract(out)
    assert len(back.rejects) == 0
    assert_same_tables(small_register, back)
    counts = back.row_counts
    assert (counts.rows_read == counts.rows_kept + counts.rows_rejected).all()
    assert (counts.rows_rejected == 0).all()


def test_to_parquet_round_trip_keeps_rejects_and_accounting(small_register, tmp_path):
    small_register.to_parquet(tmp_path / "pq")
    back = io.read_extract(tmp_path / "pq")
    assert_same_tables(small_register, back)


def test_norwegian_csv_uses_norwegian_names(small_register, tmp_path):
    out = io.write_extract(small_register, tmp_path / "no", format="csv", layout="norwegian")
    header = (out / "pasient.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.split(";")[:4] == ["lopenr", "kjonn", "fodselsdato", "dodsdato"]


def test_bundled_fixture_is_what_the_generator_makes():
    """The committed fixture is current: regenerating it gives the same tables.

    Read through ``read_extract`` like any delivery; ``make fixture`` rewrites it."""
    from_files = datasets.load_fixture()
    assert len(from_files.rejects) == 0
    assert_same_tables(datasets.generate_fixture(), from_files)


def test_fixture_shape():
    ex = datasets.load_fixture()
    assert 7000 <= len(ex.persons) <= 9000
    assert len(ex.documents) > 0
    files = list(datasets.fixture_dir().glob("*"))
    # compact package data: the Norwegian layout stored as Parquet, inside the package
    assert {p.suffix for p in files} == {".parquet"}
    assert sum(p.stat().st_size for p in files) < 4 * 1024 * 1024
    assert set(ex.row_counts["source_file"]) == {p.name for p in files}


def test_rebuild_fixture_writes_what_load_fixture_reads(tmp_path, monkeypatch):
    target = datasets.rebuild_fixture(tmp_path / "fixture")
    assert {p.name for p in target.iterdir()} == {
        p.name for p in datasets.fixture_dir().iterdir()}
    monkeypatch.setenv("HARKIT_FIXTURE_DIR", str(target))
    assert_same_tables(datasets.generate_fixture(), datasets.load_fixture())
