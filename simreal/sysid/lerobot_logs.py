"""A LeRobot v3 dataset as system-identification logs: one recording per episode.

LeRobot names the entries of ``observation.state`` and ``action`` in ``meta/info.json``
(for its arms, motor names such as ``shoulder_pan.pos``). Each entry is matched to the
model by name: a state entry to a joint (``qpos:<joint>``; ``<joint>.vel`` to
``qvel:<joint>``), an action entry to an actuator by its name or by the joint it drives
(``ctrl:<actuator>``, or ``ctrl:<joint>`` for an unnamed actuator); a ``.pos`` suffix is
dropped before matching, and two entries that name the same column are refused. The frame's
``timestamp`` is the time; the action of a frame is the command held until the next
frame, as simreal's logs hold ``ctrl:`` columns.

>>> import mujoco
>>> model = mujoco.MjModel.from_xml_string(
...     "<mujoco><worldbody><body><joint name='elbow'/><geom size='.1'/></body>"
...     "</worldbody><actuator><motor name='elbow_motor' joint='elbow'/></actuator></mujoco>")
>>> log_name("elbow.pos", "observation.state", model), log_name("elbow", "action", model)
('qpos:elbow', 'ctrl:elbow_motor')
"""

from __future__ import annotations

import difflib
from pathlib import Path

import mujoco
import numpy as np

from simreal.datasets.lerobot import LeRobotFormatError, read_lerobot_dataset
from simreal.sysid.recording import LogError, Recording

STATE, ACTION = "observation.state", "action"


def log_name(entry: str, feature: str, model: mujoco.MjModel) -> str | None:
    """The log column of one named entry of ``observation.state`` or ``action``, or ``None``."""
    joints = {model.joint(i).name for i in range(model.njnt)} - {""}
    name = entry.removesuffix(".pos")
    if feature == STATE:
        if name in joints:
            return f"qpos:{name}"
        if name.endswith(".vel") and name.removesuffix(".vel") in joints:
            return f"qvel:{name.removesuffix('.vel')}"
        return None
    for i in range(model.nu):
        actuator = model.actuator(i)
        on_joint = actuator.trntype == mujoco.mjtTrn.mjTRN_JOINT
        target = model.joint(actuator.trnid[0]).name if on_joint else ""
        if name in (actuator.name, target) and (actuator.name or target):
            return f"ctrl:{actuator.name or target}"
    return None


def read_lerobot_logs(folder: str | Path, model: mujoco.MjModel) -> list[Recording]:
    """Every episode of a LeRobot dataset as a recording of ``model``'s joints and actuators.

    Raises:
        LogError: If the folder is not a v3 dataset, lacks named ``observation.state`` or
            ``action`` entries, or names an entry that is not in the model (the sentence
            lists the model's names).
    """
    try:
        data = read_lerobot_dataset(folder)
        features = {f: data.feature(f).reshape(len(data.feature(f)), -1) for f in (STATE, ACTION)}
        time, episode = data.feature("timestamp"), data.feature("episode_index")
    except LeRobotFormatError as error:
        raise LogError(str(error)) from None
    columns: dict[str, np.ndarray] = {}
    for feature, values in features.items():
        names = data.names(feature)
        if len(names) != values.shape[1]:
            raise LogError(
                f"{folder}: meta/info.json names {len(names)} entries of {feature}, which has "
                f"{values.shape[1]}; name every entry after the model's joints and actuators."
            )
        for j, entry in enumerate(names):
            column = log_name(entry, feature, model)
            if column is None:
                raise LogError(_unmatched(folder, feature, entry, model))
            if column in columns:
                raise LogError(
                    f"{folder}: two {feature} entries name {column[column.index(':') + 1 :]} "
                    f"(the second is {entry!r}); keep one entry per joint or actuator."
                )
            columns[column] = values[:, j]
    recordings = []
    for index in np.unique(episode):
        rows = episode == index
        episode_columns = {"time": np.asarray(time[rows], np.float64)}
        episode_columns.update({name: values[rows] for name, values in columns.items()})
        recordings.append(Recording.from_columns(episode_columns, f"{folder} (episode {index})"))
    return recordings


def _unmatched(folder: str | Path, feature: str, entry: str, model: mujoco.MjModel) -> str:
    """The sentence for an entry that names nothing in the model."""
    if feature == STATE:
        known = [model.joint(i).name for i in range(model.njnt) if model.joint(i).name]
        what = "joint"
    else:
        known = [model.actuator(i).name for i in range(model.nu) if model.actuator(i).name]
        what = "actuator"
    close = difflib.get_close_matches(entry.removesuffix(".pos"), known, n=3, cutoff=0.4)
    hint = f" (close: {', '.join(close)})" if close else f" (the model has {', '.join(known)})"
    return (
        f"{folder}: {feature} entry {entry!r} names no {what} of the model{hint}; record the "
        "dataset with the model's names or rename them in meta/info.json."
    )
