"""RT-2 action tokens: the encode/decode round trip stays within half a bin.

A 7-DoF action, 256 uniform bins per dimension (RT-2), through
:class:`simreal.learning.tokenizer.ActionTokenizer`. Every draw comes from
``numpy.random.default_rng(seed)``:

* per-dimension ranges: centre ``U(-1, 1)``, half-width log-uniform in ``[0.05, 3]``;
* in range: ``--samples`` uniform actions, plus both ends of every range and every interior
  bin edge ``low + i * width`` (where float rounding could push a value over a boundary);
* out of range: ``--outside`` actions beyond one end by ``U(0, 1)`` range widths; the
  tokenizer clips them, so their error is measured against the clipped value (and the
  clipping distance, which no tokenizer can undo, is reported apart).

Reported per dimension, in bins (error / bin width): the largest and the mean ``|error|``
(a uniform draw predicts 0.5 and 0.25), the signed mean (0 for an unbiased decoder), and the
same for the clipped out-of-range actions.

    python experiments/tokenizer_roundtrip.py            # about 2 s

Writes <out>.json and <out>.png (a histogram of error / bin width; default
experiments/results/tokenizer_roundtrip.*) and prints the table.
"""

from __future__ import annotations

import argparse
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from simreal.atomic_io import write_atomic, write_json_atomic
from simreal.learning.tokenizer import ActionTokenizer

# Rounding slack in the half-bin bound: a few ulps of the values involved.
TOLERANCE_BINS = 1e-9


@dataclass(frozen=True)
class Config:
    """What to round-trip.

    Attributes:
        dims: Action dimensions (RT-2: a 7-DoF end-effector command).
        bins: Bins per dimension (RT-2: 256).
        samples: Uniform in-range actions.
        outside: Out-of-range actions (clipped by the tokenizer).
        seed: Seed of every draw.
        out: Output path without suffix.
    """

    dims: int = 7
    bins: int = 256
    samples: int = 200_000
    outside: int = 20_000
    seed: int = 0
    out: Path = Path("experiments/results/tokenizer_roundtrip")

    def __post_init__(self) -> None:
        for name in ("dims", "samples", "outside"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)!r}.")
        if self.bins < 2:
            raise ValueError(f"bins must be >= 2, got {self.bins!r}.")


parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
for field, value in asdict(Config()).items():
    parser.add_argument(f"--{field}", type=type(value), default=value)
config = Config(**vars(parser.parse_args()))
rng = np.random.default_rng(config.seed)

# Random per-dimension ranges.
centre = rng.uniform(-1.0, 1.0, config.dims)
half = np.exp(rng.uniform(np.log(0.05), np.log(3.0), config.dims))
low, high = centre - half, centre + half
tokenizer = ActionTokenizer(low, high, config.bins)
width = tokenizer.bin_width

# In range: uniform draws, both ends, every interior bin edge.
uniform = rng.uniform(low, high, (config.samples, config.dims))
edges = low + np.arange(1, config.bins)[:, None] * width
inside = np.concatenate([uniform, low[None], high[None], edges])

# Out of range: past one end (chosen at random) by U(0, 1) range widths.
side = rng.choice([-1.0, 1.0], (config.outside, config.dims))
beyond = rng.uniform(0.0, 1.0, (config.outside, config.dims)) * (high - low)
outside = np.where(side < 0, low - beyond, high + beyond)

results: dict[str, dict] = {}
for name, actions in (("in_range", inside), ("out_of_range", outside)):
    tokens = tokenizer.encode(actions)
    target = np.clip(actions, low, high)
    signed = (tokenizer.decode(tokens) - target) / width
    results[name] = {
        "count": len(actions),
        "tokens_in_vocabulary": bool(tokens.min() >= 0 and tokens.max() < config.bins),
        "max_abs_bins": np.abs(signed).max(axis=0).tolist(),
        "mean_abs_bins": np.abs(signed).mean(axis=0).tolist(),
        "mean_signed_bins": signed.mean(axis=0).tolist(),
        "signed": signed,
    }
clip_bins = np.abs(outside - np.clip(outside, low, high)) / width
results["out_of_range"]["clip_distance_max_bins"] = clip_bins.max(axis=0).tolist()

r_in_vocab = all(results[n]["tokens_in_vocabulary"] for n in results)
worst = max(max(results[n]["max_abs_bins"]) for n in ("in_range", "out_of_range"))
summary = {
    "config": {**asdict(config), "out": str(config.out)},
    "low": low.tolist(),
    "high": high.tolist(),
    "bin_width": width.tolist(),
    **{n: {k: v for k, v in r.items() if k != "signed"} for n, r in results.items()},
    "max_abs_bins": worst,
    "within_half_bin": bool(worst <= 0.5 + TOLERANCE_BINS),
    "tokens_in_vocabulary": r_in_vocab,
    "tolerance_bins": TOLERANCE_BINS,
}
write_json_atomic(Path(f"{config.out}.json"), summary)

r_in, r_out = results["in_range"], results["out_of_range"]
print(
    f"\n{config.dims} dims x {config.bins} bins; {r_in['count']:,} in-range actions "
    f"({config.samples:,} uniform + ends + {config.bins - 1} bin edges per dim), "
    f"{r_out['count']:,} out of range; seed {config.seed}"
)
print(
    "| dim | range | bin width | in range: max \\|err\\| / bin | mean \\|err\\| / bin "
    "| mean err / bin | clipped: max \\|err\\| / bin |"
)
print("|---:|---|---:|---:|---:|---:|---:|")
for j in range(config.dims):
    print(
        f"| {j} | [{low[j]:.3f}, {high[j]:.3f}] | {width[j]:.2e} | {r_in['max_abs_bins'][j]:.6f} "
        f"| {r_in['mean_abs_bins'][j]:.4f} | {r_in['mean_signed_bins'][j]:+.4f} "
        f"| {r_out['max_abs_bins'][j]:.6f} |"
    )
print(
    f"largest |error| / bin width, all draws: 0.5 {worst - 0.5:+.1e} (float rounding; "
    f"{'within' if summary['within_half_bin'] else 'EXCEEDS'} the {TOLERANCE_BINS:g} slack); "
    "out-of-range clipping "
    f"distance (not recoverable): up to {max(r_out['clip_distance_max_bins']):.0f} bins"
)

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

fig, axes = plt.subplots(1, 2, figsize=(11, 4))
# Bars 0.01 bin wide, centred on multiples of 0.01, so that +-0.5 sits inside one bar.
hist_edges = np.linspace(-0.555, 0.555, 112)
for ax, r, title in (
    (axes[0], r_in, f"in range ({r_in['count']:,} x {config.dims})"),
    (axes[1], r_out, f"out of range, vs the clipped value ({r_out['count']:,} x {config.dims})"),
):
    ax.hist(r["signed"].ravel(), bins=hist_edges, density=True)
    for bound in (-0.5, 0.5):
        ax.axvline(bound, color="k", ls="--", lw=1)
    ax.set_xlabel("(decoded - action) / bin width")
    ax.set_ylabel("density")
    ax.set_title(title, fontsize=10)
fig.suptitle(f"ActionTokenizer round trip: {config.dims} dims, {config.bins} bins")
fig.tight_layout()
write_atomic(Path(f"{config.out}.png"), lambda tmp: fig.savefig(tmp, dpi=100))
print(f"wrote {config.out}.json and {config.out}.png")
