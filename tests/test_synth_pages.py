"""Tests for harkit.synth.pages: long record pages with exact labels."""

import re
import time

import numpy as np
import pandas as pd
import pytest

from harkit.synth import codes
from harkit.synth.pages import (
    LABEL_COLUMNS,
    PAGE_COLUMNS,
    iter_record_pages,
    prose_vocabulary,
    record_pages,
)
from harkit.text import load_lexicon, search

FLAGS = ["affirmed", "negated", "historical", "uncertain", "family"]


def unwrap(text: str) -> str:
    """Undo line-end hyphenation and line breaks (the generator only breaks at spaces)."""
    return text.replace("-\n", "").replace("\n", " ")


@pytest.fixture(scope="module")
def clean_pages():
    return record_pages(400, seed=11, mention_share=0.2, ocr_noise=False,
                        year_range=(1900, 2015))


def test_columns_ids_and_years():
    pages, labels = record_pages(120, seed=1, start_id=500, year_range=(1960, 1975))
    assert list(pages.columns) == list(PAGE_COLUMNS)
    assert list(labels.columns) == list(LABEL_COLUMNS)
    assert pages.document_id.iloc[0] == "PG0000501"
    assert pages.document_id.iloc[-1] == "PG0000620"
    assert pages.year.between(1960, 1975).all()
    # a person's pages are consecutive documents
    runs = (pages.person_id != pages.person_id.shift()).sum()
    assert runs == pages.person_id.nunique()
    assert set(labels.document_id) <= set(pages.document_id)
    assert labels[FLAGS].dtypes.eq(bool).all()


def test_deterministic_by_seed():
    a, la = record_pages(150, seed=7)
    b, lb = record_pages(150, seed=7)
    c, _ = record_pages(150, seed=8)
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(la, lb)
    assert (a.text != c.text).mean() > 0.99


def test_page_length_within_20_percent():
    for chars in (2500, 1200):
        pages, _ = record_pages(600, seed=2, page_chars=chars, year_range=(1900, 2015))
        n = pages.text.str.len()
        assert n.between(0.8 * chars, 1.2 * chars).all(), (chars, n.min(), n.max())
        assert abs(n.mean() / chars - 1) < 0.05


def test_lines_and_hyphenation(clean_pages):
    pages, _ = clean_pages
    lines = np.array([len(line) for t in pages.text for line in t.split("\n")])
    assert 60 <= np.median(lines) <= 80
    assert np.percentile(lines, 95) <= 90
    hyphenated = re.findall(r"(\w+)-\n(\w+)", "".join(pages.text))
    assert len(hyphenated) > 2 * len(pages)
    # undoing the hyphenation gives back words the generator writes
    st = codes.sentence_table()
    known = {w for t in prose_vocabulary().word for w in re.findall(r"\w+", t.lower())}
    known |= {w for t in st.text for w in re.findall(r"\w+", t.lower())}
    joined = {(a + b).lower() for a, b in hyphenated}
    assert joined <= known, sorted(joined - known)[:10]


def test_labels_are_union_of_sentence_labels(clean_pages):
    pages, labels = clean_pages
    st = codes.sentence_table()
    lab_rows = st[st.labels != ""]
    expected: dict[tuple[str, str], dict[str, bool]] = {}
    found = multi = 0
    for doc, text in zip(pages.document_id, pages.text):
        flat = unwrap(text)
        for sentence, lab in zip(lab_rows.text, lab_rows.labels):
            k = len(re.findall(rf"(?:^|(?<= )){re.escape(sentence)}(?= |$)", flat))
            if not k:
                continue
            found += k
            multi += k * len(re.findall(r"\. [A-ZÆØÅ]", sentence))
            for item in lab.split(";"):
                concept, context = item.split(":")
                f = expected.setdefault((doc, concept), dict.fromkeys(FLAGS, False))
                f[context] = True
                if context == "historical":
                    f["affirmed"] = True
    assert found == pages.attrs["n_labelled"]
    got = {(r.document_id, r.concept): {c: bool(getattr(r, c)) for c in FLAGS}
           for r in labels.itertuples()}
    assert got == expected
    assert len(got) > 500
    # sentence count, independently: capitals after a full stop (abbreviations like
    # "Pas." are followed by lower case), minus the two-sentence labelled rows
    starts = sum(len(re.findall(r"(?:^|\. )[A-ZÆØÅ]", unwrap(t))) for t in pages.text)
    assert starts - multi == pages.attrs["n_sentences"]


