"""The ``simreal dagger`` command: a pixel student taught by the task's state expert.

Heavy imports happen in the runner. Bad input ends with ``parser.error`` (exit code 2,
one sentence, no traceback) before anything is written.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from simreal.cli_checks import check_env_id, check_output_dir, int_at_least, require_task
from simreal.learning.command_flags import add_dr_arguments, check_dr
from simreal.learning.encoder_names import ENCODERS
from simreal.learning.image_augment import AUGMENTATIONS


def add_dagger_parser(commands: argparse._SubParsersAction) -> None:  # noqa: SLF001
    """Register ``dagger``."""
    dagger = commands.add_parser(
        "dagger",
        help="teach a pixel policy by DAgger, the task's state expert labelling its frames",
        description="Teacher-student DAgger: the task's expert acts on the simulator's state "
        "and labels every camera frame; a CNN student (SB3's NatureCNN, plus the joint "
        "encoders unless --no-proprio) learns to act from the frames. Round 0 is the expert "
        "alone, then the student acts more each round (the expert with probability "
        "beta-decay^round). Rollouts run under --dr (visual and dynamics randomization). The "
        "run folder's policy/ is evaluated with simreal eval on the pixel task or its proxy. "
        "Rerunning resumes after the last finished round.",
    )
    dagger.add_argument("--task", required=True, help="a pixel task, e.g. simreal/ReachPixels-v0")
    add_dr_arguments(dagger)
    dagger.add_argument(
        "--visual-every", type=int_at_least(1), default=None,
        help="redraw the --dr spec's visual terms (lights, materials, cameras) every N steps, "
        "so that an episode's look changes while its task stays (default: as the spec says)",
    )  # fmt: skip
    dagger.add_argument(
        "--rounds", type=int_at_least(0), default=4,
        help="DAgger rounds after the expert's round 0 (default: %(default)s)",
    )  # fmt: skip
    dagger.add_argument(
        "--episodes", type=int_at_least(1), default=20,
        help="episodes rolled out and labelled per round (default: %(default)s)",
    )  # fmt: skip
    dagger.add_argument(
        "--episode-steps", type=int_at_least(1), default=None,
        help="steps of each labelled episode (default: the task's whole episode); shorter "
        "episodes show more targets and scenes for the same rendering time",
    )  # fmt: skip
    dagger.add_argument(
        "--beta-decay", type=float, default=0.5,
        help="the expert acts with probability beta-decay^round, in [0, 1] (default: 0.5)",
    )  # fmt: skip
    dagger.add_argument(
        "--image-size", type=int_at_least(36), default=64,
        help="side of the camera images in pixels, >= 36 for NatureCNN (default: %(default)s)",
    )  # fmt: skip
    dagger.add_argument(
        "--no-proprio", action="store_true",
        help="images only; by default the student also reads the joint encoders",
    )  # fmt: skip
    dagger.add_argument(
        "--augment", choices=AUGMENTATIONS, default="none",
        help="image augmentation: DrQ's random shift, a colour jitter, or both "
        "(default: %(default)s)",
    )  # fmt: skip
    dagger.add_argument(
        "--encoder", choices=ENCODERS, default="nature",
        help="image encoder: SB3's NatureCNN, or learned keypoints (a spatial softmax, "
        "for small targets; Levine et al. 2016) (default: %(default)s)",
    )  # fmt: skip
    dagger.add_argument(
        "--epochs", type=int_at_least(1), default=10,
        help="passes over the aggregated frames per round (default: %(default)s)",
    )  # fmt: skip
    dagger.add_argument(
        "--seed", type=int_at_least(0), default=0, help="seed (default: %(default)s)"
    )
    dagger.add_argument("--out", type=Path, required=True, help="output folder")


def run_dagger(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """Run ``simreal dagger``; see :func:`add_dagger_parser`."""
    from simreal.learning.evaluate import is_pixel_task

    check_env_id(parser, "--task", args.task)
    fix = "give a simreal pixel task such as simreal/ReachPixels-v0"
    task = require_task(parser, "--task", args.task, "expert to teach a student", fix)
    if not is_pixel_task(args.task):
        from simreal.envs.registry import TASKS

        pixel = [t.env_id for t in TASKS if t.name == f"{task.name}Pixels"]
        parser.error(
            f"--task: {args.task} gives state observations; a pixel student learns on a pixel "
            f"task{f' ({pixel[0]})' if pixel else ''}."
        )
    if args.task == task.real_id:
        parser.error(
            f"--task: {args.task} is a real proxy; teach the student on {task.env_id} "
            "(its expert labels frames from the simulator's state)."
        )
    if not 0 <= args.beta_decay <= 1:
        parser.error(f"--beta-decay must be in [0, 1], got {args.beta_decay}.")
    if args.width is not None and args.width < 0:
        parser.error(f"--width must be >= 0, got {args.width}.")
    check_output_dir(parser, "--out", args.out)
    dr = check_dr(parser, args.dr, args.task, args.width)
    if args.visual_every is not None:
        if dr is None:
            parser.error("--visual-every redraws the visual terms of a --dr spec; give --dr too.")
        from simreal.randomization import load_spec
        from simreal.randomization.visual_terms import has_visual, visual_every

        spec = load_spec(dr)
        if not has_visual(spec):
            parser.error(
                f"--visual-every: the --dr spec {args.dr} randomizes nothing a camera sees "
                "(lights, materials, cameras, geom colours); add visual terms or drop the flag."
            )
        dr = visual_every(spec, args.visual_every).to_dict()
    obs_type = "pixels" if args.no_proprio else "pixels_proprio"
    if dr is not None:  # the spec on the observations the student takes (a dict with proprio)
        from simreal.factory import make

        try:
            make(args.task, dr=dr, width=args.width, obs_type=obs_type, image_size=36).close()
        except ValueError as error:
            sees = "the image and the joint encoders" if obs_type == "pixels_proprio" else "images"
            hint = " or give --no-proprio" if obs_type == "pixels_proprio" else ""
            parser.error(f"--dr: {error} (the student sees {sees}: drop that term{hint}).")
    from simreal.learning.pixel_student import StudentConfig, StudentFolderError, train_student

    config = StudentConfig(
        args.task,
        dr=dr,
        width=1.0 if args.width is None else args.width,
        image_size=args.image_size,
        proprio=not args.no_proprio,
        rounds=args.rounds,
        episodes=args.episodes,
        episode_steps=args.episode_steps,
        beta_decay=args.beta_decay,
        epochs=args.epochs,
        augment=args.augment,
        encoder=args.encoder,
        features=16 if args.encoder == "keypoints" else 256,
        seed=args.seed,
    )
    try:
        final = train_student(config, args.out)
    except StudentFolderError as error:
        parser.error(str(error))
    except KeyboardInterrupt:
        print("interrupted; rerun the same command to resume.", file=sys.stderr)
        return 130
    print(f"pixel student of {args.task}: {final} (simreal eval --policy {final} --on ...)")
    return 0
