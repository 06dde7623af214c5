"""Train the plate detector on synthetic scenes, export it to models/detector, run the eval.

Entry point of ``make train-detector``: ``python -m training.detector.train`` runs the
stages of ``RECIPE`` one after the other, each from the previous one's weights.
"""

from __future__ import annotations

import argparse
import logging
import math
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np
import torch

from training.detector.data import PlateMix, Sources, TurnedPhotos, load_sources, make_scene
from training.detector.export import export_detector
from training.detector.model import PlateNet, detector_loss, encode_targets
from training.from_onnx import freeze_norms, load_onnx_weights

logger = logging.getLogger(__name__)

# The largest input the detector serves: a 1600 px photo is shrunk to 768 px, where a
# 50 px plate is 24 px wide, enough for one pass to find it.
INPUT_H, INPUT_W = 576, 768
# Training runs on random windows of the full input: same pixel scale, 5x cheaper.
CROP_H, CROP_W = 256, 320
# Share of windows placed over a plate of the scene: a window holds a fifth of the
# input, so random windows alone would mostly hold background.
ON_PLATE_SHARE = 0.7
DEFAULT_BATCH = 16
CORNER_LOSS_WEIGHT = 5.0
DEFAULT_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
DEFAULT_OUT = Path(__file__).resolve().parents[2] / "models" / "detector"


@dataclass(frozen=True)
class Stage:
    """One schedule of the optimiser: ``steps`` batches drawn from ``seed``, AdamW at a
    peak rate ``lr`` (warm-up, then cosine decay), real photos turned as ``turned``
    says, ``conditions`` of the scenes under a camera condition
    (``data.SCENE_CONDITIONS``), rendered plates of the types ``plates`` draws."""

    steps: int
    lr: float
    seed: int
    turned: TurnedPhotos
    conditions: float = 0.0
    plates: PlateMix = PlateMix()


# The recipe of the shipped detector.
RECIPE = (
    # From scratch: half the real photos turned, most by a near-level roll, as pasted
    # plates are.
    Stage(4500, 2e-3, 20261127, TurnedPhotos(0.5)),
    # A second schedule at half the rate and fresh batches: far plates keep improving
    # long after the loss flattens.
    Stage(3000, 1e-3, 20261206, TurnedPhotos(0.5)),
    # One pass must find rolled real plates, and rolled far real plates are the hardest
    # (pasted ones stand out from their background): three real photos in four turned,
    # uniformly over the whole roll range.
    Stage(3000, 1e-3, 20261207, TurnedPhotos(0.75, uniform=True)),
    # Night, infrared and cheap cameras: a third of the scenes under one of their
    # conditions, which one pass must read through as well.
    Stage(3000, 1e-3, 20261208, TurnedPhotos(0.75, uniform=True), conditions=0.33),
    # Police, military, diplomatic, taxi and transit plates are rare on the roads but
    # must be found: the other one-line types get more rendered plates than private
    # ones; half the rendered plates are dirty, scratched and spattered, as old plates
    # are; every colour comes in other shades (a lighter blue, amber, maroon), and the
    # print in more widths and weights.
    Stage(3000, 1e-3, 20261209, TurnedPhotos(0.75, uniform=True), conditions=0.33,
          plates=PlateMix(private=0.3, one_line=0.45, worn=0.5, hue_turn=30.0,
                          saturation=(0.6, 1.3), wider_print=True)),
    # Those plates must be found where plates are, on cars: most real photos get their
    # plates painted over by rendered ones, lit as the plates they cover.
    Stage(3000, 1e-3, 20261210, TurnedPhotos(0.75, uniform=True), conditions=0.33,
          plates=PlateMix(private=0.3, one_line=0.45, worn=0.5, hue_turn=30.0,
                          saturation=(0.6, 1.3), wider_print=True, repaint=0.6,
                          lit_like_old=True)),
)


