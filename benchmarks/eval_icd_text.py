"""Evaluate the uncoded-diagnosis text mapping on the synthetic register.

Fits :class:`harkit.icd.classifier.TextClassifier` on the coded rows of
``synth.generate(n, seed=seed, sud_fraction=0.5)`` (labels: ``truth.diagnoses``) and
evaluates rules alone, the model alone and rules-then-model on the *uncoded* rows.

Usage: ``python benchmarks/eval_icd_text.py [n] [seed ...]`` (default 8000, seed 7).
"""

from __future__ import annotations

import sys
import time

import pandas as pd

from harkit import synth
from harkit.icd.classifier import TextClassifier, evaluate, rules_then_model
from harkit.icd.text import text_rules


def evaluate_synthetic(n: int = 8000, seed: int = 7, list_name: str = "substance",
                       threshold: float = 0.6) -> tuple[pd.DataFrame, TextClassifier]:
    """Return one row per method (rules, model, rules_then_model) and the fitted model.

    Columns: ``macro_f1`` and ``accuracy`` (rows not abstained), ``abstention`` (share of
    all uncoded rows), ``abstention_true`` (share of the truly in-list uncoded rows left
    without a category, abstained or missed), ``n``, ``n_in_list``.
    """
    ex, truth = synth.generate(n, seed=seed, sud_fraction=0.5, progress=False,
                               return_truth=True)
    dx = ex.diagnoses.merge(truth.diagnoses, on="diagnosis_id")
    dx = dx[dx["diagnosis_text"].notna()]
    train, test = dx[dx["coded"]], dx[~dx["coded"]]
    clf = TextClassifier(threshold=threshold).fit(train["diagnosis_text"],
                                                  train[list_name], seed=0)
    y = test[list_name].reset_index(drop=True)
    texts = test["diagnosis_text"].reset_index(drop=True)
    rules = text_rules(texts)
    hit = rules[list_name].notna()
    low = hit & (rules["confidence"] < threshold)
    pred_rules = rules[list_name].where(~low)
    model = clf.predict(texts)
    both = rules_then_model(texts, clf, list_name=list_name, rules=rules)
    both_ab = both["source"].isna() & (low | model["abstained"])
    rows = {}
    for name, pred, ab in (("rules", pred_rules, low), ("model", model["category"],
                                                        model["abstained"]),
                           ("rules_then_model", both["category"], both_ab)):
        res = evaluate(pred, y, ab)
        res["abstention_true"] = float(pred[y.notna()].isna().mean())
        res["n_in_list"] = int(y.notna().sum())
        rows[name] = res
    return pd.DataFrame(rows).T, clf


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 8000
    seeds = [int(s) for s in sys.argv[2:]] or [7]
    pd.set_option("display.width", 160)
    for seed in seeds:
        t0 = time.perf_counter()
        table, clf = evaluate_synthetic(n, seed)
        print(f"--- n={n} seed={seed} ({time.perf_counter() - t0:.1f} s); "
              f"trained on {clf.n_train_} coded rows ({clf.n_distinct_} distinct)")
        print("cross-validated on coded rows (distinct wordings held out):")
        print(clf.cv_report_.round(3).to_string())
        print("uncoded rows:")
        print(table.round(3).to_string())
