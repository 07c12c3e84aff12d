"""The end-to-end demo: measure the "real" robot, centre the randomization on it, train, compare.

On a task's real proxy, as one would on hardware:

1. **record** a 20 s multisine excitation log on the real proxy through its sensors, as a
   robot logs its encoders, offset and noise included (``real_log.parquet``);
2. **identify** the task model's parameters, latency and encoder offset from it
   (``fit.yaml``, ``fit.png``);
3. **train** policies three ways: on the nominal model only (the default spec at width 0), under
   wide uncentred DR (the default spec at a large width), and under narrow DR centred on the fit
   (``fit.yaml`` at width 1) — each by two learners: behaviour cloning of the task's expert,
   demonstrating under that randomization (imitation first), and that clone fine-tuned by SAC
   with the demonstrations in every batch (RL second); one ``bcrl`` sweep per DR source
   (``sweep_bcrl_<default|fit>/``) trains and scores both, the clone of each run in its
   ``bc/`` folder;
4. **fine-tune on the target**: the sysid-centred BC -> RL policies, on the real proxy, within
   a budget of ``target_episodes`` training episodes (``target_s<seed>/``);
5. **evaluate** each on the nominal model and on the real proxy with the same seeds, and print
   the table (mean return over seeds with 95% intervals), ``results.json`` and ``demo.png``.

Every stage writes its results atomically and is skipped when they exist, so an interrupted
demo resumes where it stopped.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from simreal.atomic_io import write_json_atomic
from simreal.demo_report import Condition, format_table, plot_conditions, summarise

if TYPE_CHECKING:
    from simreal.learning.sac_finetune import SACFinetuneConfig

SYSID_PARAMS = "sysid.yaml"
RL_STEPS = 5000  # SAC fine-tuning steps of the BC -> RL learner (the demo fits in 10 minutes)


@dataclass(frozen=True)
class DemoConfig:
    """Settings of the demo.

    Attributes:
        task: Nominal task id; its real proxy plays the robot.
        seeds: Training seeds per condition.
        steps: SAC fine-tuning steps of each BC -> RL policy (``None``: :data:`RL_STEPS`).
        demo_steps: Expert demonstration budget per cloned policy, in env steps.
        episodes: Evaluation episodes per policy and plant.
        wide_width: Width of the uncentred "wide DR" condition.
        log_seconds: Length of the excitation log.
        noise: Synthetic noise added on top of the proxy's own sensor readings, as a fraction
            of each signal's range (default 0: the log holds what the sensors report).
        seed: Seed of the excitation and of the log's noise.
        target_episodes: Training episodes of the fine-tuning on the real proxy.
        dr_forms: The forms of ``fit.yaml`` trained under, each its own condition: the
            first is ``fit.yaml`` (and the one fine-tuned on the proxy), the others
            ``fit_<form>.yaml`` (``independent`` or ``correlated``, see
            :mod:`simreal.sysid.report`).
    """

    task: str = "simreal/PendulumSwingup-v0"
    seeds: int = 2
    steps: int | None = None
    demo_steps: int = 20_000
    episodes: int = 20
    wide_width: float = 2.0
    log_seconds: float = 20.0
    noise: float = 0.0
    seed: int = 0
    target_episodes: int = 10
    dr_forms: tuple[str, ...] = ("independent",)

    def __post_init__(self) -> None:
        from simreal.learning.sac_finetune import MAX_EPISODES

        if isinstance(self.target_episodes, int) and self.target_episodes > MAX_EPISODES:
            raise ValueError(
                f"target_episodes must be at most {MAX_EPISODES}, got {self.target_episodes}."
            )
        for name in ("seeds", "episodes", "demo_steps", "target_episodes"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {value!r}.")
        if self.steps is not None and (not isinstance(self.steps, int) or self.steps < 1):
            raise ValueError(f"steps must be an integer >= 1, got {self.steps!r}.")
        for name in ("wide_width", "log_seconds"):
            value = getattr(self, name)
            if not np.isfinite(value) or value <= 0:
                raise ValueError(f"{name} must be a number > 0, got {value!r}.")
        if not np.isfinite(self.noise) or self.noise < 0:
            raise ValueError(f"noise must be a number >= 0, got {self.noise!r}.")
        forms = ("independent", "correlated")
        if (
            not self.dr_forms
            or len(set(self.dr_forms)) != len(self.dr_forms)
            or any(f not in forms for f in self.dr_forms)
        ):
            raise ValueError(
                f"dr_forms must list distinct forms of {forms}, got {self.dr_forms!r}."
            )

    def fit_files(self, out: Path) -> dict[str, Path]:
        """``{condition key: fit file}``: ``fit`` for the first form, ``fit_<form>`` after."""
        files = {"fit": out / "fit.yaml"}
        files.update({f"fit_{form}": out / f"fit_{form}.yaml" for form in self.dr_forms[1:]})
        return files


def record_real_log(config: DemoConfig, path: Path, say: Callable[[str], None]) -> None:
    """Stage 1: excite the real proxy and log commands and its joint sensors' readings."""
    import gymnasium as gym

    from simreal.envs.registry import task_for
    from simreal.sysid.excitation import excitation, record_env
    from simreal.sysid.readers import write_log

    env = gym.make(task_for(config.task).real_id)
    rng = np.random.default_rng(config.seed)
    dt = float(env.unwrapped.dt)
    commands = excitation(
        "multisine", config.log_seconds, dt, env.unwrapped.model.actuator_ctrlrange, rng
    )
    recording = record_env(env, commands, seed=config.seed, noise=config.noise, rng=rng)
    env.close()
    write_log(recording, path)
    say(
        f"[1/5] recorded {recording.duration:.0f} s on {env.spec.id} -> {path} "
        f"({recording.measurement})"
    )


