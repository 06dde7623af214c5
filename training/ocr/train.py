"""Train the plate recogniser on the CPU from scratch, export it to models/ocr/, print the eval.

``python -m training.ocr.train`` regenerates every sample from fixed seeds (synthetic
plates of every type of the table, a share in real glyphs, + augmented real-extra crops +
the real-dev crops of the split's training half, see ``training.real_dev_split``), trains
with CTC, exports ONNX with its card (which lists the types the data drew, their alphabet
and the real-dev files it trained on), then runs ``training.eval_ocr`` on ../shared/data
when it is there; the eval scores only the real-dev rows the model never saw.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F

from plate_service.recognition.ctc_decoding import decode_greedy
from plate_service.recognition.model_card import OcrDecoding, read_card
from plate_service.recognition.preprocess import OCR_INPUT
from plate_service.recognition.plate_format import required_alphabet
from training.from_onnx import freeze_norms, load_onnx_weights
from training.ocr.data import (EncodedSet, LabelledImage, build_real, build_synthetic,
                               cut_scene_plates, drawn_types, encode_text, load_real,
                               load_real_dev_half)
from training.ocr.export import export_onnx
from training.ocr.model import PlateOcrNet
from training.synth.glyph_bank import build_glyph_bank
from training.synth.plate import format_weights
from training.synth.real_plate import RealGlyphPainter

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATA = REPO_ROOT.parent / "shared" / "data"
DEFAULT_OUT = REPO_ROOT / "models" / "ocr"
DEFAULT_DETECTOR = REPO_ROOT / "models" / "detector"
REAL_DEV_PREFIX = "real-dev/"


@dataclass(frozen=True)
class TrainConfig:
    """Everything that determines a training run (recorded in the model card)."""

    seed: int = 1127
    # Every table type: each rare one (2.8 % of the synthetic plates) gets about as many
    # draws and distinct plates as the five-type recipe gave its rare ones (4 % of 40 000
    # plates over 3 400 steps), and two-line plates are harder to read than those were.
    synth_count: int = 60_000
    val_count: int = 1_000
    real_copies: int = 40
    steps: int = 6_000
    batch: int = 128
    # Share of real crops in each batch: a third, so that real print and the plates as
    # the service's detector cuts them weigh more than in a quarter (the two read alike
    # on the held-out crops, CHANGELOG.md).
    real_fraction: float = 0.35
    lr: float = 2e-3
    weight_decay: float = 1e-4
    threads: int = 1
    processes: int = 2
    log_every: int = 100
    # Which half of real-dev to train on: "train" (the detector's half, the shipped
    # model), "held" (the other half: a cross-validation run) or "none".
    real_dev_half: str = "train"
    # Also train on that half's scene plates as the service cuts them (needs a detector).
    scene_cuts: bool = True
    # Compose a share of the synthetic plates from glyphs cut out of the real training
    # crops (``training.synth.plate.REAL_GLYPH_SHARE``; needs the shared data).
    real_glyphs: bool = True
    # The GOST types the synthetic plates are drawn from; empty: every type of the table.
    # The model reads those types and its classes are their alphabet.
    plate_types: tuple[str, ...] = ()
    # An exported reader (plate_ocr.onnx) to start from instead of fresh weights: its
    # batch norms then stay frozen (``training.from_onnx``). Empty: from scratch.
    init: str = ""


def _real_training_images(data_root: Path | None, config: TrainConfig,
                          detector_dir: Path) -> list[LabelledImage]:
    """real-extra crops, plus one half of real-dev's crops and scene plates (sources
    prefixed ``real-dev/``)."""
    if data_root is None:
        return []
    images: list[LabelledImage] = []
    extra_dir = data_root / "real-extra"
    if (extra_dir / "labels.csv").is_file():
        images += load_real(extra_dir)
    dev_dir = data_root / "real-dev"
    if config.real_dev_half == "none" or not (dev_dir / "labels.csv").is_file():
        return images
    dev = load_real_dev_half(dev_dir, config.real_dev_half)
    if config.scene_cuts:
        dev += cut_scene_plates(data_root, config.real_dev_half, detector_dir)
    return images + [replace(item, source=REAL_DEV_PREFIX + item.source) for item in dev]


def _glyph_painter(data_root: Path | None) -> RealGlyphPainter | None:
    """The painter of real glyphs cut from the training crops; None without them."""
    bank = build_glyph_bank(data_root) if data_root is not None else None
    if not bank:
        logger.warning("no real glyphs under %s: synthetic plates drawn only", data_root)
        return None
    return RealGlyphPainter(bank)


def _ctc_targets(texts: list[str], alphabet: str) -> tuple[torch.Tensor, torch.Tensor]:
    ids = [encode_text(t, alphabet) for t in texts]
    flat = torch.tensor([i for seq in ids for i in seq], dtype=torch.long)
    lengths = torch.tensor([len(seq) for seq in ids], dtype=torch.long)
    return flat, lengths


def _augment_batch(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Cheap in-tensor jitter: contrast/brightness and a few pixels of shift."""
    n = x.shape[0]
    gain = 1 + 0.3 * (torch.rand(n, 1, 1, 1, generator=gen) - 0.5)
    bias = 0.4 * (torch.rand(n, 1, 1, 1, generator=gen) - 0.5)
    x = x * gain + bias
    dx = int(torch.randint(-3, 4, (1,), generator=gen))
    dy = int(torch.randint(-1, 2, (1,), generator=gen))
    return torch.roll(x, shifts=(dy, dx), dims=(2, 3))


