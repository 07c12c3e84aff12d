"""The identification problems of ``sysid_vs_mujoco_sysid.py``, on models nobody here wrote.

Each case: a model (a shipped asset or a catalog name), the hidden values of its
parameters (15-100% off the model's own), their bounds, the joints a robot would log,
the command's amplitude (a fraction of each actuator's half-range, kept small where the
model has walls or furniture to hit), an initial pose, and a command latency. A
``mujoco.sysid`` modifier for any of the parameter ids used here writes the same
quantity into an ``MjSpec`` that simreal writes into the compiled model.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import mujoco
import numpy as np

from simreal.asset_paths import asset_path
from simreal.model_catalog import is_model_name, resolve_model
from simreal.parameters import ParamAddress, bind


@dataclass(frozen=True)
class Case:
    """One identification problem."""

    name: str
    model: str
    hidden: dict[str, float]
    bounds: dict[str, tuple[float, float]]
    measured: tuple[str, ...]
    seconds: float = 20.0
    dt: float = 0.01
    amplitude: float = 0.8
    qpos0: dict[str, float] = field(default_factory=dict)
    latency: float = 0.03

    def path(self) -> str:
        """The MJCF file."""
        return str(resolve_model(self.model) if is_model_name(self.model)
                   else asset_path(self.model))  # fmt: skip

    def compiled(self) -> mujoco.MjModel:
        """The model as the fit starts from it."""
        return mujoco.MjModel.from_xml_path(self.path())

    def initial_qpos(self, model: mujoco.MjModel) -> np.ndarray:
        """``qpos0`` with the case's pose."""
        qpos = model.qpos0.copy()
        for joint, value in self.qpos0.items():
            qpos[model.joint(joint).qposadr[0]] = value
        return qpos


FRANKA_HOME = {f"robot:panda0_joint{i + 1}": v
               for i, v in enumerate((0.0, -0.8, 0.0, -2.3, 0.0, 1.6, 0.8))}  # fmt: skip
CASES = (
    Case("pendulum", "pendulum.xml",
         {"body[pole].mass": 1.3, "joint[hinge].damping": 0.12, "joint[hinge].armature": 0.02,
          "joint[hinge].frictionloss": 0.04},
         {"body[pole].mass": (0.5, 3.0), "joint[hinge].damping": (0.0, 1.0),
          "joint[hinge].armature": (0.0, 0.1), "joint[hinge].frictionloss": (0.0, 0.2)},
         ("hinge",), seconds=10.0, qpos0={"hinge": np.pi}),
    Case("rig, 7 params", "sysid_rig.xml",
         {"body[arm].mass": 1.3, "joint[shoulder].damping": 0.12, "joint[shoulder].armature": 0.02,
          "joint[shoulder].frictionloss": 0.04, "geom[sled].friction_sliding": 0.1,
          "actuator[sled_motor].gear": 3.0},
         {"body[arm].mass": (0.5, 3.0), "joint[shoulder].damping": (0.0, 1.0),
          "joint[shoulder].armature": (0.0, 0.1), "joint[shoulder].frictionloss": (0.0, 0.2),
          "geom[sled].friction_sliding": (0.02, 0.5), "actuator[sled_motor].gear": (0.5, 10.0)},
         ("shoulder", "sled_x"), dt=0.005),
    Case("cartpole (dm_control)", "dm_control:cartpole",
         {"body[cart].mass": 1.3, "body[pole_1].mass": 0.12, "joint[slider].damping": 0.5,
          "joint[hinge_1].damping": 0.002, "joint[slider].frictionloss": 0.2},
         {"body[cart].mass": (0.3, 3.0), "body[pole_1].mass": (0.03, 0.3),
          "joint[slider].damping": (0.0, 2.0), "joint[hinge_1].damping": (0.0, 0.01),
          "joint[slider].frictionloss": (0.0, 1.0)},
         ("slider", "hinge_1"), amplitude=0.3, qpos0={"hinge_1": np.pi}),
    Case("reacher (Gymnasium)", "gymnasium:reacher",
         {"joint[joint0].damping": 1.3, "joint[joint1].damping": 0.8,
          "joint[joint0].armature": 1.2, "joint[joint1].armature": 0.85,
          "joint[joint1].frictionloss": 0.3},
         {"joint[joint0].damping": (0.2, 4.0), "joint[joint1].damping": (0.2, 4.0),
          "joint[joint0].armature": (0.2, 4.0), "joint[joint1].armature": (0.2, 4.0),
          "joint[joint1].frictionloss": (0.0, 2.0)},
         ("joint0", "joint1"), amplitude=0.03),  # gear 200: larger slams joint1's limits
    Case("half-cheetah (Gymnasium)", "gymnasium:half_cheetah",
         {"body[torso].mass": 7.5, "joint[bthigh].damping": 7.5, "joint[fthigh].damping": 3.5,
          "joint[bshin].armature": 0.13, "joint[fshin].frictionloss": 0.5,
          "geom[floor].friction_sliding": 0.6},
         {"body[torso].mass": (3.0, 15.0), "joint[bthigh].damping": (1.0, 20.0),
          "joint[fthigh].damping": (1.0, 20.0), "joint[bshin].armature": (0.02, 0.5),
          "joint[fshin].frictionloss": (0.0, 2.0), "geom[floor].friction_sliding": (0.2, 1.5)},
         ("rootx", "rootz", "rooty", "bthigh", "bshin", "bfoot", "fthigh", "fshin", "ffoot"),
         amplitude=0.5),
    Case("Franka Panda (Gymnasium-Robotics)", "gymnasium-robotics:franka_kitchen",
         {"body[panda0_link3].mass": 2.449, "body[panda0_link5].mass": 2.550,
          "joint[robot:panda0_joint2].damping": 130.5, "joint[robot:panda0_joint4].armature": 0.05,
          "joint[robot:panda0_joint4].frictionloss": 0.3, "actuator[panda0_joint2].kp": 696.0},
         {"body[panda0_link3].mass": (1.0, 5.0), "body[panda0_link5].mass": (1.3, 6.0),
          "joint[robot:panda0_joint2].damping": (50.0, 300.0),
          "joint[robot:panda0_joint4].armature": (0.0, 0.2),
          "joint[robot:panda0_joint4].frictionloss": (0.0, 1.0),
          "actuator[panda0_joint2].kp": (300.0, 1500.0)},
         tuple(FRANKA_HOME), seconds=10.0, amplitude=0.15, qpos0=FRANKA_HOME, latency=0.02),
)  # fmt: skip


