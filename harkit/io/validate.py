"""Rules across rows and tables, and the row accounting.

Tables are checked parents first (persons, institutions, episodes, then the rest), so a
rejected person makes its episodes orphans, and those make their diagnoses orphans.
A row that fails several rules gets one reject per failure and counts once.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pandera.errors
import pyarrow as pa
import pyarrow.compute as pc

from harkit import dates, schema
from harkit.errors import SchemaError
from harkit.extract import empty_row_counts
from harkit.io._arrowscan import is_plain_text, key_order, sorted_positions
from harkit.io.mapping import LINE, MASK, PART, Part
from harkit.io.rejects import UNIT, make_rejects
from harkit.io.values import delivered_values

#: Checks of a date against the person's death: table -> (date column, reason).
AFTER_DEATH = {
    "episodes": ("admission_date", "admission after death"),
    "diagnoses": ("date", "diagnosis date after death"),
    "treatments": ("start_date", "treatment start after death"),
    "documents": ("date", "document date after death"),
}
#: Checks of the same dates against the person's birth: table -> reason.
BEFORE_BIRTH = {
    "episodes": "admission before birth",
    "diagnoses": "diagnosis date before birth",
    "treatments": "treatment start before birth",
    "documents": "document date before birth",
}
_PARENT_WORD = {"persons": "person", "episodes": "episode"}


class _Table:
    """All parts of one table, concatenated, with what rules need to name a row."""

    def __init__(self, name: str, parts: list[Part]) -> None:
        self.name = name
        self.parts = parts
        frames = []
        for i, p in enumerate(parts):
            d = p.data
            if len(d):
                d[PART] = np.int32(i)  # the part's own frame: marked in place, not copied
                frames.append(d)
        if len(frames) == 1:
            one = frames[0]
            self.df = one if one.index.equals(pd.RangeIndex(len(one))) else \
                one.reset_index(drop=True)
        else:
            self.df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
                {UNIT: pd.Series([], dtype="int64"), LINE: pd.Series([], dtype="int64"),
                 PART: pd.Series([], dtype="int32")})
        del frames
        for p in parts:  # the rows live on in ``df``: do not hold them twice
            p.data = p.data.iloc[:0]
        self.files = np.array([p.source_file for p in parts], dtype=object)
        self.dead = np.zeros(len(self.df), dtype=bool)
        self.key_unique = False  # proven unique, with no missing key, on every row
        self.rejects: list[pd.DataFrame] = []
        for p in parts:
            self.rejects += p.rejects
        units = pd.concat([r[UNIT] for r in self.rejects], ignore_index=True).dropna() \
            if self.rejects else pd.Series([], dtype="Int64")
        if len(units) and len(self.df):
            self.dead |= self.df[UNIT].isin(units.astype("int64")).to_numpy()

    def raw_name(self, canon: str, rows: np.ndarray) -> np.ndarray:
        names = np.array([p.raw_names.get(canon, canon) for p in self.parts], dtype=object)
        return names[self.df[PART].to_numpy()[rows]]

    def reject(self, rows: np.ndarray, canon: str, reason: str | np.ndarray,
               values: pd.Series | Callable[[np.ndarray], pd.Series] | None, *,
               masked: bool = False) -> None:
        """Reject the rows where ``rows`` (bool) is true, naming column ``canon``;
        ``values``: the values shown (or a function giving those of the rows given)."""
        if not rows.any():
            return
        sub = self.df.loc[rows]
        val = None if values is None else \
            (values(rows) if callable(values) else values[rows]).reset_index(drop=True)
        reason = reason[rows] if isinstance(reason, np.ndarray) else reason
        self.rejects.append(make_rejects(
            self.name, self.files[sub[PART].to_numpy()], sub[LINE].to_numpy(),
            self.raw_name(canon, rows), reason, val, sub[UNIT].to_numpy(), masked=masked))
        # Every row sharing a rejected unit goes (the long rows of one wide source row).
        self.dead |= self.df[UNIT].isin(sub[UNIT]).to_numpy()

    def delivered_text(self, canon: str) -> pd.Series | Callable[[np.ndarray], pd.Series]:
        """The text delivered for a date column (masked only where a row is rejected):
        a function giving the text of the rows it is given, when kept."""
        col = MASK + canon
        if col in self.df:
            kept = self.df[col]
            return lambda rows: delivered_values(kept[rows])
        return self.df[canon] if canon in self.df else pd.Series(
            [None] * len(self.df), dtype=object)


def _unique_by_arrow(df: pd.DataFrame, key: list[str], arr: pa.Array | None = None
                     ) -> bool | None:
    """Whether a one-column text key is unique, told by Arrow's hashing of the bytes.

    UTF-8 is one-to-one, so distinct byte strings are distinct values. None when Arrow
    cannot tell exactly (several key columns, missing or non-text values); the caller
    then uses pandas. ``arr`` is the key column as Arrow text, when already at hand.
    """
    if len(key) != 1 or not len(df):
        return None
    if arr is None:
        try:
            arr = _arrow_text(df[key[0]])
        except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeEncodeError):
            return None
    if arr.null_count or not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        return None
    if len(arr) < 2 or key_order(arr) is not None:
        # Keys in strictly increasing order (as most deliveries number their rows, with
        # or without leading zeros) are distinct: one pass over neighbours instead of a
        # hash table of every key.
        return True
    # ``unique`` builds the same hash table as ``count_distinct`` at a fraction of its
    # time (pyarrow's count_distinct is a grouped aggregation, several times slower).
    return len(pc.unique(arr)) == len(arr)


def _validate(name: str, table: pd.DataFrame, key_unique: bool) -> None:
    """:func:`harkit.schema.validate_table`, its unique-key check done by Arrow when it can.

    ``key_unique``: the key was proven unique, with no missing value, on all the rows the
    table was kept from (a subset of distinct values is distinct: no check needed).
    """
    sch = schema.pandera_schema(name)  # a fresh schema object: changing it is local
    if sch.unique and (key_unique or _unique_by_arrow(table, list(sch.unique))):
        sch.unique = None  # proven; pandas' hashing of millions of ids is slow
    # In place: the schema coerces nothing (``coerce=False``), and a copy of a table of
    # millions of rows would only be checked and thrown away.
    sch.validate(table, lazy=True, inplace=True)


def _table_keys(t: _Table) -> pa.Array | None:
    """The table's one-column key as Arrow text (worked out once; None if not text)."""
    if "_keys" not in t.__dict__:
        key = schema.TABLES[t.name].key
        t._keys = None
        if len(key) == 1 and key[0] in t.df:
            try:
                t._keys = _arrow_text(t.df[key[0]])
            except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeEncodeError):
                t._keys = None
    return t._keys


