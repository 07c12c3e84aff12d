"""ROS 2 bags and MCAP files as system-identification logs.

A ROS 2 robot logs its measured joints as ``sensor_msgs/msg/JointState`` (names,
positions, velocities, a header stamp) and its commands on a topic of its controller:
a ``JointState`` with names (the first non-empty of ``position``, ``velocity``,
``effort`` unless a field is named), or a ``std_msgs/msg/Float64MultiArray`` whose
values follow the model's actuator order (as ``ros2_control``'s forward command
controllers order them by their configured joints). The ``rosbags`` package reads
rosbag2 folders (SQLite or MCAP storage) and bare ``.mcap`` files with the message
definitions they carry, so no ROS installation is needed.

Times come from the messages: a ``JointState``'s header stamp (the bag's receive time
when the stamp is unset, as drivers that leave it zero do), a ``Float64MultiArray``'s
receive time (it has no header: two clocks then meet, and transport delay adds to the
fitted latency). The log's rows are the joint-state times; the command of a row is the
last command stamped at or before it, held until the next row, and rows before the first
command are dropped. A command stamped between two rows therefore counts from the next
row: with commands and states from one control loop (ros2_control publishes both each
cycle) the stamps coincide; otherwise the fitted latency carries up to one row period.
Names are matched to the model as LeRobot entries are
(:func:`simreal.sysid.lerobot_logs.log_name`): a joint state's name to a joint, a
command's name to an actuator or to the joint it drives.
"""

from __future__ import annotations

import difflib
from pathlib import Path

import mujoco
import numpy as np

from simreal.sysid.lerobot_logs import ACTION, STATE, log_name
from simreal.sysid.recording import LogError, Recording

JOINT_STATE = "sensor_msgs/msg/JointState"
FLOAT_ARRAY = "std_msgs/msg/Float64MultiArray"
COMMAND_FIELDS = ("position", "velocity", "effort")


def is_ros_log(path: str | Path) -> bool:
    """Whether ``path`` is a rosbag2 folder, a ``.db3`` bag file or an ``.mcap`` file."""
    path = Path(path)
    if path.is_dir():
        return (path / "metadata.yaml").is_file()
    return path.suffix in (".mcap", ".db3")


def read_ros_log(
    path: str | Path,
    model: mujoco.MjModel,
    joint_topic: str = "/joint_states",
    command_topic: str = "/joint_commands",
    command_field: str | None = None,
) -> list[Recording]:
    """One recording of ``model``'s joints and actuators from a bag or an MCAP file.

    Args:
        path: A rosbag2 folder (with ``metadata.yaml``), or a ``.mcap`` / ``.db3`` file.
        model: The model whose joint and actuator names the messages must use.
        joint_topic: The ``sensor_msgs/msg/JointState`` topic of the measured joints.
        command_topic: The command topic (``JointState`` or ``Float64MultiArray``).
        command_field: Which field of a ``JointState`` command holds the command
            (``position``, ``velocity`` or ``effort``; default: the first non-empty).

    Returns:
        A one-element list (the same shape as a LeRobot dataset's episodes).

    Raises:
        LogError: If the file cannot be read, a topic is missing or of another type, a
            name is not in the model, or the topics never overlap in time; the sentence
            names the file and the fix.
    """
    from rosbags.highlevel import AnyReader, AnyReaderError
    from rosbags.serde import SerdeError
    from rosbags.typesys import Stores, TypesysError, get_typestore

    if command_field is not None and command_field not in COMMAND_FIELDS:
        raise LogError(f"command field {command_field!r}: use one of {', '.join(COMMAND_FIELDS)}.")
    path = Path(path)
    bag = path.parent if path.suffix == ".db3" else path
    try:
        # Bags recorded before ROS 2 Iron carry no message definitions: Humble's types then.
        with AnyReader([bag], default_typestore=get_typestore(Stores.ROS2_HUMBLE)) as reader:
            topics = {c.topic: c.msgtype for c in reader.connections}
            _require_topic(path, topics, joint_topic, (JOINT_STATE,), "--joint-topic")
            command_types = (JOINT_STATE, FLOAT_ARRAY)
            _require_topic(path, topics, command_topic, command_types, "--command-topic")
            states, commands = [], []
            for connection, stamp, raw in reader.messages():
                if connection.topic not in (joint_topic, command_topic):
                    continue
                message = reader.deserialize(raw, connection.msgtype)
                target = states if connection.topic == joint_topic else commands
                target.append((_stamp(message, stamp), message))
    except (AnyReaderError, SerdeError, TypesysError, OSError, ValueError, KeyError) as error:
        raise LogError(f"{path}: cannot be read as a ROS 2 bag or MCAP file ({error}).") from None
    if not states or not commands:
        empty = joint_topic if not states else command_topic
        raise LogError(f"{path}: topic {empty} holds no messages; record the robot on it.")
    columns = _state_columns(path, states, model)
    command_times, command_columns = _command_columns(path, commands, model, command_field)
    times = columns.pop("time")
    row = np.searchsorted(command_times, times, side="right") - 1
    keep = row >= 0
    if keep.sum() < 2:
        raise LogError(
            f"{path}: the commands on {command_topic} start after the last joint state on "
            f"{joint_topic}; record both topics over the same run."
        )
    out = {"time": (times[keep] - times[keep][0]) * 1e-9}
    out.update({name: values[keep] for name, values in columns.items()})
    out.update({name: values[row[keep]] for name, values in command_columns.items()})
    return [Recording.from_columns(out, str(path), f"ROS 2 topic {joint_topic}")]