def accuracy(model: PlateOcrNet, data: EncodedSet, alphabet: str,
             batch: int = 256) -> float:
    """Greedy exact-match accuracy on a preprocessed set (leaves the model in eval mode)."""
    model.eval()
    hits = 0
    with torch.no_grad():
        for s in range(0, len(data), batch):
            probs = model(torch.from_numpy(data.inputs[s:s + batch].astype(np.float32))).numpy()
            for p, text in zip(probs, data.texts[s:s + batch]):
                hits += decode_greedy(p, alphabet).text_latin == text
    return hits / max(1, len(data))


def initial_model(config: TrainConfig, num_classes: int) -> PlateOcrNet:
    """Fresh weights, or those of the exported reader ``config.init``."""
    model = PlateOcrNet(num_classes=num_classes)
    if config.init:
        spec = OCR_INPUT
        load_onnx_weights(model, Path(config.init),
                          torch.zeros(1, spec.channels, spec.height, spec.width))
    return model


def _trained_on(init: str) -> frozenset[str]:
    """The real-dev files the reader ``init`` started from trained on (its card's)."""
    if not init:
        return frozenset()
    return read_card(Path(init).parent, OcrDecoding).trained_on


def _train_mode(model: PlateOcrNet, config: TrainConfig) -> None:
    """Training mode, the batch norms of a run from an exported reader kept frozen."""
    model.train()
    if config.init:
        freeze_norms(model)


