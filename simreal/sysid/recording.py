"""One recording of a robot: commanded controls and measured joints over time.

Column scheme (the same in every file format)::

    time               seconds, strictly increasing (irregular sampling allowed)
    ctrl:<actuator>    commanded control of an actuator, by actuator name
    qpos:<joint>       measured position of a 1-DoF (hinge or slide) joint, by joint name
    qvel:<joint>       measured velocity (optional)
    sensor:<name>      a named sensor's reading (optional, kept for the user)

Controls are zero-order held by default: the value logged at ``time[i]`` is the
command from ``time[i]`` until ``time[i + 1]``. A plant that interpolates its
commands is a log with ``hold = "linear"`` (the command ramps from ``time[i]`` to
``time[i + 1]``), set by the user (``simreal sysid --hold``), not stored in files.

A recording also says what its joint columns hold (``measurement``): the
readings of a robot's sensors (``"sensors of <env id>"``), or a simulator's
joint state with synthetic white noise (``"simulator state, synthetic noise
sigma = 0.5% of each signal's range"``). Files keep it as metadata (a ``#``
comment line above a CSV header, Parquet schema metadata, an HDF5 attribute,
an NPZ entry).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from simreal.datasets.tables import TableError

PREFIXES = ("ctrl:", "qpos:", "qvel:", "sensor:")
HOLDS = ("zoh", "linear")
UNKNOWN_MEASUREMENT = "not stated in the log"


# A log is unusable; the message names the file, the column and the fix. The same class as
# the column tables' error, so one ``except`` catches a bad file and a bad log alike.
LogError = TableError


@dataclass
class Recording:
    """A validated recording.

    Attributes:
        time: ``(T,)`` sample times in seconds, strictly increasing.
        ctrl: ``{actuator name: (T,) commands}``.
        qpos: ``{joint name: (T,) positions}``.
        qvel: ``{joint name: (T,) velocities}`` (may be empty).
        sensors: ``{sensor name: (T,) readings}`` (may be empty).
        source: Where it came from, for messages.
        measurement: What the joint columns hold (see the module docstring).
        hold: How the plant turns the logged commands into a signal: ``"zoh"`` or
            ``"linear"`` (see the module docstring).
    """

    time: NDArray[np.float64]
    ctrl: dict[str, NDArray[np.float64]]
    qpos: dict[str, NDArray[np.float64]]
    qvel: dict[str, NDArray[np.float64]] = field(default_factory=dict)
    sensors: dict[str, NDArray[np.float64]] = field(default_factory=dict)
    source: str = "<memory>"
    measurement: str = UNKNOWN_MEASUREMENT
    hold: str = "zoh"

    def __post_init__(self) -> None:
        self.time = np.asarray(self.time, np.float64)
        where = self.source
        if self.hold not in HOLDS:
            raise LogError(f"{where}: hold {self.hold!r} is not one of {', '.join(HOLDS)}.")
        if self.time.ndim != 1 or self.time.size < 2:
            raise LogError(f"{where}: 'time' needs at least two samples.")
        if not np.all(np.isfinite(self.time)):
            raise LogError(f"{where}: 'time' contains NaN or inf; remove those rows.")
        steps = np.diff(self.time)
        if np.any(steps == 0):
            row = int(np.flatnonzero(steps == 0)[0]) + 1
            raise LogError(f"{where}: duplicated time stamp at row {row}; drop the duplicate rows.")
        if np.any(steps < 0):
            row = int(np.flatnonzero(steps < 0)[0]) + 1
            raise LogError(f"{where}: time goes backwards at row {row}; sort the log by time.")
        if not self.ctrl:
            raise LogError(f"{where}: no 'ctrl:<actuator>' column; log the commanded controls.")
        if not self.qpos:
            raise LogError(f"{where}: no 'qpos:<joint>' column; log the measured joint positions.")
        for prefix, columns in (("ctrl:", self.ctrl), ("qpos:", self.qpos), ("qvel:", self.qvel),
                                ("sensor:", self.sensors)):  # fmt: skip
            for name, values in list(columns.items()):
                values = np.asarray(values, np.float64)
                columns[name] = values
                if values.shape != self.time.shape:
                    raise LogError(
                        f"{where}: column {prefix}{name} has {values.size} rows, "
                        f"time has {self.time.size}."
                    )
                if not np.all(np.isfinite(values)):
                    row = int(np.flatnonzero(~np.isfinite(values))[0])
                    raise LogError(
                        f"{where}: column {prefix}{name} has NaN or inf at row {row}; "
                        "clean or drop it."
                    )

    @property
    def duration(self) -> float:
        """Recorded time span in seconds."""
        return float(self.time[-1] - self.time[0])

    def columns(self) -> dict[str, NDArray[np.float64]]:
        """All columns by their file names (``time``, ``ctrl:<a>``, ...)."""
        out = {"time": self.time}
        for prefix, columns in (("ctrl:", self.ctrl), ("qpos:", self.qpos), ("qvel:", self.qvel),
                                ("sensor:", self.sensors)):  # fmt: skip
            out.update({prefix + k: v for k, v in columns.items()})
        return out

    @classmethod
    def from_columns(
        cls, columns: dict[str, NDArray], source: str, measurement: str = UNKNOWN_MEASUREMENT
    ) -> Recording:
        """Build from named columns, rejecting names outside the scheme."""
        if "time" not in columns:
            raise LogError(f"{source}: no 'time' column; name the time stamps (seconds) 'time'.")
        groups: dict[str, dict[str, NDArray]] = {p: {} for p in PREFIXES}
        for name, values in columns.items():
            if name == "time":
                continue
            prefix = next((p for p in PREFIXES if name.startswith(p)), None)
            if prefix is None or len(name) == len(prefix):
                raise LogError(
                    f"{source}: column {name!r} is not in the log scheme; name columns time, "
                    "ctrl:<actuator>, qpos:<joint>, qvel:<joint> or sensor:<name>."
                )
            groups[prefix][name[len(prefix) :]] = values
        return cls(
            np.asarray(columns["time"], np.float64), groups["ctrl:"], groups["qpos:"],
            groups["qvel:"], groups["sensor:"], source, measurement,
        )  # fmt: skip
