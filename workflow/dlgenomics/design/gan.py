"""Design new sequences with a GAN, and judge them.

A Wasserstein GAN with gradient penalty (WGAN-GP, Gulrajani et al. 2017) is trained on one-hot
training sequences of a task (its bound ones, those of a class, or those with the highest
targets). The generator maps a latent vector to a per-position softmax over A, C, G, T; the
critic scores a (soft or one-hot) sequence, and its score gap between real and generated batches
estimates the Wasserstein distance. Sequences are read off the trained generator by taking the
most probable base at each position.

Generated sets are judged without a classifier here: how many hold the known motif (a consensus
with a few mismatches, or a PWM hit; only when one is known), how diverse they are (mean pairwise
Hamming distance), and how many are plain copies of training sequences. The caller adds the
trained predictor's mean prediction (binding or class probability, or predicted value) as
another column.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

from dlgenomics import InputError
from dlgenomics.data.nucleotides import DNA, decode_base_rows, one_hot, reverse_complement_dna
from dlgenomics.files import atomic_path
from dlgenomics.training.loop import resolve_device

PWM_PSEUDOCOUNT = 0.01  # per base: a zero probability would make a log-odds score -inf
FASTA_WIDTH = 60

log = logging.getLogger(__name__)


@dataclass
class GanSettings:
    """How `train_gan` builds and trains the two networks, and how many sequences to sample."""

    latent_dim: int = 32
    channels: int = 32  # generator/critic width
    blocks: int = 2  # residual blocks in each network
    kernel_size: int = 9  # odd; one block's feature sees 1 + 2 × 8 = 17 bases: a whole site
    epochs: int = 100  # passes of the critic over the positives
    batch_size: int = 16  # small batches: more steps per epoch, sites copied more exactly
    critic_steps: int = 1  # critic updates per generator update
    gp_weight: float = 10.0
    learning_rate: float = 4e-3  # decays linearly to 0 over the run
    seed: int = 0
    samples: int = 1000  # sequences generated after training
    monitor_samples: int = 256  # fixed latent batch whose motif rate the history follows


# --- The two networks -------------------------------------------------------------------------


class ResidualBlock(nn.Module):
    """ReLU -> conv -> ReLU -> conv, added back scaled down (0.3, as in Gulrajani et al.'s
    language model) so the stack starts close to the identity and trains stably."""

    def __init__(self, channels: int, kernel_size: int) -> None:
        super().__init__()
        padding = kernel_size // 2
        self.conv1 = nn.Conv1d(channels, channels, kernel_size, padding=padding)
        self.conv2 = nn.Conv1d(channels, channels, kernel_size, padding=padding)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + 0.3 * self.conv2(F.relu(self.conv1(F.relu(x))))


def _residual_stack(settings: GanSettings) -> nn.Sequential:
    return nn.Sequential(
        *(ResidualBlock(settings.channels, settings.kernel_size) for _ in range(settings.blocks))
    )


class Generator(nn.Module):
    """z (B, latent_dim) -> (B, length, 4): a softmax over A, C, G, T at every position."""

    def __init__(self, length: int, settings: GanSettings) -> None:
        super().__init__()
        self.length = length
        self.latent_dim = settings.latent_dim
        self.channels = settings.channels
        # A dense layer places features anywhere along the sequence; convolutions then make
        # neighbouring bases agree (a motif is a run of bases that must be right together).
        self.project = nn.Linear(settings.latent_dim, settings.channels * length)
        self.blocks = _residual_stack(settings)
        self.to_bases = nn.Conv1d(settings.channels, 4, 1)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        x = self.project(z).view(-1, self.channels, self.length)
        logits = self.to_bases(self.blocks(x))  # (B, 4, L)
        return torch.softmax(logits, dim=1).transpose(1, 2)


class Critic(nn.Module):
    """(B, length, 4) -> (B,) score. No batch norm: the gradient penalty is taken per sample,
    and batch norm would couple the samples of a batch (Gulrajani et al., section 4)."""

    def __init__(self, length: int, settings: GanSettings) -> None:
        super().__init__()
        self.from_bases = nn.Conv1d(4, settings.channels, 1)
        self.blocks = _residual_stack(settings)
        # Two heads, summed. The linear one over every position sees where things are; the one
        # over each channel's maximum along the sequence asks "is this feature anywhere?", so a
        # motif detector learns from sites at every position at once. Binding sites sit
        # anywhere, and this head makes the generator learn them several times faster.
        self.positional = nn.Linear(settings.channels * length, 1)
        self.anywhere = nn.Linear(settings.channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = self.blocks(self.from_bases(x.transpose(1, 2)))  # (B, C, L)
        score = self.positional(features.flatten(1)) + self.anywhere(features.amax(dim=2))
        return score.squeeze(1)


# --- Training ---------------------------------------------------------------------------------


def gradient_penalty(
    critic: Critic, real: torch.Tensor, fake: torch.Tensor, noise: torch.Generator
) -> torch.Tensor:
    """Mean (||∇ critic(x̂)|| - 1)² at random points x̂ between real and generated sequences:
    the WGAN-GP soft constraint that keeps the critic 1-Lipschitz."""
    alpha = torch.rand(real.shape[0], 1, 1, device=real.device, generator=noise)
    mixed = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    (gradients,) = torch.autograd.grad(critic(mixed).sum(), mixed, create_graph=True)
    return ((gradients.flatten(1).norm(dim=1) - 1) ** 2).mean()


def _check_settings(settings: GanSettings) -> None:
    for name in ("latent_dim", "channels", "kernel_size", "batch_size", "critic_steps"):
        if (value := getattr(settings, name)) < 1:
            raise InputError(f"GAN settings: {name} must be at least 1, got {value}")
    for name in ("epochs", "blocks", "samples", "monitor_samples"):
        if (value := getattr(settings, name)) < 0:
            raise InputError(f"GAN settings: {name} must be >= 0, got {value}")
    if settings.kernel_size % 2 == 0:
        raise InputError(f"GAN settings: kernel_size must be odd, got {settings.kernel_size}")
    if settings.learning_rate <= 0 or settings.gp_weight < 0:
        raise InputError("GAN settings: learning_rate must be > 0 and gp_weight >= 0")


def train_gan(
    positives: np.ndarray,
    settings: GanSettings,
    device: str | torch.device = "cpu",
    motif_rate: Callable[[list[str]], float] | None = None,
    progress: bool = False,
) -> tuple[Generator, pd.DataFrame]:
    """Train a WGAN-GP on `positives`, one-hot (n, L, 4) float32.

    An epoch is one shuffled pass of the critic over the positives, one batch per critic step
    (batches of `batch_size`; the last incomplete one is dropped unless it is the only one); the
    generator takes a step after every `critic_steps` critic steps, counted across epochs.

    Returns the trained generator and a history with one row per epoch: epoch, critic_loss,
    generator_loss (NaN for an epoch without a generator step), wasserstein (the critic's
    estimate of the Wasserstein distance, mean real score minus mean generated score),
    gradient_penalty, and motif_rate: `motif_rate` of a fixed monitoring batch of sampled
    sequences, NaN when no `motif_rate` is given.

    Deterministic on CPU: the weights start from torch.manual_seed(settings.seed), batch order
    comes from a numpy Generator and latent vectors from a torch.Generator, both seeded from it.
    """
    _check_settings(settings)
    real_all = _checked_positives(positives)
    device = resolve_device(device) if isinstance(device, str) else device
    n, length = real_all.shape[:2]
    batch = min(settings.batch_size, n)
    batches_per_epoch = max(1, n // batch)

    torch.manual_seed(settings.seed)
    generator, critic = Generator(length, settings).to(device), Critic(length, settings).to(device)
    g_optimizer, c_optimizer = _adam(generator, settings), _adam(critic, settings)
    # Both learning rates fall linearly to zero over the run's critic steps (as in Gulrajani et
    # al.): large steps find the motif early, small ones let the generator settle on it instead
    # of oscillating around it.
    total_steps = max(1, settings.epochs * batches_per_epoch)

    # The data stays on the device; batches are drawn by index, so no per-step copies.
    real_data = torch.from_numpy(real_all).to(device)
    order_rng = np.random.default_rng(settings.seed)
    noise = torch.Generator(device=device).manual_seed(settings.seed)
    monitor_z = _latents(settings.monitor_samples, settings.latent_dim, settings.seed + 1, device)

    rows = []
    critic_step = 0
    for epoch in range(1, settings.epochs + 1):
        # Sums stay on the device and are read once per epoch: no host syncs inside the loop.
        sums = torch.zeros(4, device=device)  # critic loss, W estimate, penalty, generator loss
        generator_steps = 0
        order = torch.from_numpy(order_rng.permutation(n)).to(device)
        for b in range(batches_per_epoch):
            real = real_data[order[b * batch : (b + 1) * batch]]
            sums[:3] += _critic_step(critic, generator, c_optimizer, real, noise, settings)
            critic_step += 1
            learning_rate = settings.learning_rate * (1 - critic_step / total_steps)
            _set_learning_rate((g_optimizer, c_optimizer), learning_rate)
            if critic_step % settings.critic_steps == 0:
                sums[3] += _generator_step(generator, critic, g_optimizer, batch, noise)
                generator_steps += 1

        monitored = motif_rate(_decode_batch(generator, monitor_z)) if motif_rate else math.nan
        rows.append(_history_row(epoch, sums, batches_per_epoch, generator_steps, monitored))
        if progress:  # one plain line per epoch: a log file is read after the fact
            shown = ", ".join(f"{k} {v:.4f}" for k, v in rows[-1].items() if k != "epoch")
            log.info("GAN epoch %d/%d: %s", epoch, settings.epochs, shown)
    return generator.eval(), pd.DataFrame(rows, columns=_HISTORY_COLUMNS)


def _checked_positives(positives: np.ndarray) -> np.ndarray:
    """`positives` as float32, or an InputError unless they are one-hot (rows, length, 4)."""
    real_all = np.asarray(positives, dtype=np.float32)
    if real_all.ndim != 3 or real_all.shape[2] != 4 or real_all.shape[0] < 1:
        raise InputError(f"positives must be one-hot (rows, length, 4), got {real_all.shape}")
    return real_all


def _adam(network: nn.Module, settings: GanSettings) -> torch.optim.Adam:
    # Gulrajani et al.: less momentum than Adam's default betas keeps WGANs stable.
    return torch.optim.Adam(network.parameters(), lr=settings.learning_rate, betas=(0.5, 0.9))


def _set_learning_rate(optimizers: Sequence[torch.optim.Optimizer], learning_rate: float) -> None:
    for optimizer in optimizers:
        for group in optimizer.param_groups:
            group["lr"] = learning_rate


def _noise_latents(size: int, latent_dim: int, noise: torch.Generator) -> torch.Tensor:
    """`size` latent vectors from the training noise stream, on its device."""
    return torch.randn(size, latent_dim, device=noise.device, generator=noise)


def _critic_step(
    critic: Critic,
    generator: Generator,
    optimizer: torch.optim.Optimizer,
    real: torch.Tensor,
    noise: torch.Generator,
    settings: GanSettings,
) -> torch.Tensor:
    """One critic update on a real batch against as many generated sequences. Returns the
    critic loss, the Wasserstein estimate and the gradient penalty, detached, on the device."""
    with torch.no_grad():
        fake = generator(_noise_latents(real.shape[0], settings.latent_dim, noise))
    wasserstein = critic(real).mean() - critic(fake).mean()
    penalty = gradient_penalty(critic, real, fake, noise)
    critic_loss = -wasserstein + settings.gp_weight * penalty
    optimizer.zero_grad(set_to_none=True)
    critic_loss.backward()
    optimizer.step()
    return torch.stack([critic_loss, wasserstein, penalty]).detach()


def _generator_step(
    generator: Generator,
    critic: Critic,
    optimizer: torch.optim.Optimizer,
    size: int,
    noise: torch.Generator,
) -> torch.Tensor:
    """One generator update on `size` generated sequences; returns its loss, detached."""
    critic.requires_grad_(False)  # gradients for the generator only: cheaper
    generator_loss = -critic(generator(_noise_latents(size, generator.latent_dim, noise))).mean()
    optimizer.zero_grad(set_to_none=True)
    generator_loss.backward()
    optimizer.step()
    critic.requires_grad_(True)
    return generator_loss.detach()


_HISTORY_COLUMNS = [
    "epoch",
    "critic_loss",
    "generator_loss",
    "wasserstein",
    "gradient_penalty",
    "motif_rate",
]


def _history_row(
    epoch: int, sums: torch.Tensor, batches: int, generator_steps: int, motif_rate: float
) -> dict[str, float]:
    """An epoch's history row from its summed losses (read off the device here, once): means
    per critic step, and per generator step (NaN for an epoch without one)."""
    critic_loss_sum, wasserstein_sum, penalty_sum, generator_loss_sum = sums.tolist()
    return {
        "epoch": epoch,
        "critic_loss": critic_loss_sum / batches,
        "generator_loss": generator_loss_sum / generator_steps if generator_steps else math.nan,
        "wasserstein": wasserstein_sum / batches,
        "gradient_penalty": penalty_sum / batches,
        "motif_rate": motif_rate,
    }


# --- Sampling ---------------------------------------------------------------------------------


def _latents(count: int, latent_dim: int, seed: int, device: torch.device) -> torch.Tensor:
    """`count` latent vectors from `seed`, drawn on the CPU so every device gets the same ones."""
    cpu = torch.Generator().manual_seed(seed)
    return torch.randn(count, latent_dim, generator=cpu).to(device)


@torch.no_grad()
def _decode_batch(generator: Generator, z: torch.Tensor, chunk: int = 4096) -> list[str]:
    """The most probable base at each position, for every latent vector in `z`."""
    was_training = generator.training
    generator.eval()
    parts = [generator(z[i : i + chunk]).argmax(dim=2).cpu() for i in range(0, len(z), chunk)]
    generator.train(was_training)
    if not parts:
        return []
    return decode_base_rows(torch.cat(parts).numpy())


def sample_sequences(
    generator: Generator, count: int, seed: int, device: str | torch.device = "cpu"
) -> list[str]:
    """`count` sequences from the generator; the same seed gives the same sequences (the latent
    vectors come from a torch.Generator seeded with `seed`). Each position is the argmax base."""
    if count < 0:
        raise InputError(f"cannot sample {count} sequences")
    device = resolve_device(device) if isinstance(device, str) else device
    generator = generator.to(device)
    return _decode_batch(generator, _latents(count, generator.latent_dim, seed, device))


def random_sequences(count: int, length: int, seed: int) -> list[str]:
    """`count` sequences of uniform, independent A, C, G, T: the comparison row of the table."""
    rng = np.random.default_rng(seed)
    return decode_base_rows(rng.integers(0, 4, size=(count, length)))


# --- Judging ----------------------------------------------------------------------------------


def _rows_by_length(sequences: Sequence[str]) -> dict[int, list[int]]:
    """Row numbers grouped by sequence length, so each group one-hot encodes into one array."""
    groups: dict[int, list[int]] = {}
    for row, sequence in enumerate(sequences):
        groups.setdefault(len(sequence), []).append(row)
    return groups


def _window_scores(
    sequences: Sequence[str], weights: np.ndarray
) -> Iterator[tuple[list[int], np.ndarray, np.ndarray, np.ndarray]]:
    """For each group of equally long sequences: (their rows, every window one-hot (n, windows,
    4, width), forward scores (n, windows), reverse-strand scores (n, windows)). A window
    scores the sum over its positions of weights[position, base]; weights is (width, 4). On the
    other strand the rows are reversed, and columns A C G T reversed are their complements.
    Letters other than A, C, G, T score 0; sequences shorter than the window are left out."""
    weights = np.asarray(weights, dtype=np.float64)
    width = len(weights)
    for length, rows in _rows_by_length(sequences).items():
        if length < width:
            continue
        x = one_hot([sequences[i] for i in rows])  # (n, L, 4)
        # (n, windows, 4, width): every window at once, no loop over positions.
        windows = np.lib.stride_tricks.sliding_window_view(x, width, axis=1)
        forward = np.einsum("nwkp,pk->nw", windows, weights)
        reverse = np.einsum("nwkp,pk->nw", windows, weights[::-1, ::-1])
        yield rows, windows, forward, reverse


def _best_window_scores(sequences: Sequence[str], weights: np.ndarray) -> np.ndarray:
    """(n,) the best score of any window on either strand (`_window_scores`); a sequence
    shorter than the window scores -inf."""
    best = np.full(len(sequences), -np.inf)
    for rows, _, forward, reverse in _window_scores(sequences, weights):
        best[rows] = np.maximum(forward.max(axis=1), reverse.max(axis=1))
    return best


def consensus_hits(sequences: Sequence[str], consensus: str, max_mismatches: int) -> np.ndarray:
    """(n,) bool: whether each sequence holds `consensus` with at most `max_mismatches`
    mismatches at some position, on either strand (N and other letters count as mismatches)."""
    letters = consensus.upper()
    if not letters or set(letters) - set(DNA):
        raise InputError(f"consensus {consensus!r} must be a non-empty string of A, C, G, T")
    # Matches per window; a hit needs width - matches <= max_mismatches.
    matches = _best_window_scores(sequences, one_hot([letters])[0])
    return len(letters) - matches <= max_mismatches


def consensus_hit_rate(sequences: Sequence[str], consensus: str, max_mismatches: int) -> float:
    """Fraction of sequences holding `consensus` (`consensus_hits`); NaN for none."""
    if not sequences:
        return math.nan
    return float(np.mean(consensus_hits(sequences, consensus, max_mismatches)))


def pwm_hits(
    sequences: Sequence[str], probabilities: np.ndarray, threshold: float, background: float = 0.25
) -> np.ndarray:
    """(n,) bool: whether each sequence has a window on either strand whose log-odds score
    reaches `threshold` × the PWM's best possible score.

    Scores are sums of log2(p / background) over the window, p with PWM_PSEUDOCOUNT added per
    base (then renormalised) so an absent base costs a finite amount. `probabilities`: (width,
    4), columns A, C, G, T.
    """
    matrix = np.asarray(probabilities, dtype=np.float64)
    if matrix.ndim != 2 or matrix.shape[1] != 4 or len(matrix) < 1:
        raise InputError(f"PWM must be (width, 4) in A C G T order, got shape {matrix.shape}")
    if (matrix < 0).any() or not np.isfinite(matrix).all() or (matrix.sum(axis=1) <= 0).any():
        raise InputError("PWM rows must be finite, non-negative and not all zero")
    log_odds = pwm_log_odds(matrix, background)
    cutoff = threshold * log_odds.max(axis=1).sum()
    best = _best_window_scores(sequences, log_odds)
    return best >= cutoff - 1e-9  # tolerance: a perfect site must count


def pwm_hit_rate(
    sequences: Sequence[str], probabilities: np.ndarray, threshold: float, background: float = 0.25
) -> float:
    """Fraction of sequences with a PWM hit (`pwm_hits`); NaN for none."""
    if not sequences:
        return math.nan
    return float(np.mean(pwm_hits(sequences, probabilities, threshold, background)))


def pwm_log_odds(probabilities: np.ndarray, background: float = 0.25) -> np.ndarray:
    """(width, 4) log2(p / background), p with PWM_PSEUDOCOUNT added per base (then
    renormalised) so an absent base costs a finite amount."""
    if not 0 < background < 1:
        raise InputError(f"background must be between 0 and 1, got {background}")
    matrix = np.asarray(probabilities, dtype=np.float64)
    p = matrix / matrix.sum(axis=1, keepdims=True) + PWM_PSEUDOCOUNT
    return np.log2(p / p.sum(axis=1, keepdims=True) / background)


def aligned_sites(sequences: Sequence[str], weights: np.ndarray) -> np.ndarray:
    """(n, width, 4) one-hot of each sequence's best window under `weights` (width, 4; scored as
    in `_window_scores`) on either strand, read in the motif's orientation: the sites a set
    holds, lined up for a logo whatever their position. Sequences shorter than the motif are
    left out."""
    width = len(weights)
    sites = []
    for rows, windows, forward, reverse in _window_scores(sequences, weights):
        on_forward = forward.max(axis=1) >= reverse.max(axis=1)
        start = np.where(on_forward, forward.argmax(axis=1), reverse.argmax(axis=1))
        site = windows[np.arange(len(rows)), start].transpose(0, 2, 1)  # (n, width, 4)
        # A reverse-strand site read 5'->3' on its own strand: positions and bases reversed.
        sites.append(np.where(on_forward[:, None, None], site, site[:, ::-1, ::-1]))
    return np.concatenate(sites) if sites else np.zeros((0, width, 4), dtype=np.float32)


def mean_pairwise_hamming(
    sequences: Sequence[str], max_pairs: int = 200_000, seed: int = 0
) -> float:
    """Mean Hamming distance between two different sequences of the set, as a fraction of the
    length (0: all the same, 0.75: unrelated uniform random). All pairs when there are at most
    `max_pairs`, else `max_pairs` pairs drawn uniformly from a numpy Generator seeded with
    `seed`. NaN for fewer than two sequences. Case-insensitive."""
    n = len(sequences)
    if n < 2:
        return math.nan
    lengths = {len(s) for s in sequences}
    if len(lengths) > 1:
        raise InputError(f"Hamming distance needs equal lengths, got lengths {sorted(lengths)[:5]}")
    length = lengths.pop()
    if length == 0:
        return math.nan
    codes = np.frombuffer("".join(sequences).upper().encode("ascii", "replace"), dtype=np.uint8)
    codes = codes.reshape(n, length)
    if n * (n - 1) // 2 <= max_pairs:
        first, second = np.triu_indices(n, k=1)
    else:
        # Uniform over unordered pairs of distinct rows: any i, then j among the other n - 1.
        rng = np.random.default_rng(seed)
        first = rng.integers(0, n, size=max_pairs)
        second = rng.integers(0, n - 1, size=max_pairs)
        second = second + (second >= first)
    distances = np.empty(len(first))
    step = max(1, 4_000_000 // length)  # bound the memory of one comparison block
    for i in range(0, len(first), step):
        a, b = first[i : i + step], second[i : i + step]
        distances[i : i + step] = (codes[a] != codes[b]).sum(axis=1)
    return float(distances.mean() / length)


def copy_fraction(sequences: Sequence[str], training: Sequence[str]) -> float:
    """Fraction of `sequences` that are exact copies of a training sequence: the same string
    (case-insensitive). A reverse complement of a training sequence is not counted as a copy."""
    if not sequences:
        return math.nan
    known = {s.upper() for s in training}
    return float(np.mean([s.upper() in known for s in sequences]))


def judge(
    sets: Mapping[str, Sequence[str]],
    training: Sequence[str],
    motif_rate: Callable[[Sequence[str]], float] | None,
) -> pd.DataFrame:
    """One row per named set of sequences (e.g. 'generated', 'training positives', 'random'):
    set, sequences (count), motif_rate (absent when no `motif_rate` is given: no known motif),
    mean_pairwise_hamming (fraction of the length) and copies_of_training (fraction, exact
    strings)."""
    rows = [
        {
            "set": name,
            "sequences": len(sequences),
            "motif_rate": motif_rate(sequences) if motif_rate and sequences else math.nan,
            "mean_pairwise_hamming": mean_pairwise_hamming(sequences),
            "copies_of_training": copy_fraction(sequences, training),
        }
        for name, sequences in sets.items()
    ]
    columns = ["set", "sequences", "motif_rate", "mean_pairwise_hamming", "copies_of_training"]
    if motif_rate is None:
        columns.remove("motif_rate")
    return pd.DataFrame(rows, columns=columns)


def _canonical_kmers(sequences: Sequence[str], k: int) -> Counter[str]:
    """Occurrences of each k-mer of A, C, G, T on either strand (a k-mer and its reverse
    complement counted as one, under the first of the two in alphabetical order)."""
    counts: Counter[str] = Counter()
    for sequence in sequences:
        sequence = sequence.upper()
        counts.update(sequence[i : i + k] for i in range(len(sequence) - k + 1))
    canonical: Counter[str] = Counter()
    for kmer, count in counts.items():
        if not set(kmer) - set(DNA):
            canonical[min(kmer, reverse_complement_dna(kmer))] += count
    return canonical


def enriched_kmer(sequences: Sequence[str], background: Sequence[str], k: int) -> str | None:
    """The k-mer (either strand) most over-represented in `sequences` against `background`:
    the highest (count + 1) / (background count + 1), ties to the more frequent, then the
    alphabetically first. What a set's sites are lined up by when no motif is known. None when
    no sequence holds a k-mer of A, C, G, T."""
    counts, chance = _canonical_kmers(sequences, k), _canonical_kmers(background, k)
    if not counts:
        return None
    scale = max(1, sum(counts.values())) / max(1, sum(chance.values()))
    return min(counts, key=lambda m: (-(counts[m] + 1) / (scale * chance[m] + 1), -counts[m], m))


def write_fasta(sequences: Sequence[str], path: Path, prefix: str = "generated") -> None:
    """FASTA records >{prefix}_0001, >{prefix}_0002, ... (numbered from 1, zero-padded to at
    least 4 digits), sequences wrapped at 60 columns; written atomically."""
    digits = max(4, len(str(len(sequences))))
    lines = []
    for number, sequence in enumerate(sequences, start=1):
        lines.append(f">{prefix}_{number:0{digits}d}")
        lines.extend(sequence[i : i + FASTA_WIDTH] for i in range(0, len(sequence), FASTA_WIDTH))
    with atomic_path(path) as tmp:
        tmp.write_text("\n".join(lines) + "\n" if lines else "")