def train(config: TrainConfig, out_dir: Path, data_root: Path | None,
          detector_dir: Path = DEFAULT_DETECTOR,
          command: str = "python -m training.ocr.train") -> PlateOcrNet:
    """Build the data, train, export; returns the trained model. ``command`` is what the
    card records as the run's command line."""
    torch.manual_seed(config.seed)
    torch.set_num_threads(config.threads)
    spec = OCR_INPUT
    t0 = time.time()
    weights = format_weights(config.plate_types)
    types = drawn_types(weights)
    alphabet = required_alphabet(types)
    painter = _glyph_painter(data_root) if config.real_glyphs else None
    synth = build_synthetic(config.seed, config.synth_count, spec, config.processes, painter,
                            weights)
    val = build_synthetic(config.seed + 1, config.val_count, spec, config.processes, painter,
                          weights)
    real_images = _real_training_images(data_root, config, detector_dir)
    if real_images:
        real = build_real(real_images, config.seed + 2, config.real_copies, spec)
    else:
        logger.warning("no real crops under %s: training on synthetic plates only", data_root)
        real = EncodedSet(np.empty((0, 1, spec.height, spec.width), np.float16), ())
    real_dev_files = sorted({item.source for item in real_images
                             if item.source.startswith(REAL_DEV_PREFIX)}
                            | _trained_on(config.init))
    logger.info("data ready in %.0f s: %d synthetic, %d real(-augmented), %d val",
                time.time() - t0, len(synth), len(real), len(val))

    model = initial_model(config, len(alphabet) + 1)
    _train_mode(model, config)
    opt = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=config.lr, total_steps=config.steps,
                                                pct_start=0.1)
    gen = torch.Generator().manual_seed(config.seed)
    n_real = int(round(config.batch * config.real_fraction)) if len(real) else 0
    n_synth = config.batch - n_real
    t1 = time.time()
    running = 0.0
    for step in range(1, config.steps + 1):
        si = torch.randint(0, len(synth), (n_synth,), generator=gen).numpy()
        parts = [synth.inputs[si]]
        texts = [synth.texts[i] for i in si]
        if n_real:
            ri = torch.randint(0, len(real), (n_real,), generator=gen).numpy()
            parts.append(real.inputs[ri])
            texts += [real.texts[i] for i in ri]
        x = _augment_batch(torch.from_numpy(np.concatenate(parts).astype(np.float32)), gen)
        targets, target_lengths = _ctc_targets(texts, alphabet)
        log_probs = model.logits(x).log_softmax(-1).transpose(0, 1)  # T, N, C
        input_lengths = torch.full((x.shape[0],), log_probs.shape[0], dtype=torch.long)
        loss = F.ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0,
                          zero_infinity=True)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        sched.step()
        running += loss.item()
        if step % config.log_every == 0 or step == config.steps:
            msg = f"step {step}/{config.steps} loss {running / config.log_every:.4f} " \
                  f"({time.time() - t1:.0f} s)"
            if step % (config.log_every * 5) == 0 or step == config.steps:
                msg += f" synth-val acc {accuracy(model, val, alphabet):.4f}"
                _train_mode(model, config)
            logger.info(msg)
            running = 0.0
    model.eval()
    val_acc = accuracy(model, val, alphabet)
    wall = time.time() - t0
    logger.info("trained in %.1f min, synthetic val exact match %.4f", wall / 60, val_acc)
    export_onnx(model, spec, out_dir, types,
                metrics={"synthetic_val_exact": round(val_acc, 4)},
                training={"config": asdict(config), "wall_minutes": round(wall / 60, 1),
                          "command": command,
                          "trained_on": real_dev_files})
    return model


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA,
                        help="shared data root (real-extra to train on, real-dev to eval)")
    parser.add_argument("--steps", type=int, default=TrainConfig.steps)
    parser.add_argument("--lr", type=float, default=TrainConfig.lr,
                        help="peak learning rate of the one-cycle schedule")
    parser.add_argument("--init", type=Path, default=None,
                        help="an exported plate_ocr.onnx to start from (its batch norms "
                             "stay frozen); default: fresh weights")
    parser.add_argument("--synth", type=int, default=TrainConfig.synth_count)
    parser.add_argument("--real-copies", type=int, default=TrainConfig.real_copies)
    parser.add_argument("--real-fraction", type=float, default=TrainConfig.real_fraction,
                        help="share of real images in each batch (default %(default)s)")
    parser.add_argument("--seed", type=int, default=TrainConfig.seed)
    parser.add_argument("--threads", type=int, default=TrainConfig.threads)
    parser.add_argument("--processes", type=int, default=TrainConfig.processes,
                        help="data generation workers (the data is the same for any count)")
    parser.add_argument("--real-dev-half", choices=("train", "held", "none"),
                        default=TrainConfig.real_dev_half,
                        help="real-dev crops to train on: the split's training half (default), "
                             "the other half (cross-validation) or none")
    parser.add_argument("--no-scene-cuts", action="store_true",
                        help="do not add the half's scene plates as the detector cuts them")
    parser.add_argument("--detector", type=Path, default=DEFAULT_DETECTOR,
                        help="detector that cuts the scene plates (default: models/detector)")
    parser.add_argument("--no-real-glyphs", action="store_true",
                        help="draw every synthetic plate in the stroke typeface")
    parser.add_argument("--plate-types", nargs="+", default=list(TrainConfig.plate_types),
                        metavar="GOST_TYPE",
                        help="draw only these GOST types (e.g. 1 1Б 2 20 15); default: all")
    parser.add_argument("--no-eval", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    config = TrainConfig(seed=args.seed, synth_count=args.synth, real_copies=args.real_copies,
                         steps=args.steps, threads=args.threads,
                         real_fraction=args.real_fraction,
                         processes=args.processes, real_dev_half=args.real_dev_half,
                         scene_cuts=not args.no_scene_cuts,
                         real_glyphs=not args.no_real_glyphs,
                         plate_types=tuple(args.plate_types), lr=args.lr,
                         init=str(args.init or ""))
    data_root = args.data if args.data.is_dir() else None
    command = " ".join(["python -m training.ocr.train", *(argv or sys.argv[1:])])
    train(config, args.out, data_root, args.detector, command)
    if not args.no_eval and data_root is not None:
        from plate_service.recognition.loading import load_reader
        from training.eval_ocr import evaluate, format_report, record_metrics

        reader = load_reader(args.out, threads=1)
        report = evaluate(reader, data_root, args.out)
        print(format_report(report))
        record_metrics(args.out, report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
