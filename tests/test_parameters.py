"""The parameter vocabulary: ids, binding on any model, reads and writes by name."""

from __future__ import annotations

import gymnasium as gym
import mujoco
import numpy as np
import pytest

from simreal.asset_paths import asset_path
from simreal.parameters import ParamAddress, bind, supported_attributes


def _model(xml: str) -> mujoco.MjModel:
    return mujoco.MjModel.from_xml_path(str(asset_path(xml)))


@pytest.mark.parametrize(
    "text",
    ["body[pole].mass", "geom[block].friction_sliding", "option.gravity", "latency.action",
     "material[table_mat].texture", "actuator[robot/elbow].kp"],
)  # fmt: skip
def test_ids_round_trip(text: str) -> None:
    assert ParamAddress.parse(text).id == text


@pytest.mark.parametrize("text", ["pole.mass", "body[pole]", "bodies[pole].mass", "option", 3])
def test_malformed_ids_are_rejected_with_the_accepted_forms(text: object) -> None:
    with pytest.raises(ValueError, match="kind\\[name\\].attribute|must be a string"):
        ParamAddress.parse(text)


def test_unknown_name_lists_the_closest_names() -> None:
    with pytest.raises(ValueError, match="no body named 'forarm'.*Closest: forearm"):
        bind("body[forarm].mass", _model("reach.xml"))


def test_unknown_attribute_lists_the_kinds_attributes() -> None:
    with pytest.raises(ValueError, match="no attribute 'weight'.*com, mass"):
        bind("body[forearm].weight", _model("reach.xml"))


def test_kv_of_a_motor_is_an_error_naming_the_actuator() -> None:
    with pytest.raises(ValueError, match="actuator\\[torque\\].kv.*no velocity feedback"):
        bind("actuator[torque].kv", _model("pendulum.xml"))


def test_every_supported_attribute_binds_somewhere() -> None:
    model = _model("reach.xml")
    names = {"body": "forearm", "geom": "forearm", "joint": "elbow", "actuator": "elbow",
             "light": "key_light", "material": "table_mat", "camera": "front"}  # fmt: skip
    for kind, attributes in supported_attributes().items():
        for attribute in attributes:
            pid = (
                f"option.{attribute}" if kind == "option" else f"{kind}[{names[kind]}].{attribute}"
            )
            param = bind(pid, model)
            np.testing.assert_allclose(param.read(model), param.nominal)


def test_mass_scales_inertia_and_restores_exactly() -> None:
    model = _model("pendulum.xml")
    param = bind("body[pole].mass", model)
    inertia = model.body("pole").inertia.copy()
    param.write(model, param.nominal * 2.0)
    np.testing.assert_allclose(model.body("pole").inertia, 2.0 * inertia)
    param.write(model, param.nominal)
    np.testing.assert_array_equal(model.body("pole").inertia, inertia)


def test_kp_of_a_position_servo_moves_gain_and_bias_together() -> None:
    model = _model("reach.xml")
    bind("actuator[elbow].kp", model).write(model, np.array([30.0]))
    bind("actuator[elbow].kv", model).write(model, np.array([2.0]))
    assert model.actuator("elbow").gainprm[0] == 30.0
    np.testing.assert_array_equal(model.actuator("elbow").biasprm[:3], [0.0, -30.0, -2.0])


def test_joint_damping_of_a_free_joint_covers_its_six_dofs() -> None:
    param = bind("joint[block_joint].damping", _model("push.xml"))
    assert param.size == 6


def test_camera_rotation_round_trips_and_texture_choice_switches() -> None:
    model = _model("reach.xml")
    rotation = bind("camera[front].rotation", model)
    rotation.write(model, np.array([0.0, 0.05, -0.02]))
    np.testing.assert_allclose(rotation.read(model), [0.0, 0.05, -0.02], atol=1e-9)
    texture = bind("material[table_mat].texture", model)
    assert texture.choices[:3] == ("table_wood", "table_slate", "table_cloth")
    texture.write(model, np.array([2.0]))
    assert model.mat_texid[model.material("table_mat").id, 1] == model.texture("table_cloth").id


