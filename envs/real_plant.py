"""Building blocks of the "real" proxies: plants that stand in for the robot.

A proxy is the nominal task with (a) model parameters changed by element name,
(b) at least one effect the nominal model lacks (actuator latency through
MuJoCo's native actuator delay, sensor noise and bias, deadband, a finer
timestep with another integrator). The training side never reads these files:
it sees only what a real robot would give it, observations and rewards.
"""

from __future__ import annotations

import mujoco


def scale_body_mass(model: mujoco.MjModel, body: str, factor: float) -> None:
    """Scale a body's mass and its rotational inertia by the same factor.

    Args:
        model: The compiled model to edit in place.
        body: Body name.
        factor: Positive multiplier.
    """
    model.body(body).mass[:] *= factor
    model.body(body).inertia[:] *= factor


def delay_actuators(spec: mujoco.MjSpec, delay_s: float) -> None:
    """Give every actuator MuJoCo's native command delay.

    Args:
        spec: The model description to edit before compilation.
        delay_s: Delay in seconds; at least one physics timestep.
    """
    timestep = spec.option.timestep
    nsample = max(2, round(delay_s / timestep) + 2)
    for actuator in spec.actuators:
        actuator.delay = delay_s
        actuator.nsample = nsample


def refine_integration(spec: mujoco.MjSpec, factor: int, integrator: mujoco.mjtIntegrator) -> None:
    """Integrate the plant with a smaller timestep and another integrator.

    The caller multiplies ``frame_skip`` by the same factor so that the control
    period is unchanged.

    Args:
        spec: The model description to edit before compilation.
        factor: Timestep divisor (>= 1).
        integrator: The integrator of the proxy plant.
    """
    spec.option.timestep = spec.option.timestep / factor
    spec.option.integrator = integrator
