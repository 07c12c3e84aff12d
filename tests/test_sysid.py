"""System identification: log formats, fit accuracy, uncertainty, identifiability, CLI."""

from __future__ import annotations

from pathlib import Path

import gymnasium as gym
import mujoco
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import simreal
from simreal.asset_paths import asset_path
from simreal.sysid.excitation import excitation, record
from simreal.sysid.fit import fit
from simreal.sysid.problem import FitParam, ParamsError, load_params
from simreal.sysid.readers import read_lerobot, read_log, write_log
from simreal.sysid.recording import LogError, Recording
from simreal.sysid.report import fit_document, write_fit
from tests.conftest import run_cli

HIDDEN = {
    "body[pole].mass": 1.3,
    "joint[hinge].damping": 0.12,
    "joint[hinge].armature": 0.02,
    "joint[hinge].frictionloss": 0.04,
}
LATENCY = 0.03
PARAMS = [
    FitParam("body[pole].mass", 0.5, 3.0),
    FitParam("joint[hinge].damping", 0.0, 1.0),
    FitParam("joint[hinge].armature", 0.0, 0.1),
    FitParam("joint[hinge].frictionloss", 0.0, 0.2),
    FitParam("latency.action", 0.0, 0.1),
]
TRUTH = {**HIDDEN, "latency.action": LATENCY}
PROXY_PARAMS = (  # params.yaml of the pendulum proxy's fits from the CLI
    "params:\n"
    "  - {param: 'joint[hinge].damping', low: 0.0, high: 1.0}\n"
    "  - {param: 'joint[hinge].frictionloss', low: 0.0, high: 0.3}\n"
    "  - {param: latency.action, low: 0.0, high: 0.1}\n"
    "  - {param: 'body[pole].mass', low: 0.5, high: 3.0}\n"
    "  - {param: 'bias.qpos[hinge]', low: -0.2, high: 0.2}\n"
)


def _pendulum() -> mujoco.MjModel:
    return mujoco.MjModel.from_xml_path(str(asset_path("pendulum.xml")))


def _recording(seed: int = 0, noise: float = 0.0, seconds: float = 20.0) -> Recording:
    model = _pendulum()
    rng = np.random.default_rng(seed)
    commands = excitation("multisine", seconds, 0.02, model.actuator_ctrlrange, rng)
    return record(model, commands, 0.02, HIDDEN, LATENCY, noise, rng, qpos0=np.array([np.pi]))


def test_noise_free_fit_recovers_every_parameter_within_one_percent() -> None:
    result = fit(_pendulum(), PARAMS, [_recording()], progress=None)
    for p, value in zip(result.params, result.values, strict=True):
        assert value == pytest.approx(TRUTH[p.id], rel=0.01), p.id
    assert result.rms_after < 1e-6 < result.rms_before


def test_noisy_fit_is_within_five_percent_and_intervals_cover_the_truth() -> None:
    covered, total = 0, 0
    for seed in range(4):
        result = fit(_pendulum(), PARAMS, [_recording(seed, noise=0.005)], progress=None)
        low, high = result.ci95
        for i, p in enumerate(result.params):
            assert result.values[i] == pytest.approx(TRUTH[p.id], rel=0.05), (seed, p.id)
            covered += int(low[i] <= TRUTH[p.id] <= high[i])
            total += 1
    assert covered / total >= 0.9, f"95% intervals covered the truth {covered}/{total} times"


def test_scale_symmetry_is_reported_when_the_gain_is_free_too() -> None:
    params = [*PARAMS, FitParam("actuator[torque].gear", 0.5, 4.0)]
    result = fit(_pendulum(), params, [_recording()], progress=None)
    assert any(
        "do not separate" in w and "actuator[torque].gear" in w and "body[pole].mass" in w
        for w in result.warnings
    ), result.warnings


def test_fit_on_gymnasiums_inverted_pendulum() -> None:
    model = gym.make("InvertedPendulum-v5").unwrapped.model
    rng = np.random.default_rng(1)
    commands = excitation("chirp", 6.0, 0.04, model.actuator_ctrlrange, rng, amplitude=0.3)
    hidden = {"body[pole].mass": 7.0, "joint[hinge].damping": 2.0, "joint[slider].damping": 0.5}
    rec = record(model, commands, 0.04, hidden, latency=0.02, rng=rng)
    params = [
        FitParam("body[pole].mass", 2.0, 20.0),
        FitParam("joint[hinge].damping", 0.0, 5.0),
        FitParam("joint[slider].damping", 0.0, 2.0),
        FitParam("latency.action", 0.0, 0.1),
    ]
    result = fit(model, params, [rec], segment_seconds=(0.5, 2.0), progress=None)
    truth = {**hidden, "latency.action": 0.02}
    for p, value in zip(result.params, result.values, strict=True):
        assert value == pytest.approx(truth[p.id], rel=0.01), p.id


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".h5", ".npz"])
def test_log_formats_round_trip(tmp_path: Path, suffix: str) -> None:
    rec = _recording(seconds=2.0)
    back = read_log(write_log(rec, tmp_path / f"log{suffix}"))
    for name, column in rec.columns().items():
        np.testing.assert_allclose(back.columns()[name], column, rtol=1e-15)


