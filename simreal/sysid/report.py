"""Report a fit: the terminal table, ``fit.yaml`` (a DR spec centred on the fit), the plot.

The DR spec's rule: every fitted parameter becomes a ``set`` term, uniform over
its 95% interval ``value -+ 2 SE`` (at least -+1% of the value), clipped to the
fit's bounds, with ``centre`` the fitted value, so width 0 is the fit itself
and width 1 the measured uncertainty; a parameter the data do not determine
(an infinite standard error) spans its whole bounds. The correlated form
(``form="correlated"``) makes each determined parameter a normal of standard
deviation SE truncated to the fit's bounds, and draws them jointly with the fit's
covariance (a ``correlated`` block, :mod:`simreal.randomization.correlated`), so the
spread follows the directions the data left open. A fitted encoder offset
``bias.qpos[<joint>]`` becomes a term of the joint's simulated sensor, which the
task's sensor channel applies to what the policy observes. The file also
records the fit under ``sysid`` (values, standard errors, intervals,
correlations, warnings, and what each log holds), which the DR loader ignores.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import yaml
from numpy.typing import NDArray

from simreal.atomic_io import write_atomic
from simreal.sysid.fit import FitResult

MIN_RELATIVE_HALF_WIDTH = 0.01


DR_FORMS = ("independent", "correlated")


def held_equivalent(result: FitResult) -> NDArray[np.float64]:
    """The fitted values as simulations that hold commands need them.

    simreal's envs and vector env hold each command for a control step; a robot that ramps
    its commands (``--hold linear``) acts, to first order, as one that holds them half a log
    period later, so its fitted command latency is lengthened by that half period.
    """
    values = result.values.copy()
    if result.holds is not None and result.holds.hold == "linear":
        for i, p in enumerate(result.params):
            if p.id == "latency.action":
                values[i] += 0.5 * result.holds.period
    return values


def dr_terms(result: FitResult, form: str = "independent") -> list[dict[str, Any]]:
    """The DR terms centred on the fit (see the module docstring for the rule)."""
    terms = []
    values = held_equivalent(result)
    for p, value, se in zip(result.params, values, result.std_errors, strict=True):
        if form == "correlated" and np.isfinite(se):
            std = max(se, MIN_RELATIVE_HALF_WIDTH * abs(value) / 2, 1e-12)
            terms.append({"param": p.id, "op": "set", "distribution": "truncated_normal",
                          "mean": float(value), "std": float(std), "low": float(p.low),
                          "high": float(p.high), "centre": float(value)})  # fmt: skip
            continue
        if np.isfinite(se):
            half = max(2.0 * se, MIN_RELATIVE_HALF_WIDTH * abs(value), 1e-12)
            low, high = max(p.low, value - half), min(p.high, value + half)
        else:
            low, high = p.low, p.high
        terms.append({"param": p.id, "op": "set", "distribution": "uniform",
                      "low": float(low), "high": float(high), "centre": float(value)})  # fmt: skip
    return terms


def correlated_block(result: FitResult) -> list[dict[str, Any]]:
    """The fit's covariance over its determined parameters, as a ``correlated`` block."""
    keep = np.flatnonzero(np.isfinite(result.std_errors))
    if keep.size < 2:
        return []
    std = np.array([max(result.std_errors[i], MIN_RELATIVE_HALF_WIDTH * abs(result.values[i]) / 2,
                        1e-12) for i in keep])  # fmt: skip
    corr = np.nan_to_num(result.correlation[np.ix_(keep, keep)])
    np.fill_diagonal(corr, 1.0)
    # The nearest positive semi-definite matrix: rounding can leave an eigenvalue just below 0.
    values, vectors = np.linalg.eigh(corr)
    corr = (vectors * np.clip(values, 0.0, None)) @ vectors.T
    covariance = corr * np.outer(std, std)
    return [{"params": [result.params[i].id for i in keep],
             "covariance": [[float(v) for v in row] for row in covariance]}]  # fmt: skip


