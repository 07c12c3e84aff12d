"""simreal's system identification side by side with ``mujoco.sysid`` (its defaults).

The same data — the pendulum task's model with hidden mass, damping, armature
and frictionloss, a 10 s multisine, logged at every physics step, the same
initial guesses and bounds — fitted by both, in one process:

* case "no latency": both fit the four physical parameters;
* case "30 ms latency": the data's commands arrive 30 ms late; simreal also
  fits ``latency.action``, ``mujoco.sysid``'s default parameters have none;
* case "rig, 7 params": ``assets/sysid_rig.xml`` (an arm beside a sled pushed in sliding
  contact), 20 s at the rig's 5 ms step, hidden arm mass, damping, armature, frictionloss,
  the sled's contact friction and motor gear, and a 30 ms latency; simreal fits all seven,
  ``mujoco.sysid`` the six model parameters. Both see the arm angle and the sled position
  (the sled's vertical bounce is not logged).

Printed: worst relative error over the physical parameters and wall time, each
tool, and the ratios. Sensor noise: 0.5% of each signal's range (``--noise``).

    python benchmarks/sysid_vs_mujoco_sysid.py [--noise 0.005] [--seconds 10] [--rig-seconds 20]
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
RIG_HIDDEN = {"body[arm].mass": 1.3, "joint[shoulder].damping": 0.12,
              "joint[shoulder].armature": 0.02, "joint[shoulder].frictionloss": 0.04,
              "geom[sled].friction_sliding": 0.1, "actuator[sled_motor].gear": 3.0}  # fmt: skip
RIG_BOUNDS = {"body[arm].mass": (0.5, 3.0), "joint[shoulder].damping": (0.0, 1.0),
              "joint[shoulder].armature": (0.0, 0.1), "joint[shoulder].frictionloss": (0.0, 0.2),
              "geom[sled].friction_sliding": (0.02, 0.5),
              "actuator[sled_motor].gear": (0.5, 10.0)}  # fmt: skip
RIG_MEASURED = ("shoulder", "sled_x")


def _spec(asset: str, joints: tuple[str, ...]) -> mujoco.MjSpec:
    """The asset with a position and a velocity sensor on each logged joint."""
    sensors = "".join(
        f'<jointpos name="{j}_pos" joint="{j}"/><jointvel name="{j}_vel" joint="{j}"/>'
        for j in joints
    )
    xml = asset_path(asset).read_text().replace("</mujoco>", f"<sensor>{sensors}</sensor></mujoco>")
    return mujoco.MjSpec.from_string(xml)


def _start(pid: str, model: mujoco.MjModel, bounds: dict[str, tuple[float, float]]) -> float:
    """Return simreal's initial guess: the model's value, moved 5% off a bound."""
    from simreal.parameters import bind

    low, high = bounds[pid]
    return float(
        np.clip(bind(pid, model).nominal[0], low + 0.05 * (high - low), high - 0.05 * (high - low))
    )


def joint_setter(joint_name: str, attr: str):  # noqa: ANN201
    """A ``mujoco.sysid`` modifier writing a joint attribute."""

    def set_value(s: mujoco.MjSpec, p: sysid.Parameter) -> None:
        joint = s.joint(joint_name)
        current = getattr(joint, attr)
        if np.ndim(current):  # MuJoCo 4 keeps damping as a polynomial: set its linear term
            current = np.array(current, dtype=float)
            current[0] = p.value[0]
            setattr(joint, attr, current)
        else:
            setattr(joint, attr, p.value[0])

    return set_value


def mass_setter(geom_masses: dict[str, float]):  # noqa: ANN201
    """A modifier scaling a body's geom masses so that they sum to the parameter."""

    def set_mass(s: mujoco.MjSpec, p: sysid.Parameter) -> None:
        scale = p.value[0] / sum(geom_masses.values())
        for name, mass in geom_masses.items():
            s.geom(name).mass = mass * scale

    return set_mass


def run_mujoco_sysid(
    rec,  # noqa: ANN001
    spec: mujoco.MjSpec,
    modifiers: dict,
    bounds: dict[str, tuple[float, float]],
    model: mujoco.MjModel,
) -> tuple[dict[str, float], float]:
    """Fit with mujoco.sysid: Parameter modifiers on the spec, its default optimizer."""
    params = sysid.ParameterDict()
    for pid, modifier in modifiers.items():
        low, high = bounds[pid]
        start = _start(pid, model, bounds)
        params.add(
            sysid.Parameter(pid, nominal=start, min_value=low, max_value=high, modifier=modifier)
        )
    compiled = spec.compile()
    joints = sorted(rec.qpos)
    qpos0, qvel0 = np.zeros(compiled.nq), np.zeros(compiled.nv)  # unlogged joints at rest
    for name in joints:
        qpos0[compiled.joint(name).qposadr[0]] = rec.qpos[name][0]
        qvel0[compiled.joint(name).dofadr[0]] = rec.qvel[name][0]
    initial_state = sysid.create_initial_state(compiled, qpos0, qvel0, np.zeros(0))
    actuators = [compiled.actuator(i).name for i in range(compiled.nu)]
    control = sysid.TimeSeries(rec.time, np.column_stack([rec.ctrl[a] for a in actuators]))
    # Its convention (as its own tests generate data): the sensor row stamped with the time after
    # step k holds the sensors computed during step k, i.e. of the state before it.
    columns = [rec.qpos[n][:-1] for n in joints] + [rec.qvel[n][:-1] for n in joints]
    sensors = sysid.TimeSeries.from_names(rec.time[1:], np.column_stack(columns), compiled)
    sequences = sysid.ModelSequences("model", spec, "log", initial_state, control, sensors)
    residual_fn = sysid.build_residual_fn(models_sequences=[sequences])
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):  # its optimizer prints every iteration
        fitted, _ = sysid.optimize(initial_params=params, residual_fn=residual_fn, verbose=False)
    return {pid: float(fitted[pid].value[0]) for pid in modifiers}, time.perf_counter() - start


