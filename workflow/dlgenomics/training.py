"""The training loop: tensors loaded once onto the device, batches drawn by index.

No per-row Python work and no host-device synchronisation inside the step loop: the running
loss is accumulated on the device and read once per epoch, when validation metrics are
computed anyway.

After every epoch the whole training state (weights, optimiser, schedule, random generators,
history, best model so far) is written to a resume file; a killed job that is rerun picks up
at the next epoch and ends exactly where an uninterrupted run would.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from dlgenomics import InputError
from dlgenomics.architectures import make_config
from dlgenomics.checkpoint import layout_dict, predict, save_checkpoint, to_tensors
from dlgenomics.files import atomic_path, write_fold_predictions, write_history
from dlgenomics.losses import clip_target, loss_threshold, row_weights
from dlgenomics.metrics import is_better
from dlgenomics.models import build_model
from dlgenomics.nucleotides import both_strands, reverse_complement_batch
from dlgenomics.objectives import Scoring
from dlgenomics.schema import FOLD, NUM, ROW_ID, TARGET, InputLayout
from dlgenomics.splits import fold_rows
from dlgenomics.tasks import TaskKind

log = logging.getLogger(__name__)
RESUME_FORMAT = 1


@dataclass
class TrainSettings:
    max_epochs: int = 50
    patience: int = 8
    batch_size: int = 64
    learning_rate: float = 1e-3
    weight_decay: float = 0.01
    warmup_epochs: float = 1.0
    grad_clip: float = 1.0
    seed: int = 0
    device: str = "auto"
    threads: int = 2
    compile: bool = False  # torch.compile the model (pays off on CUDA for the larger models)
    auxiliary_weight: float = 1.0  # weight of the auxiliary head's loss in multi-task models
    loss: str = "mse"  # regression: mse | huber | threshold_weighted (losses.py)
    target_clip: list[float] | None = None  # clip training targets to [low, high]


def resolve_device(name: str) -> torch.device:
    if name == "cuda" and not torch.cuda.is_available():
        raise InputError("training.device is 'cuda' but no CUDA device is available")
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    return torch.device(name)


def seed_everything(seed: int, device: torch.device) -> None:
    torch.manual_seed(seed)
    np.random.seed(seed)
    if device.type == "cpu":
        # Same seed -> identical metrics on CPU; CUDA kernels (cuDNN RNNs) are left fast.
        torch.use_deterministic_algorithms(True, warn_only=True)


def prepare_device(settings: TrainSettings) -> torch.device:
    """The job's device, its CPU threads and its seeds: the start of every training job."""
    device = resolve_device(settings.device)
    if device.type == "cpu":
        torch.set_num_threads(settings.threads)
    seed_everything(settings.seed, device)
    return device


def mixed_precision(device: torch.device) -> torch.autocast:
    """bf16 autocast on CUDA (no loss scaling needed, unlike fp16); full precision on CPU."""
    return torch.autocast("cuda", dtype=torch.bfloat16, enabled=device.type == "cuda")


def numeric_stats(
    columns: dict[str, np.ndarray], rows: np.ndarray
) -> dict[str, tuple[float, float]]:
    """Mean and standard deviation of each numeric condition over the training rows."""
    stats = {}
    for name, values in columns.items():
        if name.startswith(NUM):
            chosen = values[rows]
            chosen = chosen[~np.isnan(chosen)]
            stats[name] = (float(chosen.mean()), float(chosen.std())) if len(chosen) else (0.0, 1.0)
    return stats


def cosine_with_warmup(total_steps: int, warmup_steps: int):
    def factor(step: int) -> float:
        if step < warmup_steps:
            return (step + 1) / warmup_steps
        progress = (step - warmup_steps) / max(1, total_steps - warmup_steps)
        return 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))

    return factor


def _place(columns: dict[str, np.ndarray], device: torch.device) -> dict[str, torch.Tensor]:
    """Everything onto the device when it fits comfortably (it does for these tables)."""
    if device.type == "cuda":
        needed = sum(v.nbytes for k, v in columns.items() if k != ROW_ID)
        free, _ = torch.cuda.mem_get_info(device)
        if needed > free // 2:
            raise InputError(
                f"encoded table needs {needed / 2**30:.1f} GiB, more than half the free GPU memory"
            )
    return to_tensors(columns, device)


def output_count(scoring: Scoring, multitask: bool) -> int:
    """Outputs of the network: the objective's (one per class or label, else one), plus the
    auxiliary head of multi-task models."""
    return scoring.objective.n_outputs(scoring.labels) + (1 if multitask else 0)


