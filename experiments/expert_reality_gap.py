"""The reality gap of the experts: success and return on nominal vs real proxy.

Every task's expert is designed on the nominal model only. Run on the task's
real proxy (other masses, frictions and gains; latency, sensor bias and noise)
it does measurably worse: that gap is what domain randomization, system
identification and fine-tuning set out to close.

    python experiments/expert_reality_gap.py            # 50 episodes, seeds 1000-1049

Writes experiments/results/expert_reality_gap.json and prints the README's table.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import simreal  # noqa: F401  (registers the tasks)
from simreal.atomic_io import write_json_atomic
from simreal.envs.registry import TASKS
from simreal.reality_gap import format_gap_table, measure_gap

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--episodes", type=int, default=50)
parser.add_argument("--seed", type=int, default=1000)
parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
args = parser.parse_args()

# The pixel variants share physics, seeds and expert with their state variants
# (tests/test_rendering.py checks it), so their numbers are the same; measure
# the state ids only and skip thousands of software-rendered frames.
state_tasks = [t for t in TASKS if t.kwargs.get("obs_type", "state") == "state"]
rows = []
for task in state_tasks:
    start = time.perf_counter()
    rows.append(measure_gap(task.env_id, args.episodes, args.seed))
    print(f"{task.env_id}: {time.perf_counter() - start:.1f} s", flush=True)

write_json_atomic(
    args.out / "expert_reality_gap.json",
    {"episodes": args.episodes, "seed": args.seed, "tasks": [r.to_dict() for r in rows]},
)
print()
print(format_gap_table(rows))
