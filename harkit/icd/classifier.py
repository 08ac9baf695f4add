"""A text classifier for uncoded diagnosis texts, trained on the coded rows of a register.

:class:`TextClassifier` is a scikit-learn pipeline: TF-IDF of character n-grams (2-5,
``char_wb``) and of word uni- and bigrams, both over the folded text
(:func:`harkit.icd.text.fold_text`), then a multinomial logistic regression. It is trained
on rows that have both a code (hence a harmonised category) and a text, and it abstains
(category NA) when its top probability is below ``threshold``. Rows whose label is NA
(not in the list, e.g. a pneumonia for the ``substance`` list) are a class of their own,
``NONE_LABEL``, predicted as NA with ``abstained=False``.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import FunctionTransformer

from harkit.icd.text import LISTS, fold_text, text_rules

#: Class used for rows whose category is NA (the text is not in the list).
NONE_LABEL = "<none>"


def _fold_all(texts: pd.Series) -> list[str]:
    s = pd.Series(texts).fillna("").astype(str)
    uniq, inv = np.unique(s.to_numpy(), return_inverse=True)
    folded = np.array([fold_text(t) for t in uniq], dtype=object)
    return list(folded[inv])


def _rule_tokens(texts: list[str]) -> list[str]:
    """Lexicon hits as tokens (``substance=opioids`` ...), one string per text."""
    r = text_rules(pd.Series(texts))
    parts = [np.where(r[c].isna(), "", c + "=" + r[c].fillna("").astype(str)) for c in LISTS]
    return [" ".join(filter(None, row)) for row in zip(*parts)]


def _labels(labels: pd.Series) -> np.ndarray:
    return pd.Series(labels).astype(object).where(pd.Series(labels).notna(),
                                                   NONE_LABEL).astype(str).to_numpy()


class TextClassifier:
    """TF-IDF (character and word n-grams) + logistic regression, with abstention.

    Parameters
    ----------
    threshold : float, default 0.6
        Minimum top probability to report a category; below it the row abstains.
    char_ngrams : tuple of int, default (2, 5)
        Character n-gram range (``analyzer="char_wb"``).
    word_ngrams : tuple of int, default (1, 2)
        Word n-gram range.
    c : float, default 10.0
        Inverse regularisation strength (``C``) of the logistic regression.
    class_weight : str or None, default "balanced"
        Passed to :class:`sklearn.linear_model.LogisticRegression`; ``"balanced"`` keeps
        small substance classes from being swamped by alcohol and by ``NONE_LABEL``.
    max_iter : int, default 2000
    use_rules : bool, default True
        Add the lexicon hits of :func:`harkit.icd.text.text_rules` as features
        (``substance=opioids``, ``sud_level=dependence`` ...). They carry what the model
        learns from one wording (``Stoffavhengighet, morfintype``) to another that shares
        no n-grams with it (``Heroinmisbruk``).

    Attributes
    ----------
    pipeline_ : sklearn.pipeline.Pipeline
        The fitted pipeline (features + model); ``model`` is an alias.
    classes_ : numpy.ndarray
        Class labels, including :data:`NONE_LABEL` when NA labels were seen.
    cv_report_ : pandas.DataFrame
        Cross-validated ``precision``, ``recall``, ``f1`` and ``support`` per category
        (from :func:`sklearn.model_selection.cross_val_predict`, no abstention), plus
        ``macro avg`` over the real categories (not ``NONE_LABEL``). Folds split the
        distinct (text, category) pairs, so a wording is never in both the training and
        the test fold (row-level folds would be optimistic: register texts repeat);
        metrics and ``support`` are weighted by row counts.
    n_train_, n_distinct_ : int
        Rows used for fitting, and distinct (text, category) pairs among them (the model
        is fitted on the pairs with their row counts as sample weights).

    Examples
    --------
    >>> import pandas as pd
    >>> from harkit.icd.classifier import TextClassifier
    >>> texts = pd.Series(["Alkoholisme", "Alkoholmisbruk", "Heroinmisbruk",
    ...                    "Morfinisme", "Pneumoni", "Lungebetennelse"] * 5)
    >>> labels = pd.Series(["alcohol", "alcohol", "opioids", "opioids", None, None] * 5)
    >>> clf = TextClassifier(threshold=0.4).fit(texts, labels, cv=3)
    >>> clf.predict(pd.Series(["alkoholisme"]))["category"].iloc[0]
    'alcohol'
    """

    def __init__(self, threshold: float = 0.6, *, char_ngrams: tuple[int, int] = (2, 5),
                 word_ngrams: tuple[int, int] = (1, 2), c: float = 10.0,
                 class_weight: str | None = "balanced", max_iter: int = 2000,
                 use_rules: bool = True) -> None:
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(f"threshold must lie in [0, 1], got {threshold!r}")
        self.threshold = float(threshold)
        self.char_ngrams = char_ngrams
        self.word_ngrams = word_ngrams
        self.c = c
        self.class_weight = class_weight
        self.max_iter = max_iter
        self.use_rules = use_rules

    def _make(self, seed: int) -> Pipeline:
        parts = [
            ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=self.char_ngrams,
                                     sublinear_tf=True, min_df=1)),
            ("word", TfidfVectorizer(analyzer="word", ngram_range=self.word_ngrams,
                                     token_pattern=r"(?u)\b\w+\b", sublinear_tf=True)),
        ]
        if self.use_rules:
            parts.append(("rules", Pipeline([
                ("hits", FunctionTransformer(_rule_tokens)),
                ("onehot", TfidfVectorizer(analyzer=str.split, lowercase=False,
                                           use_idf=False, norm=None, binary=True)),
            ])))
        features = FeatureUnion(parts)
        model = LogisticRegression(C=self.c, class_weight=self.class_weight,
                                   max_iter=self.max_iter, random_state=seed)
        return Pipeline([("features", features), ("model", model)])

    @classmethod
    def from_harmonised(cls, harmonised: pd.DataFrame, *, target: str = "substance",
                        text_column: str = "diagnosis_text", cv: int | None = 5,
                        seed: int = 0, **kwargs: Any) -> TextClassifier:
        """Fit on the rows of a harmonised table that were mapped by their code.

        The production path: the labels are what :func:`harkit.icd.harmonise` made of each
        row's code, the inputs are the texts written next to those codes, and the fitted
        model can then be passed to ``harmonise(..., model=...)`` for the uncoded rows.

        Parameters
        ----------
        harmonised : pandas.DataFrame
            Output of :func:`harkit.icd.harmonise` (needs ``mapped_by``, ``target`` and
            ``text_column``).
        target : str, default "substance"
            The harmonised column to predict.
        text_column : str, default "diagnosis_text"
            Column holding the free text.
        cv : int or None, default 5
            Passed to :meth:`fit`.
        seed : int, default 0
            Passed to :meth:`fit`.
        **kwargs
            Passed to the constructor (e.g. ``threshold``).

        Returns
        -------
        TextClassifier
            Fitted on rows with ``mapped_by == "code"`` and a text.

        Raises
        ------
        KeyError
            If a needed column is missing.
        """
        missing = [c for c in ("mapped_by", target, text_column) if c not in harmonised]
        if missing:
            raise KeyError(f"harmonised table lacks column(s) {missing}; run harmonise first")
        rows = (harmonised["mapped_by"].astype(object) == "code") & \
            harmonised[text_column].notna()
        rows = rows.to_numpy(dtype=bool)
        return cls(**kwargs).fit(harmonised.loc[rows, text_column],
                                 harmonised.loc[rows, target].astype(object), cv=cv, seed=seed)

    def fit(self, texts: pd.Series, labels: pd.Series, *, cv: int | None = 5,
            seed: int = 0) -> TextClassifier:
        """Fit on texts with known categories, and cross-validate.

        Parameters
        ----------
        texts : pandas.Series
            Diagnosis texts of coded rows; rows with a missing text are dropped.
        labels : pandas.Series
            Harmonised category per text (NA = not in the list, trained as
            :data:`NONE_LABEL`), aligned with ``texts``.
        cv : int or None, default 5
            Folds for :attr:`cv_report_` (stratified, shuffled with ``seed``; reduced to
            the size of the smallest class, at least 2). None skips cross-validation.
        seed : int, default 0
            Seed of the fold split and the solver (the fit is deterministic).

        Returns
        -------
        TextClassifier
            ``self``.

        Raises
        ------
        ValueError
            If lengths differ or fewer than two classes are present.
        """
        texts, labels = pd.Series(texts), pd.Series(labels)
        if len(texts) != len(labels):
            raise ValueError(f"texts ({len(texts)}) and labels ({len(labels)}) differ in length")
        keep = texts.notna().to_numpy()
        # distinct (folded text, label) pairs, weighted by their row counts
        pairs = pd.DataFrame({"x": _fold_all(texts[keep]), "y": _labels(labels[keep])})
        pairs = pairs.groupby(["x", "y"], sort=True).size().reset_index(name="w")
        x, y, w = pairs["x"].tolist(), pairs["y"].to_numpy(), pairs["w"].to_numpy(float)
        if len(np.unique(y)) < 2:
            raise ValueError("TextClassifier.fit needs at least two classes")
        self.n_train_ = int(w.sum())
        self.n_distinct_ = len(y)
        self.cv_report_ = None
        if cv:
            smallest = int(pd.Series(y).value_counts().min())
            k = max(2, min(int(cv), smallest)) if smallest >= 2 else int(cv)
            folds = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="The least populated class")
                pred = cross_val_predict(self._make(seed), x, y, cv=folds,
                                         params={"model__sample_weight": w})
            self.cv_report_ = _report(y, pred, w)
        self.pipeline_ = self._make(seed).fit(x, y, model__sample_weight=w)
        self.classes_ = self.pipeline_.classes_
        return self

    @property
    def model(self) -> Pipeline:
        """The fitted scikit-learn pipeline."""
        return self.pipeline_

    def predict_proba(self, texts: pd.Series) -> pd.DataFrame:
        """Class probabilities, one column per class in :attr:`classes_`."""
        s = pd.Series(texts)
        proba = self.pipeline_.predict_proba(_fold_all(s))
        return pd.DataFrame(proba, index=s.index, columns=self.classes_)

    def predict(self, texts: pd.Series) -> pd.DataFrame:
        """Predict a category per text, abstaining below the threshold.

        Parameters
        ----------
        texts : pandas.Series

        Returns
        -------
        pandas.DataFrame
            Index aligned with ``texts``; ``category`` (string; NA when abstained, when
            the text is predicted not to belong to the list, or when it is missing),
            ``probability`` (top class probability; NaN for missing texts) and
            ``abstained`` (bool).
        """
        s = pd.Series(texts)
        valid = s.notna().to_numpy()
        cat = np.full(len(s), pd.NA, dtype=object)
        prob = np.full(len(s), np.nan)
        abstained = np.zeros(len(s), dtype=bool)
        if valid.any():
            p = self.predict_proba(s[valid]).to_numpy()
            top = p.argmax(axis=1)
            pmax = p[np.arange(len(p)), top]
            label = self.classes_[top].astype(object)
            low = pmax < self.threshold
            label[low | (label == NONE_LABEL)] = pd.NA
            cat[valid], prob[valid], abstained[valid] = label, pmax, low
        return pd.DataFrame({"category": pd.Series(cat, index=s.index, dtype="string"),
                             "probability": prob, "abstained": abstained}, index=s.index)

    def score(self, texts: pd.Series, labels: pd.Series) -> dict[str, float]:
        """Evaluate against known categories.

        Parameters
        ----------
        texts, labels : pandas.Series
            As in :meth:`fit` (NA label = not in the list).

        Returns
        -------
        dict
            ``macro_f1`` (over the real categories present in the labels, on rows not
            abstained; predicting NA for a category row counts as a miss),
            ``abstention`` (share of rows abstained), ``accuracy`` (on rows not
            abstained, NA counted as a class) and ``n``.
        """
        pred = self.predict(texts)
        return evaluate(pred["category"], labels, pred["abstained"])

    def __repr__(self) -> str:
        fitted = f", n_train={self.n_train_}" if hasattr(self, "n_train_") else ""
        return f"TextClassifier(threshold={self.threshold}{fitted})"


def evaluate(predicted: pd.Series, truth: pd.Series,
             abstained: pd.Series | None = None) -> dict[str, float]:
    """Macro-F1, accuracy and abstention of predicted categories against the truth.

    Parameters
    ----------
    predicted : pandas.Series
        Predicted category (NA = not in the list, or abstained).
    truth : pandas.Series
        True category (NA = not in the list).
    abstained : pandas.Series of bool, optional
        Rows that abstained (excluded from F1 and accuracy). By default none did.

    Returns
    -------
    dict
        ``macro_f1``, ``accuracy``, ``abstention``, ``n`` (see
        :meth:`TextClassifier.score`).
    """
    y_pred = _labels(pd.Series(predicted).reset_index(drop=True))
    y_true = _labels(pd.Series(truth).reset_index(drop=True))
    ab = (np.zeros(len(y_true), bool) if abstained is None
          else pd.Series(abstained).to_numpy(dtype=bool))
    keep = ~ab
    cats = sorted(set(y_true) - {NONE_LABEL})
    macro = (f1_score(y_true[keep], y_pred[keep], labels=cats, average="macro",
                      zero_division=0) if keep.any() and cats else float("nan"))
    acc = accuracy_score(y_true[keep], y_pred[keep]) if keep.any() else float("nan")
    return {"macro_f1": float(macro), "accuracy": float(acc),
            "abstention": float(ab.mean()) if len(ab) else float("nan"), "n": int(len(ab))}


def _report(y_true: np.ndarray, y_pred: np.ndarray, weight: np.ndarray) -> pd.DataFrame:
    labels = sorted(set(y_true))
    p, r, f, n = precision_recall_fscore_support(y_true, y_pred, labels=labels,
                                                 sample_weight=weight, zero_division=0)
    rep = pd.DataFrame({"precision": p, "recall": r, "f1": f, "support": n},
                       index=pd.Index(labels, name="category"))
    real = rep.drop(index=NONE_LABEL, errors="ignore")
    rep.loc["macro avg"] = [real["precision"].mean(), real["recall"].mean(),
                            real["f1"].mean(), real["support"].sum()]
    rep["support"] = rep["support"].astype(int)
    return rep


def rules_then_model(texts: pd.Series, model: TextClassifier | None = None, *,
                     list_name: str = "substance", threshold: float | None = None,
                     rules: pd.DataFrame | None = None) -> pd.DataFrame:
    """Categorise texts by the lexicon rules first and by the model where rules are silent.

    Parameters
    ----------
    texts : pandas.Series
        Diagnosis texts.
    model : TextClassifier, optional
        A fitted classifier for ``list_name``; without one, only the rules are used.
    list_name : str, default "substance"
        Which list (column of :func:`harkit.icd.text.text_rules`) to fill.
    threshold : float, optional
        Minimum rule confidence (default: the model's threshold, else 0.6).
    rules : pandas.DataFrame, optional
        Precomputed ``text_rules(texts)`` output.

    Returns
    -------
    pandas.DataFrame
        ``category`` (string, NA when not in the list or abstained), ``confidence`` and
        ``source`` (``rules``, ``model`` or NA). A rule hit whose context is negated or
        family gives NA without asking the model; a rule hit below ``threshold`` for
        another reason (a generic word such as ``narkomani``, uncertainty) is passed to
        the model.
    """
    from harkit.icd.text import text_rules

    s = pd.Series(texts)
    thr = threshold if threshold is not None else (model.threshold if model else 0.6)
    r = rules if rules is not None else text_rules(s)
    cat = r[list_name].astype("string")
    conf = r["confidence"].to_numpy(dtype=float)
    ctx = r["context"].astype(object).to_numpy()
    has = cat.notna().to_numpy()
    ok = has & (conf >= thr)
    refused = pd.Series(ctx).isin(["negated", "family"]).to_numpy()
    out_cat = np.where(ok, cat.astype(object).to_numpy(), pd.NA).astype(object)
    out_conf = np.where(ok, conf, np.nan)
    source = np.where(ok, "rules", pd.NA).astype(object)
    ask = ~ok & ~refused & s.notna().to_numpy()
    if model is not None and ask.any():
        pred = model.predict(s[ask])
        out_cat[ask] = pred["category"].astype(object).to_numpy()
        out_conf[ask] = pred["probability"].to_numpy()
        source[ask] = np.where(pred["abstained"].to_numpy(), pd.NA, "model")
    return pd.DataFrame({"category": pd.Series(out_cat, index=s.index, dtype="string"),
                         "confidence": out_conf,
                         "source": pd.Series(source, index=s.index, dtype="string")},
                        index=s.index)
