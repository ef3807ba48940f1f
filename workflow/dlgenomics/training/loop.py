"""The training loop: tensors loaded once onto the device, batches drawn by index.

No per-row Python work and no host-device synchronisation inside the step loop: the running
loss is accumulated on the device and read once per epoch, when validation metrics are
computed anyway.

After every epoch the whole training state (weights, optimiser, schedule, random generators,
history, best model so far) is written to a resume file; a killed job that is rerun picks up
at the next epoch and ends exactly where an uninterrupted run would.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
import logging
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from dlgenomics import InputError
from dlgenomics.data.nucleotides import reverse_complement_batch, strand_order, swaps_outputs
from dlgenomics.data.schema import FOLD, NUM, ROW_ID, TARGET, InputLayout
from dlgenomics.data.splits import fold_rows
from dlgenomics.files import save_torch, write_fold_predictions, write_history
from dlgenomics.metrics import is_better
from dlgenomics.models.architectures import build_model, make_config
from dlgenomics.models.checkpoint import layout_dict, predict, save_checkpoint, to_tensors
from dlgenomics.tasks.base import TaskKind
from dlgenomics.tasks.kinds import TASK_KINDS
from dlgenomics.tasks.losses import clip_target, loss_threshold, row_weights
from dlgenomics.tasks.objectives import Scoring
from dlgenomics.training.memory import Stream, epoch_chunks, streamed_predictions

log = logging.getLogger(__name__)
RESUME_FORMAT = 2  # 2: the best epoch's validation predictions kept
VALID_SLICE = 64 * 1024  # validation rows gathered at a time (predict's batches within it)


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
    sync_debug: bool = False  # CUDA: a host sync inside the step loop is an error
    auxiliary_weight: float = 1.0  # weight of the auxiliary head's loss in multi-task models
    loss: str = "mse"  # regression: mse | huber | threshold_weighted (losses.py)
    target_clip: list[float] | None = None  # clip training targets to [low, high]
    # Bytes (or "4G", "512M") a job's tables may take in memory; larger ones are streamed in
    # chunks of row groups (training/memory.py). None: always held whole.
    memory_budget: int | str | None = "4G"
    max_steps_per_epoch: int | None = None  # stop an epoch after this many batches


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


@contextlib.contextmanager
def no_host_sync(enabled: bool, device: torch.device) -> Iterator[None]:
    """With `sync_debug` on CUDA, any host synchronisation inside the block raises: the step
    loop must queue work without waiting on the GPU (the loss is read once, after it)."""
    if not (enabled and device.type == "cuda"):
        yield
        return
    torch.cuda.set_sync_debug_mode("error")
    try:
        yield
    finally:
        torch.cuda.set_sync_debug_mode("default")


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
    """Everything onto the device when it fits comfortably (it does for these tables). On the
    CPU the tensors share the arrays' memory (read_tensors gives writable arrays of their
    own): a table is held once, not twice."""
    if device.type == "cpu":
        return {
            name: torch.from_numpy(values) if values.flags.writeable else torch.tensor(values)
            for name, values in columns.items()
            if name != ROW_ID
        }
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


@dataclass
class FoldTensors:
    """One fold's rows on the device: what the step loop indexes, never copies."""

    data: dict[str, torch.Tensor]  # every column of the training table
    test: dict[str, torch.Tensor]
    train_index: torch.Tensor  # training row numbers
    target: torch.Tensor  # scaled as the network is fitted
    row_weight: torch.Tensor | None
    auxiliary: torch.Tensor | None  # multi-task models' second label
    # A table over the memory budget: `data` and `test` hold all but the token columns, which
    # are read from the files a chunk at a time.
    stream: Stream | None = None
    valid_rows: np.ndarray | None = None
    is_train: np.ndarray | None = None  # per row of the training table

    def predictions(self, network: Any, meta: dict[str, Any], role: str) -> np.ndarray:
        """The validation (`valid`) or `test` rows' predictions, a row group at a time when
        streamed."""
        if self.stream is None and role == "test":
            return predict(network, meta, self.test)
        if self.stream is None:  # gathered a slice at a time: never a copy of them all
            rows = torch.from_numpy(self.valid_rows).to(self.target.device)
            return np.concatenate(
                [
                    predict(
                        network,
                        meta,
                        {k: v[rows[start : start + VALID_SLICE]] for k, v in self.data.items()},
                    )
                    for start in range(0, max(len(rows), 1), VALID_SLICE)
                ]
            )
        if role == "valid":
            return streamed_predictions(
                network, meta, self.stream.train, self.data, self.valid_rows, self.target.device
            )
        return streamed_predictions(
            network, meta, self.stream.test, self.test, None, self.target.device
        )