@pytest.mark.parametrize("share", [0.05, 0.3])
def test_mention_share_binomial(share):
    pages, _ = record_pages(500, seed=4, mention_share=share)
    n, k = pages.attrs["n_sentences"], pages.attrs["n_labelled"]
    assert n > 30_000
    assert abs(k / n - share) < 4 * np.sqrt(share * (1 - share) / n)


def test_vocabulary_is_clear_of_the_lexicon():
    voc = prose_vocabulary()
    assert voc.attrs["rejected"] == []
    assert len(voc) >= 500
    assert voc.misreadings.sum() > 10_000


def test_no_lexicon_hits_in_prose():
    q = "@" + " OR @".join(load_lexicon().names)
    # the noisiest era, so many misreadings occur
    pages, labels = record_pages(500, seed=9, mention_share=0.0, year_range=(1900, 1969))
    assert labels.empty and pages.attrs["n_labelled"] == 0
    hits = search(pages, q, context=False)
    assert len(hits) == 0 and hits.attrs["skipped"] == {}
    # and every prose word and every one of its misreadings on its own
    from harkit.synth.pages import _tables

    tab = _tables()
    surf = tab.forms[3::6][:tab.surf0[tab.date0]]  # capitalised, before the numbers
    docs = pd.DataFrame({"document_id": np.arange(0, len(surf), 400)})
    docs["text"] = [". ".join(surf[i:i + 400]) for i in docs.document_id]
    assert len(surf) > 10_000
    hits = search(docs, q, context=False)
    assert len(hits) == 0, hits.matched.head().tolist()
    # the same search does find the labelled sentences
    pages, labels = record_pages(100, seed=9, mention_share=0.1, year_range=(1900, 1969))
    assert set(search(pages, q, context=False).document_id) & set(labels.document_id)


def test_ocr_noise_by_era():
    from harkit.synth.pages import _tables

    tab = _tables()
    clean = tab.forms[tab.surf0[:tab.date0] * 6]
    words = {w.rstrip(".,:") for t in clean for w in t.lower().split()}

    def unknown_share(year_range):
        pages, _ = record_pages(150, seed=6, mention_share=0.0, year_range=year_range)
        toks = [w.lower() for t in pages.text for w in unwrap(t).split()]
        toks = [w.rstrip(".,:") for w in toks if not any(c.isdigit() for c in w)]
        return np.mean([w not in words for w in toks])

    # misreadings hit 3 % of prose tokens before 1970 (a token may hold several words)
    assert 0.01 < unknown_share((1930, 1969)) < 0.04
    assert unknown_share((2000, 2015)) < 0.004


def test_iter_record_pages_reproducible_chunks():
    t0 = time.perf_counter()
    chunks = list(iter_record_pages(3, seed=5, pages_per_chunk=400, with_labels=True))
    dt = time.perf_counter() - t0
    pages = pd.concat([p for p, _ in chunks], ignore_index=True)
    nbytes = pages.text.map(lambda t: len(t.encode("utf-8")))
    assert nbytes.sum() >= 3e6 > nbytes.sum() - nbytes.iloc[-1]
    assert pages.document_id.is_unique
    assert len(chunks) == 3 and len(chunks[-1][0]) < 400
    again, lab = record_pages(400, seed=(5, 1), start_id=400)
    pd.testing.assert_frame_equal(chunks[1][0], again)
    pd.testing.assert_frame_equal(chunks[1][1], lab)
    assert set(chunks[2][1].document_id) <= set(chunks[2][0].document_id)
    print(f"\ngeneration: {nbytes.sum() / 1e6:.1f} MB in {dt:.2f} s "
          f"({nbytes.sum() / 1e6 / dt:.1f} MB/s)")


def test_bad_input():
    with pytest.raises(ValueError, match="mention_share"):
        record_pages(10, mention_share=1.5)
    with pytest.raises(ValueError, match="year_range"):
        record_pages(10, year_range=(1800, 1900))
    with pytest.raises(ValueError, match="year_range"):
        record_pages(10, year_range="1950")
    with pytest.raises(ValueError, match="n_pages"):
        record_pages(-1)
    with pytest.raises(ValueError, match="page_chars"):
        record_pages(10, page_chars=50)
    with pytest.raises(ValueError, match="total_mb"):
        next(iter_record_pages(0))
    with pytest.raises(ValueError, match="start_id"):
        next(iter_record_pages(1, start_id=3))
    pages, labels = record_pages(0)
    assert pages.empty and labels.empty and list(pages.columns) == list(PAGE_COLUMNS)
