"""Negation of harkit's context rules on NorMed_neg (train and dev splits only).

NorMed_neg (Norwegian biomedical sentences annotated with negation cues and scopes,
https://github.com/marieef/NorMed_neg) is read from a local copy:

    NORMED_NEG=/path/to/NorMed_neg python benchmarks/eval_negation.py [train|dev ...]

``NORMED_NEG`` is a checkout (``dataset/datasplit/NorMed_neg_<split>.json``) or a bare git
directory (read with ``git show HEAD:...``). The test split is never read here: it is kept
for independent checking.

Every word of a sentence is judged as if it were a concept hit (the word's span given to
:func:`harkit.text.context_batch`). Reported per split:

* ``nearest``: share of annotated scopes whose word nearest the cue comes back negated;
* ``last``: share whose last word (in text order) comes back negated;
* ``false``: share of words outside every scope and cue that come back negated.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from harkit.text import context_batch, normalise, read_rules

SPLITS = ("train", "dev")  # never "test"


def load_split(root: str | Path, split: str) -> list[dict]:
    """Sentences of one NorMed_neg split (``train`` or ``dev``)."""
    if split not in SPLITS:
        raise ValueError(f"split {split!r}: only {SPLITS} are read here")
    rel = f"dataset/datasplit/NorMed_neg_{split}.json"
    root = Path(root)
    if (root / rel).exists():
        return json.loads((root / rel).read_text(encoding="utf-8"))
    raw = subprocess.run(["git", f"--git-dir={root}", "show", f"HEAD:{rel}"],
                         check=True, capture_output=True).stdout
    return json.loads(raw.decode("utf-8"))


def _spans(field) -> list[tuple[int, int]]:
    out = []
    for s in field[1]:
        a, b = s.split(":")
        out.append((int(a), int(b)))
    return out


def _affixal(neg: dict) -> bool:
    """Whether the cue is part of a word (u-, -fri ...): NorMed_neg's ``Affixal`` mark."""
    return str(neg.get("Affixal", "")).strip().lower() in ("true", "1", "yes")


def evaluate_split(sentences: list[dict], rules=None, show: int = 0) -> dict[str, float]:
    """Nearest-in-scope, last-in-scope and false-negation shares for one split."""
    rules = read_rules(rules)
    near_ok = last_ok = n_scope = 0
    word_last_ok = n_word_scope = 0  # scopes of word cues (not affixal)
    false_neg = n_out = 0
    misses: list[str] = []
    for s in sentences:
        text = s["text"]
        norm = normalise(text)
        if not norm.words:
            continue
        ws = np.array([w[0] for w in norm.words])
        we = np.array([w[1] for w in norm.words])
        os_, oe = norm.original_spans(ws, we)
        flags = context_batch(norm, ws, we, rules)["negated"]
        inside = np.zeros(len(ws), dtype=bool)
        cue = np.zeros(len(ws), dtype=bool)
        for neg in s["negations"]:
            scope = _spans(neg["Scope"]) if neg["Scope"][1] else []
            cues = _spans(neg["Cue"])
            in_scope = np.zeros(len(ws), dtype=bool)
            for a, b in scope:
                in_scope |= (os_ < b) & (oe > a)
            for a, b in cues:
                c = (os_ < b) & (oe > a)
                cue |= c & ~in_scope
            inside |= in_scope
            idx = np.flatnonzero(in_scope)
            if not len(idx):
                continue
            ca = min(a for a, _ in cues)
            # the scope word nearest the cue, after it if any follows (ConText's reading)
            after = idx[os_[idx] >= ca]
            near = after[0] if len(after) else idx[-1]
            last = idx[-1]
            n_scope += 1
            near_ok += bool(flags[near])
            last_ok += bool(flags[last])
            if not _affixal(neg):
                n_word_scope += 1
                word_last_ok += bool(flags[last])
            if show and (not flags[near] or not flags[last]) and len(misses) < show:
                cue_txt = " ".join(neg["Cue"][0])
                misses.append(f"MISS near={flags[near]} last={flags[last]} cue={cue_txt!r} "
                              f"scope={' '.join(neg['Scope'][0])!r}\n    {text}")
        out = ~inside & ~cue
        n_out += int(out.sum())
        bad = out & flags
        false_neg += int(bad.sum())
        if show and bad.any() and len(misses) < 2 * show:
            words = [text[a:b] for a, b in zip(os_[bad], oe[bad])]
            misses.append(f"FALSE {words}\n    {text}")
    for m in misses:
        print(m)
    return {"scopes": n_scope, "nearest": near_ok / max(n_scope, 1),
            "last": last_ok / max(n_scope, 1), "word_scopes": n_word_scope,
            "last_word_cues": word_last_ok / max(n_word_scope, 1), "outside_words": n_out,
            "false": false_neg / max(n_out, 1)}


def main(argv: list[str]) -> None:
    root = os.environ.get("NORMED_NEG")
    if not root:
        sys.exit("set NORMED_NEG to a NorMed_neg checkout or bare git directory")
    show = int(os.environ.get("SHOW", "0"))
    for split in argv or list(SPLITS):
        r = evaluate_split(load_split(root, split), show=show)
        print(f"{split}: scopes {r['scopes']}, nearest-in-scope negated {r['nearest']:.3f}, "
              f"last-in-scope {r['last']:.3f} (word cues, {r['word_scopes']} scopes: "
              f"{r['last_word_cues']:.3f}), false negation {r['false']:.4f} "
              f"of {r['outside_words']} words")


if __name__ == "__main__":
    main(sys.argv[1:])