def run_simreal(
    rec,  # noqa: ANN001
    model: mujoco.MjModel,
    with_latency: bool,
    bounds: dict[str, tuple[float, float]] = BOUNDS,
) -> tuple[dict[str, float], float]:
    """Fit with simreal (defaults), optionally with the latency as a parameter."""
    params = [FitParam(pid, *bounds[pid]) for pid in bounds]
    if with_latency:
        params.append(FitParam("latency.action", 0.0, 0.1))
    start = time.perf_counter()
    result = fit(model, params, [rec], progress=None)
    return result.as_dict(), time.perf_counter() - start


def worst_error(values: dict[str, float], hidden: dict[str, float] = HIDDEN) -> float:
    """Largest relative error over the physical parameters."""
    return max(abs(values[pid] / truth - 1) for pid, truth in hidden.items())


def _print_case(case: str, ours: tuple, theirs: tuple, hidden: dict, latency: float) -> None:  # noqa: PLR0913
    (our_values, our_time), (their_values, their_time) = ours, theirs
    fitted_latency = f"{our_values['latency.action'] * 1e3:6.1f} ms" if latency > 0 else "-"
    rows = (("simreal", worst_error(our_values, hidden), fitted_latency, our_time),
            ("mujoco.sysid", worst_error(their_values, hidden), "(none)", their_time))  # fmt: skip
    for tool, error, lat, seconds in rows:
        print(f"{case:16} {tool:14} {error:11.2%} {lat:>9} {seconds:8.2f}")
    ratio = worst_error(our_values, hidden) / max(worst_error(their_values, hidden), 1e-12)
    print(f"{case:16} {'ratio':14} {ratio:11.2f} {'':>9} {our_time / their_time:8.2f}")


def rig_case(seconds: float, noise: float) -> None:
    """The seven-parameter identification rig, both tools."""
    from simreal.sysid.recording import Recording

    model = mujoco.MjModel.from_xml_path(str(asset_path("sysid_rig.xml")))
    h, latency = model.opt.timestep, 0.03
    rng = np.random.default_rng(0)
    commands = excitation("multisine", seconds, h, model.actuator_ctrlrange, rng)
    full = record(model, commands, h, RIG_HIDDEN, latency, noise, rng)
    rec = Recording(full.time, full.ctrl, {n: full.qpos[n] for n in RIG_MEASURED},
                    {n: full.qvel[n] for n in RIG_MEASURED})  # fmt: skip
    ours = run_simreal(rec, model, with_latency=True, bounds=RIG_BOUNDS)
    modifiers = {
        "body[arm].mass": mass_setter({"link": 0.1, "tip": 1.0}),
        "joint[shoulder].damping": joint_setter("shoulder", "damping"),
        "joint[shoulder].armature": joint_setter("shoulder", "armature"),
        "joint[shoulder].frictionloss": joint_setter("shoulder", "frictionloss"),
        "geom[sled].friction_sliding": _sled_friction,
        "actuator[sled_motor].gear": _sled_gear,
    }
    theirs = run_mujoco_sysid(
        rec, _spec("sysid_rig.xml", RIG_MEASURED), modifiers, RIG_BOUNDS, model
    )
    _print_case("rig, 7 params", ours, theirs, RIG_HIDDEN, latency)


def _sled_friction(s: mujoco.MjSpec, p: sysid.Parameter) -> None:
    friction = np.array(s.geom("sled").friction, dtype=float)
    friction[0] = p.value[0]
    s.geom("sled").friction = friction


def _sled_gear(s: mujoco.MjSpec, p: sysid.Parameter) -> None:
    gear = np.array(s.actuator("sled_motor").gear, dtype=float)
    gear[0] = p.value[0]
    s.actuator("sled_motor").gear = gear


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--noise", type=float, default=0.005)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rig-seconds", type=float, default=20.0)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    model = mujoco.MjModel.from_xml_path(str(asset_path("pendulum.xml")))
    h = model.opt.timestep
    print(f"{'case':16} {'tool':14} {'worst error':>11} {'latency':>9} {'seconds':>8}")
    modifiers = {"body[pole].mass": mass_setter({"rod": 0.1, "bob": 1.0}),
                 "joint[hinge].damping": joint_setter("hinge", "damping"),
                 "joint[hinge].armature": joint_setter("hinge", "armature"),
                 "joint[hinge].frictionloss": joint_setter("hinge", "frictionloss")}  # fmt: skip
    for case, latency in (("no latency", 0.0), ("30 ms latency", 0.03)):
        rng = np.random.default_rng(0)
        commands = excitation("multisine", args.seconds, h, model.actuator_ctrlrange, rng)
        rec = record(model, commands, h, HIDDEN, latency, args.noise, rng, qpos0=np.array([np.pi]))
        ours = run_simreal(rec, model, with_latency=latency > 0)
        theirs = run_mujoco_sysid(rec, _spec("pendulum.xml", ("hinge",)), modifiers, BOUNDS, model)
        _print_case(case, ours, theirs, HIDDEN, latency)
    rig_case(args.rig_seconds, args.noise)


if __name__ == "__main__":
    main()
