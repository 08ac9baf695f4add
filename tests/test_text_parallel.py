"""Tests for harkit.text.parallel: run_chunks over processes, search_dask on a local cluster.

The reference is the single-process :func:`harkit.text.search` and, independently of any
chunking, :func:`harkit.text.search_chunk` run one document at a time.
"""

import sys

import pandas as pd
import pytest

from harkit.synth import generate
from harkit.text import engine, parallel
from harkit.text.engine import HIT_COLUMNS, compile_query, search, search_chunk
from harkit.text.parallel import DASK_COLUMNS, collect_dask, run_chunks, search_dask
from harkit.text.query import UnknownConceptError

QUERY = "(@alcohol OR @opioids OR @withdrawal) AND NOT @family"
# rows that must be skipped; each would otherwise hit @alcohol
BAD = pd.DataFrame({
    "document_id": ["BAD-missing", "BAD-bytes", "BAD-binary", "BAD-long"],
    "person_id": ["PB1", "PB2", "PB3", "PB4"],
    "text": [None, b"alkoholisme", "alkoholisme " + "\x00\x01\x02\ufffd" * 20,
             "alkoholisme " * 200_000],
}, dtype=object)
BAD_AT = [3, 150, 260, 400]  # positions in the corpus: chunks 0, 1, 2 and 4 of 100
SKIPPED = [("BAD-missing", "missing"), ("BAD-bytes", "not_text"),
           ("BAD-binary", "binary"), ("BAD-long", "too_long")]


@pytest.fixture(scope="module")
def docs() -> pd.DataFrame:
    d = generate(2500, seed=5, sud_fraction=0.5, progress=False).documents
    # 412 generated documents and the 4 bad ones: the chunk counts below assume 416
    d = d[["document_id", "person_id", "text"]].astype(object).iloc[:412].reset_index(drop=True)
    parts, prev = [], 0
    for k, at in enumerate(BAD_AT):
        parts += [d.iloc[prev:at - k], BAD.iloc[[k]]]
        prev = at - k
    out = pd.concat([*parts, d.iloc[prev:]], ignore_index=True)
    assert out.index[out.document_id.str.startswith("BAD", na=False)].tolist() == BAD_AT
    return out


@pytest.fixture(scope="module")
def matcher():
    return compile_query(QUERY)


@pytest.fixture(scope="module")
def by_document(docs, matcher) -> pd.DataFrame:
    """Hits from search_chunk on one document at a time (no chunk loop involved)."""
    hits = [search_chunk(docs.iloc[[i]], matcher)[0] for i in range(len(docs))]
    return pd.concat([h for h in hits if len(h)], ignore_index=True)


def _concat(parts: list[pd.DataFrame]) -> pd.DataFrame:
    return pd.concat(parts, ignore_index=True).reset_index(drop=True)


def test_processes_match_single_process(docs, matcher, by_document):
    parts1, skipped1 = run_chunks(docs, matcher, chunksize=100, processes=1)
    parts2, skipped2 = run_chunks(docs, matcher, chunksize=100, processes=2)
    assert len(parts1) == 5  # 416 documents in chunks of 100
    assert len(parts2) == 8  # ... and of 52, so each of 2 workers gets at least 4
    hits1, hits2 = _concat(parts1), _concat(parts2)
    pd.testing.assert_frame_equal(hits1, hits2)
    pd.testing.assert_frame_equal(hits1, by_document)
    assert skipped1 == skipped2 == SKIPPED
    assert len(hits1) > 300 and hits1.document_id.nunique() > 100
    assert not hits1.document_id.str.startswith("BAD").any()
    ref = search(docs, QUERY)
    pd.testing.assert_frame_equal(hits1, ref.reset_index(drop=True), check_flags=False)
    assert ref.attrs["skipped_documents"] == SKIPPED


def _pages(docs: pd.DataFrame, sizes: list[int]):
    start = 0
    for size in sizes:
        yield docs.iloc[start:start + size]
        start += size


def test_iterable_of_chunks_equals_whole_frame(docs, matcher, by_document, capsys):
    sizes = [37, 250, 0, 60, len(docs) - 347]  # uneven, one empty page, one split in three
    for processes in (1, 2):
        parts, skipped = run_chunks(_pages(docs, sizes), matcher, chunksize=100,
                                    processes=processes, progress=True)
        pd.testing.assert_frame_equal(_concat(parts), by_document)
        assert skipped == SKIPPED
        assert len(parts) == 1 + 3 + 1 + 1  # empty page yields no chunk
        assert f"{len(docs)}doc" in capsys.readouterr().err  # tqdm counted every document


