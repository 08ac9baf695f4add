"""The canonical data model of a Helsearkivregisteret extract.

Seven tables, English snake_case columns, fixed dtypes and categories. Every reader
and the synthetic generator produce exactly these tables; every analysis consumes them.

Conventions
-----------
* Identifiers are strings (pandas ``string`` dtype): pseudonymised serial numbers
  (*løpenummer*) may carry leading zeros or letters.
* Dates are ``datetime64[ns]``. Each date column ``X`` has a companion
  ``X_precision`` with categories ``day``, ``month``, ``year``, ``missing``.
  A partial date is stored at the middle of its period (see :data:`PARTIAL_DATE_CONVENTION`)
  and its precision says so; precision is never invented.
* Sex, code system, diagnosis rank, cause type, episode type, treatment type and
  institution type are categoricals with the fixed categories below.

The Norwegian delivery names accepted on read are listed in :data:`ALIASES`
(case-insensitive, with or without æ/ø/å), and the layout the synthetic register writes
in its Norwegian form is :data:`NORWEGIAN_LAYOUT`.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pandera.pandas as pa

#: Categories of the precision column that accompanies every date column.
PRECISION_CATEGORIES = ["day", "month", "year", "missing"]

#: Where a partial date is placed: the middle of the period it names.
PARTIAL_DATE_CONVENTION = {
    "day": "the date itself",
    "month": "the 15th of the month",
    "year": "1 July of the year",
    "missing": "NaT",
}

SEX_CATEGORIES = ["male", "female"]
CODE_SYSTEM_CATEGORIES = ["ICD-6", "ICD-7", "ICD-8", "ICD-9", "ICD-10", "none"]
RANK_CATEGORIES = ["main", "secondary"]
CAUSE_TYPE_CATEGORIES = ["underlying", "contributing"]
EPISODE_TYPE_CATEGORIES = ["inpatient", "day", "outpatient", "unknown"]
TREATMENT_TYPE_CATEGORIES = [
    "institutional_stay",
    "detoxification",
    "disulfiram",
    "methadone",
    "buprenorphine",
    "outpatient_counselling",
    "psychiatric_care",
    "coercive_admission",
    "opioid_maintenance",
    "other",
]
INSTITUTION_TYPE_CATEGORIES = [
    "general_hospital",
    "psychiatric",
    "substance_use",
    "rehabilitation",
    "other",
]

#: Fixed categories per categorical column (the same column name means the same categories).
CATEGORIES: dict[str, list[str]] = {
    "sex": SEX_CATEGORIES,
    "code_system": CODE_SYSTEM_CATEGORIES,
    "rank": RANK_CATEGORIES,
    "cause_type": CAUSE_TYPE_CATEGORIES,
    "episode_type": EPISODE_TYPE_CATEGORIES,
    "treatment_type": TREATMENT_TYPE_CATEGORIES,
    "institution_type": INSTITUTION_TYPE_CATEGORIES,
}


@dataclass(frozen=True)
class Column:
    """One canonical column.

    Parameters
    ----------
    name : str
        Canonical English snake_case name.
    kind : str
        ``id``, ``string``, ``date``, ``category``, ``int``, ``float`` or ``bool``.
    required : bool
        Whether a delivery must have the column (a table without it is an error).
    nullable : bool
        Whether a value may be missing.
    categories : list of str, optional
        Fixed categories for ``kind="category"``.
    description : str
        What the column holds.
    """

    name: str
    kind: str
    required: bool = False
    nullable: bool = True
    categories: tuple[str, ...] | None = None
    description: str = ""


def _cat(name: str, key: str | None = None, **kw) -> Column:
    return Column(name, "category", categories=tuple(CATEGORIES[key or name]), **kw)


@dataclass(frozen=True)
class Table:
    """One canonical table: its columns, primary key and parent keys.

    Parameters
    ----------
    name : str
        Canonical table name.
    columns : tuple of Column
        Columns in canonical order; every date column is followed by its precision.
    key : tuple of str
        Columns that identify a row (duplicates are rejected).
    parents : dict
        Foreign keys: column name -> parent table name (orphans are rejected).
    description : str
        One row per ...
    """

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    parents: dict[str, str] = field(default_factory=dict)
    description: str = ""

    @property
    def column_names(self) -> list[str]:
        """Canonical column names in order."""
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[str]:
        """Columns a delivery of this table must contain."""
        return [c.name for c in self.columns if c.required]

    @property
    def date_columns(self) -> list[str]:
        """Date columns (each has a ``*_precision`` companion)."""
        return [c.name for c in self.columns if c.kind == "date"]

    def column(self, name: str) -> Column:
        """Return the column called ``name``."""
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


def _date(name: str, **kw) -> tuple[Column, Column]:
    return (
        Column(name, "date", **kw),
        Column(f"{name}_precision", "category", categories=tuple(PRECISION_CATEGORIES),
               nullable=False, description=f"precision of {name}"),
    )


TABLES: dict[str, Table] = {
    "persons": Table(
        "persons",
        (
            Column("person_id", "id", required=True, nullable=False,
                   description="pseudonymised person number (løpenummer)"),
            _cat("sex", required=True, nullable=False),
            *_date("birth_date", required=True),
            *_date("death_date", required=True),
            Column("municipality", "string"),
        ),
        key=("person_id",),
        description="one row per person",
    ),
    "episodes": Table(
        "episodes",
        (
            Column("episode_id", "id", required=True, nullable=False),
            Column("person_id", "id", required=True, nullable=False),
            Column("institution_id", "id"),
            Column("archive_series_id", "id"),
            Column("department", "string"),
            *_date("admission_date", required=True),
            *_date("discharge_date"),
            _cat("episode_type"),
        ),
        key=("episode_id",),
        parents={"person_id": "persons"},
        description="one row per contact or stay",
    ),
    "diagnoses": Table(
        "diagnoses",
        (
            Column("diagnosis_id", "id", nullable=False),
            Column("episode_id", "id"),
            Column("person_id", "id", required=True, nullable=False),
            Column("code", "string"),
            _cat("code_system"),
            Column("diagnosis_text", "string"),
            _cat("rank"),
            *_date("date"),
        ),
        key=("diagnosis_id",),
        parents={"person_id": "persons", "episode_id": "episodes"},
        description="one row per diagnosis on an episode",
    ),
    "causes_of_death": Table(
        "causes_of_death",
        (
            Column("person_id", "id", required=True, nullable=False),
            Column("code", "string", required=True),
            _cat("code_system"),
            _cat("cause_type", nullable=False),
            Column("line", "int", nullable=False,
                   description="0 for the underlying cause, 1.. for contributing causes"),
            Column("cause_text", "string"),
        ),
        key=("person_id", "cause_type", "line"),
        parents={"person_id": "persons"},
        description="one row per cause on a death certificate",
    ),
    "treatments": Table(
        "treatments",
        (
            Column("treatment_id", "id", nullable=False),
            Column("episode_id", "id"),
            Column("person_id", "id", required=True, nullable=False),
            _cat("treatment_type", required=True, nullable=False),
            *_date("start_date"),
            *_date("end_date"),
        ),
        key=("treatment_id",),
        parents={"person_id": "persons", "episode_id": "episodes"},
        description="one row per treatment given",
    ),
    "documents": Table(
        "documents",
        (
            Column("document_id", "id", required=True, nullable=False),
            Column("person_id", "id", required=True, nullable=False),
            Column("episode_id", "id"),
            *_date("date"),
            Column("document_type", "string"),
            Column("text", "string", required=True),
        ),
        key=("document_id",),
        parents={"person_id": "persons", "episode_id": "episodes"},
        description="one row per page or note of record text",
    ),
    "institutions": Table(
        "institutions",
        (
            Column("institution_id", "id", required=True, nullable=False),
            Column("archive_series_id", "id", required=True, nullable=False),
            Column("name", "string"),
            Column("series_name", "string"),
            _cat("institution_type"),
            Column("addiction_department", "bool"),
            Column("specialty_code", "int", description="NPR fagområde, e.g. 360 Rus"),
        ),
        key=("institution_id", "archive_series_id"),
        description="one row per institution and archive series",
    ),
}

TABLE_ORDER = list(TABLES)


def fold_name(name: str) -> str:
    """Fold a column or file name for alias lookup.

    Lower case, surrounding blanks and a BOM removed, Norwegian letters folded
    (æ->ae, ø->o, å->aa), spaces and hyphens as underscores.

    Parameters
    ----------
    name : str
        Name as found in a delivery.

    Returns
    -------
    str
        The folded name.
    """
    s = str(name).replace("\ufeff", "").strip().lower()
    s = s.replace("æ", "ae").replace("ø", "o").replace("å", "aa")
    s = unicodedata.normalize("NFKD", s)
    s = "".join(ch for ch in s if not unicodedata.combining(ch))
    return s.replace(" ", "_").replace("-", "_")


#: Names of the person key in every table (pseudonymised serial number, *løpenummer*;
#: ``lopnr`` is the Swedish spelling).
_PERSON_KEY_ALIASES = {
    "lopenr": "person_id", "pasient": "person_id", "pasient_id": "person_id",
    "lnr": "person_id", "lopnr": "person_id",
}

#: Accepted delivery names per table, folded with :func:`fold_name`, -> canonical column.
#: Canonical names themselves are always accepted.
ALIASES: dict[str, dict[str, str]] = {
    "persons": {
        **_PERSON_KEY_ALIASES, "pasientnr": "person_id", "pid": "person_id",
        "id": "person_id", "dodsdat": "death_date",
        "kjonn": "sex", "kjoenn": "sex", "kjonn_kode": "sex", "gender": "sex",
        "fodselsdato": "birth_date", "fodt": "birth_date", "fodselsdag": "birth_date",
        "fodselsaar": "birth_date", "fodselsar": "birth_date", "faar": "birth_date",
        "birth_year": "birth_date",
        "dodsdato": "death_date", "dod": "death_date", "doddato": "death_date",
        "dodsaar": "death_date", "dodsar": "death_date", "death_year": "death_date",
        "dodsdato_presisjon": "death_date_precision",
        "fodselsdato_presisjon": "birth_date_precision",
        "kommune": "municipality", "bostedskommune": "municipality",
    },
    "episodes": {
        "opphold_id": "episode_id", "opphold": "episode_id", "oppholdsnr": "episode_id",
        "kontakt_id": "episode_id", "recnum": "episode_id",
        **_PERSON_KEY_ALIASES, "indatum": "admission_date",
        "utdatum": "discharge_date",
        "arkivskaper": "institution_id", "arkivskaper_id": "institution_id",
        "institusjon": "institution_id", "institusjon_id": "institution_id",
        "institusjonid": "institution_id",
        "arkivserie": "archive_series_id", "arkivserie_id": "archive_series_id",
        "avdeling": "department", "post": "department",
        "inndato": "admission_date", "innleggelsesdato": "admission_date",
        "kontaktdato": "admission_date", "d_inddto": "admission_date",
        "utdato": "discharge_date", "utskrivningsdato": "discharge_date",
        "d_uddto": "discharge_date",
        "omsorgsniva": "episode_type", "kontakttype": "episode_type",
        "oppholdstype": "episode_type",
        "inndato_presisjon": "admission_date_precision",
        "utdato_presisjon": "discharge_date_precision",
    },
    "diagnoses": {
        "diagnose_id": "diagnosis_id", "diagnosenr": "diagnosis_id",
        "opphold_id": "episode_id", "opphold": "episode_id", "recnum": "episode_id",
        **_PERSON_KEY_ALIASES,
        "diagnosekode": "code", "diagnose": "code", "kode": "code", "icd_kode": "code",
        "c_diag": "code",
        "kodeverk": "code_system", "icd_versjon": "code_system", "icd_revisjon": "code_system",
        "diagnosetekst": "diagnosis_text", "tekst": "diagnosis_text",
        "diagnosetype": "rank", "c_diagtype": "rank", "type": "rank",
        "diagnosedato": "date", "dato": "date",
        "dato_presisjon": "date_precision",
    },
    "causes_of_death": {
        **_PERSON_KEY_ALIASES,
        "dodsarsak": "code", "underliggende_kode": "code", "kode": "code",
        "dodsarsakskode": "code", "ulorsak": "code",
        "icd_revisjon": "code_system", "kodeverk": "code_system",
        "arsakstype": "cause_type", "type": "cause_type",
        "rekkefolge": "line", "linje": "line", "nr": "line",
        "dodsarsakstekst": "cause_text", "tekst": "cause_text",
    },
    "treatments": {
        "behandling_id": "treatment_id", "behandlingsnr": "treatment_id",
        "opphold_id": "episode_id", "opphold": "episode_id",
        **_PERSON_KEY_ALIASES,
        "behandlingstype": "treatment_type", "behandling": "treatment_type",
        "tiltak": "treatment_type",
        "startdato": "start_date", "fradato": "start_date",
        "sluttdato": "end_date", "tildato": "end_date",
        "startdato_presisjon": "start_date_precision",
        "sluttdato_presisjon": "end_date_precision",
    },
    "documents": {
        "dokument_id": "document_id", "dokumentnr": "document_id", "side_id": "document_id",
        **_PERSON_KEY_ALIASES,
        "opphold_id": "episode_id", "opphold": "episode_id",
        "dokumentdato": "date", "dato": "date", "dato_presisjon": "date_precision",
        "dokumenttype": "document_type", "type": "document_type",
        "tekst": "text", "journaltekst": "text", "notat": "text", "innhold": "text",
    },
    "institutions": {
        "arkivskaper": "institution_id", "arkivskaper_id": "institution_id",
        "institusjon_id": "institution_id", "institusjonid": "institution_id",
        "arkivserie": "archive_series_id", "arkivserie_id": "archive_series_id",
        "institusjon_navn": "name", "navn": "name", "sykehus": "name",
        "serienavn": "series_name",
        "sektor": "institution_type", "institusjonstype": "institution_type",
        "type": "institution_type",
        "rusavdeling": "addiction_department", "tsb": "addiction_department",
        "fagomrade_kode": "specialty_code", "fagomrade": "specialty_code",
    },
}

#: Folded file-name stems that name a table.
TABLE_FILE_ALIASES: dict[str, str] = {
    "persons": "persons", "person": "persons", "personer": "persons", "pasient": "persons",
    "pasienter": "persons", "patients": "persons",
    "episodes": "episodes", "opphold": "episodes", "kontakter": "episodes",
    "kontakt": "episodes", "stays": "episodes",
    "diagnoses": "diagnoses", "diagnose": "diagnoses", "diagnoser": "diagnoses",
    "causes_of_death": "causes_of_death", "dodsarsak": "causes_of_death",
    "dodsarsaker": "causes_of_death", "dar": "causes_of_death",
    "treatments": "treatments", "behandling": "treatments", "behandlinger": "treatments",
    "tiltak": "treatments",
    "documents": "documents", "dokument": "documents", "dokumenter": "documents",
    "journaltekst": "documents", "notater": "documents",
    "institutions": "institutions", "institusjoner": "institutions",
    "institusjon": "institutions", "arkivserie": "institutions",
    "arkivserier": "institutions", "arkivskaper": "institutions",
}

#: Value codings accepted on read (folded, lower case) -> canonical category.
VALUE_ALIASES: dict[str, dict[str, str]] = {
    "sex": {
        "1": "male", "m": "male", "mann": "male", "menn": "male", "male": "male",
        "gutt": "male",
        "2": "female", "k": "female", "f": "female", "kvinne": "female", "kvinner": "female",
        "female": "female", "jente": "female",
    },
    "code_system": {
        **{f"icd{r}": f"ICD-{r}" for r in range(6, 11)},
        **{f"icd-{r}": f"ICD-{r}" for r in range(6, 11)},
        **{f"icd_{r}": f"ICD-{r}" for r in range(6, 11)},
        **{f"icd {r}": f"ICD-{r}" for r in range(6, 11)},
        **{str(r): f"ICD-{r}" for r in range(6, 11)},
        "icd-6/7": "ICD-7", "icd6/7": "ICD-7",
        "none": "none", "ukodet": "none", "uncoded": "none", "fritekst": "none",
        "ingen": "none",
    },
    "rank": {
        "h": "main", "hoved": "main", "hoveddiagnose": "main", "main": "main", "a": "main",
        "1": "main", "primary": "main",
        "b": "secondary", "bi": "secondary", "bidiagnose": "secondary",
        "secondary": "secondary", "2": "secondary",
    },
    "cause_type": {
        "u": "underlying", "underliggende": "underlying", "underlying": "underlying",
        "0": "underlying",
        "m": "contributing", "medvirkende": "contributing", "contributing": "contributing",
        "1": "contributing",
    },
    "episode_type": {
        "1": "inpatient", "dogn": "inpatient", "innlagt": "inpatient",
        "inpatient": "inpatient",
        "2": "day", "dag": "day", "day": "day",
        "3": "outpatient", "8": "outpatient", "poliklinisk": "outpatient",
        "poliklinikk": "outpatient", "outpatient": "outpatient",
        "ukjent": "unknown", "unknown": "unknown", "9": "unknown",
    },
    "treatment_type": {
        **{t: t for t in TREATMENT_TYPE_CATEGORIES},
        "institusjonsopphold": "institutional_stay", "kursted": "institutional_stay",
        "kurssted": "institutional_stay", "avrusning": "detoxification",
        "avgiftning": "detoxification", "antabus": "disulfiram", "metadon": "methadone",
        "lar": "methadone", "buprenorfin": "buprenorphine", "subutex": "buprenorphine",
        "poliklinisk_samtale": "outpatient_counselling", "samtale": "outpatient_counselling",
        "psykiatrisk_behandling": "psychiatric_care",
        "tvangsinnleggelse": "coercive_admission", "tvang": "coercive_admission",
        "annet": "other",
    },
    "institution_type": {
        **{t: t for t in INSTITUTION_TYPE_CATEGORIES},
        "somatikk": "general_hospital", "sykehus": "general_hospital", "1": "general_hospital",
        "psykiatri": "psychiatric", "vop": "psychiatric", "2": "psychiatric",
        "tsb": "substance_use", "rus": "substance_use", "3": "substance_use",
        "rehab": "rehabilitation", "rehabilitering": "rehabilitation",
        "annet": "other",
    },
}

#: Names and layout of a delivery in the Norwegian form that the synthetic register writes:
#: file stem per table, and canonical column -> Norwegian column. Dates are written
#: ``dd.mm.yyyy`` (``mm.yyyy`` or ``yyyy`` when partial), sex as 1/2, files semicolon
#: separated. Precision columns are not written: the date text itself carries it.
NORWEGIAN_LAYOUT: dict[str, tuple[str, dict[str, str]]] = {
    "persons": ("pasient", {
        "person_id": "lopenr", "sex": "kjonn", "birth_date": "fodselsdato",
        "death_date": "dodsdato", "municipality": "kommune",
    }),
    "episodes": ("opphold", {
        "episode_id": "opphold_id", "person_id": "lopenr", "institution_id": "arkivskaper",
        "archive_series_id": "arkivserie", "department": "avdeling",
        "admission_date": "inndato", "discharge_date": "utdato",
        "episode_type": "omsorgsniva",
    }),
    "diagnoses": ("diagnose", {
        "diagnosis_id": "diagnose_id", "episode_id": "opphold_id", "person_id": "lopenr",
        "code": "diagnosekode", "code_system": "kodeverk", "diagnosis_text": "diagnosetekst",
        "rank": "diagnosetype", "date": "diagnosedato",
    }),
    "causes_of_death": ("dodsarsak", {
        "person_id": "lopenr", "code": "dodsarsakskode", "code_system": "icd_revisjon",
        "cause_type": "arsakstype", "line": "rekkefolge", "cause_text": "dodsarsakstekst",
    }),
    "treatments": ("behandling", {
        "treatment_id": "behandling_id", "episode_id": "opphold_id", "person_id": "lopenr",
        "treatment_type": "behandlingstype", "start_date": "startdato",
        "end_date": "sluttdato",
    }),
    "documents": ("dokument", {
        "document_id": "dokument_id", "person_id": "lopenr", "episode_id": "opphold_id",
        "date": "dokumentdato", "document_type": "dokumenttype", "text": "tekst",
    }),
    "institutions": ("arkivserie", {
        "institution_id": "arkivskaper", "archive_series_id": "arkivserie",
        "name": "institusjon_navn", "series_name": "serienavn",
        "institution_type": "sektor", "addiction_department": "rusavdeling",
        "specialty_code": "fagomrade_kode",
    }),
}

#: Norwegian value codings written in the Norwegian layout (canonical -> delivery).
NORWEGIAN_VALUES: dict[str, dict[str, str]] = {
    "sex": {"male": "1", "female": "2"},
    "code_system": {"none": "ukodet"},
    "rank": {"main": "H", "secondary": "B"},
    "cause_type": {"underlying": "underliggende", "contributing": "medvirkende"},
    "episode_type": {"inpatient": "1", "day": "2", "outpatient": "3", "unknown": "9"},
    "institution_type": {
        "general_hospital": "somatikk", "psychiatric": "psykiatri",
        "substance_use": "TSB", "rehabilitation": "rehabilitering", "other": "annet",
    },
}

#: Prefixes of the wide NPR/Nordic diagnosis layout on an episodes file
#: (``hdiag``, ``hdiag2``, ``bdiag1..n``, ``tilst1..n``, ``hdia``, ``dia1..n``).
WIDE_DIAGNOSIS_MAIN = ("hdiag", "hdia", "hoveddiagnose")
WIDE_DIAGNOSIS_SECONDARY = ("bdiag", "bdia", "tilst", "dia", "bidiag")


_PANDAS_DTYPES = {
    "id": "string",
    "string": "string",
    "date": "datetime64[ns]",
    "int": "Int64",
    "float": "float64",
    "bool": "boolean",
}


def dtype_of(col: Column) -> object:
    """Return the pandas dtype of a canonical column.

    Parameters
    ----------
    col : Column
        The column.

    Returns
    -------
    object
        A dtype or dtype string usable with ``Series.astype``.
    """
    if col.kind == "category":
        return pd.CategoricalDtype(list(col.categories or ()), ordered=False)
    return _PANDAS_DTYPES[col.kind]


def empty_table(name: str) -> pd.DataFrame:
    """Return an empty canonical table with the right columns and dtypes.

    Parameters
    ----------
    name : str
        Canonical table name.

    Returns
    -------
    pandas.DataFrame
    """
    table = TABLES[name]
    return pd.DataFrame({c.name: pd.Series([], dtype=dtype_of(c)) for c in table.columns})


def _as_category(name: str, c: Column, s: pd.Series, dtype: pd.CategoricalDtype
                 ) -> pd.Series:
    """A column as the fixed categories, looked up once per distinct value.

    Raises ``ValueError`` for a value outside the categories (never turned into NaN).
    """
    cats = list(c.categories or ())
    if isinstance(s.dtype, pd.CategoricalDtype) and list(s.cat.categories) == cats:
        return s.astype(dtype)  # already these categories: only the order flag may change
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    where = {v: i for i, v in enumerate(cats)}
    mapped = np.array([where.get(u, -2) if isinstance(u, str) else -2 for u in uniques],
                      dtype=np.int64)
    if (mapped == -2).any():
        bad = [str(u) for u, m in zip(uniques, mapped) if m == -2]
        raise ValueError(
            f"table {name!r} column {c.name!r}: values outside the categories "
            f"{cats}: {sorted(bad)[:5]}"
        )
    full = np.append(mapped, -1)[np.where(codes < 0, len(mapped), codes)]
    return pd.Series(pd.Categorical.from_codes(full, dtype=dtype), index=s.index)


def conform(name: str, df: pd.DataFrame) -> pd.DataFrame:
    """Put a table into canonical column order and dtypes.

    Missing optional columns are added empty (date precision ``missing``); extra
    columns are kept after the canonical ones. Values must already be canonical
    (categories outside the fixed set raise ``ValueError`` rather than becoming NaN).

    Parameters
    ----------
    name : str
        Canonical table name.
    df : pandas.DataFrame
        The table, with canonical column names.

    Returns
    -------
    pandas.DataFrame
        A new frame with a fresh RangeIndex.
    """
    table = TABLES[name]
    n = len(df)
    out: dict[str, pd.Series] = {}
    for c in table.columns:
        dtype = dtype_of(c)
        if c.name in df.columns:
            s = df[c.name].reset_index(drop=True)
            if c.kind == "category":
                s = _as_category(name, c, s, dtype)
            elif c.kind == "date":
                s = s if s.dtype == "datetime64[ns]" else \
                    pd.to_datetime(s).astype("datetime64[ns]")
            else:
                s = s.astype(dtype)
        elif c.name.endswith("_precision"):
            s = pd.Series(["missing"] * n, dtype=dtype)
        else:
            s = pd.Series([pd.NA] * n, dtype=dtype) if c.kind != "date" else pd.Series(
                pd.NaT, index=range(n), dtype="datetime64[ns]")
        out[c.name] = s
    result = pd.DataFrame(out)
    for extra in df.columns:
        if extra not in result.columns:
            result[extra] = df[extra].reset_index(drop=True)
    return result


def pandera_schema(name: str) -> pa.DataFrameSchema:
    """Return the pandera schema of a canonical table.

    Checks column presence, dtypes, nullability, categories, unique keys and that
    each date's precision is ``missing`` exactly when the date is missing.

    Parameters
    ----------
    name : str
        Canonical table name.

    Returns
    -------
    pandera.pandas.DataFrameSchema
    """
    table = TABLES[name]
    columns = {}
    for c in table.columns:
        checks = []
        if c.kind == "category":
            checks.append(pa.Check.isin(list(c.categories or ())))
        columns[c.name] = pa.Column(dtype_of(c), nullable=c.nullable, checks=checks,
                                    required=True, coerce=False)
    frame_checks = []
    for d in table.date_columns:
        frame_checks.append(
            pa.Check(
                lambda df, d=d: df[d].isna() == (df[f"{d}_precision"] == "missing"),
                error=f"{d}_precision is 'missing' exactly when {d} is missing",
            )
        )
    return pa.DataFrameSchema(
        columns,
        checks=frame_checks,
        unique=list(table.key) if table.key else None,
        strict=False,
        name=name,
    )


def validate_table(name: str, df: pd.DataFrame) -> pd.DataFrame:
    """Validate a canonical table with its pandera schema (all failures at once).

    Parameters
    ----------
    name : str
        Canonical table name.
    df : pandas.DataFrame
        The table.

    Returns
    -------
    pandas.DataFrame
        ``df`` unchanged.

    Raises
    ------
    pandera.errors.SchemaErrors
        Listing every failing check.
    """
    return pandera_schema(name).validate(df, lazy=True)
