"""Andersen's life-years lost over an age range, by cause, against a population life table.

Andersen (2013, 2017) defines the life-years lost between ages ``a0`` and ``a1`` as the area
between the line at 1 and the survival curve, ``LYL = int_{a0}^{a1} (1 - S(t)) dt``, which
splits by cause into the areas under the cause-specific cumulative incidences,
``LYL_k = int_{a0}^{a1} F_k(t) dt`` (Aalen-Johansen, with delayed entry), with
``sum_k LYL_k = LYL``. The same area for the population, ``int (1 - l(t)/l(a0)) dt`` from a
period life table, gives the excess life-years lost of the cohort. These are the quantities
of R's ``lillies::lyl_range`` (Plana-Ripoll et al. 2020); here the survival and cumulative
incidences come from :func:`harkit.survival.cumulative_incidence`'s Aalen-Johansen
estimator, and the confidence intervals from a percentile bootstrap of persons (as
``lillies::lyl_ci``).

References
----------
Andersen PK (2013). Decomposition of number of life years lost according to causes of
death. Stat Med 32:5278-5285.
Andersen PK (2017). Life years lost among patients with a given disease. Stat Med
36:3573-3582.
Plana-Ripoll O, Canudas-Romo V, Weye N, Laursen TM, McGrath JJ, Andersen PK (2020). lillies:
an R package for the estimation of excess Life Years Lost among patients with a given
disease or condition. PLoS One 15:e0228073.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from harkit import _disclosure as dc
from harkit.plot import axes as _axes
from harkit.results import Result

__all__ = ["AndersenLYLResult", "andersen_life_years_lost", "population_life_years_lost"]

_DECEDENTS_NOTE = (
    "In a decedents-only register everybody dies inside the archive window: the curves "
    "describe deaths seen in the window (left truncation handled, right truncation not), "
    "so the life-years lost of a cohort whose members could survive the window are "
    "overstated. Use it on follow-up data with survivors, or read it as a description.")


class AndersenLYLResult(Result):
    """Andersen life-years lost by group and cause (see :func:`andersen_life_years_lost`)."""

    def plot(self, ax: Any = None) -> Any:
        """Bar chart of life-years lost by cause, stacked, with the population's beside.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw on; a new figure when None.

        Returns
        -------
        matplotlib.axes.Axes
        """
        ax = _axes(ax, (7, 4))
        t = self.table
        causes = t.loc[~t["component"].isin(["all causes", "population", "excess"]),
                       "component"].unique()
        groups = list(pd.unique(t["group"]))
        bottom = np.zeros(len(groups))
        for c in causes:
            vals = np.array([t.loc[(t["group"] == g) & (t["component"] == c), "lyl"].sum()
                             for g in groups])
            ax.bar(np.arange(len(groups)) - 0.2, vals, 0.4, bottom=bottom, label=str(c))
            bottom += vals
        pop = [t.loc[(t["group"] == g) & (t["component"] == "population"), "lyl"].sum()
               for g in groups]
        ax.bar(np.arange(len(groups)) + 0.2, pop, 0.4, color="grey", label="population")
        ax.set_xticks(np.arange(len(groups)), [str(g) for g in groups])
        ax.set_ylabel("life-years lost")
        ax.legend(fontsize="small")
        return ax


def _step_integral(times: np.ndarray, values: np.ndarray, a0: float, a1: float) -> float:
    """``int_{a0}^{a1}`` of a right-continuous step function (0 before ``times[0]``)."""
    t = np.clip(np.concatenate([times[(times > a0) & (times < a1)], [a1]]), a0, a1)
    t = np.concatenate([[a0], t])
    # the value on [t_j, t_{j+1}) is the step function at t_j
    pos = np.searchsorted(times, t[:-1], side="right") - 1
    v = np.where(pos >= 0, values[np.maximum(pos, 0)], 0.0)
    return float(np.sum(v * np.diff(t)))


def population_life_years_lost(life_table: Any, a0: float, a1: float, **keys: Any) -> float:
    """Life-years lost between ages ``a0`` and ``a1`` in a period life table.

    ``int_{a0}^{a1} (1 - l(t)/l(a0)) dt`` with the hazard constant within each year of age
    (``l(x + s) = l(x) p_x^s``), integrated exactly.

    Parameters
    ----------
    life_table : harkit.lifetables.LifeTable
        Life tables with ``age``, ``px`` and ``lx`` by their grouping keys.
    a0, a1 : float
        Age range.
    **keys
        One value per grouping column of the life table (e.g. ``year=1990,
        sex="male"``).

    Returns
    -------
    float
    """
    tab = life_table.table
    if set(keys) != set(life_table.by):
        raise ValueError(f"give exactly the life-table keys {list(life_table.by)}, got "
                         f"{sorted(keys)}")
    sel = np.ones(len(tab), bool)
    for k, v in keys.items():
        sel &= (tab[k] == v).to_numpy()
    g = tab.loc[sel].sort_values("age")
    if g.empty:
        raise ValueError(f"no life table for {keys}")
    ages = g["age"].to_numpy(float)
    lx = g["lx"].to_numpy(float)
    px = g["px"].to_numpy(float)
    with np.errstate(divide="ignore"):
        mu = -np.log(np.clip(px, 1e-300, 1.0))
    mu[-1] = mu[-1] if np.isfinite(mu[-1]) and mu[-1] > 0 else mu[-2]  # open interval

    def l_at(x: float) -> float:
        j = min(int(np.searchsorted(ages, x, side="right") - 1), len(ages) - 1)
        return lx[j] * np.exp(-mu[j] * (x - ages[j]))

    area = 0.0
    edges = np.unique(np.clip(np.concatenate([[a0, a1], ages[(ages > a0) & (ages < a1)]]),
                              a0, a1))
    for lo, hi in zip(edges[:-1], edges[1:]):
        j = min(int(np.searchsorted(ages, lo, side="right") - 1), len(ages) - 1)
        m = mu[j]
        llo = l_at(lo)
        area += llo * (hi - lo) if m == 0 else llo * (1 - np.exp(-m * (hi - lo))) / m
    return float((a1 - a0) - area / l_at(a0))


def _lyl_one(entry: np.ndarray, exit_: np.ndarray, cause: np.ndarray, causes: list[Any],
             censor_value: Any, a0: float, a1: float) -> np.ndarray:
    """All-cause and cause-specific LYL on [a0, a1] of one sample: [all, cause_1, ...]."""
    from harkit.survival.curves import _aalen_johansen

    keep = exit_ > a0
    en = np.maximum(entry[keep], a0)
    ex = exit_[keep]
    ca = cause[keep]
    is_ev = (ca != censor_value) & (ex <= a1)
    out = np.zeros(1 + len(causes))
    if not is_ev.any():
        return out
    aj = _aalen_johansen(en, ex, ca, is_ev, causes, 1.96, "plain")
    for i, k in enumerate(causes):
        s = aj.loc[aj["cause"] == k]
        out[1 + i] = _step_integral(s["time"].to_numpy(float), s["cif"].to_numpy(float),
                                    a0, a1)
        if i == 0:
            out[0] = _step_integral(s["time"].to_numpy(float),
                                    1.0 - s["survival_all"].to_numpy(float), a0, a1)
    return out


def andersen_life_years_lost(
    df: pd.DataFrame,
    exit: str,
    event: str,
    *,
    age_range: tuple[float, float],
    entry: str | None = None,
    by: str | None = None,
    censor_value: Any = 0,
    life_table: Any = None,
    population: Mapping[str, Any] | None = None,
    n_boot: int = 200,
    seed: int | np.random.Generator | None = None,
    alpha: float = 0.05,
    progress: bool = True,
    suppress: bool = True,
    threshold: int | None = None,
) -> AndersenLYLResult:
    """Andersen's life-years lost between two ages, by cause, with bootstrap CIs.

    As R's ``lillies::lyl_range(data, t0=entry, t=exit, status=event, age_begin=a0,
    age_end=a1)`` with age as the time scale: the area between 1 and the all-cause
    survival from ``a0`` to ``a1`` (people alive at ``a0``, with delayed entry), split by
    cause into the areas under the Aalen-Johansen cumulative incidences. With a life table
    the population's life-years lost over the same range and the cohort's excess are added.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per person, times on the age scale.
    exit : str
        Column of the age at exit (death or censoring).
    event : str
        Column of the cause of exit (``censor_value`` marks censoring), or 0/1.
    age_range : tuple of float
        ``(a0, a1)``: life-years lost between these ages.
    entry : str, optional
        Column of the age at entry (delayed entry); everybody from ``a0`` when None.
    by : str, optional
        Grouping column.
    censor_value : object, default 0
        Value of ``event`` meaning censored.
    life_table : harkit.lifetables.LifeTable, optional
        Population life tables (e.g. :func:`harkit.lifetables.norway_life_table`); needs
        ``population``.
    population : mapping, optional
        The life-table keys of the reference population (e.g. ``{"year": 1990, "sex":
        "male"}``); a value ``"group"`` takes the group label (for ``by="sex"``).
    n_boot : int, default 200
        Bootstrap resamples of persons within group (0 for no CIs).
    seed : int or numpy.random.Generator, optional
        Randomness of the bootstrap.
    alpha : float, default 0.05
        1 - confidence level.
    progress : bool, default True
        tqdm progress bar over the bootstrap.
    suppress : bool, default True
        Show ``n`` (persons per group) through the disclosure-control policy; ``False``
        shows it exactly. The areas are averages over persons and are shown.
    threshold : int, optional
        Smallest count shown; default the policy in force.

    Returns
    -------
    AndersenLYLResult
        ``table``: ``group``, ``component`` (``"all causes"``, each cause,
        ``"population"``, ``"excess"``), ``lyl`` (years), ``ci_lower``, ``ci_upper``,
        ``n``. The population's life-years lost have no sampling error; the excess's CI is
        the cohort's shifted.

    Raises
    ------
    ValueError
        A bad age range, missing values, entry after exit, or a life table without
        ``population``.
    """
    from harkit.survival.curves import _ALL, _prepare

    a0, a1 = (float(a) for a in age_range)
    if not a1 > a0:
        raise ValueError(f"age_range must have a0 < a1, got {age_range}")
    if life_table is not None and population is None:
        raise ValueError("give population= (the life-table keys) with a life table")
    d = _prepare(df, exit, event, entry, by, event_kind="any")
    observed = sorted(pd.unique(d.loc[d["_event"] != censor_value, "_event"]), key=str)
    if not observed:
        raise ValueError(f"no events in {event!r}")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    groups = [_ALL] if by is None else sorted(pd.unique(d["_group"]), key=str)
    rows = []
    q = [alpha / 2, 1 - alpha / 2]
    from tqdm.auto import tqdm

    for g in tqdm(groups, desc="LYL bootstrap", disable=not (progress and n_boot)):
        s = d.loc[d["_group"] == g]
        en, ex, ca = (s[c].to_numpy() for c in ("_entry", "_exit", "_event"))
        en, ex = en.astype(float), ex.astype(float)
        est = _lyl_one(en, ex, ca, observed, censor_value, a0, a1)
        boot = np.full((n_boot, est.size), np.nan)
        for b in range(n_boot):
            idx = rng.integers(0, len(s), len(s))
            boot[b] = _lyl_one(en[idx], ex[idx], ca[idx], observed, censor_value, a0, a1)
        lo, hi = (np.quantile(boot, q, axis=0) if n_boot else
                  (np.full(est.size, np.nan), np.full(est.size, np.nan)))
        n = int((ex > a0).sum())
        names = ["all causes", *observed]
        for i, name in enumerate(names):
            rows.append({"group": g, "component": name, "lyl": est[i], "ci_lower": lo[i],
                         "ci_upper": hi[i], "n": n})
        if life_table is not None:
            keys = {k: (g if v == "group" else v) for k, v in population.items()}
            pop = population_life_years_lost(life_table, a0, a1, **keys)
            rows.append({"group": g, "component": "population", "lyl": pop,
                         "ci_lower": pop, "ci_upper": pop, "n": n})
            rows.append({"group": g, "component": "excess", "lyl": est[0] - pop,
                         "ci_lower": lo[0] - pop, "ci_upper": hi[0] - pop, "n": n})
    tab = pd.DataFrame(rows)
    if suppress:
        tab["n"] = [dc.count_text(v, threshold) for v in tab["n"]]
    notes = [f"Life-years lost between ages {a0:g} and {a1:g} (Andersen 2013): the area "
             "between 1 and the survival curve, split by cause into the areas under the "
             "Aalen-Johansen cumulative incidences (as R lillies::lyl_range).",
             f"{100 * (1 - alpha):g}% percentile bootstrap CIs from {n_boot} resamples of "
             "persons." if n_boot else "No CIs (n_boot=0).",
             _DECEDENTS_NOTE]
    if life_table is not None:
        notes.append(f"Population: life table {dict(population)}; hazard constant within "
                     "each year of age. Excess = cohort - population.")
    if suppress:
        notes.append(dc.policy_note(threshold))
    if (tab["component"] == "all causes").any() and n_boot:
        bad = tab["ci_lower"].isna() & (tab["component"] != "population")
        if bad.any():
            warnings.warn("some bootstrap intervals are undefined", stacklevel=2)
    return AndersenLYLResult(table=tab, method="Andersen life-years lost", notes=notes,
                             model=None, extra={"age_range": (a0, a1)})
