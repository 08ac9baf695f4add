import pandas as pd
import pandera.errors
import pytest

from harkit import schema


@pytest.mark.parametrize("name", schema.TABLE_ORDER)
def test_empty_tables_conform(name):
    df = schema.empty_table(name)
    assert list(df.columns) == schema.TABLES[name].column_names
    schema.validate_table(name, df)


def test_every_date_has_a_precision_column():
    for table in schema.TABLES.values():
        names = table.column_names
        for d in table.date_columns:
            assert names[names.index(d) + 1] == f"{d}_precision"


def test_fold_name_handles_norwegian_letters_case_and_bom():
    assert schema.fold_name("\ufeffKjønn ") == "kjonn"
    assert schema.fold_name("FØDSELSÅR") == "fodselsaar"
    assert schema.fold_name("Dødsdato") == "dodsdato"
    assert schema.fold_name("Arkiv-Serie") == "arkiv_serie"


def test_aliases_point_at_canonical_columns():
    for table, aliases in schema.ALIASES.items():
        names = set(schema.TABLES[table].column_names)
        for alias, canonical in aliases.items():
            assert canonical in names, (table, alias, canonical)
            assert alias == schema.fold_name(alias)


def test_norwegian_layout_covers_every_non_precision_column():
    for table, (_, mapping) in schema.NORWEGIAN_LAYOUT.items():
        expected = {c for c in schema.TABLES[table].column_names if not c.endswith("_precision")}
        assert set(mapping) == expected
        # Each Norwegian name maps back to its column through the aliases.
        for canonical, norwegian in mapping.items():
            assert schema.ALIASES[table].get(norwegian, norwegian) == canonical


def test_norwegian_values_read_back_through_value_aliases():
    for column, mapping in schema.NORWEGIAN_VALUES.items():
        for canonical, written in mapping.items():
            assert schema.VALUE_ALIASES[column][schema.fold_name(written)] == canonical


def test_conform_orders_columns_and_fills_missing():
    df = pd.DataFrame({"sex": ["female"], "person_id": ["007"], "extra": [1]})
    out = schema.conform("persons", df)
    assert list(out.columns) == schema.TABLES["persons"].column_names + ["extra"]
    assert out.loc[0, "person_id"] == "007"
    assert out.loc[0, "birth_date_precision"] == "missing"
    assert pd.isna(out.loc[0, "birth_date"])


def test_conform_refuses_unknown_categories():
    df = pd.DataFrame({"person_id": ["1"], "sex": ["3"]})
    with pytest.raises(ValueError, match="sex"):
        schema.conform("persons", df)


def test_pandera_catches_duplicate_keys_and_inconsistent_precision():
    df = schema.conform("persons", pd.DataFrame({
        "person_id": ["1", "1"], "sex": ["male", "female"],
        "death_date": pd.to_datetime(["1990-01-01", "1991-01-01"]),
        "death_date_precision": ["day", "missing"],
    }))
    with pytest.raises(pandera.errors.SchemaErrors) as info:
        schema.validate_table("persons", df)
    text = str(info.value)
    assert "person_id" in text
    assert "death_date_precision" in text