def test_clip_rule_keeps_quantities_physical() -> None:
    model = _model("push.xml")
    mass = bind("body[block].mass", model)
    assert mass.write(model, np.array([-5.0]))[0] == pytest.approx(0.01 * mass.nominal[0])
    friction = bind("geom[block].friction", model)
    assert np.all(friction.write(model, np.array([-1.0, 0.1, -0.2])) >= 0)
    gear = bind("actuator[pusher_x].gear", model)
    assert gear.write(model, np.array([-3.0]))[0] > 0
    rgba = bind("material[block_mat].rgba", model)
    assert np.all(rgba.write(model, np.array([1.7, -0.2, 0.5, 1.0])) == [1.0, 0.0, 0.5, 1.0])


@pytest.mark.parametrize(
    ("env_id", "pid"),
    [("HalfCheetah-v5", "body[torso].mass"), ("HalfCheetah-v5", "joint[bthigh].damping"),
     ("HalfCheetah-v5", "geom[floor].friction_sliding"),
     ("Hopper-v5", "actuator[thigh_joint].gear"),
     ("InvertedPendulum-v5", "body[pole].mass")],
)  # fmt: skip
def test_binds_on_gymnasiums_models(env_id: str, pid: str) -> None:
    model = gym.make(env_id).unwrapped.model
    param = bind(pid, model)
    param.write(model, param.nominal * 1.5)
    np.testing.assert_allclose(param.read(model), param.nominal * 1.5)


def _dm_control_model(name: str) -> mujoco.MjModel:
    common = pytest.importorskip("dm_control.suite.common")
    return mujoco.MjModel.from_xml_string(common.read_model(name), common.ASSETS)


def test_spec_on_dm_control_manipulator_applies_and_restores_exactly() -> None:
    from simreal.randomization import BoundSpec, parse_spec

    model = _dm_control_model("manipulator.xml")
    pristine = {
        k: np.array(getattr(model, k))
        for k in (
            "body_mass",
            "body_inertia",
            "geom_friction",
            "dof_damping",
            "actuator_gear",
            "cam_quat",
        )
    }

    def term(param: str, op: str, dist: str, **kw: float) -> dict:
        return {"param": param, "op": op, "distribution": dist, **kw}

    spec = parse_spec({"terms": [
        term("body[upper_arm].mass", "scale", "uniform", low=0.5, high=1.5),
        term("body[hand].mass", "scale", "uniform", low=0.5, high=1.5),
        term("geom[thumbtip1].friction", "scale", "uniform", low=0.5, high=2),
        term("joint[arm_elbow].damping", "add", "uniform", low=0, high=0.5),
        term("actuator[elbow].gear", "scale", "normal", mean=1.0, std=0.1),
        term("camera[fixed].rotation", "add", "normal", mean=0.0, std=0.05),
    ]})  # fmt: skip
    bound = BoundSpec(spec, model)
    rng = np.random.default_rng(0)
    for _ in range(50):
        applied = bound.apply_vector(bound.sample_vector(rng, 2.0))
    values = bound.to_dict(applied)
    assert model.body("upper_arm").mass[0] == pytest.approx(values["body[upper_arm].mass"][0])
    assert not np.allclose(model.body_mass, pristine["body_mass"])
    bound.restore_nominal()
    for key, array in pristine.items():
        np.testing.assert_array_equal(getattr(model, key), array, err_msg=key)


def test_heavier_dm_control_pole_falls_differently() -> None:
    model = _dm_control_model("cartpole.xml")
    heavy = _dm_control_model("cartpole.xml")
    param = bind("body[pole_1].mass", heavy)
    param.write(heavy, param.nominal * 5.0)
    mujoco.mj_setConst(heavy, mujoco.MjData(heavy))
    finals = []
    for m in (model, heavy):
        data = mujoco.MjData(m)
        data.joint("hinge_1").qpos[0] = 0.3
        for _ in range(100):
            mujoco.mj_step(m, data)
        finals.append(data.joint("slider").qpos[0])
    # The falling pole pushes the cart back; five times the pole mass, far more recoil.
    assert abs(finals[1]) > 2.0 * abs(finals[0]) > 0