def _duplicates(t: _Table) -> None:
    key = list(schema.TABLES[t.name].key)
    df = t.df
    if not key or not len(df) or not set(key) <= set(df.columns):
        return
    if _unique_by_arrow(df, key, _table_keys(t)):
        t.key_unique = True
        return  # no two rows share a key (the common case), proven on the bytes
    complete = df[key].notna().all(axis=1).to_numpy()
    dup_any = np.zeros(len(df), dtype=bool)
    sub_keys = df.loc[complete, key[0]] if len(key) == 1 else df.loc[complete, key]
    dup_any[complete] = sub_keys.duplicated(keep=False).to_numpy()
    if not dup_any.any():
        t.key_unique = bool(complete.all())  # the schema's own check would repeat this
        return
    sub = df.loc[dup_any, key + [LINE, PART]]
    pos = np.flatnonzero(dup_any)
    first = pd.Series(pos, index=sub.index).groupby(
        [sub[k].astype(str) for k in key], sort=False).transform("first").to_numpy()
    later = pos != first
    rows = np.zeros(len(df), dtype=bool)
    rows[pos[later]] = True
    first_line = df[LINE].to_numpy()[first[later]]
    first_file = t.files[df[PART].to_numpy()[first[later]]]
    this_file = t.files[df[PART].to_numpy()[pos[later]]]
    reason = np.array([
        f"duplicate {'+'.join(key)}: first on line {ln}"
        + ("" if ff == tf else f" of {ff}")
        for ln, ff, tf in zip(first_line, first_file, this_file)
    ], dtype=object)
    full_reason = np.empty(len(df), dtype=object)
    full_reason[rows] = reason
    value = df[key[0]].astype(str) if len(key) == 1 else \
        df[key].astype(str).agg("|".join, axis=1)
    t.reject(rows, key[0], full_reason, value)


