"""The disclosure-control policy every shown count follows, and how one count is shown."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

#: Smallest count shown. Counts 1-4 are suppressed, following the common practice of
#: Norwegian health registries for published tables.
DEFAULT_THRESHOLD = 5

#: OpenSAFELY-style rule: counts of 7 or fewer are suppressed, all others rounded to 5.
OPENSAFELY_THRESHOLD = 8
OPENSAFELY_ROUND_TO = 5

#: Shortest person id (in characters) that :func:`check_no_identifiers` looks for. Shorter
#: ids ("12") are indistinguishable from counts and years in rendered tables.
MIN_ID_LENGTH = 4

_RULES = ("threshold", "opensafely")


class DisclosureWarning(UserWarning):
    """A table could not be fully protected, or an identifier check was incomplete."""


# --------------------------------------------------------------------------- policy


@dataclasses.dataclass(frozen=True)
class Policy:
    """The disclosure-control settings every shown count in harkit follows.

    Parameters
    ----------
    threshold : int, default 5
        Smallest count shown: counts ``0 < n < threshold`` are hidden (primary suppression).
    round_to : int, optional
        Show every count rounded to the nearest multiple of this (suppression decisions
        still use the exact counts). None: exact counts are shown.
    rule : {"threshold", "opensafely"}, default "threshold"
        Name of the rule, shown in notes and in ``attrs`` of suppressed tables.
    """

    threshold: int = 5
    round_to: int | None = None
    rule: str = "threshold"

    def __post_init__(self) -> None:
        if self.rule not in _RULES:
            raise ValueError(f"rule must be one of {_RULES}, got {self.rule!r}")
        if self.threshold < 1:
            raise ValueError(f"threshold must be at least 1, got {self.threshold}")
        if self.round_to is not None and self.round_to < 1:
            raise ValueError(f"round_to must be at least 1, got {self.round_to}")

    def describe(self) -> str:
        """One sentence for notes and report footers.

        Returns
        -------
        str
        """
        text = f"counts 1-{self.threshold - 1} are hidden"
        if self.round_to:
            text += f" and every other count is rounded to the nearest {self.round_to}"
        return text


#: harkit's default: counts 1-4 hidden, the rest exact (single tables, with audited
#: secondary suppression where a table has margins).
DEFAULT_POLICY = Policy()
#: The OpenSAFELY output rule: counts <= 7 hidden, all others rounded to the nearest 5.
#: Rendered reports use it, so that no count can be worked out across tables.
REPORT_POLICY = Policy(threshold=OPENSAFELY_THRESHOLD, round_to=OPENSAFELY_ROUND_TO,
                       rule="opensafely")

_current: list[Policy] = [DEFAULT_POLICY]


def get_policy() -> Policy:
    """The policy in force.

    Returns
    -------
    Policy
    """
    return _current[-1]


def set_policy(policy: Policy | str | None = None, **changes: Any) -> Policy:
    """Set the policy every harkit result uses from now on.

    Parameters
    ----------
    policy : Policy or {"default", "report"}, optional
        The new policy; None starts from the one in force.
    **changes
        Fields of :class:`Policy` to change (``threshold=``, ``round_to=``, ``rule=``).

    Returns
    -------
    Policy
        The policy that was in force before.

    Examples
    --------
    >>> old = set_policy("report")
    >>> get_policy().round_to
    5
    >>> _ = set_policy(old)
    """
    old = _current[-1]
    _current[-1] = _resolve(policy, changes)
    return old


@contextlib.contextmanager
def policy(policy: Policy | str | None = None, **changes: Any) -> Iterator[Policy]:
    """Use a policy inside a ``with`` block only.

    Parameters
    ----------
    policy : Policy or {"default", "report"}, optional
        As for :func:`set_policy`.
    **changes
        Fields of :class:`Policy` to change.

    Yields
    ------
    Policy
        The policy in force inside the block.
    """
    _current.append(_resolve(policy, changes))
    try:
        yield _current[-1]
    finally:
        _current.pop()


def _resolve(policy: Policy | str | None, changes: Mapping[str, Any]) -> Policy:
    if policy is None:
        base = _current[-1]
    elif isinstance(policy, Policy):
        base = policy
    elif policy in ("default", "report"):
        base = DEFAULT_POLICY if policy == "default" else REPORT_POLICY
    else:
        raise ValueError(f"policy must be a Policy, 'default' or 'report', got {policy!r}")
    return dataclasses.replace(base, **changes) if changes else base


def format_count(n: float | int | None, *, policy: Policy | None = None) -> str:
    """A single count as text under the policy, for notes, titles and labels.

    Parameters
    ----------
    n : int or float
        The exact count (NaN or None gives ``""``).
    policy : Policy, optional
        Default: the policy in force.

    Returns
    -------
    str
        ``"<5"`` for a hidden count, else the count (rounded under the policy), with
        thousands separators.

    Examples
    --------
    >>> format_count(3), format_count(1234), format_count(0)
    ('<5', '1,234', '0')
    """
    pol = policy or get_policy()
    if n is None or (isinstance(n, float) and np.isnan(n)):
        return ""
    if 0 < n < pol.threshold:
        return f"<{pol.threshold}"
    shown = n if not pol.round_to else round(n / pol.round_to) * pol.round_to
    return f"{int(shown):,}"


def round_counts(values: np.ndarray, round_to: int | None) -> np.ndarray:
    """Counts as shown: rounded to the nearest multiple of ``round_to``, halves to even.

    Parameters
    ----------
    values : numpy.ndarray
        Exact counts (NaN allowed).
    round_to : int, optional
        None: the counts unchanged.

    Returns
    -------
    numpy.ndarray
        A float array. A count exactly halfway between two multiples goes to the even
        multiple (``numpy.round``, like Python's ``round`` in :func:`format_count`); with an
        odd ``round_to`` such as 5 no whole count is halfway.
    """
    values = np.asarray(values, dtype=float)
    if not round_to:
        return values
    return np.round(values / round_to) * round_to


def rounding_range(shown: np.ndarray, round_to: int) -> tuple[np.ndarray, np.ndarray]:
    """The smallest and largest whole count that :func:`round_counts` shows as ``shown``.

    Parameters
    ----------
    shown : numpy.ndarray
        Shown (rounded) counts, multiples of ``round_to``.
    round_to : int

    Returns
    -------
    lo, hi : numpy.ndarray
        Float arrays. With ``round_to=5``, a shown 10 is any of 8..12; with ``round_to=10``
        a shown 20 is 15..25 (both halves go to the even 20) and a shown 30 is 26..34.

    Examples
    --------
    >>> [a.tolist() for a in rounding_range(np.array([10.0, 0.0]), 5)]
    [[8.0, -2.0], [12.0, 2.0]]
    """
    shown = np.asarray(shown, dtype=float)
    lo = np.ceil(shown - round_to / 2)
    hi = np.floor(shown + round_to / 2)
    # A halfway count belongs to the even multiple only.
    lo = np.where(round_counts(lo, round_to) != shown, lo + 1, lo)
    hi = np.where(round_counts(hi, round_to) != shown, hi - 1, hi)
    return lo, hi
