"""simreal's system identification side by side with ``mujoco.sysid`` (its defaults).

The same data — the pendulum task's model with hidden mass, damping, armature
and frictionloss, a 10 s multisine, logged at every physics step, the same
initial guesses and bounds — fitted by both, in one process:

* case "no latency": both fit the four physical parameters;
* case "30 ms latency": the data's commands arrive 30 ms late; simreal also
  fits ``latency.action``, ``mujoco.sysid``'s default parameters have none.

Printed: worst relative error over the physical parameters and wall time, each
tool, and the ratios. Sensor noise: 0.5% of each signal's range (``--noise``).

    python benchmarks/sysid_vs_mujoco_sysid.py [--noise 0.005] [--seconds 10]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import time

import mujoco
import numpy as np
from mujoco import sysid

from simreal.asset_paths import asset_path
from simreal.sysid.excitation import excitation, record
from simreal.sysid.fit import fit
from simreal.sysid.problem import FitParam

HIDDEN = {"body[pole].mass": 1.3, "joint[hinge].damping": 0.12, "joint[hinge].armature": 0.02,
          "joint[hinge].frictionloss": 0.04}  # fmt: skip
BOUNDS = {"body[pole].mass": (0.5, 3.0), "joint[hinge].damping": (0.0, 1.0),
          "joint[hinge].armature": (0.0, 0.1), "joint[hinge].frictionloss": (0.0, 0.2)}  # fmt: skip
SENSORS = (
    '<sensor><jointpos name="hinge_pos" joint="hinge"/><jointvel name="hinge_vel" joint="hinge"/>'
    "</sensor></mujoco>"
)


def _spec() -> mujoco.MjSpec:
    xml = asset_path("pendulum.xml").read_text().replace("</mujoco>", SENSORS)
    return mujoco.MjSpec.from_string(xml)


def _start(pid: str, model: mujoco.MjModel) -> float:
    """Return simreal's initial guess: the model's value, moved 5% off a bound."""
    from simreal.parameters import bind

    low, high = BOUNDS[pid]
    return float(
        np.clip(bind(pid, model).nominal[0], low + 0.05 * (high - low), high - 0.05 * (high - low))
    )


def run_mujoco_sysid(rec, model: mujoco.MjModel) -> tuple[dict[str, float], float]:  # noqa: ANN001
    """Fit with mujoco.sysid: Parameter modifiers on the spec, its default optimizer."""
    rod, bob = 0.1, 1.0  # the pole body's geom masses; body[pole].mass scales both

    def set_mass(s: mujoco.MjSpec, p: sysid.Parameter) -> None:
        scale = p.value[0] / (rod + bob)
        s.geom("rod").mass, s.geom("bob").mass = rod * scale, bob * scale

    def joint_setter(attr: str):  # noqa: ANN202
        def set_value(s: mujoco.MjSpec, p: sysid.Parameter) -> None:
            joint = s.joint("hinge")
            current = getattr(joint, attr)
            if np.ndim(current):  # MuJoCo 4 keeps damping as a polynomial: set its linear term
                current = np.array(current, dtype=float)
                current[0] = p.value[0]
                setattr(joint, attr, current)
            else:
                setattr(joint, attr, p.value[0])

        return set_value

    modifiers = {"body[pole].mass": set_mass, "joint[hinge].damping": joint_setter("damping"),
                 "joint[hinge].armature": joint_setter("armature"),
                 "joint[hinge].frictionloss": joint_setter("frictionloss")}  # fmt: skip
    params = sysid.ParameterDict()
    for pid, modifier in modifiers.items():
        low, high = BOUNDS[pid]
        start = _start(pid, model)
        params.add(
            sysid.Parameter(pid, nominal=start, min_value=low, max_value=high, modifier=modifier)
        )
    spec = _spec()
    compiled = spec.compile()
    q, v = rec.qpos["hinge"], rec.qvel["hinge"]
    initial_state = sysid.create_initial_state(
        compiled, np.array([q[0]]), np.array([v[0]]), np.zeros(0)
    )
    control = sysid.TimeSeries(rec.time, rec.ctrl["torque"][:, None])
    # Its convention (as its own tests generate data): the sensor row stamped with the time after
    # step k holds the sensors computed during step k, i.e. of the state before it.
    sensors = sysid.TimeSeries.from_names(rec.time[1:], np.column_stack([q[:-1], v[:-1]]), compiled)
    sequences = sysid.ModelSequences("pendulum", spec, "log", initial_state, control, sensors)
    residual_fn = sysid.build_residual_fn(models_sequences=[sequences])
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):  # its optimizer prints every iteration
        fitted, _ = sysid.optimize(initial_params=params, residual_fn=residual_fn, verbose=False)
    return {pid: float(fitted[pid].value[0]) for pid in modifiers}, time.perf_counter() - start


def run_simreal(rec, model: mujoco.MjModel, with_latency: bool) -> tuple[dict[str, float], float]:  # noqa: ANN001
    """Fit with simreal (defaults), optionally with the latency as a parameter."""
    params = [FitParam(pid, *BOUNDS[pid]) for pid in HIDDEN]
    if with_latency:
        params.append(FitParam("latency.action", 0.0, 0.1))
    start = time.perf_counter()
    result = fit(model, params, [rec], progress=None)
    return result.as_dict(), time.perf_counter() - start


def worst_error(values: dict[str, float]) -> float:
    """Largest relative error over the physical parameters."""
    return max(abs(values[pid] / truth - 1) for pid, truth in HIDDEN.items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--noise", type=float, default=0.005)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    model = mujoco.MjModel.from_xml_path(str(asset_path("pendulum.xml")))
    h = model.opt.timestep
    print(f"{'case':16} {'tool':14} {'worst error':>11} {'latency':>9} {'seconds':>8}")
    for case, latency in (("no latency", 0.0), ("30 ms latency", 0.03)):
        rng = np.random.default_rng(0)
        commands = excitation("multisine", args.seconds, h, model.actuator_ctrlrange, rng)
        rec = record(model, commands, h, HIDDEN, latency, args.noise, rng, qpos0=np.array([np.pi]))
        ours, our_time = run_simreal(rec, model, with_latency=latency > 0)
        theirs, their_time = run_mujoco_sysid(rec, model)
        fitted_latency = f"{ours['latency.action'] * 1e3:6.1f} ms" if latency > 0 else "-"
        rows = (("simreal", worst_error(ours), fitted_latency, our_time),
                ("mujoco.sysid", worst_error(theirs), "(none)", their_time))  # fmt: skip
        for tool, error, lat, seconds in rows:
            print(f"{case:16} {tool:14} {error:11.2%} {lat:>9} {seconds:8.2f}")
        ratio = worst_error(ours) / max(worst_error(theirs), 1e-12)
        print(f"{case:16} {'ratio':14} {ratio:11.2f} {'':>9} {our_time / their_time:8.2f}")


if __name__ == "__main__":
    main()
