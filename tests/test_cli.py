import shutil
from pathlib import Path

from harkit import cli

BROKEN = Path(__file__).resolve().parents[1] / "data_fixtures" / "broken"


def test_synth_then_validate_is_clean(tmp_path, capsys):
    out = tmp_path / "delivery"
    assert cli.main(["synth", "--persons", "300", "--seed", "5", "--out", str(out),
                     "--sud-fraction", "0.5", "--quiet"]) == 0
    assert (out / "pasient.csv").exists()
    capsys.readouterr()
    assert cli.main(["validate", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "persons" in printed
    assert "rows_read" in printed


def test_validate_exits_nonzero_on_rejects(tmp_path, capsys):
    # Any broken case will do: copy one with a duplicate id next to a clean delivery.
    broken = sorted(p for p in BROKEN.iterdir())
    assert broken, "data_fixtures/broken is empty"
    target = tmp_path / "case"
    if broken[0].is_dir():
        shutil.copytree(broken[0], target)
    else:
        target.mkdir()
        shutil.copy(broken[0], target / broken[0].name)
    status = cli.main(["validate", str(target), "--quiet"])
    printed = capsys.readouterr().out
    assert status == 1
    assert "rejects" in printed


def test_synth_parquet_canonical(tmp_path):
    out = tmp_path / "pq"
    assert cli.main(["synth", "--persons", "200", "--seed", "2", "--out", str(out),
                     "--format", "parquet", "--layout", "canonical", "--quiet"]) == 0
    assert (out / "persons.parquet").exists()
