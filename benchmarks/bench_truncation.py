"""Time the Efron-Petrosian NPMLE on 100,000 doubly truncated points.

Run: ``.venv/bin/python benchmarks/bench_truncation.py [n] [seed] [n_boot]``. The data mimic the
register: birth year uniform on 1870-1995, age at death Gompertz (b=2.5e-5, g=0.1), kept when
death falls in 1950-2015, so u = max(0, 1950 - birth) and v = 2016 - birth.
"""

from __future__ import annotations

import sys
import time

import numpy as np

from harkit.survival.truncation import efron_petrosian


def simulate(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Doubly truncated Gompertz ages at death with register-like windows."""
    rng = np.random.default_rng(seed)
    xs, us, vs, kept = [], [], [], 0
    b, g = 2.5e-5, 0.1
    while kept < n:
        m = 4 * n
        birth = rng.uniform(1870, 1996, m)
        x = np.log(1 + g * rng.standard_exponential(m) / b) / g
        u, v = np.maximum(0.0, 1950 - birth), 2016 - birth
        ok = (x >= u) & (x <= v)
        xs.append(x[ok])
        us.append(u[ok])
        vs.append(v[ok])
        kept += int(ok.sum())
    return (np.concatenate(xs)[:n], np.concatenate(us)[:n], np.concatenate(vs)[:n])


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    x, u, v = simulate(n, seed)
    t0 = time.perf_counter()
    res = efron_petrosian(x, u, v, progress=False)
    dt = time.perf_counter() - t0
    print(f"efron_petrosian: n={n:,}, distinct x={len(res.table):,}, "
          f"steps={res.extra['n_iter']}, converged={res.extra['converged']}, "
          f"components={res.extra['n_components']}, time={dt:.2f} s")
    print(f"mean={res.mean():.3f}, median={res.quantile(0.5):.3f}, naive mean={x.mean():.3f}")
    n_boot = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    if n_boot:
        t0 = time.perf_counter()
        efron_petrosian(x, u, v, bootstrap=n_boot, seed=seed, progress=False)
        print(f"with bootstrap B={n_boot}: {time.perf_counter() - t0:.2f} s")


if __name__ == "__main__":
    main()