def _arrow_text(s: pd.Series) -> pa.Array | pa.ChunkedArray:
    """A text column as Arrow text (nulls for missing; the column's own chunks where it
    is Arrow-backed, without a Python object per row)."""
    arr = pa.array(s.to_numpy(dtype=object) if s.dtype == object else s, from_pandas=True)
    # Chunks are kept as they are (Arrow's kernels take them): joining them would copy
    # the column.
    return arr.cast(pa.large_string()) if pa.types.is_string(arr.type) else arr


def _parent_keys(parent: _Table) -> pa.Array:
    """The parent's key column as Arrow text (cached)."""
    keys = _table_keys(parent)
    if keys is None:
        pkey = schema.TABLES[parent.name].key[0]
        keys = _arrow_text(parent.df[pkey]) if pkey in parent.df else \
            pa.array([], type=pa.large_string())
    return keys


def _sorted_parent_keys(parent: _Table) -> tuple[pa.Array, str] | None:
    """The parent's keys as one Arrow array, and their order, when they are text in
    strictly increasing order (:func:`key_order`), none missing (as most deliveries
    number their rows); else None (cached)."""
    if "_sorted_keys" not in parent.__dict__:
        keys = _parent_keys(parent)
        if isinstance(keys, pa.ChunkedArray):
            keys = keys.combine_chunks()
        order = key_order(keys) if is_plain_text(keys) else None
        parent._sorted_keys = None if order is None else (keys, order)
    return parent._sorted_keys


def _positions_by_hash(values: pa.Array | pa.ChunkedArray, keys: pa.Array | pa.ChunkedArray
                       ) -> np.ndarray:
    """Position of each value among ``keys`` (first match), -1 where none or missing, by
    Arrow's hashing of the bytes."""
    if isinstance(keys, pa.ChunkedArray):  # a value set is one array
        keys = keys.combine_chunks()
    pos = pc.index_in(values.cast(keys.type), value_set=keys, skip_nulls=True)
    return pc.fill_null(pos, -1).to_numpy().astype(np.int32, copy=False)


def _parent_positions(t: _Table, col: str, parent: _Table) -> np.ndarray:
    """Row of the parent (first with that key) each row of ``t`` names; -1 if none.

    Keys in strictly increasing order are searched (:func:`sorted_positions`: rows in
    key order cost a step or two each); others are looked up by Arrow's hashing of the
    bytes (``index_in`` gives the first match), whose table of the keys would be built
    anew for every child column. A missing value names no parent.
    """
    cache = t.__dict__.setdefault("_pos", {})
    if col not in cache:
        keys = _parent_keys(parent)
        if not len(keys):
            cache[col] = np.full(len(t.df), -1, dtype=np.int32)
        else:
            values = _arrow_text(t.df[col])
            sorted_keys = _sorted_parent_keys(parent)
            cache[col] = sorted_positions(values, *sorted_keys) if sorted_keys is not None \
                and is_plain_text(values) else _positions_by_hash(values, keys)
    return cache[col]


