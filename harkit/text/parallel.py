"""Concept search over many processes or a Dask cluster.

:func:`run_chunks` is the chunk loop of :func:`harkit.text.search`: it streams a DataFrame
or any iterable of DataFrames (e.g. ``pd.read_csv(..., chunksize=)``) through
:func:`harkit.text.search_chunk`, in this process or in a pool of worker processes, with a
bounded number of chunks in memory and results in input order.

:func:`search_dask` runs the same search on every partition of a Dask DataFrame and
:func:`collect_dask` turns its result into exactly what :func:`harkit.text.search`
returns::

    hits = collect_dask(search_dask(ddf, "@alcohol AND NOT @family"), "@alcohol AND NOT @family")
"""

from __future__ import annotations

import multiprocessing
import os
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from numbers import Integral
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

# module import (not ``from ... import``) so engine.py may import this module in turn
from harkit.text import engine as _engine

if TYPE_CHECKING:
    from harkit.text.engine import Matcher
    from harkit.text.lexicon import Lexicon

__all__ = ["DASK_COLUMNS", "collect_dask", "run_chunks", "search_dask"]

_FLAGS = _engine._FLAGS
_INT_COLUMNS = ("start", "end")
#: Columns of :func:`search_dask`'s result: the hit columns plus ``skip_reason``.
DASK_COLUMNS = [*_engine.HIT_COLUMNS, "skip_reason"]
_REQUIRED = ("document_id", "text")

# the matcher of this worker process, set once by the pool initializer
_WORKER_MATCHER: Matcher | None = None


#: The dtype pandas gives a column built from Python strings, as in :func:`search`'s hit
#: table: object in pandas 2, "str" in pandas 3.
_TEXT_DTYPE = pd.Series([""]).dtype


def _dtype(column: str) -> str:
    if column in _FLAGS:
        return "bool"
    if column in _INT_COLUMNS:
        return "int64"
    return "object"


def _check_processes(processes: Any) -> int:
    if processes is None or (isinstance(processes, Integral) and not isinstance(processes, bool)
                             and processes == 0):
        return os.cpu_count() or 1
    if isinstance(processes, bool) or not isinstance(processes, Integral) or processes < 0:
        raise ValueError(f"processes must be an int >= 0 or None, got {processes!r}")
    return int(processes)


def _check_chunksize(chunksize: Any) -> int:
    if isinstance(chunksize, bool) or not isinstance(chunksize, Integral) or chunksize < 1:
        raise ValueError(f"chunksize must be an int >= 1, got {chunksize!r}")
    return int(chunksize)


def _check_columns(frame: pd.DataFrame, what: str) -> None:
    missing = set(_REQUIRED) - set(frame.columns)
    if missing:
        raise KeyError(f"{what} lack(s) column(s) {sorted(missing)}")


def _chunks(documents: pd.DataFrame | Iterable[pd.DataFrame], chunksize: int
            ) -> Iterator[tuple[int, pd.DataFrame]]:
    """Yield ``(first row number in the stream, chunk of at most chunksize rows)``."""
    if isinstance(documents, pd.DataFrame):
        frames: Iterable[pd.DataFrame] = (documents,)
    else:
        frames = documents
    row = 0
    for k, frame in enumerate(frames):
        if not isinstance(frame, pd.DataFrame):
            raise TypeError(f"documents: item {k} of the iterable is a {type(frame).__name__}, "
                            "not a pandas DataFrame")
        _check_columns(frame, "documents" if frame is documents else
                       f"documents: DataFrame {k} of the iterable")
        for i in range(0, len(frame), chunksize):
            yield row + i, frame.iloc[i:i + chunksize]
        row += len(frame)


def _chunk_error(number: int, first: int, size: int, exc: BaseException) -> RuntimeError:
    return RuntimeError(f"search failed on chunk {number} (rows {first}-{first + size - 1} of "
                        f"the documents): {type(exc).__name__}: {exc}")


def _init_worker(matcher: Matcher) -> None:
    global _WORKER_MATCHER
    _WORKER_MATCHER = matcher


def _work(chunk: pd.DataFrame, context: bool, width: int
          ) -> tuple[pd.DataFrame, list[tuple[object, str]]]:
    return _engine.search_chunk(chunk, _WORKER_MATCHER, context=context, width=width)


def _pool_context() -> multiprocessing.context.BaseContext:
    # forkserver: workers start from a clean process, not a fork of a threaded parent
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    # the server imports harkit once (~2 s) and forks workers from it, so later pools
    # start in well under a second; no effect once the server is running
    ctx.set_forkserver_preload(["__main__", __name__])
    return ctx