def fit_document(
    result: FitResult, sources: list[str] | None = None, form: str = "independent"
) -> dict[str, Any]:
    """The content of ``fit.yaml``; ``form`` chooses independent or correlated DR terms."""
    if form not in DR_FORMS:
        raise ValueError(f"form must be one of {', '.join(DR_FORMS)}, got {form!r}.")
    low, high = result.ci95
    record = {
        "values": {p.id: float(v) for p, v in zip(result.params, result.values, strict=True)},
        "std_errors": {
            p.id: float(s) for p, s in zip(result.params, result.std_errors, strict=True)
        },
        "ci95": {
            p.id: [float(a), float(b)] for p, a, b in zip(result.params, low, high, strict=True)
        },
        "correlation": np.round(result.correlation, 4).tolist(),
        "rms_before": result.rms_before,
        "rms_after": result.rms_after,
        "warnings": list(result.warnings),
        "hold": result.holds.hold if result.holds is not None else "zoh",
        "logs": list(sources or []),
        "measurements": [trace.get("measurement", "") for trace in result.traces],
    }
    document = {"sysid": record, "terms": dr_terms(result, form)}
    if form == "correlated" and correlated_block(result):
        document["correlated"] = correlated_block(result)
    return document


def write_fit(
    result: FitResult, path: str | Path, sources: list[str] | None = None,
    form: str = "independent",
) -> Path:  # fmt: skip
    """Write ``fit.yaml`` atomically (never half-written)."""
    text = yaml.safe_dump(fit_document(result, sources, form), sort_keys=False)
    write_atomic(Path(path), lambda tmp: tmp.write_text(text))
    return Path(path)


def format_table(result: FitResult, truth: dict[str, float] | None = None) -> str:
    """The terminal summary: initial, fitted, standard error and 95% interval per parameter."""
    low, high = result.ci95
    head = f"{'parameter':34} {'initial':>10} {'fitted':>11} {'std err':>10} {'95% interval':>25}"
    if truth:
        head += f" {'truth':>10} {'error':>7}"
    lines = [head]
    for i, p in enumerate(result.params):
        line = (f"{p.id:34} {result.initial[i]:10.4g} {result.values[i]:11.5g} "
                f"{result.std_errors[i]:10.2g} [{low[i]:11.5g}, {high[i]:11.5g}]")  # fmt: skip
        if truth and p.id in truth:
            error = (
                abs(result.values[i] / truth[p.id] - 1) if truth[p.id] else abs(result.values[i])
            )
            line += f" {truth[p.id]:10.4g} {error:7.2%}"
        lines.append(line)
    for trace in result.traces:
        lines.append(f"log {trace['source']}: {trace.get('measurement', '')}")
    lines.append(f"rms residual {result.rms_before:.3g} -> {result.rms_after:.3g} "
                 f"({result.evaluations} evaluations, {result.seconds:.1f} s)")  # fmt: skip
    if result.holds is not None:
        lines.append(result.holds.summary())
    lines += [f"warning: {w}" for w in result.warnings]
    return "\n".join(lines)


def plot_fit(result: FitResult, path: str | Path) -> Path:
    """Measured vs simulated joint positions, before and after the fit, one panel per joint."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    traces = result.traces
    joints = traces[0]["joints"]
    fig, axes = plt.subplots(len(joints), len(traces), figsize=(7 * len(traces), 2.6 * len(joints)),
                             squeeze=False, sharex="col")  # fmt: skip
    for c, trace in enumerate(traces):
        for r, joint in enumerate(joints):
            ax = axes[r, c]
            ax.plot(trace["time"], trace["measured"][:, r], color="black", lw=1.2, label="measured")
            ax.plot(trace["time"], trace["before"][:, r], color="tab:red", lw=0.9, alpha=0.8,
                    label="simulated, initial guess")  # fmt: skip
            ax.plot(trace["time"], trace["after"][:, r], color="tab:blue", lw=0.9, ls="--",
                    label="simulated, fitted")  # fmt: skip
            ax.set_ylabel(f"qpos:{joint}")
            if r == 0:
                ax.set_title(Path(trace["source"]).name, fontsize=9)
        axes[-1, c].set_xlabel("time (s)")
    axes[0, 0].legend(loc="upper right", fontsize=8)
    title = "Replay of the logged controls (each segment restarts from a fitted state)"
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    write_atomic(Path(path), lambda tmp: fig.savefig(tmp, dpi=90))
    plt.close(fig)
    return Path(path)
