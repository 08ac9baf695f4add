"""OCR neighbours from the corpus vocabulary: ground truth by injected damage."""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
import pandas as pd
import pytest

import harkit.synth as synth
from harkit.synth.documents import CONCEPTS
from harkit.text import flags, fold, load_lexicon, read_rules, search
from harkit.text.fuzzy import (
    NEIGHBOUR_COLUMNS,
    corpus_vocabulary,
    expand_lexicon,
    ocr_neighbours,
    with_neighbours,
)

# letters that folding leaves alone on their own (no c, q, x; no h: th/ph/ch fold)
LETTERS = "abdefgijlmnoprstuvy"
FILLER = "Pasienten innlagt i dag . Utskrives til hjemmet ."


def lev(a: str, b: str) -> int:
    """Plain dynamic-programming Levenshtein distance (independent reference)."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def key_distance(key: str, word: str, prefix: bool, d: int) -> int:
    """Distance of ``word`` to a folded key; prefixes: closest word prefix of similar length."""
    if not prefix:
        return lev(key, word)
    lengths = range(max(len(key) - d, 1), min(len(key) + d, len(word)) + 1)
    return min((lev(key, word[:n]) for n in lengths), default=99)


@pytest.fixture(scope="module")
def lex():
    return load_lexicon()


@pytest.fixture(scope="module")
def all_keys(lex):
    """(concept, folded key, is_prefix, folded term length) per single-word variant."""
    out = set()
    for c in lex.names:
        for v, term in lex.variants(c).items():
            k = fold(v.rstrip("*"))
            if re.fullmatch(r"\w+", k):
                out.add((c, k, v.endswith("*"), len(fold(term.text.rstrip("*")))))
    return sorted(out)


@pytest.fixture(scope="module")
def reserved(lex):
    words = set()
    for lit in read_rules().table["literal"]:
        words.update(re.findall(r"\w+", fold(lit)))
    for c in lex.names:
        for v in lex.variants(c):
            k = fold(v.rstrip("*"))
            if not re.fullmatch(r"\w+", k):
                words.update(re.findall(r"\w+", k))
    return words


def exact(word: str, keys) -> bool:
    return any(word.startswith(k) if p else word == k for _, k, p, *_ in keys)


def damage(word: str, n: int, rng) -> str:
    """``n`` random single-character edits (substitution, deletion, insertion)."""
    for _ in range(n):
        i = int(rng.integers(0, len(word)))
        op = rng.integers(0, 3)
        ch = LETTERS[rng.integers(len(LETTERS))]
        word = (word[:i] + ch + word[i + 1:] if op == 0 else word[:i] + word[i + 1:]
                if op == 1 else word[:i] + ch + word[i:])
    return word


@pytest.fixture(scope="module")
def injected(lex, all_keys, reserved):
    """Damaged forms of whole-word terms: {(concept, damaged word, distance)}.

    Kept only when the damage is unambiguous by construction: the word folds to itself, no
    lexicon term matches it, and every other key (any concept, whole or prefix) is
    farther away than the term it came from.
    """
    rng = np.random.default_rng(20240611)
    # min_length applies to the folded term, not to a longer æ variant (delir: daelir)
    whole = [(c, k) for c, k, p, n in all_keys if not p and n >= 6
             and not exact(k, [x for x in all_keys if x[2]])]
    truth = set()
    for c, k in whole:
        for n in (1, 2):
            for _ in range(30):
                w = damage(k, n, rng)
                d = lev(k, w)
                if (d != n or len(w) < 6 or fold(w) != w or w in reserved
                        or exact(w, all_keys)):
                    continue
                others = [key_distance(k2, w, p2, 2) for c2, k2, p2, _ in all_keys
                          if (c2, k2, p2) != (c, k, False)]
                if min(others) > d:
                    truth.add((c, w, d))
                    break
    return truth


@pytest.fixture(scope="module")
def damaged_vocab(injected):
    texts = [f"Pasienten innlagt med {w} i dag." for _, w, _ in sorted(injected)]
    return corpus_vocabulary(texts + [FILLER])


def test_corpus_vocabulary_counts_folded_words():
    texts = pd.Series(["Alkoholisme paa Ørje.", None, "alkoholisme og  Alko-\nholisme", 3.0,
                       pd.NA])
    v = corpus_vocabulary(texts)
    assert v.to_dict() == {"alkoholisme": 3, "og": 1, "orje": 1, "pa": 1}
    assert list(v.index) == ["alkoholisme", "og", "orje", "pa"]  # count desc, then word
    assert v.name == "count" and v.index.name == "word" and v.dtype == "int64"
    assert v.attrs == {"texts": 2, "skipped": 3}
    assert corpus_vocabulary(texts, min_count=2).to_dict() == {"alkoholisme": 3}
    # DataFrame and chunks of one give the same counts
    frame = pd.DataFrame({"text": texts})
    assert corpus_vocabulary(frame).to_dict() == v.to_dict()
    assert corpus_vocabulary([frame.iloc[:2], frame.iloc[2:]]).to_dict() == v.to_dict()
    with pytest.raises(TypeError, match="single str"):
        corpus_vocabulary("alkoholisme")
    with pytest.raises(KeyError, match="'text' column"):
        corpus_vocabulary(pd.DataFrame({"tekst": ["a"]}))
    with pytest.raises(ValueError, match="min_count"):
        corpus_vocabulary(texts, min_count=0)


def test_injected_damage_found_exactly(lex, all_keys, injected, damaged_vocab):
    d1 = {x for x in injected if x[2] == 1}
    d2 = {x for x in injected if x[2] == 2}
    assert len(d1) >= 30 and len(d2) >= 20, (len(d1), len(d2))
    # the filler words long enough to count are far from every term long enough to count
    for w in ("pasienten", "inlagt", "utskrives", "hjemet"):
        assert min(key_distance(k, w, p, 2) for _, k, p, n in all_keys if n >= 6) > 2, w
    t1 = ocr_neighbours(lex, damaged_vocab, max_distance=1)
    assert list(t1.columns) == NEIGHBOUR_COLUMNS
    assert set(zip(t1.concept, t1.neighbour, t1.distance)) == d1
    for r in t1.itertuples():
        assert lev(r.variant, r.neighbour) == r.distance
        assert r.count == 1
    t2 = ocr_neighbours(lex, damaged_vocab, max_distance=2)
    assert set(zip(t2.concept, t2.neighbour, t2.distance)) == d1 | d2
    assert t2.attrs["ties"] == []
    # deterministic
    pd.testing.assert_frame_equal(t2, ocr_neighbours(lex, damaged_vocab, max_distance=2))
    # score_cutoff: normalised similarity 1 - d / max(len) must reach the cutoff
    t3 = ocr_neighbours(lex, damaged_vocab, max_distance=2, score_cutoff=0.8)
    want = {(c, w, d) for c, w, d in d1 | d2
            if 1 - d / max(len(w), *(len(k) for k in _sources(lex, c, w))) >= 0.8}
    assert set(zip(t3.concept, t3.neighbour, t3.distance)) == want
    assert 0 < len(want) < len(d1 | d2)


def _sources(lex, concept, word):
    """Folded keys of ``concept`` at the smallest distance from ``word``."""
    keys = {fold(v.rstrip("*")) for v in lex.variants(concept) if not v.endswith("*")}
    best = min(lev(k, word) for k in keys)
    return [k for k in keys if lev(k, word) == best]


def test_prefix_terms_report_the_damaged_prefix(lex, all_keys):
    rng = np.random.default_rng(5)
    words = {}
    for key, suffix in (("alkohol", "isme"), ("heroin", "misbruk"), ("avrusning", "en"),
                        ("amfetamin", "misbruk")):
        while True:
            i = int(rng.integers(1, len(key)))
            w = key[:i] + LETTERS[rng.integers(len(LETTERS))] + key[i + 1:]
            if w != key and fold(w) == w and not exact(w + suffix, all_keys):
                words[key] = w
                break
    texts = [f"Innlagt for {w}{s}." for w, s in zip(words.values(),
                                                     ("isme", "misbruk", "en", "misbruk"))]
    t = ocr_neighbours(lex, corpus_vocabulary(texts))
    pre = t[t.neighbour.str.endswith("*")]
    assert set(pre.neighbour) == {w + "*" for w in words.values()}
    assert set(pre.variant) == {k + "*" for k in words}
    assert (pre.distance == 1).all()
    assert set(t.concept) == {"alcohol", "opioids", "treatment", "stimulants"}


def test_short_terms_never_expanded(lex):
    # edru (4), opium (5), hasj* (4): one edit away, but shorter than min_length
    v = corpus_vocabulary(["Pas. er edrv og tar opiun og hasp daglig.", FILLER])
    assert ocr_neighbours(lex, v).empty
    assert ocr_neighbours(lex, v, min_length=5).neighbour.tolist() == ["opiun"]
    t = ocr_neighbours(lex, v, min_length=4)
    assert set(t.neighbour) == {"opiun", "edrv", "hasp*"}


def test_lexicon_terms_and_context_triggers_never_returned(tmp_path):
    (tmp_path / "x.toml").write_text(
        'name = "denial"\nterms = [ { term = "benekte", source = "[U]" },'
        ' { term = "tidligera", source = "[U]" } ]\n', encoding="utf-8")
    lex = load_lexicon(tmp_path)
    # kokain (stimulants) and kodein (opioids) are 2 apart; benekter and tidligere are
    # context triggers one edit from the test concept's terms (benektes is one too);
    # benektede is a true neighbour
    v = corpus_vocabulary(["kokain kodein benekter tidligere morfinisme morfinist benektes "
                           "benektede"])
    t = ocr_neighbours(lex, v, max_distance=2)
    assert t.neighbour.tolist() == ["benektede"]
    assert t.concept.tolist() == ["denial"]


def test_closer_concept_wins_and_ties_are_dropped(tmp_path):
    (tmp_path / "x.toml").write_text(
        '[concepts.tiea]\nterms = [ { term = "bravola", source = "[U]" } ]\n'
        '[concepts.tieb]\nterms = [ { term = "bravolo", source = "[U]" } ]\n',
        encoding="utf-8")
    lex = load_lexicon(tmp_path, shipped=False)
    assert lev("bravolu", "bravola") == lev("bravolu", "bravolo") == 1
    assert lev("bravolae", "bravola") == 1 and lev("bravolae", "bravolo") == 2
    v = corpus_vocabulary(["bravolu bravolae bravoloe"])
    t = ocr_neighbours(lex, v, max_distance=2)
    assert sorted(zip(t.concept, t.neighbour, t.distance)) == [
        ("tiea", "bravolae", 1), ("tieb", "bravoloe", 1)]
    assert t.attrs["ties"] == ["bravolu"]
    # reporting one concept only still resolves against all of them
    t = ocr_neighbours(lex, v, max_distance=2, concepts=["tiea"])
    assert t.neighbour.tolist() == ["bravolae"]


def test_prefix_neighbour_dropped_when_it_covers_another_concept(tmp_path):
    (tmp_path / "x.toml").write_text(
        '[concepts.a]\nterms = [ { term = "stavrin*", source = "[U]" } ]\n'
        '[concepts.b]\nterms = [ { term = "stavrun", source = "[U]" } ]\n', encoding="utf-8")
    lex = load_lexicon(tmp_path, shipped=False)
    # stavrun* would make b's own term a hit of a
    t = ocr_neighbours(lex, corpus_vocabulary(["stavrun stavrunes stavrenes"]))
    assert t.neighbour.tolist() == ["stavren*"]
    assert t.loc[0, "concept"] == "a" and t.loc[0, "count"] == 1


def test_random_vocabulary_matches_brute_force(tmp_path):
    """Whole and prefix neighbours against a pure-Python reference on a random vocabulary."""
    (tmp_path / "x.toml").write_text(
        'name = "z"\nterms = [ { term = "mulandor", source = "[U]" },'
        ' { term = "trovesil*", source = "[U]" }, { term = "belimorta", source = "[U]" } ]\n',
        encoding="utf-8")
    lex = load_lexicon(tmp_path, shipped=False)
    terms = ["mulandor", "trovesil", "belimorta"]
    # the reference compares every folded spelling variant (belimorta -> baelimorta)
    keys = sorted({(fold(v.rstrip("*")), v.endswith("*")) for v in lex.variants("z")})
    assert ("baelimorta", False) in keys and ("trovesil", True) in keys
    rng = np.random.default_rng(1)
    words = set()
    for _ in range(1500):
        k = terms[rng.integers(3)]
        w = damage(k, int(rng.integers(0, 4)), rng)
        words.add(w + "".join(rng.choice(list(LETTERS), int(rng.integers(0, 4)))))
    words = sorted(w for w in words if fold(w) == w)
    d, min_length = 2, 6
    res = set()
    for lit in read_rules().table["literal"]:
        res.update(re.findall(r"\w+", fold(lit)))
    want: dict[str, int] = {}
    for w in words:
        if len(w) < min_length or w in res or any(
                w.startswith(k) if p else w == k for k, p in keys):
            continue
        cands = []
        for k, p in keys:
            if p:
                lengths = range(max(len(k) - d, min_length), min(len(k) + d, len(w)) + 1)
                opts = sorted((lev(k, w[:n]), abs(n - len(k)), n) for n in lengths)
                if opts and opts[0][0] <= d:
                    cands.append((opts[0][0], w[:opts[0][2]] + "*"))
            elif 1 <= lev(k, w) <= d:
                cands.append((lev(k, w), w))
        if cands:
            best = min(c[0] for c in cands)
            for dist, nb in cands:
                if dist == best:
                    want[nb] = min(want.get(nb, 99), dist)
    t = ocr_neighbours(lex, pd.Series(1, index=pd.Index(words, name="word")),
                       max_distance=d, min_length=min_length)
    got = dict(zip(t.neighbour, t.distance))
    assert len(want) > 100
    assert got == want
    # counts: a prefix neighbour counts every vocabulary word it begins
    for nb, c in zip(t.neighbour, t["count"]):
        assert c == (sum(w.startswith(nb[:-1]) for w in words) if nb.endswith("*") else 1)


def test_with_neighbours_adds_ocr_terms_without_mutating(lex, damaged_vocab):
    t = ocr_neighbours(lex, damaged_vocab)
    before = lex.to_frame()
    expanded = with_neighbours(lex, t)
    pd.testing.assert_frame_equal(lex.to_frame(), before)
    frame = expanded.to_frame()
    ocr = frame[frame.form == "ocr"]
    assert sorted(zip(ocr.concept, ocr.term)) == sorted(zip(t.concept, t.neighbour))
    r = t.iloc[0]
    src = ocr.loc[ocr.term == r.neighbour, "source"].item()
    assert src == f"corpus neighbour of '{r.term}' (edit distance {r.distance})"
    assert len(frame) == len(before) + len(t)
    # adding the same table twice does not duplicate terms
    assert len(with_neighbours(expanded, t).to_frame()) == len(frame)
    with pytest.raises(KeyError, match="known"):
        with_neighbours(lex, t.assign(concept="nope"))
    with pytest.raises(ValueError, match="neighbour"):
        with_neighbours(lex, t.assign(neighbour="two words"))


def test_search_end_to_end_and_clean_control(lex):
    docs = pd.DataFrame({
        "document_id": ["d1", "d2", "d3", "d4"],
        "text": ["Innlagt med Alkobolisme siden 1950.", "Tidligere Drukkenslcap.",
                 "Ingen funn.", "Alkoholmisbruk i mange aar."],
    })
    plain = search(docs, "@alcohol", lexicon=lex)
    assert set(plain.document_id) == {"d4"}
    expanded, table = expand_lexicon(lex, docs)
    assert set(table.neighbour) >= {"alkobolisme", "alkobol*", "drukenslkap"}
    h = search(docs, "@alcohol", lexicon=expanded)
    assert set(h.document_id) == {"d1", "d2", "d4"}
    matched = dict(zip(h.document_id, h.matched))
    assert matched["d1"] == "Alkobolisme" and matched["d2"] == "Drukkenslcap"
    assert h.set_index("document_id").loc["d2", "historical"]
    # the expansion adds nothing on clean records
    ex = synth.generate(300, seed=8, sud_fraction=0.5, progress=False)
    clean = ex.truth.document_texts.rename(columns={"clean_text": "text"})
    q = "@alcohol OR @opioids OR @withdrawal"
    a = search(clean, q, lexicon=lex)
    b = search(clean, q, lexicon=expanded)
    assert len(a) > 20
    pd.testing.assert_frame_equal(a, b)
    # nor does one learnt from the clean records themselves
    assert expand_lexicon(lex, clean)[1].empty


def test_validation_and_empty_input(lex):
    v = corpus_vocabulary(["alkobolisme"])
    for bad in (-1, 4, 1.5, True):
        with pytest.raises(ValueError, match="max_distance"):
            ocr_neighbours(lex, v, max_distance=bad)
    with pytest.raises(ValueError, match="min_length"):
        ocr_neighbours(lex, v, min_length=2)
    with pytest.raises(ValueError, match="score_cutoff"):
        ocr_neighbours(lex, v, score_cutoff=1.5)
    with pytest.raises(KeyError, match="known: abstinence, alcohol"):
        ocr_neighbours(lex, v, concepts=["alkohol"])
    with pytest.raises(TypeError, match="vocabulary"):
        ocr_neighbours(lex, 42)
    with pytest.raises(ValueError, match="'alkobolisme' has -1"):
        ocr_neighbours(lex, {"alkobolisme": -1})
    assert ocr_neighbours(lex, v, max_distance=0).empty
    empty = ocr_neighbours(lex, corpus_vocabulary([]))
    assert empty.empty and list(empty.columns) == NEIGHBOUR_COLUMNS
    same, table = expand_lexicon(lex, [])
    assert table.empty and same.to_frame().equals(lex.to_frame())
    # a plain list of words and a mapping are accepted too
    assert ocr_neighbours(lex, ["alkobolisme", "alkobolisme"])["count"].max() == 2
    assert ocr_neighbours(lex, Counter(alkobolisme=3))["count"].max() == 3
    assert set(ocr_neighbours(lex, v, concepts="alcohol").concept) == {"alcohol"}


def _scores(docs, truth, lexicon):
    q = " OR ".join("@" + c for c in CONCEPTS)
    f = flags(search(docs, q, lexicon=lexicon), docs, concepts=list(CONCEPTS))
    rows = {}
    for c in CONCEPTS:
        true = set(truth.loc[(truth.concept == c) & truth.affirmed, "document_id"])
        pred = set(f.index[f[c]])
        rows[c] = (len(true), len(pred), len(true & pred))
    out = pd.DataFrame(rows, index=["true", "pred", "tp"]).T
    out.loc["all"] = out.sum()
    out["recall"] = out.tp / out.true.where(out.true > 0)
    out["precision"] = out.tp / out.pred.where(out.pred > 0)
    return out


def test_synthetic_register_recall_and_precision(lex):
    ex = synth.generate(2000, seed=3, sud_fraction=0.5, progress=False)
    truth = ex.truth.document_labels
    # as generated (its OCR noise is mostly undone by folding), then with one extra
    # character substitution in a long word of 40 % of the documents
    rng = np.random.default_rng(11)
    docs = ex.documents.copy()

    def damage_one(text):
        words = list(re.finditer(r"[a-zæøå]{8,}", text))
        if not words:
            return text
        m = words[rng.integers(len(words))]
        i = int(rng.integers(1, len(m.group()) - 1))
        w = m.group()[:i] + LETTERS[rng.integers(len(LETTERS))] + m.group()[i + 1:]
        return text[:m.start()] + w + text[m.end():]

    sel = rng.random(len(docs)) < 0.4
    damaged = docs.copy()
    damaged.loc[sel, "text"] = [damage_one(t) for t in docs.loc[sel, "text"]]
    for name, corpus in (("as generated", docs), ("extra damage", damaged)):
        expanded, table = expand_lexicon(lex, corpus)
        before, after = _scores(corpus, truth, lex), _scores(corpus, truth, expanded)
        print(f"\n{name}: {len(table)} neighbours")
        print(pd.concat({"before": before[["recall", "precision"]],
                         "after": after[["recall", "precision"]]}, axis=1).round(3))
        ok = before.true > 0
        assert (after.recall[ok] >= before.recall[ok]).all()
        assert (after.precision[ok].fillna(1) >= before.precision[ok].fillna(1) - 0.01).all()
        if name == "extra damage":
            assert after.loc["all", "recall"] > before.loc["all", "recall"] + 0.03
