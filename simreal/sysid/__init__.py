"""System identification: fit simulator parameters and latency to logged robot data.

The log format (:mod:`simreal.sysid.recording`), readers for CSV, Parquet,
HDF5, NPZ and LeRobot episodes (:mod:`simreal.sysid.readers`), excitation
signals and synthetic recordings (:mod:`simreal.sysid.excitation`), replay of
logged controls in MuJoCo (:mod:`simreal.sysid.replay`) and the fit itself
(:mod:`simreal.sysid.fit`), in the parameter vocabulary of domain randomization.
"""