def run_chunks(documents: pd.DataFrame | Iterable[pd.DataFrame], matcher: Matcher, *,
               chunksize: int = 10_000, processes: int | None = 1, context: bool = True,
               width: int = 40, progress: bool = False
               ) -> tuple[list[pd.DataFrame], list[tuple[object, str]]]:
    """Search documents chunk by chunk, in this process or in a pool of processes.

    Parameters
    ----------
    documents : pandas.DataFrame or iterable of pandas.DataFrame
        Columns ``document_id``, ``text`` and optionally ``person_id``. An iterable (e.g.
        ``pd.read_csv(path, chunksize=50_000)`` or a generator of pages) is consumed
        lazily, so a corpus larger than memory streams through.
    matcher : Matcher
        From :func:`harkit.text.compile_query`; sent once to each worker process.
    chunksize : int, default 10_000
        Most documents per chunk (larger frames from the iterable are split). With
        ``processes > 1`` a DataFrame is cut into at least ``4 * processes`` chunks.
    processes : int or None, default 1
        1 runs in this process; more uses a process pool (``forkserver`` start method
        where available, else ``spawn``); None or 0 means ``os.cpu_count()``.
    context : bool, default True
        Compute context flags (else all False).
    width : int, default 40
        Characters of original text each side of a hit in ``snippet``.
    progress : bool, default False
        Show a tqdm progress bar counting documents (total known only for a DataFrame).

    Returns
    -------
    parts : list of pandas.DataFrame
        Hits per chunk (columns :data:`harkit.text.HIT_COLUMNS`), in input order.
    skipped : list of (document_id, reason)
        Skipped documents in input order.

    Raises
    ------
    ValueError
        ``processes`` or ``chunksize`` out of range.
    TypeError, KeyError
        An item of ``documents`` is not a DataFrame or lacks ``document_id``/``text``.
    RuntimeError
        A whole chunk failed (e.g. a worker died); the message names the chunk and its rows.
        Errors in single documents do not raise: they are reported in ``skipped``.

    Notes
    -----
    At most ``2 * processes`` chunks are in flight at once. With ``processes > 1`` a
    script must guard its entry point with ``if __name__ == "__main__":`` because the
    workers import the main module.
    """
    processes = _check_processes(processes)
    chunksize = _check_chunksize(chunksize)
    if isinstance(documents, (str, bytes)) or not isinstance(documents, Iterable):
        raise TypeError("documents must be a pandas DataFrame or an iterable of DataFrames, "
                        f"got {type(documents).__name__}")
    total = None
    if isinstance(documents, pd.DataFrame):
        _check_columns(documents, "documents")
        total = len(documents)
        # no pool for work that fits one chunk: start-up would cost more than it saves
        processes = min(processes, max(-(-total // chunksize), 1))
        if processes > 1:
            # at least 4 chunks per worker, so no worker idles while the last chunk runs
            chunksize = min(chunksize, -(-total // (4 * processes)))
    bar = None
    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(total=total, desc="search", unit="doc")
    parts: list[pd.DataFrame] = []
    skipped: list[tuple[object, str]] = []

    def keep(result: tuple[pd.DataFrame, list], size: int) -> None:
        parts.append(result[0])
        skipped.extend(result[1])
        if bar is not None:
            bar.update(size)

    try:
        if processes == 1:
            for number, (first, chunk) in enumerate(_chunks(documents, chunksize)):
                try:
                    result = _engine.search_chunk(chunk, matcher, context=context, width=width)
                except Exception as exc:
                    raise _chunk_error(number, first, len(chunk), exc) from exc
                keep(result, len(chunk))
        else:
            _run_pool(documents, matcher, chunksize, processes, context, width, keep)
    finally:
        if bar is not None:
            bar.close()
    return parts, skipped


def _run_pool(documents, matcher, chunksize: int, processes: int, context: bool, width: int,
              keep) -> None:
    """Submit chunks with at most 2 * processes in flight; hand results to ``keep`` in order."""
    pending: deque[tuple[int, int, int, Future]] = deque()
    pool = ProcessPoolExecutor(max_workers=processes, mp_context=_pool_context(),
                               initializer=_init_worker, initargs=(matcher,))

    def collect_first() -> None:
        number, first, size, fut = pending.popleft()
        try:
            result = fut.result()
        except Exception as exc:  # includes BrokenProcessPool and pickling errors
            raise _chunk_error(number, first, size, exc) from exc
        keep(result, size)

    try:
        for number, (first, chunk) in enumerate(_chunks(documents, chunksize)):
            if len(pending) >= 2 * processes:
                collect_first()
            pending.append((number, first, len(chunk),
                            pool.submit(_work, chunk, context, width)))
        while pending:
            collect_first()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _empty_dask_frame() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=_dtype(c)) for c in DASK_COLUMNS})


def _search_partition(part: pd.DataFrame, matcher: Matcher, context: bool, width: int
                      ) -> pd.DataFrame:
    """Hits of one partition plus one row per skipped document (``skip_reason`` set)."""
    hits, skipped = _engine.search_chunk(part, matcher, context=context, width=width)
    hits = hits.assign(skip_reason=None)
    if not skipped:
        return hits[DASK_COLUMNS].astype({c: _dtype(c) for c in DASK_COLUMNS})
    person = (dict(zip(part["document_id"], part["person_id"]))
              if "person_id" in part.columns else {})
    n = len(skipped)
    extra: dict[str, list] = {c: [None] * n for c in DASK_COLUMNS}
    extra["document_id"] = [d for d, _ in skipped]
    extra["person_id"] = [person.get(d, pd.NA) for d, _ in skipped]
    extra["skip_reason"] = [r for _, r in skipped]
    for c in _INT_COLUMNS:
        extra[c] = [-1] * n
    for c in _FLAGS:
        extra[c] = [False] * n
    # column by column, not pd.concat: that turns all-NA object columns into float NaN
    return pd.DataFrame({
        c: np.concatenate([hits[c].to_numpy(dtype=_dtype(c)),
                           np.array(extra[c], dtype=_dtype(c))])
        for c in DASK_COLUMNS})


def search_dask(ddf: Any, query: str, *, lexicon: Lexicon | None = None,
                context: bool = True, width: int = 40) -> Any:
    """Run :func:`harkit.text.search` on every partition of a Dask DataFrame (lazily).

    Parameters
    ----------
    ddf : dask.dataframe.DataFrame
        Columns ``document_id``, ``text`` and optionally ``person_id``; other columns are
        not read.
    query : str
        See :func:`harkit.text.parse`.
    lexicon : Lexicon, optional
        Default: the shipped lexicon.
    context : bool, default True
        Compute context flags (else all False).
    width : int, default 40
        Characters of original text each side of a hit in ``snippet``.

    Returns
    -------
    dask.dataframe.DataFrame
        One partition per input partition, columns :data:`DASK_COLUMNS`: the hit columns
        (``start``/``end`` int64, the four flags bool, the rest object) and ``skip_reason``
        (None on hit rows; on a skipped document's single row the reason, with ``start`` and
        ``end`` -1, flags False and the other hit columns None). Pass it to
        :func:`collect_dask` for the result of :func:`harkit.text.search`.

    Raises
    ------
    ImportError
        Dask is not installed.
    QuerySyntaxError, UnknownConceptError
        Before the graph is built (the query is compiled once, here).
    TypeError, KeyError
        ``ddf`` is not a Dask DataFrame or lacks ``document_id``/``text``.

    Notes
    -----
    Dask converts object columns to pyarrow strings by default
    (``dataframe.convert-string``), which decodes ``bytes`` texts: such documents are
    searched here while :func:`harkit.text.search` skips them as ``not_text``.
    """
    try:
        import dask
        import dask.dataframe as dd
    except ImportError as exc:
        raise ImportError("search_dask needs Dask: pip install harkit[dask]") from exc
    matcher = _engine.compile_query(query, lexicon)
    if not isinstance(ddf, dd.DataFrame):
        raise TypeError(f"ddf must be a dask.dataframe.DataFrame, got {type(ddf).__name__}")
    _check_columns(ddf, "ddf")
    needed = [c for c in ("document_id", "person_id", "text") if c in ddf.columns]
    # one graph node holds the matcher; every partition task refers to it
    shared = dask.delayed(matcher, pure=True)
    return ddf.map_partitions(_search_partition, shared, context, width,
                              meta=_empty_dask_frame(), required_columns=needed,
                              clear_divisions=True)


def collect_dask(result: Any, query: str | None = None, **compute_kwargs: Any) -> pd.DataFrame:
    """Compute a :func:`search_dask` result into what :func:`harkit.text.search` returns.

    Parameters
    ----------
    result : dask.dataframe.DataFrame or pandas.DataFrame
        From :func:`search_dask`, or that result already computed.
    query : str, optional
        Stored as ``attrs["query"]``.
    **compute_kwargs
        Passed to ``result.compute`` (e.g. ``scheduler="processes"``).

    Returns
    -------
    pandas.DataFrame
        Hit rows only, columns :data:`harkit.text.HIT_COLUMNS`, a fresh RangeIndex;
        ``attrs["skipped"]`` counts skipped documents by reason,
        ``attrs["skipped_documents"]`` lists ``(document_id, reason)`` in partition order
        and ``attrs["query"]`` is ``query``.

    Raises
    ------
    KeyError
        ``result`` lacks the columns of :data:`DASK_COLUMNS`.
    """
    frame = result if isinstance(result, pd.DataFrame) else result.compute(**compute_kwargs)
    missing = set(DASK_COLUMNS) - set(frame.columns)
    if missing:
        raise KeyError(f"result lacks column(s) {sorted(missing)}; is it from search_dask?")
    is_skip = frame["skip_reason"].notna().to_numpy()
    skip = frame.loc[is_skip]
    skipped = list(zip(skip["document_id"].tolist(), skip["skip_reason"].tolist()))
    hits = frame.loc[~is_skip, _engine.HIT_COLUMNS].reset_index(drop=True)
    # dask may hand back pyarrow strings: give text columns the dtype search gives them
    hits = hits.astype({c: _TEXT_DTYPE if _dtype(c) == "object" else _dtype(c)
                        for c in _engine.HIT_COLUMNS})
    hits.attrs["skipped"] = dict(Counter(r for _, r in skipped))
    hits.attrs["skipped_documents"] = skipped
    hits.attrs["query"] = query
    return hits
