"""What to fit: the parameters (``params.yaml``) and the recordings bound to a model.

``params.yaml`` uses the domain-randomization vocabulary, with bounds and an
initial guess per parameter::

    params:
      - param: body[pole].mass        # any scalar model quantity, by name
        low: 0.5
        high: 2.0
        initial: 1.0                  # optional; default: the model's value
      - param: latency.action         # seconds, fitted as a continuous quantity
        low: 0.0
        high: 0.1
      - param: bias.qpos[hinge]       # the hinge encoder's offset (rad), fitted jointly
        low: -0.2
        high: 0.2

Besides model quantities, the sensors are fitted with the physics (as
``mujoco.sysid``'s signal transforms do): ``bias.qpos[<joint>]`` (an encoder
offset: measured = gain * q + bias), ``gain.qpos[<joint>]`` (its scale, which
multiplies the measured velocity too) and ``latency.observation`` (the sensor
delay, seconds). From open-loop logs a sensor delay and a command latency are
one loop delay: fit one of them, or both and read their sum.

A parameter whose initial guess sits on a bound (a frictionloss or a latency
of 0) is started 5% of its range inside, so that it can move; a guess inside
the bounds, however close to one, is kept.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mujoco
import numpy as np
import yaml
from numpy.typing import NDArray

from simreal.parameters import (
    ActuatorForceLimitParam,
    BoundParam,
    ParamAddress,
    bind,
    element_id,
)
from simreal.sysid.recording import LogError, Recording

LATENCY = "latency.action"
OBSERVATION_LATENCY = "latency.observation"
_MOVE_OFF_BOUND = 0.05


class ParamsError(ValueError):
    """``params.yaml`` is invalid; the message names the entry and the fix."""


@dataclass(frozen=True)
class FitParam:
    """One parameter to fit (physical units)."""

    id: str
    low: float
    high: float
    initial: float | None = None


def load_params(source: str | Path | dict | Sequence[FitParam]) -> list[FitParam]:
    """Load and validate the parameters to fit from a YAML path, a dict or a list."""
    if isinstance(source, (list, tuple)) and all(isinstance(p, FitParam) for p in source):
        return list(source)
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.is_file():
            raise ParamsError(f"{path}: no such file.")
        try:
            source = yaml.safe_load(path.read_text())
        except yaml.YAMLError:
            raise ParamsError(f"{path}: malformed YAML; fix its syntax.") from None
    if (
        not isinstance(source, dict)
        or not isinstance(source.get("params"), list)
        or not source["params"]
    ):
        raise ParamsError("params must be a mapping with a non-empty 'params' list.")
    params, seen = [], set()
    for i, raw in enumerate(source["params"], start=1):
        if not isinstance(raw, dict):
            raise ParamsError(f"params entry {i} must be a mapping with param, low and high.")
        unknown = set(raw) - {"param", "low", "high", "initial"}
        if unknown:
            raise ParamsError(
                f"params entry {i}: unknown key(s) {sorted(unknown)}; "
                "use param, low, high, initial."
            )
        try:
            pid = ParamAddress.parse(raw.get("param")).id
        except ValueError as error:
            raise ParamsError(f"params entry {i}: {error}") from None
        values = {}
        for key in ("low", "high", "initial"):
            value = raw.get(key)
            if value is None and key != "initial":
                raise ParamsError(
                    f"{pid}: give '{key}', the {'lower' if key == 'low' else 'upper'} bound."
                )
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))
                                      or not math.isfinite(value)):  # fmt: skip
                raise ParamsError(f"{pid}: {key} must be a finite number, got {value!r}.")
            values[key] = None if value is None else float(value)
        if values["low"] >= values["high"]:
            raise ParamsError(
                f"{pid}: low must be below high, got {values['low']} >= {values['high']}."
            )
        if (
            values["initial"] is not None
            and not values["low"] <= values["initial"] <= values["high"]
        ):
            raise ParamsError(f"{pid}: initial {values['initial']} is outside [low, high].")
        if pid in seen:
            raise ParamsError(f"{pid} is listed twice.")
        seen.add(pid)
        params.append(FitParam(pid, values["low"], values["high"], values["initial"]))
    return params


@dataclass
class BoundProblem:
    """Parameters and recordings resolved against one model.

    Attributes:
        model: The model (its parameters are the starting point).
        params: The parameters to fit.
        bound: ``BoundParam`` per model parameter (``None`` for the latency).
        start: Initial guesses in physical units (moved off bounds).
        recordings: The recordings.
        actuators: Actuator ids of each recording's ``ctrl`` columns, in model order.
        joint_names: The measured joints, sorted.
        qpos_adr: Their qpos addresses.
        dof_adr: Their dof addresses.
        sensor_terms: ``(parameter index, "bias" or "gain", joint index)`` per sensor parameter.
    """

    model: mujoco.MjModel
    params: list[FitParam]
    bound: list[BoundParam | None]
    start: NDArray[np.float64]
    recordings: list[Recording]
    joint_names: list[str]
    qpos_adr: NDArray[np.intp]
    dof_adr: NDArray[np.intp]
    sensor_terms: list[tuple[int, str, int]]

    @property
    def domains(self) -> NDArray[np.float64]:
        """``(n, 2)``: each parameter's physical domain (a mass above 0, a latency at least 0)."""
        rows = []
        for p, param in zip(self.params, self.bound, strict=True):
            if param is not None:
                low, high = param.bounds()
                rows.append((float(low[0]), float(high[0])))
            elif p.id in (LATENCY, OBSERVATION_LATENCY) or p.id.startswith("gain."):
                rows.append((0.0, np.inf))
            else:  # an encoder offset
                rows.append((-np.inf, np.inf))
        return np.array(rows, np.float64).reshape(-1, 2)

    @property
    def latency_index(self) -> int | None:
        """Index of ``latency.action`` among the parameters, if fitted."""
        return next((i for i, p in enumerate(self.params) if p.id == LATENCY), None)

    @property
    def observation_latency_index(self) -> int | None:
        """Index of ``latency.observation`` among the parameters, if fitted."""
        return next((i for i, p in enumerate(self.params) if p.id == OBSERVATION_LATENCY), None)

    @property
    def model_mask(self) -> NDArray[np.bool_]:
        """Which parameters are model quantities (written into the model)."""
        return np.array([b is not None for b in self.bound], bool)

    def sensor(self, values: NDArray[np.float64]) -> tuple[NDArray, NDArray]:
        """Per measured joint, the sensor ``(gain, bias)`` that ``values`` hold."""
        gain, bias = np.ones(len(self.joint_names)), np.zeros(len(self.joint_names))
        for i, kind, j in self.sensor_terms:
            (gain if kind == "gain" else bias)[j] = values[i]
        return gain, bias

    def loop_delay(self, values: NDArray[np.float64]) -> float:
        """Command latency plus sensor delay: what shifts the replay against the log."""
        indices = (self.latency_index, self.observation_latency_index)
        return float(sum(values[i] for i in indices if i is not None))

    def controls(self, recording: Recording) -> NDArray[np.float64]:
        """``(T, nu)`` logged commands in model actuator order (unlogged actuators: 0)."""
        out = np.zeros((recording.time.size, self.model.nu))
        for name, values in recording.ctrl.items():
            out[:, element_id(self.model, "actuator", name)] = values
        return out

    def measured(self, recording: Recording) -> NDArray[np.float64]:
        """``(T, m)`` measured positions of the fitted joints."""
        return np.stack([recording.qpos[name] for name in self.joint_names], axis=1)

    def write(self, model: mujoco.MjModel, values: NDArray[np.float64]) -> None:
        """Write physical parameter values (all but the latency) into a model copy."""
        for param, value in zip(self.bound, values, strict=True):
            if param is not None:
                param.write(model, np.array([value]))