def crop_origin(rng: np.random.Generator, quads: list[np.ndarray]) -> tuple[int, int]:
    """Top-left of a training window: anywhere, or (``ON_PLATE_SHARE``) over a plate."""
    if quads and rng.random() < ON_PLATE_SHARE:
        cx, cy = quads[int(rng.integers(0, len(quads)))].mean(axis=0)
        x_lo, y_lo = max(0, int(cx) - CROP_W + 8), max(0, int(cy) - CROP_H + 8)
        x_hi = max(x_lo, min(INPUT_W - CROP_W, int(cx) - 8))
        y_hi = max(y_lo, min(INPUT_H - CROP_H, int(cy) - 8))
        return (min(int(rng.integers(x_lo, x_hi + 1)), INPUT_W - CROP_W),
                min(int(rng.integers(y_lo, y_hi + 1)), INPUT_H - CROP_H))
    return (int(rng.integers(0, INPUT_W - CROP_W + 1)),
            int(rng.integers(0, INPUT_H - CROP_H + 1)))


def make_batch(sources: Sources, stage: Stage, step: int, batch: int
               ) -> tuple[torch.Tensor, ...]:
    """Batch ``step`` of ``stage``: images (N,3,CROP_H,CROP_W) and targets; fixed by
    (stage.seed, step)."""
    images, heats, regs, weights = [], [], [], []
    for i in range(batch):
        rng = np.random.default_rng((stage.seed, step, i))
        scene = make_scene(rng, sources, INPUT_H, INPUT_W, stage.turned, stage.conditions,
                           stage.plates)
        x0, y0 = crop_origin(rng, scene.quads + scene.boxes_only)
        crop = scene.image[y0:y0 + CROP_H, x0:x0 + CROP_W]
        offset = np.array([x0, y0], np.float32)

        def in_crop(quads: list[np.ndarray]) -> list[np.ndarray]:
            shifted = [quad - offset for quad in quads]
            return [q for q in shifted
                    if 0 <= q[:, 0].mean() < CROP_W and 0 <= q[:, 1].mean() < CROP_H]

        heat, reg, weight = encode_targets(
            in_crop(scene.quads), CROP_H, CROP_W, in_crop(scene.boxes_only),
            [quad - offset for quad in scene.unknown])
        images.append(crop.transpose(2, 0, 1))
        heats.append(heat)
        regs.append(reg)
        weights.append(weight)
    return (torch.from_numpy(np.stack(images).astype(np.float32)),
            torch.from_numpy(np.stack(heats)), torch.from_numpy(np.stack(regs)),
            torch.from_numpy(np.stack(weights)))


def train_stage(model: PlateNet, sources: Sources, stage: Stage, batch: int,
                log_every: int = 50, frozen_norms: bool = False) -> PlateNet:
    """Train ``model`` in place through one stage and return it in eval mode; with
    ``frozen_norms`` its batch norms keep their statistics (``training.from_onnx``)."""
    torch.manual_seed(stage.seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=stage.lr, weight_decay=1e-4)
    steps = stage.steps
    warmup = max(1, min(100, steps // 10))

    def rate(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, steps - warmup))) + 0.01

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, rate)
    model.train()
    if frozen_norms:
        freeze_norms(model)
    start = time.monotonic()
    running = np.zeros(2)
    for step in range(steps):
        images, gt_heat, gt_corners, gt_weight = make_batch(sources, stage, step, batch)
        heat, corners = model(images)
        h_loss, c_loss = detector_loss(heat, corners, gt_heat, gt_corners, gt_weight)
        loss = h_loss + CORNER_LOSS_WEIGHT * c_loss
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        optimizer.step()
        scheduler.step()
        running += (h_loss.item(), c_loss.item())
        if (step + 1) % log_every == 0 or step + 1 == steps:
            n = log_every if (step + 1) % log_every == 0 else (step + 1) % log_every
            logger.info("step %d/%d heat %.4f corners %.4f lr %.2e %.0fs", step + 1, steps,
                        running[0] / n, running[1] / n, scheduler.get_last_lr()[0],
                        time.monotonic() - start)
            running[:] = 0
    return model.eval()