def test_generator_is_consumed_lazily(docs, matcher, monkeypatch):
    pulled, seen = [], []
    real = engine.search_chunk

    def pages():
        for i in range(0, len(docs), 50):
            pulled.append(i)
            yield docs.iloc[i:i + 50]

    def spy(chunk, m, **kw):
        seen.append(len(pulled))
        return real(chunk, m, **kw)

    monkeypatch.setattr(engine, "search_chunk", spy)
    it = pages()
    run_chunks(it, matcher, chunksize=50)
    assert seen == list(range(1, 10))  # page k is read only when chunk k is searched
    assert next(it, None) is None


def test_pool_keeps_at_most_two_chunks_per_process_in_flight(docs, matcher, by_document,
                                                             monkeypatch):
    state = {"submitted": 0, "collected": 0}
    in_flight = []

    class CountingPool(parallel.ProcessPoolExecutor):
        def submit(self, fn, /, *args, **kwargs):
            fut = super().submit(fn, *args, **kwargs)
            state["submitted"] += 1
            result = fut.result

            def counted(timeout=None):
                out = result(timeout)
                state["collected"] += 1
                return out

            fut.result = counted
            return fut

    def pages():
        for i in range(0, len(docs), 25):
            in_flight.append(state["submitted"] - state["collected"])
            yield docs.iloc[i:i + 25]

    monkeypatch.setattr(parallel, "ProcessPoolExecutor", CountingPool)
    parts, skipped = run_chunks(pages(), matcher, chunksize=25, processes=2)
    # one page of 25 per step; never more than 2 * processes chunks submitted, uncollected
    assert len(in_flight) == -(-len(docs) // 25) and max(in_flight) == 4
    pd.testing.assert_frame_equal(_concat(parts), by_document)
    assert skipped == SKIPPED


@pytest.mark.parametrize("kwargs, match", [
    ({"processes": -1}, "processes"), ({"processes": 1.5}, "processes"),
    ({"processes": "2"}, "processes"), ({"processes": True}, "processes"),
    ({"chunksize": 0}, "chunksize"), ({"chunksize": 2.0}, "chunksize"),
    ({"chunksize": None}, "chunksize"),
])
def test_bad_arguments(docs, matcher, kwargs, match):
    with pytest.raises(ValueError, match=match):
        run_chunks(docs, matcher, **kwargs)


def test_bad_documents(docs, matcher):
    with pytest.raises(KeyError, match="text"):
        run_chunks(docs.drop(columns="text"), matcher)
    with pytest.raises(TypeError, match="DataFrame"):
        run_chunks("alkoholisme", matcher)
    with pytest.raises(TypeError, match="item 1 .* list"):
        run_chunks([docs.iloc[:5], ["alkoholisme"]], matcher)
    with pytest.raises(KeyError, match="DataFrame 1 .*document_id"):
        run_chunks([docs.iloc[:5], docs.iloc[5:9].drop(columns="document_id")], matcher)
    # None means every CPU, but one chunk's worth of documents stays in this process
    parts, skipped = run_chunks(docs.iloc[:10], matcher, processes=None)
    assert skipped == [SKIPPED[0]] and len(parts) == 1


def test_whole_chunk_failure_names_the_chunk(docs, matcher, monkeypatch):
    real, calls = engine.search_chunk, []

    def flaky(chunk, m, **kw):
        calls.append(len(chunk))
        if len(calls) == 3:
            raise MemoryError("simulated")
        return real(chunk, m, **kw)

    with monkeypatch.context() as mp:
        mp.setattr(engine, "search_chunk", flaky)
        with pytest.raises(RuntimeError, match=r"chunk 2 \(rows 200-299 .*MemoryError"):
            run_chunks(docs, matcher, chunksize=100)
    # in a pool: a document id that cannot be sent to a worker fails its whole chunk
    bad = docs.copy()
    bad.loc[250, "document_id"] = lambda: None
    # a pool cuts the frame into at least 4 * processes chunks: rows per chunk
    size = min(100, -(-len(docs) // 8))
    k = 250 // size
    last = min((k + 1) * size, len(docs)) - 1
    with pytest.raises(RuntimeError,
                       match=rf"chunk {k} \(rows {k * size}-{last} .*(Pickl|pickle)"):
        run_chunks(bad, matcher, chunksize=100, processes=2)


# --- Dask ---------------------------------------------------------------------------------

try:
    import dask
    import dask.dataframe as dd
    import distributed
except ImportError:  # the run_chunks tests above still run
    dask = None
needs_dask = pytest.mark.skipif(dask is None, reason="needs dask[distributed]")
TIMEOUT = 120  # seconds for any one computation on the cluster


@pytest.fixture(scope="module")
def client(request):
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None, timeout=TIMEOUT)
    cl = distributed.Client(cluster, timeout=TIMEOUT)

    def close():
        cl.close(timeout=TIMEOUT)
        cluster.close(timeout=TIMEOUT)

    request.addfinalizer(close)
    return cl


def _sorted(h: pd.DataFrame) -> pd.DataFrame:
    keys = ["document_id", "start", "concept", "end", "term"]
    return h.sort_values(keys, kind="mergesort").reset_index(drop=True)


@needs_dask
def test_search_dask_on_cluster_equals_search(docs, client):
    ref = search(docs, QUERY)
    with dask.config.set({"dataframe.convert-string": False}):  # keep the bytes row bytes
        ddf = dd.from_pandas(docs, npartitions=4, sort=False)
        lazy = search_dask(ddf, QUERY)
        raw = client.compute(lazy).result(timeout=TIMEOUT)
    assert list(raw.columns) == DASK_COLUMNS
    skip = raw[raw.skip_reason.notna()]
    assert skip[["document_id", "person_id", "skip_reason"]].values.tolist() == [
        [d, p, r] for (d, r), p in zip(SKIPPED, BAD.person_id)]
    assert (skip.start == -1).all() and not skip[["negated", "family"]].any().any()
    assert skip.matched.isna().all()
    got = collect_dask(raw, QUERY)
    assert list(got.columns) == HIT_COLUMNS and got.dtypes.equals(ref.dtypes)
    assert isinstance(got.index, pd.RangeIndex)
    pd.testing.assert_frame_equal(_sorted(got), _sorted(ref))
    assert got.attrs == ref.attrs
    assert got.attrs["skipped"] == {"missing": 1, "not_text": 1, "binary": 1, "too_long": 1}


@needs_dask
def test_search_dask_pyarrow_strings(docs):
    """Dask's default pyarrow string columns give the same hits (bytes row left out)."""
    clean = docs[docs.document_id != "BAD-bytes"]
    ddf = dd.from_pandas(clean, npartitions=3, sort=False)
    assert str(ddf.dtypes["text"]).startswith("string")
    got = collect_dask(search_dask(ddf, QUERY), QUERY, scheduler="sync")
    ref = search(clean, QUERY)
    pd.testing.assert_frame_equal(_sorted(got), _sorted(ref))
    assert got.attrs["skipped_documents"] == ref.attrs["skipped_documents"]


@needs_dask
def test_search_dask_errors_before_compute(docs, monkeypatch):
    def boom():
        raise AssertionError("the graph was computed")

    ddf = dd.from_delayed([dask.delayed(boom)()], meta=docs.iloc[:0], verify_meta=False)
    with pytest.raises(UnknownConceptError):
        search_dask(ddf, "@no_such_concept")
    with pytest.raises(KeyError, match="text"):
        search_dask(ddf.drop(columns="text"), "@alcohol")
    with pytest.raises(TypeError, match="dask"):
        search_dask(docs, "@alcohol")
    with pytest.raises(KeyError, match="skip_reason"):
        collect_dask(docs)
    monkeypatch.setitem(sys.modules, "dask", None)
    monkeypatch.setitem(sys.modules, "dask.dataframe", None)
    with pytest.raises(ImportError, match=r"pip install harkit\[dask\]"):
        search_dask(ddf, "@alcohol")


@needs_dask
@pytest.mark.parametrize("npartitions", [4, 7])
def test_one_task_per_partition(docs, npartitions):
    ddf = dd.from_pandas(docs, npartitions=npartitions, sort=False)
    lazy = search_dask(ddf, QUERY)
    assert lazy.npartitions == ddf.npartitions == npartitions
    keys = lazy.__dask_keys__()
    assert len(keys) == npartitions and len({k[0] for k in keys}) == 1
    names = [k[0] if isinstance(k, tuple) else k for k in dict(lazy.__dask_graph__())]
    assert names.count(keys[0][0]) == npartitions
    # the compiled query is one node of the graph, shared by every partition task
    assert sum(n.startswith("Matcher-") for n in names) == 1
    assert len(names) == 2 * npartitions + 1  # input partitions, search tasks, matcher