def test_lerobot_episodes_with_a_mapping(tmp_path: Path) -> None:
    rec = _recording(seconds=2.0)
    n = rec.time.size
    table = pa.table(
        {
            "timestamp": np.concatenate([rec.time, rec.time]),
            "episode_index": np.repeat([0, 1], n),
            "observation.state": np.stack(
                [np.tile(rec.qpos["hinge"], 2), np.tile(rec.qvel["hinge"], 2)], 1
            ).tolist(),
            "action": [[u] for u in np.tile(rec.ctrl["torque"], 2)],
        }
    )
    pq.write_table(table, tmp_path / "episodes.parquet")
    mapping = {"observation.state": ["qpos:hinge", "qvel:hinge"], "action": ["ctrl:torque"]}
    episodes = read_lerobot(tmp_path / "episodes.parquet", mapping)
    assert len(episodes) == 2
    np.testing.assert_array_equal(episodes[1].qpos["hinge"], rec.qpos["hinge"])
    with pytest.raises(LogError, match="observation.state has 2 entries but the mapping names 1"):
        read_lerobot(tmp_path / "episodes.parquet", {"observation.state": ["qpos:hinge"]})


@pytest.mark.parametrize(
    ("columns", "message"),
    [
        ({"time": [0, 1, 2], "qpos:hinge": [0, 1, 2]}, "no 'ctrl:<actuator>' column"),
        (
            {"time": [0, 1, 1], "ctrl:torque": [0, 0, 0], "qpos:hinge": [0, 1, 2]},
            "duplicated time stamp at row 2",
        ),
        (
            {"time": [0, 2, 1], "ctrl:torque": [0, 0, 0], "qpos:hinge": [0, 1, 2]},
            "time goes backwards at row 2",
        ),
        (
            {"time": [0, 1, 2], "ctrl:torque": [0, np.nan, 0], "qpos:hinge": [0, 1, 2]},
            "ctrl:torque has NaN or inf at row 1",
        ),
        (
            {"time": [0, 1, 2], "ctrl:torque": [0, 0, 0], "angle": [0, 1, 2]},
            "column 'angle' is not in the log scheme",
        ),
        ({"ctrl:torque": [0, 0, 0], "qpos:hinge": [0, 1, 2]}, "no 'time' column"),
    ],
)
def test_bad_logs_are_named(columns: dict, message: str) -> None:
    with pytest.raises(LogError, match=message):
        Recording.from_columns({k: np.asarray(v, float) for k, v in columns.items()}, "log.csv")


def test_bad_params_and_names_not_in_the_model() -> None:
    with pytest.raises(ParamsError, match="low must be below high"):
        load_params({"params": [{"param": "body[pole].mass", "low": 2, "high": 1}]})
    with pytest.raises(ParamsError, match="no body named 'poles'"):
        fit(
            _pendulum(),
            [FitParam("body[poles].mass", 0.5, 2)],
            [_recording(seconds=2.0)],
            progress=None,
        )
    rec = _recording(seconds=2.0)
    rec.qpos = {"elbow": rec.qpos["hinge"]}
    with pytest.raises(LogError, match="qpos:elbow: the model has no joint named 'elbow'"):
        fit(_pendulum(), PARAMS, [rec], progress=None)
    with pytest.raises(LogError, match="record longer"):
        short = Recording(np.array([0.0, 0.02]), {"torque": np.zeros(2)}, {"hinge": np.zeros(2)})
        fit(_pendulum(), PARAMS, [short], progress=None)


def test_controls_outside_ctrlrange_warn() -> None:
    rec = _recording(seconds=2.0)
    rec.ctrl["torque"] = rec.ctrl["torque"] * 3
    with pytest.warns(UserWarning, match="leaves the actuator's ctrlrange"):
        fit(_pendulum(), PARAMS[:1], [rec], segment_seconds=(1.0,), max_iterations=2, progress=None)


def test_fit_yaml_is_a_dr_spec_centred_on_the_fit(tmp_path: Path) -> None:
    result = fit(_pendulum(), PARAMS, [_recording(noise=0.005)], progress=None)
    path = write_fit(result, tmp_path / "fit.yaml")
    env = simreal.make("simreal/PendulumSwingup-v0", dr=path, width=0.0)
    _, info = env.reset(seed=0)
    for p, value in zip(result.params, result.values, strict=True):
        assert info["dr"][p.id] == pytest.approx(value)
    document = fit_document(result)
    mass = next(t for t in document["terms"] if t["param"] == "body[pole].mass")
    se = document["sysid"]["std_errors"]["body[pole].mass"]
    assert mass["high"] - mass["low"] == pytest.approx(max(4 * se, 0.02 * mass["centre"]), rel=1e-6)