def _orphans(t: _Table, tables: dict[str, _Table], delivered: set[str]) -> None:
    for col, parent in schema.TABLES[t.name].parents.items():
        if parent not in delivered or col not in t.df or not len(t.df):
            continue
        p = tables[parent]
        pos = _parent_positions(t, col, p)
        has = t.df[col].notna().to_numpy()
        parent_dead = np.append(p.dead, True)[pos]  # -1 picks the appended True
        word = _PARENT_WORD[parent]
        v = t.df[col]
        t.reject(has & (pos >= 0) & parent_dead, col, f"orphan: its {word} was rejected", v)
        t.reject(has & (pos < 0), col, f"orphan: no such {word} in {parent}", v)


def _bounds(df: pd.DataFrame, col: str) -> tuple[pd.Series, pd.Series]:
    return dates.period_bounds(df[col], df[f"{col}_precision"])


def _person_bounds(p: _Table, col: str) -> tuple[pd.Series, pd.Series]:
    """Bounds of a person date, worked out once for all the tables checked against it."""
    cache = p.__dict__.setdefault("_bounds", {})
    if col not in cache:
        cache[col] = _bounds(p.df, col)
    return cache[col]


def _date_rules(t: _Table, tables: dict[str, _Table], delivered: set[str]) -> None:
    df = t.df
    if not len(df):
        return
    if t.name == "persons" and {"birth_date", "death_date"} <= set(df.columns):
        b_lo, _ = _bounds(df, "birth_date")
        _, d_hi = _bounds(df, "death_date")
        t.reject((d_hi < b_lo).to_numpy(), "death_date", "death before birth",
                 t.delivered_text("death_date"))
    if t.name == "episodes" and {"admission_date", "discharge_date"} <= set(df.columns):
        a_lo, _ = _bounds(df, "admission_date")
        _, u_hi = _bounds(df, "discharge_date")
        t.reject((u_hi < a_lo).to_numpy(), "discharge_date", "discharge before admission",
                 t.delivered_text("discharge_date"))
    if t.name == "episodes" and "persons" in delivered:
        _against_life(t, tables, "discharge_date", None, "discharge after death")
    if t.name in AFTER_DEATH and "persons" in delivered:
        col, reason = AFTER_DEATH[t.name]
        _against_life(t, tables, col, BEFORE_BIRTH[t.name], reason)
    if t.name in ("diagnoses", "treatments", "documents") and "episodes" in delivered:
        _episode_person(t, tables)


def _against_life(t: _Table, tables: dict[str, _Table], col: str,
                  before_birth: str | None, after_death: str) -> None:
    """Reject dates that cannot fall inside the person's life (partial dates by bounds)."""
    df = t.df
    p = tables["persons"]
    if col not in df or not len(p.df) or "person_id" not in df:
        return
    pos = _parent_positions(t, "person_id", p)
    usable = (pos >= 0) & ~np.append(p.dead, True)[pos]
    lo, hi = _bounds(df, col)
    # Each per-row array is let go as soon as its check is done (a table may have many
    # millions of rows: this is when the read holds most).
    if "death_date" in p.df:
        _, death_hi = _person_bounds(p, "death_date")
        dh = np.append(death_hi.to_numpy(), np.datetime64("NaT"))[pos]
        late = (lo.to_numpy() > dh) & usable
        del dh
        t.reject(late, col, after_death, t.delivered_text(col))
        del late
    del lo
    if before_birth is not None and "birth_date" in p.df:
        birth_lo, _ = _person_bounds(p, "birth_date")
        bl = np.append(birth_lo.to_numpy(), np.datetime64("NaT"))[pos]
        early = (hi.to_numpy() < bl) & usable
        del bl
        t.reject(early, col, before_birth, t.delivered_text(col))