@dataclass
class Progress:
    """Where a fold's training stands: the history and the best epoch so far (a resume file
    carries it with the weights, optimiser, schedule and random generators)."""

    history: list[dict[str, Any]]
    best_metrics: dict[str, Any] | None = None
    best_state: dict[str, torch.Tensor] | None = None
    best_epoch: int = 0
    stale: int = 0  # epochs since the best one
    # The best epoch's validation predictions: written as they are, not predicted again (at
    # genome scale a pass over the validation rows costs as much as a capped epoch).
    best_valid: np.ndarray | None = None
    first_epoch: int = 1

    def record(
        self,
        epoch: int,
        metrics: dict[str, Any],
        network: Any,
        metric: str,
        valid: np.ndarray,
    ) -> None:
        best = None if self.best_metrics is None else self.best_metrics[metric]
        if is_better(metric, metrics[metric], best):
            self.best_metrics, self.best_epoch, self.stale = metrics, epoch, 0
            self.best_state = copy.deepcopy(network.state_dict())
            self.best_valid = valid
        else:
            self.stale += 1


@dataclass(frozen=True)
class FoldRun:
    """One architecture on one fold: what `train_fold` reads and where it writes."""

    kind: TaskKind
    scoring: Scoring
    arch: str  # the configured name
    model_params: dict[str, Any]
    settings: TrainSettings
    train_columns: dict[str, np.ndarray]
    test_columns: dict[str, np.ndarray]
    vocab: dict[str, Any]
    fold: int
    out_checkpoint: Path
    out_history: Path
    out_predictions: Path
    model: str | None = None  # the registry architecture behind `arch` (default `arch`)
    multitask: bool = False  # adds the kind's auxiliary head
    pretrained: Path | None = None  # an encoder to start from
    # The per-epoch resume file: resumed from when it matches this run, removed once done.
    resume: Path | None = None
    progress: bool = True  # a log line per epoch
    # The token columns of tables over the memory budget (the columns hold the rest).
    stream: Stream | None = None
    # Called after each epoch with (epoch, validation selection metric): tuning's pruner.
    on_epoch: Callable[[int, float], None] | None = None

    @property
    def model_name(self) -> str:
        return self.model or self.arch


def job_fold_run(
    params: Any,
    wildcards: Any,
    threads: int,
    tables: tuple,
    outputs: tuple[Path, Path, Path],
    **options: Any,
) -> FoldRun:
    """A training or tuning job's FoldRun: its rule's params (kind, scoring, model,
    model_params, settings), wildcards (arch, fold), threads, the (training columns, test
    columns, stream, vocabulary) it read and its (checkpoint, history, predictions) files."""
    train_columns, test_columns, stream, vocab = tables
    return FoldRun(
        kind=TASK_KINDS[params.kind],
        scoring=Scoring.from_params(params.scoring),
        arch=wildcards.arch,
        model=params.model,
        model_params=dict(params.model_params),
        settings=TrainSettings(**{**params.settings, "threads": threads}),
        train_columns=train_columns,
        test_columns=test_columns,
        stream=stream,
        vocab=vocab,
        fold=int(wildcards.fold),
        out_checkpoint=outputs[0],
        out_history=outputs[1],
        out_predictions=outputs[2],
        **options,
    )