def bind_problem(
    model: mujoco.MjModel, params: Sequence[FitParam], recordings: Sequence[Recording]
) -> BoundProblem:
    """Check the parameters and logs against the model.

    Raises:
        ParamsError: For a parameter the model lacks or that is not a scalar.
        LogError: For log columns that name no actuator or joint, joints that are
            not 1-DoF, recordings measuring different joints, or a log too short.
    """
    if not recordings:
        raise LogError("no recording given; pass at least one log.")
    joint_names = sorted(recordings[0].qpos)
    bound, start, sensor_terms = [], [], []
    for index, p in enumerate(params):
        address = ParamAddress.parse(p.id)
        if p.id in (LATENCY, OBSERVATION_LATENCY):
            bound.append(None)
            nominal = 0.0
        elif address.kind == "effect" and address.name is not None:
            if address.name not in joint_names:
                raise ParamsError(
                    f"{p.id}: the logs measure no joint {address.name!r} (they measure "
                    f"{', '.join(joint_names)}); name a logged joint."
                )
            kind = p.id.split(".")[0]
            sensor_terms.append((index, kind, joint_names.index(address.name)))
            bound.append(None)
            nominal = 1.0 if kind == "gain" else 0.0
        else:
            if address.kind == "effect":
                raise ParamsError(
                    f"{p.id}: among the non-model quantities only latency.action, "
                    "latency.observation, bias.qpos[<joint>] and gain.qpos[<joint>] can be fitted."
                )
            try:
                param = bind(p.id, model)
            except ValueError as error:
                raise ParamsError(str(error)) from None
            if param.size != 1:
                raise ParamsError(f"{p.id} has {param.size} components; fit one scalar "
                                  "attribute at a time "
                                  "(e.g. friction_sliding instead of friction).")  # fmt: skip
            bound.append(param)
            nominal = float(param.nominal[0])
            if isinstance(param, ActuatorForceLimitParam) and p.initial is None:
                nominal = _binding_limit(model, param.rows[0], recordings, nominal)
        guess = nominal if p.initial is None else p.initial
        guess = min(max(guess, p.low), p.high)
        margin = _MOVE_OFF_BOUND * (p.high - p.low)
        if guess <= p.low:  # only a start on a bound moves (inside it, it may stay)
            guess = p.low + margin
        elif guess >= p.high:
            guess = p.high - margin
        start.append(guess)
    for rec in recordings:
        if sorted(rec.qpos) != joint_names:
            raise LogError(f"{rec.source}: measures joints {sorted(rec.qpos)}, "
                           f"the first log {joint_names}; "
                           "give every log the same qpos columns.")  # fmt: skip
        for name in rec.ctrl:
            try:
                element_id(model, "actuator", name)
            except ValueError as error:
                raise LogError(f"{rec.source}: column ctrl:{name}: {error}") from None
            low, high = model.actuator_ctrlrange[element_id(model, "actuator", name)]
            limited = model.actuator_ctrllimited[element_id(model, "actuator", name)]
            outside = (rec.ctrl[name] < low - 1e-9) | (rec.ctrl[name] > high + 1e-9)
            if limited and outside.any():
                import warnings

                warnings.warn(
                    f"{rec.source}: ctrl:{name} leaves the actuator's ctrlrange [{low}, {high}] in "
                    f"{int(outside.sum())} rows; MuJoCo clamps those commands.",
                    stacklevel=2,
                )
    qpos_adr, dof_adr = [], []
    for name in joint_names:
        try:
            joint = element_id(model, "joint", name)
        except ValueError as error:
            raise LogError(f"column qpos:{name}: {error}") from None
        if int(model.jnt_type[joint]) not in (
            int(mujoco.mjtJoint.mjJNT_HINGE),
            int(mujoco.mjtJoint.mjJNT_SLIDE),
        ):
            raise LogError(f"column qpos:{name}: joint {name!r} is not a hinge or slide joint; "
                           "log only 1-DoF joints.")  # fmt: skip
        qpos_adr.append(model.jnt_qposadr[joint])
        dof_adr.append(model.jnt_dofadr[joint])
    samples = sum(rec.time.size for rec in recordings) * len(joint_names)
    if samples < 5 * len(params):
        raise LogError(
            f"the logs hold {samples} measurements for {len(params)} parameters; record longer "
            "(at least 5 measurements per parameter, far more in practice)."
        )
    return BoundProblem(model, list(params), bound, np.array(start), list(recordings), joint_names,
                        np.array(qpos_adr, np.intp), np.array(dof_adr, np.intp),
                        sensor_terms)  # fmt: skip


def _binding_limit(
    model: mujoco.MjModel, actuator: int, recordings: Sequence[Recording], nominal: float
) -> float:
    """A motor's force-limit start: the model's, or 90% of the peak logged force.

    The peak is used when the model's limit never binds: a limit above every force the
    logs command has no effect and so no gradient, and a start that clips the peaks lets
    the fit find where the plant saturates.
    """
    if model.actuator_biastype[actuator] != mujoco.mjtBias.mjBIAS_NONE:
        return nominal  # a servo's force depends on the state too: its peak is not logged
    commanded = [
        np.max(np.abs(values)) for rec in recordings for name, values in rec.ctrl.items()
        if element_id(model, "actuator", name) == actuator
    ]  # fmt: skip
    peak = abs(float(model.actuator_gainprm[actuator, 0])) * max(commanded, default=0.0)
    return 0.9 * peak if 0 < peak <= nominal else nominal


def as_dict(problem: BoundProblem) -> dict[str, Any]:
    """A short description for messages and reports."""
    return {"params": [p.id for p in problem.params], "joints": problem.joint_names,
            "recordings": [r.source for r in problem.recordings]}  # fmt: skip
