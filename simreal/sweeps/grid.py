"""What a sweep trains: its settings, validated, and the grid of runs they expand to.

A sweep crosses four axes — algorithm, DR spec (its centre: the task's default or
a ``fit.yaml`` from ``simreal sysid``), which terms are randomized (all, or each
alone) and the global width — with seeds. Each point of the grid is one
:class:`RunPoint`, named by a readable, stable id, so that a results table can be
resumed and joined across sweeps.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from simreal.learning.step_budget import check_step_budget
from simreal.learning.train import ALGORITHMS

TERM_MODES = ("all", "each")
# "bc": the task's expert demonstrates under the run's DR, a Gaussian BC head clones it.
# "bcrl": the same clone, then fine-tuned by SAC with the demonstrations in every batch.
# "bcppo": the same clone, then fine-tuned by PPO (simreal finetune's, with its remedies).
SWEEP_ALGORITHMS = (*ALGORITHMS, "bc", "bcrl", "bcppo")


class SweepError(ValueError):
    """Bad sweep settings or a folder that holds another sweep; the message says which."""


@dataclass(frozen=True)
class DRSource:
    """One DR spec of the sweep's ``dr`` axis.

    Attributes:
        label: Short name in tables and run ids (``default`` or the file's stem).
        spec: The spec as a dict (resolved once, so the sweep records what it used).
    """

    label: str
    spec: dict


@dataclass(frozen=True)
class SweepConfig:
    """A randomization-width sweep.

    Attributes:
        task: Env id trained on.
        widths: Global widths (>= 0).
        seeds: Seeds per setting (seeds ``0 .. seeds - 1``).
        steps: Env steps per run.
        eval_on: Env ids evaluated besides the training task (the real proxies).
        algos: Algorithms: ``ppo``, ``sac``, ``bc`` (behaviour cloning of the task's
            expert, demonstrating under the run's DR; ``steps`` is then the demonstration
            budget), ``bcrl`` (that clone fine-tuned by SAC) or ``bcppo`` (by PPO).
        dr: DR specs (centres) crossed with the other axes.
        terms: ``all`` (every term scaled by the width) or ``each`` (one group of
            runs per term, that term alone randomized).
        episodes: Evaluation episodes per env.
        eval_seed: Seed of the first evaluation episode (the same for every run).
        n_envs: Parallel simulations per run.
        algo_kwargs: Keyword arguments per algorithm (``{"sac": {...}}``).
    """

    task: str
    widths: tuple[float, ...]
    seeds: int
    steps: int
    eval_on: tuple[str, ...]
    algos: tuple[str, ...]
    dr: tuple[DRSource, ...]
    terms: str = "all"
    episodes: int = 20
    eval_seed: int = 10_000
    n_envs: int = 8
    algo_kwargs: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.widths:
            raise SweepError("widths: give at least one width, e.g. 0,0.5,1.")
        for width in self.widths:
            if not isinstance(width, (int, float)) or not math.isfinite(width) or width < 0:
                raise SweepError(f"widths: {width!r} is not a number >= 0.")
        if len(set(self.widths)) != len(self.widths):
            raise SweepError(f"widths: {list(self.widths)} lists a width twice.")
        for name in ("seeds", "steps", "episodes", "n_envs"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise SweepError(f"{name} must be an integer >= 1, got {value!r}.")
        if any(algo != "bc" for algo in self.algos):  # bc's steps are demonstrations
            try:
                check_step_budget(self.steps, self.n_envs)
            except ValueError as error:
                raise SweepError(f"--steps: {error}") from None
        known = ", ".join(SWEEP_ALGORITHMS)
        for algo in self.algos:
            if algo not in SWEEP_ALGORITHMS:
                raise SweepError(f"algos: unknown algorithm {algo!r}; use {known}.")
        if not self.algos:
            raise SweepError(f"algos: give at least one of {known}.")
        if self.terms not in TERM_MODES:
            raise SweepError(f"terms must be 'all' or 'each', got {self.terms!r}.")
        labels = [source.label for source in self.dr]
        if not labels or len(set(labels)) != len(labels):
            raise SweepError(f"dr: give distinct specs (labels {labels}).")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (the sweep folder's record of what it runs)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SweepConfig:
        """The inverse of :meth:`to_dict`."""
        data = dict(data)
        data["widths"] = tuple(data["widths"])
        data["eval_on"] = tuple(data["eval_on"])
        data["algos"] = tuple(data["algos"])
        data["dr"] = tuple(DRSource(**source) for source in data["dr"])
        return cls(**data)


@dataclass(frozen=True)
class RunPoint:
    """One run of the grid: everything a worker needs, picklable and JSON-ready."""

    run_id: str
    task: str
    algo: str
    dr: str
    terms: str
    width: float
    seed: int
    steps: int
    n_envs: int
    spec: dict
    algo_kwargs: dict
    eval_on: tuple[str, ...]
    episodes: int
    eval_seed: int

    def settings(self) -> dict[str, Any]:
        """The columns that say what this run was."""
        return {
            "run_id": self.run_id,
            "task": self.task,
            "algo": self.algo,
            "dr": self.dr,
            "terms": self.terms,
            "width": self.width,
            "seed": self.seed,
            "steps": self.steps,
        }


def slug(text: str) -> str:
    """A file-name-safe form of ``text`` (``body[pole].mass`` -> ``body-pole-.mass``)."""
    return re.sub(r"[^A-Za-z0-9.]+", "-", text).strip("-")


def term_subsets(spec: dict, mode: str) -> list[tuple[str, dict]]:
    """The specs of the ``terms`` axis: the whole spec, or one spec per term."""
    if mode == "all":
        return [("all", spec)]
    terms = spec.get("terms", [])
    if not terms:
        raise SweepError("terms=each needs a DR spec with terms; this spec has none.")
    return [(term["param"], {**spec, "terms": [term]}) for term in terms]


def expand(config: SweepConfig) -> list[RunPoint]:
    """Every run of the sweep, in a fixed order (algo, dr, terms, width, seed)."""
    points = []
    for algo in config.algos:
        for source in config.dr:
            for terms, spec in term_subsets(source.spec, config.terms):
                for width in config.widths:
                    for seed in range(config.seeds):
                        parts = [algo, source.label, terms, f"w{width:g}", f"s{seed}"]
                        points.append(
                            RunPoint(
                                run_id="_".join(slug(p) for p in parts),
                                task=config.task,
                                algo=algo,
                                dr=source.label,
                                terms=terms,
                                width=float(width),
                                seed=seed,
                                steps=config.steps,
                                n_envs=config.n_envs,
                                spec=spec,
                                algo_kwargs=config.algo_kwargs.get(algo, {}),
                                eval_on=(config.task, *config.eval_on),
                                episodes=config.episodes,
                                eval_seed=config.eval_seed,
                            )
                        )
    ids = [p.run_id for p in points]
    if len(set(ids)) != len(ids):
        raise SweepError(
            "two runs of the grid share a name; give the DR specs distinct file names."
        )
    return points


def resolve_dr(task: str, names: list[str]) -> tuple[DRSource, ...]:
    """Load the DR specs of the ``dr`` axis: ``default`` (the task's) or spec files.

    Raises:
        SweepError: For a spec that does not exist or does not parse.
    """
    from simreal.randomization.spec import SpecError, load_spec

    sources = []
    for name in names:
        if name == "default":
            from simreal.envs.registry import task_for

            try:
                path = task_for(task).default_spec_path
            except KeyError:
                raise SweepError(
                    f"dr: {task} has no default spec; give a spec file with --dr."
                ) from None
            label = "default"
        else:
            path, label = Path(name), Path(name).stem
            if not path.is_file():
                raise SweepError(f"dr: spec file {name} does not exist.")
        try:
            # Validated once; its canonical dict (a fit.yaml's fit summary is not part of it).
            spec = load_spec(path).to_dict()
        except SpecError as error:
            raise SweepError(f"dr: {error}") from None
        sources.append(DRSource(label, spec))
    return tuple(sources)