def train_fold(run: FoldRun) -> dict[str, Any]:
    """Train one architecture on one fold; write its best checkpoint, per-epoch history and
    validation + test predictions; return the best epoch's validation metrics."""
    settings, scoring, train_columns = run.settings, run.scoring, run.train_columns
    device = prepare_device(settings)
    train_rows, valid_rows = fold_rows(train_columns[FOLD], run.fold)
    if run.multitask and run.kind.auxiliary_label is None:
        raise InputError(f"task kind {run.kind.name!r} has no auxiliary head for multitask models")
    network, meta = _build_network(run, train_rows, device)
    step_model = torch.compile(network) if settings.compile else network
    tensors = _fold_tensors(run, train_rows, valid_rows, meta["target_scale"], device)
    optimizer, scheduler = _optimiser(network, settings, len(train_rows))
    generator = torch.Generator(device=device).manual_seed(settings.seed)
    fingerprint = _run_fingerprint(meta, settings, train_columns, run.pretrained)
    state = _resumed(run.resume, fingerprint, device, network, optimizer, scheduler, generator)
    stepper = Stepper(
        step_model,
        network,
        tensors,
        scoring,
        settings,
        optimizer,
        scheduler,
        generator,
        meta["n_outputs"],
        strand_order(run.vocab, meta["n_outputs"]),
    )
    targets, metric = train_columns[TARGET], scoring.selection
    for epoch in range(state.first_epoch, settings.max_epochs + 1):
        if state.stale >= settings.patience:
            break  # a resumed run that had already stopped early
        started = time.perf_counter()
        with no_host_sync(settings.sync_debug, device):
            running, seen = _train_epoch(stepper)
        valid = tensors.predictions(network, meta, "valid")
        metrics = scoring.metrics(targets[valid_rows], valid)
        state.history.append(
            {
                "epoch": epoch,
                "train_loss": float(running) / seen,  # the one sync of the epoch
                **{f"valid_{k}": v for k, v in metrics.items()},
                "learning_rate": scheduler.get_last_lr()[0],
                "seconds": time.perf_counter() - started,
            }
        )
        state.record(epoch, metrics, network, metric, valid)
        if run.on_epoch is not None:
            run.on_epoch(epoch, metrics[metric])
        if run.progress:
            name = f"{run.arch} fold {run.fold}"
            log.info(epoch_line(name, state.history, settings.max_epochs, metric))
        if run.resume is not None:
            _save_progress(
                run.resume, fingerprint, epoch, network, optimizer, scheduler, generator, state
            )
        if state.stale >= settings.patience:
            break
    _write_outputs(run, network, meta, state, tensors, valid_rows)
    if run.resume is not None:
        run.resume.unlink(missing_ok=True)  # done: a rerun must start afresh
    return {
        "fold": run.fold,
        "best_epoch": state.best_epoch,
        "epochs_run": len(state.history),
        **state.best_metrics,
    }


def epoch_line(name: str, history: list[dict[str, Any]], max_epochs: int, metric: str) -> str:
    """One plain log line per epoch (a log file is read after the fact, so no progress bar):
    loss, the selection metric, seconds, and the time left if every epoch runs (an upper
    bound: early stopping may end sooner)."""
    last = history[-1]
    mean_seconds = sum(row["seconds"] for row in history) / len(history)
    left = (max_epochs - last["epoch"]) * mean_seconds
    return (
        f"{name}: epoch {last['epoch']}/{max_epochs}, loss {last['train_loss']:.4f}, "
        f"valid {metric} {last['valid_' + metric]:.4f}, {last['seconds']:.1f} s, "
        f"at most {left:.0f} s left"
    )


def _build_network(
    run: FoldRun, train_rows: np.ndarray, device: torch.device
) -> tuple[Any, dict[str, Any]]:
    """The network (pretrained encoder loaded) and the checkpoint's metadata: everything
    needed to use it again without the config."""
    layout = InputLayout.from_vocab(run.vocab)
    stats = numeric_stats(run.train_columns, train_rows)
    objective, settings, name = run.scoring.objective, run.settings, run.model_name
    targets = run.train_columns[TARGET]
    # What the model is fitted to; validation is always judged on the untouched targets.
    fitted = clip_target(targets, settings.target_clip) if objective.custom_losses else targets
    n_outputs = output_count(run.scoring, run.multitask)
    network = build_model(name, run.model_params, layout, stats, n_outputs).to(device)
    if run.pretrained is not None:
        network.load_encoder(run.pretrained)
    meta = {
        "model": name,
        "params": asdict(make_config(name, run.model_params)),
        "n_outputs": n_outputs,
        "layout": layout_dict(layout),
        "numeric_stats": stats,
        "vocab": run.vocab,
        "objective": objective.name,
        "target_scale": objective.target_scale(fitted, train_rows),
        "selection_metric": run.scoring.selection,
        "settings": asdict(settings),
        "arch": run.arch,
        "fold": run.fold,
    }
    return network, meta


