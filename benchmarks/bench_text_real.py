"""Throughput of concept search on real Norwegian text (UD Norwegian Nynorsk sentences).

Usage::

    UD_NYNORSK=/path/to/UD_Norwegian-Nynorsk python benchmarks/bench_text_real.py
        [--repeat 3] [--doc-bytes 2500] [--mb 20]

``UD_NYNORSK`` is a checkout of https://github.com/UniversalDependencies/UD_Norwegian-Nynorsk
(CC BY-SA 4.0) or a bare git directory of it (read with ``git show HEAD:...``); the corpus
is read at run time and never stored in this repository. The ``# text =`` sentences of its
train, dev and test files are joined, in order, into documents of about ``--doc-bytes``
bytes of UTF-8 (real typography kept: dashes, quotes, fractions, whatever the treebank
holds), up to ``--mb`` MB: past the end of the treebank its sentences come again, shuffled.

Timed in one process, after one warm-up pass, best of ``--repeat``, as wall time and as
CPU time of the process:

* ``harkit``: :func:`harkit.text.search` with the whole lexicon, context on;
* ``harkit (no context)``: the same, ``context=False``;
* ``pyahocorasick``: a plain scan of every lower-cased term variant of the lexicon over the
  lower-cased documents (no folding, no word boundaries, no context);
* ``re``: one ``re.IGNORECASE`` alternation of every variant (``bench_text.baseline_pattern``);
* ``harkit (synthetic pages)``: harkit on synthetic record pages of the same size, for
  comparison.

Also reported: the documents that hold characters beyond Latin-1, the ``RuntimeWarning``
count of the search and the documents it skipped (there is no per-document path: a batch
that fails is halved down to the document at fault, which is skipped as ``error: ...``).
MB are 10**6 bytes of UTF-8. It prints figures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import ahocorasick  # noqa: E402
import pandas as pd  # noqa: E402
from bench_text import baseline_pattern  # noqa: E402

from harkit.text import load_lexicon, search  # noqa: E402

FILES = ("no_nynorsk-ud-train.conllu", "no_nynorsk-ud-dev.conllu",
         "no_nynorsk-ud-test.conllu")


def read_sentences(root: str | Path) -> list[str]:
    """The ``# text =`` lines of the treebank's files, in order (a file missing from the
    copy is left out, with a note)."""
    root = Path(root)
    out: list[str] = []
    for name in FILES:
        if (root / name).exists():
            raw = (root / name).read_text(encoding="utf-8")
        else:
            got = subprocess.run(["git", f"--git-dir={root}", "show", f"HEAD:{name}"],
                                 capture_output=True)
            if got.returncode:  # a partial copy may lack a large file: say so, go on
                print(f"({name} not readable here; left out)")
                continue
            raw = got.stdout.decode("utf-8")
        out += [ln[len("# text = "):] for ln in raw.splitlines() if ln.startswith("# text = ")]
    return out


def documents(sentences: list[str], doc_bytes: int, total_mb: float,
              seed: int = 0) -> pd.DataFrame:
    """Sentences joined into documents of about ``doc_bytes`` bytes of UTF-8, until
    ``total_mb`` MB; past the end of the treebank its sentences come again, shuffled."""
    rng = random.Random(seed)
    docs, cur, size, total = [], [], 0, 0
    order = list(sentences)
    while total < total_mb * 1e6 and order:
        for s in order:
            cur.append(s)
            size += len(s.encode("utf-8")) + 1
            if size >= doc_bytes:
                docs.append(" ".join(cur))
                total += size
                cur, size = [], 0
                if total >= total_mb * 1e6:
                    break
        rng.shuffle(order)
    if cur:
        docs.append(" ".join(cur))
    return pd.DataFrame({"document_id": range(len(docs)), "person_id": range(len(docs)),
                         "text": docs})


def best_of(fn, repeat: int) -> tuple[float, float]:
    """Smallest wall time and smallest CPU time of this process, of ``repeat`` calls
    (after one warm-up call). On a shared machine the CPU time is the steadier figure."""
    fn()
    wall, cpu = [], []
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return min(wall), min(cpu)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--doc-bytes", type=int, default=2500)
    ap.add_argument("--mb", type=float, default=20.0,
                    help="MB of documents (the treebank's sentences recur, shuffled)")
    args = ap.parse_args(argv)
    root = os.environ.get("UD_NYNORSK")
    if not root:
        sys.exit("set UD_NYNORSK to a UD_Norwegian-Nynorsk checkout or bare git directory")
    sentences = read_sentences(root)
    print(f"{len(sentences)} treebank sentences")
    docs = documents(sentences, args.doc_bytes, args.mb)
    texts = docs["text"].tolist()
    mb = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    beyond = sum(any(ord(c) > 255 for c in t) for t in texts)
    lex = load_lexicon()
    query = " OR ".join("@" + c for c in lex.names)
    print(f"UD Nynorsk: {len(texts)} documents, {mb:.1f} MB, {beyond} with characters "
          "beyond Latin-1")

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        hits = search(docs, query, context=True, chunksize=20_000)
    n_warn = sum(issubclass(w.category, RuntimeWarning) for w in caught)
    print(f"harkit hits: {len(hits)} ({int(hits.negated.sum())} negated); "
          f"RuntimeWarnings: {n_warn}; skipped: {hits.attrs['skipped'] or 'none'}")

    variants = sorted({v.rstrip("*") for c in lex.names for v in lex.variants(c)})
    auto = ahocorasick.Automaton()
    for i, v in enumerate(variants):
        auto.add_word(v, i)
    auto.make_automaton()
    lowered = [t.lower() for t in texts]
    rx = baseline_pattern(lex)

    from harkit.synth.pages import iter_record_pages
    synth = pd.concat(list(iter_record_pages(mb, seed=0)), ignore_index=True)
    synth_mb = sum(len(t.encode("utf-8")) for t in synth["text"]) / 1e6

    runs = {
        "harkit, context on": (mb, lambda: search(docs, query, chunksize=20_000)),
        "harkit, no context": (mb, lambda: search(docs, query, context=False,
                                                  chunksize=20_000)),
        "pyahocorasick (plain scan)": (mb, lambda: [list(auto.iter(t)) for t in lowered]),
        "re alternation": (mb, lambda: [list(rx.finditer(t)) for t in texts]),
        "harkit, synthetic pages": (synth_mb, lambda: search(synth, query,
                                                             chunksize=20_000)),
    }
    print(f"{'':28s} {'MB/s (wall)':>12s} {'MB/s (CPU)':>12s}")
    for name, (size_mb, fn) in runs.items():
        wall, cpu = best_of(fn, args.repeat)
        print(f"{name:28s} {size_mb / wall:12.1f} {size_mb / cpu:12.1f}")


if __name__ == "__main__":
    main()
