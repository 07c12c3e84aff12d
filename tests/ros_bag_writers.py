"""Write a recording as ROS 2 messages with the ROS tools' own writers.

``rosbags``' rosbag2 ``Writer`` (SQLite or MCAP storage, the layout ``ros2 bag record``
writes) and the MCAP project's ``mcap_ros2`` writer (a bare ``.mcap`` file with the
message definitions as ROS 2 stores them). Joint states carry a header stamp; commands
are a ``JointState`` with names or a ``Float64MultiArray`` in actuator order.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from simreal.sysid.recording import Recording

T0_NS = 1_700_000_000 * 10**9  # a wall-clock start, as a robot's clock gives

# sensor_msgs/msg/JointState with its dependencies, in the concatenated form ROS 2
# tools store in MCAP schemas.
JOINT_STATE_DEF = """std_msgs/Header header
string[] name
float64[] position
float64[] velocity
float64[] effort
================================================================================
MSG: std_msgs/Header
builtin_interfaces/Time stamp
string frame_id
================================================================================
MSG: builtin_interfaces/Time
int32 sec
uint32 nanosec
"""


def _messages(
    rec: Recording, command_names: list[str] | None, command_delay_ns: int = 0
) -> list[tuple[str, int, dict]]:
    """(topic, time ns, fields) of every message; commands stamped ``command_delay_ns`` late."""
    joints, actuators = sorted(rec.qpos), list(rec.ctrl)
    out = []
    for k, t in enumerate(rec.time):
        ns = T0_NS + round(float(t) * 1e9)
        stamp = {"sec": ns // 10**9, "nanosec": ns % 10**9}
        out.append(("/joint_states", ns, {
            "header": {"stamp": stamp, "frame_id": ""}, "name": joints,
            "position": [float(rec.qpos[j][k]) for j in joints],
            "velocity": [float(rec.qvel[j][k]) for j in joints] if rec.qvel else [],
            "effort": []}))  # fmt: skip
        values = [float(rec.ctrl[a][k]) for a in actuators]
        ns += command_delay_ns
        stamp = {"sec": ns // 10**9, "nanosec": ns % 10**9}
        if command_names is None:
            out.append(("/joint_commands", ns, {"data": values}))
        else:
            out.append(("/joint_commands", ns, {
                "header": {"stamp": stamp, "frame_id": ""}, "name": command_names,
                "position": [], "velocity": [], "effort": values}))  # fmt: skip
    return out


def write_rosbag(
    rec: Recording,
    folder: Path,
    storage: str = "sqlite3",
    command_names: list[str] | None = None,
    command_delay_ns: int = 0,
) -> Path:
    """The recording as a rosbag2 folder written by ``rosbags``' writer."""
    from rosbags.rosbag2 import StoragePlugin, Writer
    from rosbags.typesys import Stores, get_typestore

    store = get_typestore(Stores.ROS2_HUMBLE)
    types = store.types
    plugin = StoragePlugin.MCAP if storage == "mcap" else StoragePlugin.SQLITE3
    command_type = "std_msgs/msg/Float64MultiArray" if command_names is None else (
        "sensor_msgs/msg/JointState")  # fmt: skip
    with Writer(folder, version=9, storage_plugin=plugin) as writer:
        connections = {
            "/joint_states": writer.add_connection(
                "/joint_states", "sensor_msgs/msg/JointState", typestore=store),
            "/joint_commands": writer.add_connection(
                "/joint_commands", command_type, typestore=store),
        }  # fmt: skip
        for topic, ns, fields in _messages(rec, command_names, command_delay_ns):
            if "data" in fields:
                layout = types["std_msgs/msg/MultiArrayLayout"](dim=[], data_offset=0)
                message = types["std_msgs/msg/Float64MultiArray"](
                    layout=layout, data=np.array(fields["data"])
                )
                msgtype = "std_msgs/msg/Float64MultiArray"
            else:
                stamp = types["builtin_interfaces/msg/Time"](**fields["header"]["stamp"])
                header = types["std_msgs/msg/Header"](stamp=stamp, frame_id="")
                message = types["sensor_msgs/msg/JointState"](
                    header=header, name=fields["name"],
                    position=np.array(fields["position"], float),
                    velocity=np.array(fields["velocity"], float),
                    effort=np.array(fields["effort"], float))  # fmt: skip
                msgtype = "sensor_msgs/msg/JointState"
            writer.write(connections[topic], ns, store.serialize_cdr(message, msgtype))
    return folder


def write_mcap(rec: Recording, path: Path, command_names: list[str]) -> Path:
    """The recording as a bare ``.mcap`` file written by the MCAP project's ROS 2 writer."""
    from mcap_ros2.writer import Writer

    with path.open("wb") as stream:
        writer = Writer(stream)
        schema = writer.register_msgdef("sensor_msgs/msg/JointState", JOINT_STATE_DEF)
        for topic, ns, fields in _messages(rec, command_names):
            writer.write_message(topic, schema, fields, log_time=ns, publish_time=ns)
        writer.finish()
    return path