def identify(config: DemoConfig, log: Path, out: Path, say: Callable[[str], None]) -> None:
    """Stage 2: fit the task model's parameters, latency and sensors to the log; write fit.yaml.

    ``out`` is ``fit.yaml`` (the first of ``config.dr_forms``); the other forms of the same
    fit go beside it as ``fit_<form>.yaml``.
    """
    import gymnasium as gym

    from simreal.envs.registry import task_for
    from simreal.sysid.fit import fit
    from simreal.sysid.problem import load_params
    from simreal.sysid.readers import read_log
    from simreal.sysid.report import format_table, plot_fit, write_fit

    params_path = task_for(config.task).default_spec_path.with_name(SYSID_PARAMS)
    if not params_path.is_file():
        raise ValueError(f"{config.task} ships no {SYSID_PARAMS}: the demo cannot fit it.")
    env = gym.make(config.task)
    result = fit(env.unwrapped.model, load_params(params_path), [read_log(log)], progress=None)
    env.close()
    plot_fit(result, out.with_suffix(".png"))
    for form in config.dr_forms[1:]:
        write_fit(result, out.with_name(f"fit_{form}.yaml"), [str(log)], form)
    write_fit(result, out, [str(log)], config.dr_forms[0])
    say(f"[2/5] fitted {len(result.params)} parameters to the log:\n{format_table(result)}")


def conditions(config: DemoConfig) -> list[Condition]:
    """The training conditions compared on the real proxy (one sysid-centred per DR form)."""
    return [
        Condition("nominal only", "default", 0.0),
        Condition(f"wide DR (width {config.wide_width:g})", "default", config.wide_width),
        *(Condition("sysid-centred DR" + ("" if i == 0 else f" ({form})"),
                    "fit" if i == 0 else f"fit_{form}", 1.0)
          for i, form in enumerate(config.dr_forms)),
    ]  # fmt: skip