def _require_topic(path: Path, topics: dict, topic: str, types: tuple[str, ...], flag: str) -> None:
    """Refuse a missing topic (listing the bag's topics) or one of another message type."""
    if topic not in topics:
        close = difflib.get_close_matches(topic, list(topics), n=3, cutoff=0.3)
        listed = ", ".join(close or sorted(topics)) or "none"
        raise LogError(f"{path}: no topic {topic} (it has {listed}); name it with {flag}.")
    if topics[topic] not in types:
        raise LogError(
            f"{path}: topic {topic} holds {topics[topic]}, not {' or '.join(types)}; name the "
            f"right topic with {flag}."
        )


def _stamp(message: object, receive_ns: int) -> int:
    """The message's header stamp in integer nanoseconds, or its receive time without one.

    Integers until the run's start is subtracted: a wall-clock time in float seconds keeps
    only about 0.2 us.
    """
    header = getattr(message, "header", None)
    if header is not None and (header.stamp.sec or header.stamp.nanosec):
        return header.stamp.sec * 10**9 + header.stamp.nanosec
    return int(receive_ns)


def _state_columns(path: Path, states: list, model: mujoco.MjModel) -> dict[str, np.ndarray]:
    """``time``, ``qpos:<joint>`` and ``qvel:<joint>`` columns from the joint states."""
    states.sort(key=lambda item: item[0])
    names = list(states[0][1].name)
    columns: dict[str, list] = {"time": []}
    for name in names:
        column = log_name(name, STATE, model)
        if column is None or not column.startswith("qpos:"):
            raise LogError(_unmatched(path, "joint state", name, model))
    with_velocity = all(len(message.velocity) == len(names) for _, message in states)
    for time, message in states:
        if list(message.name) != names or len(message.position) != len(names):
            raise LogError(
                f"{path}: the joint state at {time * 1e-9:.3f} s names other joints or lacks a "
                "position; record a fixed set of joints, each with its position."
            )
        columns["time"].append(time)
        for j, name in enumerate(names):
            columns.setdefault(f"qpos:{name.removesuffix('.pos')}", []).append(message.position[j])
            if with_velocity:  # velocities only where every message has them
                columns.setdefault(f"qvel:{name.removesuffix('.pos')}", []).append(
                    message.velocity[j]
                )
    out = {name: np.asarray(values, np.float64) for name, values in columns.items()}
    out["time"] = np.asarray(columns["time"], np.int64)
    return out


def _command_columns(
    path: Path, commands: list, model: mujoco.MjModel, field: str | None
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Command times and ``ctrl:<actuator>`` columns, sorted by time."""
    commands.sort(key=lambda item: item[0])
    first = commands[0][1]
    if hasattr(first, "data"):  # Float64MultiArray: the model's actuator order
        names = [model.actuator(i).name or model.joint(model.actuator(i).trnid[0]).name
                 for i in range(model.nu)]  # fmt: skip
        rows = [np.asarray(message.data, np.float64) for _, message in commands]
        if any(len(r) != model.nu for r in rows):
            raise LogError(
                f"{path}: a Float64MultiArray command holds {len(rows[0])} values, the model "
                f"has {model.nu} actuators ({', '.join(names)}); publish one value per actuator "
                "in the model's order, or name them with a JointState command."
            )
    else:
        field = field or next((f for f in COMMAND_FIELDS if len(getattr(first, f))), "position")
        names = []
        for name in first.name:
            column = log_name(name, ACTION, model)
            if column is None:
                raise LogError(_unmatched(path, "command", name, model))
            names.append(column.removeprefix("ctrl:"))
        rows = [np.asarray(getattr(message, field), np.float64) for _, message in commands]
        if any(len(r) != len(names) for r in rows):
            raise LogError(
                f"{path}: a JointState command has no {field} for each of its names; choose "
                f"the field that holds the commands ({', '.join(COMMAND_FIELDS)})."
            )
    values = np.vstack(rows)
    times = np.array([time for time, _ in commands], np.int64)
    return times, {f"ctrl:{name}": values[:, j] for j, name in enumerate(names)}


def _unmatched(path: Path, what: str, name: str, model: mujoco.MjModel) -> str:
    """The sentence for a message name that is not in the model."""
    if what == "joint state":
        known = [model.joint(i).name for i in range(model.njnt) if model.joint(i).name]
    else:
        known = [model.actuator(i).name for i in range(model.nu) if model.actuator(i).name]
        known += [model.joint(i).name for i in range(model.njnt) if model.joint(i).name]
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.4)
    hint = f" (close: {', '.join(close)})" if close else f" (the model has {', '.join(known)})"
    return (
        f"{path}: {what} name {name!r} is not in the model{hint}; log the model's names or "
        "rename the model's joints and actuators to the robot's."
    )