def _episode_person(t: _Table, tables: dict[str, _Table]) -> None:
    """Reject rows whose person differs from the person of the episode they name."""
    e = tables["episodes"]
    if "episode_id" not in t.df or "person_id" not in t.df or "person_id" not in e.df:
        return
    pos = _parent_positions(t, "episode_id", e)
    found = pos >= 0
    by_position = _person_positions(t, tables, pos)
    if by_position is None:
        differs = found.copy()
        differs[found] = _persons_differ_by_text(t, e, pos, found)
    else:
        # Both persons found among the persons: the same person exactly when the same
        # row of persons (a key's first row). Only the other rows are compared as text.
        episode_person, own = by_position
        known = (episode_person >= 0) & (own >= 0)
        differs = known & (episode_person != own)
        rest = found & ~known
        if rest.any():
            differs[rest] = _persons_differ_by_text(t, e, pos, rest)
    t.reject(differs, "person_id", "person differs from the person of its episode",
             t.df["person_id"])


def _person_positions(t: _Table, tables: dict[str, _Table], pos: np.ndarray
                      ) -> tuple[np.ndarray, np.ndarray] | None:
    """Row in persons of each row's episode's person, and of its own person (-1 where
    none); None when persons were not worked out beforehand (:func:`_share_parents`)."""
    persons, e = tables.get("persons"), tables["episodes"]
    episode_persons = e.__dict__.get("_person_pos")
    if episode_persons is None or persons is None or not len(persons.df):
        return None
    own = _parent_positions(t, "person_id", persons)
    return np.append(episode_persons, np.int32(-1))[pos], own


def _persons_differ_by_text(t: _Table, e: _Table, pos: np.ndarray, rows: np.ndarray
                            ) -> np.ndarray:
    """For the ``rows`` (bool; each names an episode found), whether the row's person
    differs from its episode's, compared as Arrow text (a missing one differs from
    nothing)."""
    sel = np.flatnonzero(rows)
    episode_person = pc.take(_arrow_text(e.df["person_id"]), pa.array(pos[sel]))
    own = pc.take(_arrow_text(t.df["person_id"]), pa.array(sel)).cast(episode_person.type)
    return pc.fill_null(pc.not_equal(episode_person, own), False).to_numpy(
        zero_copy_only=False)


def _wrap_pandera(name: str, t: _Table, kept: pd.DataFrame, err: Exception) -> SchemaError:
    cases = getattr(err, "failure_cases", None)
    source_file = line = column = None
    detail = str(err).splitlines()[0] if str(err) else repr(err)
    if cases is not None and len(cases):
        first = cases.iloc[0]
        column = first.get("column")
        idx = first.get("index")
        if idx is not None and not pd.isna(idx) and int(idx) < len(kept):
            row = kept.iloc[int(idx)]
            source_file = t.files[int(row[PART])]
            line = int(row[LINE])
            column = t.parts[int(row[PART])].raw_names.get(column, column)
        detail = f"check {first.get('check')} failed ({len(cases)} failure(s))"
    return SchemaError(f"table does not conform to the canonical schema: {detail}",
                       source_file=source_file, table=name, line=line, column=column)


#: Tables whose rows others name (persons, episodes), checked first and in this order.
PARENT_TABLES = ("persons", "institutions", "episodes")
#: Tables no other table names: checked side by side once their parents are.
CHILD_TABLES = ("diagnoses", "causes_of_death", "treatments", "documents")
#: Threads for the child tables' rules.
RULE_THREADS = 2


def _share_parents(tables: dict[str, _Table]) -> None:
    """Work out what the child tables read of their parents (keys, life bounds) once,
    before they run side by side: afterwards the parents are only read."""
    for name in ("persons", "episodes"):
        if name in tables and schema.TABLES[name].key[0] in tables[name].df:
            _sorted_parent_keys(tables[name])
    persons = tables.get("persons")
    episodes = tables.get("episodes")
    if persons is not None and episodes is not None and len(persons.df) and \
            "person_id" in persons.df and "person_id" in episodes.df:
        # The person of each episode as a row of persons: the child tables compare
        # their rows' persons with their episodes' by these (numbers, not text).
        episodes._person_pos = _parent_positions(episodes, "person_id", persons)
        episodes.__dict__.pop("_pos", None)
    if persons is not None:
        for col in ("birth_date", "death_date"):
            if col in persons.df and f"{col}_precision" in persons.df:
                _person_bounds(persons, col)