def run_demo(
    config: DemoConfig, out: str | Path, jobs: int = 1, say: Callable[[str], None] = print
) -> dict:
    """Run (or resume) the four stages; return the comparison as a dict.

    Args:
        config: The demo's settings.
        out: Output folder.
        jobs: Policies trained at once.
        say: Receives progress lines and the final table.

    Returns:
        ``results.json``'s content.
    """
    from simreal.envs.registry import task_for
    from simreal.learning.defaults import training_defaults
    from simreal.learning.evaluate import evaluate
    from simreal.sweeps import SweepConfig, SweepError, resolve_dr
    from simreal.sweeps import run as run_sweep
    from simreal.sweeps.run import metric_columns

    started = time.perf_counter()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    real = task_for(config.task).real_id
    log, fit_path = out / "real_log.parquet", out / "fit.yaml"
    if not log.is_file():
        record_real_log(config, log, say)
    fits = config.fit_files(out)
    if not all(path.is_file() for path in fits.values()):
        identify(config, log, fit_path, say)
    defaults = training_defaults(config.task)
    rl_steps = config.steps or RL_STEPS
    say(
        f"[3/5] training, {config.seeds} seeds per condition: BC of the expert's demonstrations "
        f"under each condition's randomization, and that clone fine-tuned by SAC for "
        f"{rl_steps:,} steps with the demonstrations in every batch"
    )
    # One bcrl sweep per DR source trains both learners: each run clones the expert into
    # <run>/bc, fine-tunes the clone, and scores the clone too (its "clone:" columns).
    kwargs = {**defaults["algo_kwargs"].get("bcrl", {}), "demo_steps": config.demo_steps}
    sweeps, configs = {}, {}
    sources = [("default", "default", (0.0, config.wide_width))]
    sources += [(label, str(path), (1.0,)) for label, path in fits.items()]
    for label, source, widths in sources:
        sweep = SweepConfig(
            task=config.task,
            widths=widths,
            seeds=config.seeds,
            steps=rl_steps,
            eval_on=(real,),
            algos=("bcrl",),
            dr=resolve_dr(config.task, [source]),
            episodes=config.episodes,
            n_envs=defaults["n_envs"],
            algo_kwargs={"bcrl": kwargs},
        )
        folder = out / f"sweep_bcrl_{label}"
        sweeps[label] = run_sweep(sweep, folder, jobs=jobs).rows
        configs[label] = (sweep, folder)
        clone_column = metric_columns(real, "clone:")[0]
        if any(clone_column not in row for row in sweeps[label]):
            raise SweepError(
                f"{folder} holds runs of an older simreal that did not score their clones; "
                "delete it (or choose another --out) and rerun."
            )
    say(
        f"[4/5] fine-tuning the sysid-centred BC -> RL policies on the real proxy, "
        f"{config.target_episodes} training episodes each"
    )
    targets = fine_tune_on_target(config, *configs["fit"], out, jobs)
    say("[5/5] evaluating on the real proxy")
    expert = evaluate("expert", real, episodes=config.episodes)
    rows = []
    for learner, prefix in (("bc", "clone:"), ("bcrl", "")):
        for condition in conditions(config):
            members = [r for r in sweeps[condition.dr] if r["width"] == condition.width]
            rows.append(summarise(learner, condition, members, config.task, real, prefix))
    target_condition = Condition(
        f"sysid-centred DR + {config.target_episodes} "
        f"episode{'s' if config.target_episodes != 1 else ''} on the proxy",
        "fit",
        1.0,
    )
    members = []
    for seed, folder in enumerate(targets):
        member = {"seed": seed}
        for env_id in (config.task, real):
            result = evaluate(folder, env_id, episodes=config.episodes, seed=10_000)
            mean, _, success = metric_columns(env_id)
            member[mean], member[success] = result.mean_return, result.success_rate
        members.append(member)
    rows.append(summarise("target", target_condition, members, config.task, real))
    results = {
        "config": asdict(config),
        "real_proxy": real,
        "expert_on_real": {"return": expert.mean_return, "success": expert.success_rate},
        "conditions": rows,
        "seconds": round(time.perf_counter() - started, 1),
    }
    write_json_atomic(out / "results.json", results)
    plot_conditions(results, out / "demo.png")
    say(format_table(results))
    written = [out / "results.json", out / "demo.png", fit_path, fit_path.with_suffix(".png")]
    say(f"\nWrote {', '.join(str(p) for p in written)} in {results['seconds']:.0f} s")
    return results


def fine_tune_on_target(
    config: DemoConfig, sweep: object, folder: Path, out: Path, jobs: int = 1
) -> list[Path]:
    """Stage 4: each seed's sysid-centred BC -> RL policy, fine-tuned on the real proxy.

    SAC goes on from the sweep run (actor and critics), the demonstrations it was
    cloned from still half of every batch, for at most ``target_episodes`` training
    episodes on the proxy; up to ``jobs`` seeds at once, each in its own process on
    one thread (as the sweep's local pool runs them).

    Args:
        config: The demo's settings (``target_episodes``).
        sweep: The sysid-centred sweep's ``SweepConfig``.
        folder: That sweep's folder.
        out: The demo's output folder (``target_s<seed>/`` go there).
        jobs: Fine-tunes run at once.

    Returns:
        The run folders, in seed order (finished ones are kept as they are).
    """
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    from simreal.envs.registry import task_for
    from simreal.learning.sac_finetune import SACFinetuneConfig
    from simreal.sweeps import expand

    real = task_for(config.task).real_id
    work = []
    for point in expand(sweep):
        settings = {k: v for k, v in point.algo_kwargs.items() if k in ("utd",)}
        target = SACFinetuneConfig(real, None, seed=point.seed, critic_warmup=0,
                                   episodes=config.target_episodes,
                                   algo_kwargs=point.algo_kwargs.get("algo_kwargs", {}),
                                   **settings)  # fmt: skip
        work.append((target, folder / "runs" / point.run_id, out / f"target_s{point.seed}"))
    if jobs <= 1 or len(work) == 1:
        from simreal.learning.sac_finetune_run import finetune_sac

        return [finetune_sac(*item, progress=False) for item in work]
    with ProcessPoolExecutor(min(jobs, len(work)), mp_context=get_context("spawn")) as pool:
        return list(pool.map(fine_tune_one, *zip(*work, strict=True)))


def fine_tune_one(config: SACFinetuneConfig, source: Path, out: Path) -> Path:
    """One target fine-tune in a worker process of :func:`fine_tune_on_target`.

    Args:
        config: The fine-tune's settings.
        source: The sweep run it starts from.
        out: Its run folder.

    Returns:
        ``out``, once the fine-tune has finished.
    """
    import torch

    from simreal.learning.sac_finetune_run import finetune_sac

    torch.set_num_threads(1)  # one worker per core, as the sweep's pool runs them
    return finetune_sac(config, source, out, progress=False)