def _fingerprint(*parts: Any) -> str:
    """What a resume file must match to be resumed: the run's settings and its data."""
    digest = hashlib.sha256()
    for part in parts:
        if isinstance(part, np.ndarray):
            digest.update(np.ascontiguousarray(part).tobytes())
        else:
            digest.update(json.dumps(part, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def _rng_state(generator: torch.Generator) -> dict[str, Any]:
    state = {"batches": generator.get_state(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _set_rng_state(generator: torch.Generator, state: dict[str, Any]) -> None:
    generator.set_state(state["batches"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def train_fold(
    *,
    kind: TaskKind,
    scoring: Scoring,
    arch: str,
    model: str | None = None,
    model_params: dict[str, Any],
    settings: TrainSettings,
    train_columns: dict[str, np.ndarray],
    test_columns: dict[str, np.ndarray],
    vocab: dict[str, Any],
    fold: int,
    out_checkpoint: Path,
    out_history: Path,
    out_predictions: Path,
    multitask: bool = False,
    pretrained: Path | None = None,
    resume: Path | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Train one architecture on one fold; write its best checkpoint, per-epoch history and
    validation + test predictions. Returns the best epoch's validation metrics.

    `arch` is the configured name, `model` the registry architecture behind it (default:
    `arch`). `multitask` adds the task kind's auxiliary head. `pretrained` is an encoder from
    `dlgenomics.pretraining` to start from. `resume` is the per-epoch resume file: resumed from
    when it matches this run, removed once the run completes.
    """
    model_name = model or arch
    objective, selection_metric = scoring.objective, scoring.selection
    device = prepare_device(settings)

    fold_of_row = train_columns[FOLD]
    train_rows, valid_rows = fold_rows(fold_of_row, fold)
    layout = InputLayout.from_vocab(vocab)
    stats = numeric_stats(train_columns, train_rows)
    targets = train_columns[TARGET]
    # What the model is fitted to; validation is always judged on the untouched targets.
    fitted = clip_target(targets, settings.target_clip) if objective.custom_losses else targets
    target_scale = objective.target_scale(fitted, train_rows)
    if multitask and kind.auxiliary_label is None:
        raise InputError(f"task kind {kind.name!r} has no auxiliary head for multitask models")
    n_outputs = output_count(scoring, multitask)

    network = build_model(model_name, model_params, layout, stats, n_outputs).to(device)
    if pretrained is not None:
        network.load_encoder(pretrained)
    model_config = asdict(make_config(model_name, model_params))
    step_model = torch.compile(network) if settings.compile else network
    data = _place(train_columns, device)
    test_data = _place(test_columns, device)
    train_index = torch.from_numpy(train_rows).to(device)
    valid_data = {k: v[torch.from_numpy(valid_rows).to(device)] for k, v in data.items()}
    scaled_target = (torch.tensor(fitted, device=device) - target_scale[0]) / target_scale[1]
    weights = row_weights(settings.loss, targets, loss_threshold(scoring.family, scoring.options))
    row_weight = None if weights is None else torch.as_tensor(weights, device=device)
    auxiliary_target = (
        torch.as_tensor(kind.auxiliary_label(targets), device=device) if multitask else None
    )

    steps_per_epoch = math.ceil(len(train_rows) / settings.batch_size)
    optimizer = torch.optim.AdamW(
        network.parameters(), lr=settings.learning_rate, weight_decay=settings.weight_decay
    )
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        cosine_with_warmup(
            settings.max_epochs * steps_per_epoch, round(settings.warmup_epochs * steps_per_epoch)
        ),
    )
    generator = torch.Generator(device=device).manual_seed(settings.seed)
    autocast = mixed_precision(device)
    strands = both_strands(vocab)

    meta = {
        "arch": arch, "model": model_name, "params": model_config, "n_outputs": n_outputs,
        "layout": layout_dict(layout), "numeric_stats": stats, "vocab": vocab,
        "objective": objective.name, "target_scale": target_scale, "fold": fold,
        "selection_metric": selection_metric, "settings": asdict(settings),
    }  # fmt: skip
    # Threads, device and compilation change speed, not results: a resume may differ in them.
    resume_settings = {
        k: v for k, v in asdict(settings).items() if k not in ("threads", "device", "compile")
    }
    fingerprint = _fingerprint(
        model_name, model_config, n_outputs, resume_settings, fold, vocab,
        targets, fold_of_row, None if pretrained is None else Path(pretrained).read_bytes(),
    )  # fmt: skip
    history: list[dict[str, Any]] = []
    best_metrics: dict[str, Any] | None = None
    best_state: dict[str, torch.Tensor] | None = None
    best_epoch, stale, first_epoch = 0, 0, 1
    if resume is not None and resume.exists():
        saved = torch.load(resume, map_location=device, weights_only=False)
        if saved.get("format") == RESUME_FORMAT and saved.get("fingerprint") == fingerprint:
            network.load_state_dict(saved["model"])
            optimizer.load_state_dict(saved["optimizer"])
            scheduler.load_state_dict(saved["scheduler"])
            _set_rng_state(generator, saved["rng"])
            history, best_metrics, best_state = (
                saved["history"],
                saved["best_metrics"],
                saved["best_state"],
            )
            best_epoch, stale = saved["best_epoch"], saved["stale"]
            first_epoch = saved["epoch"] + 1
            log.info("resuming from %s after epoch %d", resume, saved["epoch"])
        else:
            log.warning("%s belongs to another run (settings or data changed): ignored", resume)

    epochs = tqdm(
        range(first_epoch, settings.max_epochs + 1),
        desc=f"{arch} fold {fold}",
        disable=not progress,
        initial=first_epoch - 1,
        total=settings.max_epochs,
    )
    for epoch in epochs:
        if stale >= settings.patience:
            break  # a resumed run that had already stopped early
        started = time.perf_counter()
        network.train()
        running = torch.zeros((), device=device)
        order = train_index[torch.randperm(len(train_index), device=device, generator=generator)]
        for start in range(0, len(order), settings.batch_size):
            rows = order[start : start + settings.batch_size]
            batch = {k: v[rows] for k, v in data.items()}
            if strands:  # each row on a random strand: the site reads the same on both
                flip = torch.rand(len(rows), device=device, generator=generator) < 0.5
                batch = reverse_complement_batch(batch, flip)
            with autocast:
                output = step_model(batch).float()
            loss = objective.loss(
                output[:, : n_outputs - bool(multitask)],
                scaled_target[rows],
                None if row_weight is None else row_weight[rows],
                settings.loss,
            )
            if auxiliary_target is not None:
                loss = loss + settings.auxiliary_weight * F.binary_cross_entropy_with_logits(
                    output[:, 1], auxiliary_target[rows]
                )
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if settings.grad_clip > 0:
                torch.nn.utils.clip_grad_norm_(network.parameters(), settings.grad_clip)
            optimizer.step()
            scheduler.step()
            running += loss.detach() * len(rows)
        predicted = predict(network, meta, valid_data)
        metrics = scoring.metrics(targets[valid_rows], predicted)
        row = {
            "epoch": epoch,
            "train_loss": float(running) / len(train_rows),  # the one sync of the epoch
            **{f"valid_{k}": v for k, v in metrics.items()},
            "learning_rate": scheduler.get_last_lr()[0],
            "seconds": time.perf_counter() - started,
        }
        history.append(row)
        if is_better(
            selection_metric,
            metrics[selection_metric],
            None if best_metrics is None else best_metrics[selection_metric],
        ):
            best_metrics, best_epoch, stale = metrics, epoch, 0
            best_state = copy.deepcopy(network.state_dict())
        else:
            stale += 1
        epochs.set_postfix(
            loss=f"{row['train_loss']:.4f}",
            **{selection_metric: f"{metrics[selection_metric]:.4f}"},
        )
        if resume is not None:
            _save_resume(resume, {
                "format": RESUME_FORMAT, "fingerprint": fingerprint, "epoch": epoch,
                "model": network.state_dict(), "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(), "rng": _rng_state(generator),
                "history": history, "best_metrics": best_metrics, "best_state": best_state,
                "best_epoch": best_epoch, "stale": stale,
            })  # fmt: skip
        if stale >= settings.patience:
            break
    assert best_state is not None and best_metrics is not None
    network.load_state_dict(best_state)
    meta.update(epoch=best_epoch, metrics=best_metrics)
    save_checkpoint(out_checkpoint, network, **meta)
    write_history(history, out_history)
    write_fold_predictions(
        out_predictions,
        fold,
        valid=(
            train_columns[ROW_ID][valid_rows],
            predict(network, meta, valid_data),
            targets[valid_rows],
        ),
        test=(test_columns[ROW_ID], predict(network, meta, test_data), test_columns[TARGET]),
    )
    if resume is not None:
        resume.unlink(missing_ok=True)  # done: a rerun must start afresh
    return {"fold": fold, "best_epoch": best_epoch, "epochs_run": len(history), **best_metrics}


def _save_resume(path: Path, state: dict[str, Any]) -> None:
    with atomic_path(path) as tmp:
        torch.save(state, tmp)