def plate_net_from_onnx(path: Path) -> PlateNet:
    """A PlateNet computing what the exported detector graph at ``path`` computes."""
    return load_onnx_weights(PlateNet(), path, torch.zeros(1, 3, 64, 64))


def train(sources: Sources, stages: Sequence[Stage], batch: int = DEFAULT_BATCH,
          init: Path | None = None, save: Path | None = None, log_every: int = 50
          ) -> tuple[PlateNet, list[dict]]:
    """A PlateNet trained through ``stages`` in order, fresh or from the state dict at
    ``init``, or from an exported ``detector.onnx`` there (its batch norms then stay
    frozen), with each stage's settings and wall time (for the card). The state dict is
    saved to ``save`` after each stage, so a run stopped midway resumes from it."""
    torch.manual_seed(stages[0].seed)
    from_graph = init is not None and init.suffix == ".onnx"
    if init is not None and from_graph:
        model = plate_net_from_onnx(init)
    else:
        model = PlateNet()
        if init is not None:
            model.load_state_dict(torch.load(init))
    record = []
    for number, stage in enumerate(stages, 1):
        logger.info("stage %d of %d: %s", number, len(stages), stage)
        start = time.monotonic()
        train_stage(model, sources, stage, batch, log_every, frozen_norms=from_graph)
        record.append({**asdict(stage), "threads": torch.get_num_threads(),
                       "wall_minutes": round((time.monotonic() - start) / 60, 1),
                       **({"frozen_norms": True} if from_graph else {})})
        if save is not None:
            torch.save(model.state_dict(), save)
            logger.info("saved the weights after stage %d to %s", number, save)
    return model, record


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA,
                        help="shared data root (real-dev, real-extra)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--batch", type=int, default=DEFAULT_BATCH)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--no-eval", action="store_true")
    parser.add_argument("--first-stage", type=int, default=1, choices=range(1, len(RECIPE) + 1),
                        help="run the recipe from this stage on (with --init: the weights "
                        "the stage before it saved)")
    parser.add_argument("--init", type=Path, default=None,
                        help="start from this torch state dict (see --save-weights) or "
                        "exported detector.onnx (models/detector/detector.onnx)")
    parser.add_argument("--save-weights", type=Path, default=None,
                        help="save the torch state dict here after each stage (to resume "
                        "from with --init and --first-stage)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    torch.set_num_threads(args.threads)
    cv2.setNumThreads(1)
    if not (args.data / "real-dev" / "labels.csv").is_file():
        logger.warning("no real data at %s: training on procedural backgrounds and "
                       "rendered plates only", args.data)
        sources = Sources((), (), ())
    else:
        sources = load_sources(args.data)
    stages = RECIPE[args.first_stage - 1:]
    model, record = train(sources, stages, args.batch, init=args.init, save=args.save_weights)
    logger.info("trained in %.1f min", sum(stage["wall_minutes"] for stage in record))
    command = " ".join(["python -m training.detector.train", *(argv or sys.argv[1:])])
    training = {"command": command, "batch": args.batch, "stages": record,
                "crop": [CROP_H, CROP_W], "scene": [INPUT_H, INPUT_W],
                "trained_on": list(sources.scene_names)}
    path = export_detector(model, args.out, height=INPUT_H, width=INPUT_W, training=training)
    logger.info("exported %s (%.0f kB)", path, path.stat().st_size / 1024)
    if args.no_eval:
        return 0
    models_dir = args.out.parent
    return subprocess.call([sys.executable, "-m", "training.eval_detector", "--data",
                            str(args.data), "--models", str(models_dir)])


if __name__ == "__main__":
    sys.exit(main())