def spec_modifier(pid: str, model: mujoco.MjModel):  # noqa: ANN201, C901
    """A ``mujoco.sysid`` modifier writing parameter ``pid`` into an ``MjSpec``.

    Masses are written as explicit inertials with the compiled centre of mass and the
    inertia scaled with the mass, as simreal scales them.
    """
    address = ParamAddress.parse(pid)
    name, attr = address.name, address.attribute
    nominal = float(bind(pid, model).nominal[0])

    def set_mass(spec: mujoco.MjSpec, p) -> None:  # noqa: ANN001
        body, compiled = spec.body(name), model.body(name)
        body.explicitinertial = True
        body.mass = p.value[0]
        body.ipos, body.iquat = compiled.ipos.copy(), compiled.iquat.copy()
        body.inertia = compiled.inertia * p.value[0] / nominal

    def set_joint(spec: mujoco.MjSpec, p) -> None:  # noqa: ANN001
        joint = spec.joint(name)
        current = getattr(joint, attr)
        if np.ndim(current):  # MuJoCo 4 keeps damping as a polynomial: set its linear term
            current = np.array(current, dtype=float)
            current[0] = p.value[0]
            setattr(joint, attr, current)
        else:
            setattr(joint, attr, p.value[0])

    def set_friction(spec: mujoco.MjSpec, p) -> None:  # noqa: ANN001
        friction = np.array(spec.geom(name).friction, dtype=float)
        friction[0] = p.value[0]
        spec.geom(name).friction = friction

    def set_kp(spec: mujoco.MjSpec, p) -> None:  # noqa: ANN001
        actuator = spec.actuator(name)
        gain, bias = np.array(actuator.gainprm, float), np.array(actuator.biasprm, float)
        gain[0], bias[1] = p.value[0], -p.value[0]
        actuator.gainprm, actuator.biasprm = gain, bias

    def set_gear(spec: mujoco.MjSpec, p) -> None:  # noqa: ANN001
        gear = np.array(spec.actuator(name).gear, dtype=float)
        gear[0] = p.value[0]
        spec.actuator(name).gear = gear

    if address.kind == "body" and attr == "mass":
        return set_mass
    if address.kind == "joint":
        return set_joint
    if address.kind == "geom" and attr == "friction_sliding":
        return set_friction
    if address.kind == "actuator" and attr == "kp":
        return set_kp
    if address.kind == "actuator" and attr == "gear":
        return set_gear
    raise ValueError(f"no mujoco.sysid modifier for {pid}")


def with_sensors(case: Case) -> mujoco.MjSpec:
    """The case's model with a position and a velocity sensor on each logged joint."""
    spec = mujoco.MjSpec.from_file(case.path())
    for joint in case.measured:
        spec.add_sensor(name=f"{joint}_pos", type=mujoco.mjtSensor.mjSENS_JOINTPOS,
                        objtype=mujoco.mjtObj.mjOBJ_JOINT, objname=joint)  # fmt: skip
        spec.add_sensor(name=f"{joint}_vel", type=mujoco.mjtSensor.mjSENS_JOINTVEL,
                        objtype=mujoco.mjtObj.mjOBJ_JOINT, objname=joint)  # fmt: skip
    return spec
