"""Property tests: no suppressed count can be recovered by row/column subtraction.

The stronger attack (integer bounds of every hidden cell) is in test_privacy_attack.py.
"""

import warnings

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harkit import privacy

MARK = "*"


def _attack(shown: np.ndarray, known: np.ndarray, truth: np.ndarray,
            margins: bool) -> set[tuple[int, int]]:
    """Recover hidden cells by repeated subtraction; return the cells recovered.

    With margins in the table (last row and column), each row and column satisfies
    ``sum(interior) == total``; without, each line's sum is assumed public (``truth``).
    """
    vals = np.where(known, shown, np.nan)
    known = known.copy()
    n_r, n_c = vals.shape
    lines = [[(i, j) for j in range(n_c)] for i in range(n_r)]
    lines += [[(i, j) for i in range(n_r)] for j in range(n_c)]
    recovered = set()
    progress = True
    while progress:
        progress = False
        for line in lines:
            unknown = [ij for ij in line if not known[ij]]
            if len(unknown) != 1:
                continue
            (i, j) = unknown[0]
            if margins:
                # sign: the margin cell of the line enters with -1.
                total_cell = line[-1]
                parts = [vals[ij] for ij in line[:-1] if known[ij]]
                value = sum(parts) if (i, j) == total_cell else vals[total_cell] - sum(parts)
            else:
                line_sum = sum(truth[ij] for ij in line)
                value = line_sum - sum(vals[ij] for ij in line if known[ij])
            vals[i, j] = value
            known[i, j] = True
            recovered.add((i, j))
            progress = True
    return recovered


tables = st.integers(2, 4).flatmap(lambda r: st.integers(2, 4).flatmap(
    lambda c: st.lists(st.lists(st.integers(0, 15), min_size=c, max_size=c),
                       min_size=r, max_size=r)))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cells=tables, margins=st.booleans(), threshold=st.integers(2, 8))
def test_no_suppressed_cell_recoverable_wide(cells, margins, threshold):
    inner = np.array(cells)
    if margins:
        full = np.zeros((inner.shape[0] + 1, inner.shape[1] + 1), int)
        full[:-1, :-1] = inner
        full[-1, :-1] = inner.sum(0)
        full[:-1, -1] = inner.sum(1)
        full[-1, -1] = inner.sum()
    else:
        full = inner
    cols = [f"c{j}" for j in range(full.shape[1] - margins)] + (["Total"] if margins else [])
    index = [f"r{i}" for i in range(full.shape[0] - margins)] + (["Total"] if margins else [])
    table = pd.DataFrame(full, columns=cols, index=index)
    with warnings.catch_warnings(record=True) as caught:
        # Not every table can be protected (e.g. [[0, 0], [0, 1]] with public totals: the 1
        # is its row's total); those must warn, naming the cells (see test_privacy_attack).
        warnings.simplefilter("always")
        out = privacy.suppress(table, threshold=threshold, secondary=True)
    warned = out.attrs["unprotected_cells"]
    assert bool(warned) == any(issubclass(w.category, privacy.DisclosureWarning)
                               for w in caught)
    text = out[cols].to_numpy()
    hidden = text == MARK
    # Every primary cell is hidden, and the attrs count what was hidden.
    primary = (full > 0) & (full < threshold)
    assert hidden[primary].all()
    assert out.attrs["suppressed_cells"] == primary.sum()
    assert out.attrs["secondary_cells"] == hidden.sum() - primary.sum()
    # Shown cells are the true counts.
    shown = np.where(hidden, "0", text).astype(object)
    shown = np.vectorize(lambda s: int(s.replace(",", "")))(shown)
    assert (shown[~hidden] == full[~hidden]).all()
    # Subtraction recovers no small count but those named in the warning. (A complement
    # may be recovered where a line has no other cell to hide: it is not small, and the
    # audit has found the small cells protected without it.)
    recovered = {ij for ij in _attack(shown, ~hidden, full, margins) if primary[ij]}
    assert {f"row {index[i]!r}, column {cols[j]!r}" for i, j in recovered} <= set(warned)


@settings(max_examples=60, deadline=None)
@given(cells=tables, threshold=st.integers(2, 8))
def test_long_form_agrees_with_wide(cells, threshold):
    wide = pd.DataFrame(cells, columns=[f"c{j}" for j in range(len(cells[0]))])
    long = wide.rename_axis("row").reset_index().melt(
        id_vars="row", var_name="col", value_name="n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", privacy.DisclosureWarning)
        a = privacy.suppress(wide, threshold=threshold, secondary=True)
        b = privacy.suppress(long, ["n"], threshold=threshold, rows="row", cols="col")
    b_wide = b.pivot(index="row", columns="col", values="n")
    assert (a.to_numpy() == MARK).sum() == (b_wide.to_numpy() == MARK).sum()
    if not b.attrs["unprotected_cells"]:  # no small count recovered (a complement may be)
        truth = wide.to_numpy()
        recovered = _attack(np.zeros(wide.shape), b_wide.to_numpy() != MARK, truth, False)
        assert not [ij for ij in recovered if 0 < truth[ij] < threshold]