def _fold_tensors(
    run: FoldRun,
    train_rows: np.ndarray,
    valid_rows: np.ndarray,
    target_scale: tuple[float, float],
    device: torch.device,
) -> FoldTensors:
    """Every table onto the device once; targets scaled, row weights and auxiliary labels."""
    scoring, settings, train_columns = run.scoring, run.settings, run.train_columns
    targets = train_columns[TARGET]
    fitted = (
        clip_target(targets, settings.target_clip) if scoring.objective.custom_losses else targets
    )
    data = _place(train_columns, device)
    weights = row_weights(settings.loss, targets, loss_threshold(scoring.family, scoring.options))
    return FoldTensors(
        data=data,
        test=_place(run.test_columns, device),
        train_index=torch.from_numpy(train_rows).to(device),
        target=scoring.objective.scaled_target(torch.tensor(fitted, device=device), target_scale),
        row_weight=None if weights is None else torch.as_tensor(weights, device=device),
        auxiliary=(
            torch.as_tensor(run.kind.auxiliary_label(targets), device=device)
            if run.multitask
            else None
        ),
        valid_rows=valid_rows,
        is_train=np.isin(np.arange(len(targets)), train_rows),
        stream=run.stream,
    )


def _optimiser(network: Any, settings: TrainSettings, n_train: int) -> tuple[Any, Any]:
    """AdamW with a linear warm-up, then a cosine decay over the whole run, stepped per batch."""
    steps_per_epoch = math.ceil(n_train / settings.batch_size)
    if settings.max_steps_per_epoch is not None:
        steps_per_epoch = min(steps_per_epoch, settings.max_steps_per_epoch)
    optimizer = torch.optim.AdamW(
        network.parameters(), lr=settings.learning_rate, weight_decay=settings.weight_decay
    )
    schedule = cosine_with_warmup(
        settings.max_epochs * steps_per_epoch, round(settings.warmup_epochs * steps_per_epoch)
    )
    return optimizer, torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)


def _run_fingerprint(
    meta: dict[str, Any],
    settings: TrainSettings,
    train_columns: dict[str, np.ndarray],
    pretrained: Path | None,
) -> str:
    """What a resume file must match: model, settings, fold, data and pretrained encoder."""
    # Threads, device and compilation change speed, not results: a resume may differ in them.
    resume_settings = {
        k: v for k, v in asdict(settings).items() if k not in ("threads", "device", "compile")
    }
    return _fingerprint(
        meta["model"],
        meta["params"],
        meta["n_outputs"],
        resume_settings,
        meta["fold"],
        meta["vocab"],
        train_columns[TARGET],
        train_columns[FOLD],
        None if pretrained is None else Path(pretrained).read_bytes(),
    )


def _resumed(
    resume: Path | None,
    fingerprint: str,
    device: torch.device,
    network: Any,
    optimizer: Any,
    scheduler: Any,
    generator: torch.Generator,
) -> Progress:
    """The progress of a killed run of this same fold (its state loaded), else a fresh one."""
    if resume is None or not resume.exists():
        return Progress(history=[])
    saved = torch.load(resume, map_location=device, weights_only=False)
    if saved.get("format") != RESUME_FORMAT or saved.get("fingerprint") != fingerprint:
        log.warning("%s belongs to another run (settings or data changed): ignored", resume)
        return Progress(history=[])
    network.load_state_dict(saved["model"])
    optimizer.load_state_dict(saved["optimizer"])
    scheduler.load_state_dict(saved["scheduler"])
    _set_rng_state(generator, saved["rng"])
    log.info("resuming from %s after epoch %d", resume, saved["epoch"])
    kept = {f.name: saved[f.name] for f in fields(Progress) if f.name != "first_epoch"}
    return Progress(**kept, first_epoch=saved["epoch"] + 1)


@dataclass
class Stepper:
    """What every optimisation step of one run uses."""

    step_model: Any  # the network, compiled where asked
    network: Any
    tensors: FoldTensors
    scoring: Scoring
    settings: TrainSettings
    optimizer: Any
    scheduler: Any
    generator: torch.Generator
    n_outputs: int
    strands: list[int] | None  # `strand_order`: None where rows are read on one strand