def test_cli_records_a_real_proxy_and_fits_it(tmp_path: Path) -> None:
    (tmp_path / "params.yaml").write_text(PROXY_PARAMS)
    done = run_cli(
        "record", "--task", "simreal/PendulumSwingupReal-v0", "--out", "real.parquet", cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    done = run_cli(
        "sysid",
        "--task",
        "simreal/PendulumSwingup-v0",
        "--log",
        "real.parquet",
        "--params",
        "params.yaml",
        "--out",
        "fit.yaml",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "latency.action" in done.stdout
    assert "log real.parquet: sensors of simreal/PendulumSwingupReal-v0" in done.stdout
    fitted = simreal.make("simreal/PendulumSwingup-v0", dr=tmp_path / "fit.yaml", width=0).reset(
        seed=0
    )[1]["dr"]
    # The proxy delays commands by 40 ms and has 4x the damping (0.2 N m s) with a 0.8x motor;
    # with the motor gain fixed, the fit finds the latency and damping / gain ratio, and the
    # 0.05 rad offset of the encoder the log was recorded through.
    assert fitted["latency.action"] == pytest.approx(0.04, rel=0.05)
    assert fitted["joint[hinge].damping"] == pytest.approx(0.2 / 0.8, rel=0.1)
    assert fitted["bias.qpos[hinge]"] == pytest.approx(0.05, rel=0.1)
    assert (tmp_path / "fit.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--model", "missing.xml"], "--model: missing.xml does not exist"),
        (["--model", "broken.xml"], "--model: broken.xml does not compile"),
        (["--task", "simreal/PendulumSwingup-v0", "--segments", "1,x"], "--segments"),
    ],
)
def test_cli_bad_input_exits_2_and_writes_nothing(
    tmp_path: Path, args: list[str], message: str
) -> None:
    (tmp_path / "broken.xml").write_text("<mujoco><worldbody><body></mujoco>")
    (tmp_path / "params.yaml").write_text(
        "params:\n  - {param: 'body[pole].mass', low: 0.5, high: 3}\n"
    )
    write_log(_recording(seconds=2.0), tmp_path / "log.csv")
    done = run_cli(
        "sysid",
        *args,
        "--log",
        "log.csv",
        "--params",
        "params.yaml",
        "--out",
        "fit.yaml",
        cwd=tmp_path,
    )
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "fit.yaml").exists()


def test_cmaes_global_search_from_a_poor_guess() -> None:
    params = [
        FitParam(p.id, p.low, p.high, initial=p.high) for p in PARAMS
    ]  # every guess on a bound
    result = fit(_pendulum(), params, [_recording()], method="cmaes", progress=None)
    for p, value in zip(result.params, result.values, strict=True):
        assert value == pytest.approx(TRUTH[p.id], rel=0.01), p.id


def test_fit_on_dm_controls_chaotic_acrobot() -> None:
    """An underactuated double pendulum: multiple shooting keeps the fit out of chaos."""
    common = pytest.importorskip("dm_control.suite.common")
    model = mujoco.MjModel.from_xml_string(common.read_model("acrobot.xml"), common.ASSETS)
    rng = np.random.default_rng(0)
    commands = excitation("multisine", 10.0, 0.02, model.actuator_ctrlrange, rng)
    truth = {
        "body[lower_arm].mass": 1.3,
        "joint[elbow].damping": 0.1,
        "joint[shoulder].damping": 0.05,
    }
    rec = record(model, commands, 0.02, truth, latency=0.02, rng=rng)
    params = [
        FitParam("body[lower_arm].mass", 0.3, 4.0),
        FitParam("joint[elbow].damping", 0.0, 1.0),
        FitParam("joint[shoulder].damping", 0.0, 1.0),
        FitParam("latency.action", 0.0, 0.1),
    ]
    result = fit(model, params, [rec], progress=None)
    for p, value in zip(result.params, result.values, strict=True):
        assert value == pytest.approx({**truth, "latency.action": 0.02}[p.id], rel=0.01), p.id


def test_an_interval_stays_within_the_parameters_domain() -> None:
    # Two seconds of a noisy log leave damping and friction loss barely determined: their
    # intervals value -+ 1.96 SE would run below zero, where neither lies.
    result = fit(_pendulum(), PARAMS, [_recording(noise=0.05, seconds=2.0)], progress=None)
    unclipped = result.values - 1.96 * result.std_errors
    ids = [p.id for p in result.params]
    below = [ids[i] for i in np.flatnonzero(unclipped < 0)]
    assert "joint[hinge].damping" in below  # the case this test is about
    low, high = result.ci95
    for i in np.flatnonzero(unclipped < 0):
        assert low[i] == 0.0, ids[i]
    np.testing.assert_array_equal(high, result.values + 1.96 * result.std_errors)


def test_only_a_start_on_a_bound_is_moved_inside() -> None:
    from simreal.sysid.problem import bind_problem

    params = [
        FitParam("joint[hinge].damping", 0.0, 1.0, initial=0.01),  # 1% inside: stays
        FitParam("joint[hinge].frictionloss", 0.0, 0.2, initial=0.0),  # on the bound: moves
        FitParam("latency.action", 0.0, 0.1, initial=0.1),  # on the upper bound: moves
    ]
    problem = bind_problem(_pendulum(), params, [_recording(seconds=1.0)])
    np.testing.assert_allclose(problem.start, [0.01, 0.01, 0.095])
