"""The training loop: tensors loaded once onto the device, batches drawn by index.

No per-row Python work and no host-device synchronisation inside the step loop: the running
loss is accumulated on the device and read once per epoch, when validation metrics are
computed anyway.
"""

from __future__ import annotations

import copy
import csv
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from tqdm import tqdm

from dlgenomics import InputError
from dlgenomics.checkpoint import layout_dict, predict, save_checkpoint, to_tensors
from dlgenomics.files import atomic_path
from dlgenomics.metrics import is_better, task_metrics
from dlgenomics.models import build_model
from dlgenomics.schema import FOLD, NUM, ROW_ID, TARGET, InputLayout


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


def train_fold(
    *,
    task_type: str,
    selection_metric: str,
    arch: str,
    model_params: dict[str, Any],
    settings: TrainSettings,
    train_columns: dict[str, np.ndarray],
    test_columns: dict[str, np.ndarray],
    vocab: dict[str, Any],
    fold: int,
    out_checkpoint: Path,
    out_history: Path,
    out_predictions: Path,
    progress: bool = True,
) -> dict[str, Any]:
    """Train one architecture on one fold; write its best checkpoint, per-epoch history and
    validation + test predictions. Returns the best epoch's validation metrics."""
    device = resolve_device(settings.device)
    if device.type == "cpu":
        torch.set_num_threads(settings.threads)
    seed_everything(settings.seed, device)

    fold_of_row = train_columns[FOLD]
    valid_rows = np.flatnonzero(fold_of_row == fold)
    train_rows = np.flatnonzero(fold_of_row != fold)
    if len(valid_rows) == 0 or len(train_rows) == 0:
        raise InputError(
            f"fold {fold} leaves {len(train_rows)} training and {len(valid_rows)} validation rows"
        )
    layout = InputLayout.from_vocab(vocab)
    stats = numeric_stats(train_columns, train_rows)
    targets = train_columns[TARGET]
    if task_type == "regression":
        target_scale = (float(targets[train_rows].mean()), float(targets[train_rows].std()) or 1.0)
    else:
        target_scale = (0.0, 1.0)

    model = build_model(arch, model_params, layout, stats).to(device)
    model_config = asdict(model.make_config(model_params))
    data = _place(train_columns, device)
    test_data = _place(test_columns, device)
    train_index = torch.from_numpy(train_rows).to(device)
    valid_data = {k: v[torch.from_numpy(valid_rows).to(device)] for k, v in data.items()}
    scaled_target = (data[TARGET] - target_scale[0]) / target_scale[1]

    steps_per_epoch = math.ceil(len(train_rows) / settings.batch_size)
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=settings.learning_rate, weight_decay=settings.weight_decay
    )
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        cosine_with_warmup(
            settings.max_epochs * steps_per_epoch, round(settings.warmup_epochs * steps_per_epoch)
        ),
    )
    generator = torch.Generator(device=device).manual_seed(settings.seed)
    autocast = torch.autocast("cuda", dtype=torch.bfloat16, enabled=device.type == "cuda")
    loss_fn = F.mse_loss if task_type == "regression" else F.binary_cross_entropy_with_logits

    meta = {
        "arch": arch, "params": model_config, "layout": layout_dict(layout),
        "numeric_stats": stats, "vocab": vocab, "task_type": task_type,
        "target_scale": target_scale, "fold": fold, "settings": asdict(settings),
    }  # fmt: skip
    history: list[dict[str, Any]] = []
    best_metrics: dict[str, Any] | None = None
    best_state: dict[str, torch.Tensor] | None = None
    best_epoch, stale = 0, 0
    epochs = tqdm(
        range(1, settings.max_epochs + 1), desc=f"{arch} fold {fold}", disable=not progress
    )
    for epoch in epochs:
        started = time.perf_counter()
        model.train()
        running = torch.zeros((), device=device)
        order = train_index[torch.randperm(len(train_index), device=device, generator=generator)]
        for start in range(0, len(order), settings.batch_size):
            rows = order[start : start + settings.batch_size]
            batch = {k: v[rows] for k, v in data.items()}
            with autocast:
                output = model(batch)[:, 0].float()
            loss = loss_fn(output, scaled_target[rows])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if settings.grad_clip > 0:
                torch.nn.utils.clip_grad_norm_(model.parameters(), settings.grad_clip)
            optimizer.step()
            scheduler.step()
            running += loss.detach() * len(rows)
        predicted = predict(model, meta, valid_data)
        metrics = task_metrics(task_type, train_columns[TARGET][valid_rows], predicted)
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
            best_state = copy.deepcopy(model.state_dict())
        else:
            stale += 1
        epochs.set_postfix(
            loss=f"{row['train_loss']:.4f}",
            **{selection_metric: f"{metrics[selection_metric]:.4f}"},
        )
        if stale >= settings.patience:
            break
    assert best_state is not None and best_metrics is not None
    model.load_state_dict(best_state)
    meta.update(epoch=best_epoch, metrics=best_metrics)
    save_checkpoint(out_checkpoint, model, **meta)
    _write_history(history, out_history)
    _write_predictions(
        out_predictions,
        fold,
        valid=(
            train_columns[ROW_ID][valid_rows],
            predict(model, meta, valid_data),
            targets[valid_rows],
        ),
        test=(test_columns[ROW_ID], predict(model, meta, test_data), test_columns[TARGET]),
    )
    return {"fold": fold, "best_epoch": best_epoch, "epochs_run": len(history), **best_metrics}


def _write_history(history: list[dict[str, Any]], path: Path) -> None:
    with atomic_path(path) as tmp, tmp.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(history[0]))
        writer.writeheader()
        writer.writerows(history)


def _write_predictions(
    path: Path, fold: int, **roles: tuple[np.ndarray, np.ndarray, np.ndarray]
) -> None:
    frames = [
        pd.DataFrame(
            {"row_id": ids, "role": role, "fold": fold, "prediction": pred, "target": target}
        )
        for role, (ids, pred, target) in roles.items()
    ]
    with atomic_path(path) as tmp:
        pd.concat(frames, ignore_index=True).to_parquet(tmp, index=False)
