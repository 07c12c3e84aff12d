"""Randomization-width sweeps: one policy per (setting, width, seed), evaluated on targets.

The grid (:mod:`~simreal.sweeps.grid`), one run (:mod:`~simreal.sweeps.run`),
where runs execute (:mod:`~simreal.sweeps.backends`), the resumable folder
(:mod:`~simreal.sweeps.store`), summaries (:mod:`~simreal.sweeps.report`) and the
whole sweep (:mod:`~simreal.sweeps.sweep`).
"""

from simreal.sweeps.grid import DRSource, RunPoint, SweepConfig, SweepError, expand, resolve_dr
from simreal.sweeps.sweep import SweepSummary, run

__all__ = [
    "DRSource",
    "RunPoint",
    "SweepConfig",
    "SweepError",
    "SweepSummary",
    "expand",
    "resolve_dr",
    "run",
]