def _train_epoch(stepper: Stepper) -> tuple[torch.Tensor, int]:
    """One pass over the training rows in a random order (at most `max_steps_per_epoch`
    batches): the summed loss and the rows it sums. No host sync: the loss stays on the
    device and is read once, by the caller."""
    tensors, settings = stepper.tensors, stepper.settings
    stepper.network.train()
    running = torch.zeros((), device=tensors.target.device)
    seen, steps, cap = 0, 0, settings.max_steps_per_epoch
    chunks = epoch_chunks(
        tensors.data, tensors.train_index, tensors.is_train, tensors.stream, stepper.generator
    )
    for columns, order, table_order in chunks:
        for start in range(0, len(order), settings.batch_size):
            if cap is not None and steps >= cap:
                return running, seen
            local = order[start : start + settings.batch_size]
            rows = table_order[start : start + settings.batch_size]
            batch = {k: v[local] for k, v in columns.items()}
            running += _train_step(stepper, batch, rows)
            seen, steps = seen + len(rows), steps + 1
    return running, seen


def _train_step(
    stepper: Stepper, batch: dict[str, torch.Tensor], rows: torch.Tensor
) -> torch.Tensor:
    """One optimisation step on one batch (`rows`: its rows' numbers in the training table;
    `strands`: `strand_order`, None for one strand); the batch's summed loss, on the device."""
    tensors, settings, strands = stepper.tensors, stepper.settings, stepper.strands
    device = tensors.target.device
    multitask = tensors.auxiliary is not None
    target = tensors.target[rows]
    if strands is not None:  # each row on a random strand: the site reads the same on both
        flip = torch.rand(len(rows), device=device, generator=stepper.generator) < 0.5
        batch = reverse_complement_batch(batch, flip)
        if swaps_outputs(strands):  # stranded tracks: a flipped row has the other's signal
            target = torch.where(flip[:, None], target[:, strands[: target.shape[1]]], target)
    with mixed_precision(device):
        output = stepper.step_model(batch).float()
    weight = None if tensors.row_weight is None else tensors.row_weight[rows]
    outputs = output[:, : stepper.n_outputs - multitask]
    loss = stepper.scoring.objective.loss(outputs, target, weight, settings.loss)
    if multitask:
        loss = loss + settings.auxiliary_weight * F.binary_cross_entropy_with_logits(
            output[:, -1], tensors.auxiliary[rows]
        )
    stepper.optimizer.zero_grad(set_to_none=True)
    loss.backward()
    if settings.grad_clip > 0:
        torch.nn.utils.clip_grad_norm_(stepper.network.parameters(), settings.grad_clip)
    stepper.optimizer.step()
    stepper.scheduler.step()
    return loss.detach() * len(rows)


def _write_outputs(
    run: FoldRun,
    network: Any,
    meta: dict[str, Any],
    state: Progress,
    tensors: FoldTensors,
    valid_rows: np.ndarray,
) -> None:
    """The best epoch's checkpoint, the history, and its validation and test predictions."""
    assert state.best_state is not None and state.best_metrics is not None
    train_columns, test_columns = run.train_columns, run.test_columns
    network.load_state_dict(state.best_state)
    meta.update(epoch=state.best_epoch, metrics=state.best_metrics)
    save_checkpoint(run.out_checkpoint, network, **meta)
    write_history(state.history, run.out_history)
    write_fold_predictions(
        run.out_predictions,
        meta["fold"],
        valid=(
            train_columns[ROW_ID][valid_rows],
            state.best_valid,
            train_columns[TARGET][valid_rows],
        ),
        test=(
            test_columns[ROW_ID],
            tensors.predictions(network, meta, "test"),
            test_columns[TARGET],
        ),
    )


def _save_progress(
    path: Path,
    fingerprint: str,
    epoch: int,
    network: Any,
    optimizer: Any,
    scheduler: Any,
    generator: torch.Generator,
    state: Progress,
) -> None:
    """The resume file after `epoch`: everything a killed job needs to end where an
    uninterrupted run would."""
    _save_resume(
        path,
        {
            "format": RESUME_FORMAT,
            "fingerprint": fingerprint,
            "epoch": epoch,
            "model": network.state_dict(),
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(),
            "rng": _rng_state(generator),
            **{f.name: getattr(state, f.name) for f in fields(Progress)},
        },
    )


def _save_resume(path: Path, state: dict[str, Any]) -> None:
    save_torch(state, path)