def validate_parts(
    parts: list[Part], delivered: set[str]
) -> tuple[dict[str, pd.DataFrame], list[pd.DataFrame], pd.DataFrame]:
    """Apply the row rules, keep what passes, and account for every row.

    Parameters
    ----------
    parts : list of Part
        Everything read, in file order.
    delivered : set of str
        Tables for which at least one file was delivered (orphan checks run only
        against delivered parents).

    Returns
    -------
    (dict, list, pandas.DataFrame)
        Canonical tables, reject pieces, and the row-accounting table.

    Raises
    ------
    harkit.errors.SchemaError
        If a kept table still fails its pandera schema (names file, line and column).
    """
    by_table: dict[str, list[Part]] = {n: [] for n in schema.TABLE_ORDER}
    loose: list[pd.DataFrame] = []
    for p in parts:
        if p.table in by_table:
            by_table[p.table].append(p)
        else:
            loose += p.rejects
    tables: dict[str, _Table] = {}

    def run_rules(name: str) -> _Table:
        t = _Table(name, by_table[name])
        tables[name] = t
        _duplicates(t)
        _orphans(t, tables, delivered)
        _date_rules(t, tables, delivered)
        t.__dict__.pop("_pos", None)  # its rows' parents: needed by its own rules only
        return t

    for name in PARENT_TABLES:
        run_rules(name)
    _share_parents(tables)
    # The tables below have only parents that are settled now, and each rule changes
    # only its own table: they run side by side (Arrow and numpy let go of the GIL).
    with ThreadPoolExecutor(max_workers=RULE_THREADS) as pool:
        list(pool.map(run_rules, CHILD_TABLES))

    out: dict[str, pd.DataFrame] = {}
    rejects: list[pd.DataFrame] = list(loose)
    for name in schema.TABLE_ORDER:
        t = tables[name]
        rejects += t.rejects
        # Without dead rows the working frame is the kept one (no copy); it is let go
        # here, and its internal columns deleted in place, so conform makes the only copy.
        kept = t.df.loc[~t.dead].reset_index(drop=True) if t.dead.any() else t.df
        t.df = t.df.iloc[:0]
        where = kept[[LINE, PART]]
        for c in [c for c in kept.columns if c.startswith("__")]:
            del kept[c]
        table = schema.conform(name, kept)
        del kept
        try:
            _validate(name, table, t.key_unique)
        except (pandera.errors.SchemaErrors, pandera.errors.SchemaError) as err:
            raise _wrap_pandera(name, t, where, err) from err
        out[name] = table

    counts = []
    all_rej = pd.concat([r for r in rejects if len(r)], ignore_index=True) if any(
        len(r) for r in rejects) else None
    for p in parts:
        if p.table is None and not p.rows_read:
            continue
        tname = p.table if p.table is not None else "unknown"
        n_rej = 0
        if all_rej is not None:
            m = (all_rej["source_file"] == p.source_file) & all_rej[UNIT].notna()
            m &= all_rej["table"].isna() if p.table is None else (all_rej["table"] == p.table)
            n_rej = int(all_rej.loc[m, UNIT].nunique())
        counts.append((tname, p.source_file, p.rows_read, p.rows_read - n_rej, n_rej,
                       p.decoding))
    row_counts = pd.DataFrame(counts, columns=list(empty_row_counts().columns)) if counts \
        else empty_row_counts()
    row_counts = row_counts.astype(empty_row_counts().dtypes.to_dict())
    return out, rejects, row_counts
