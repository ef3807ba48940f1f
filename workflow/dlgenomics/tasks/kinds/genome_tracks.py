"""Kind `genome_tracks`: genome windows labelled by many tracks, in config alone.

A genome FASTA and many tracks of one type (`data/tracks.py` does the windows): interval
files (BED / narrowPeak) make a multi-label task, bigWig files a multi-output regression. The
tracks are a list of files, a glob over the dataset's declared file names, or a sample sheet
(columns track, file); their names, the task's labels, are settled when the config is read
(`check_genome_tracks_task` writes them to `tracks.resolved`), because scoring needs them while
Snakemake plans. A file reference is `<file>` (the task's dataset) or `<dataset>/<file>`.

Rows: row_id `chrom:start-end` (the genome's names), the window's text, `group` = its
chromosome (what `split.method: chromosome` keeps together and `split.test_chromosomes` holds
out), one `label_<track>` column per track.
"""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dlgenomics import InputError
from dlgenomics.data.chromosomes import aliases_of
from dlgenomics.data.download import dataset_file
from dlgenomics.data.schema import LABEL
from dlgenomics.data.tracks import (
    ALIASES_KEY,
    BIGWIG,
    INTERVALS,
    TRACK_SUFFIXES,
    WindowSettings,
    bigwig_track_windows,
    interval_track_windows,
    track_type,
)
from dlgenomics.tasks.base import TaskKind, TaskTables
from dlgenomics.tasks.kinds.sequences import safe_name

KIND_NAME = "genome_tracks"
# Keys only this kind reads.
KEYS = ("genome", "tracks", "windows", "signal", "exclude", ALIASES_KEY)
OBJECTIVES = {INTERVALS: "multilabel", BIGWIG: "multiregression"}
# The median over tracks ranks models unless the task's `selection_metric` says otherwise.
SELECTION_METRICS = {"multilabel": "median_auroc", "multiregression": "median_pearson"}
RESOLVED = "resolved"  # tracks.resolved: track name -> file reference, filled in here
# The leaderboard's bootstrap resamples windows in blocks this long: nearby windows overlap and
# share their signal, while whole chromosomes (the folds) are too few to resample.
RESAMPLING_BLOCK = 100_000


def _check_reference(config: dict[str, Any], reference: str, dataset: str, key: str) -> None:
    owner, name = dataset_file(reference, dataset)
    if owner not in config["datasets"]:
        raise InputError(f"{key}: no dataset named {owner!r} (for {reference!r})")
    if name not in config["datasets"][owner]["files"]:
        raise InputError(f"{key}: {name!r} is not in datasets.{owner}.files")


def _listed(config: dict[str, Any], task: dict[str, Any], where: str) -> list[tuple[str, str]]:
    """(file reference, what names it in errors) of each track file, from the list or glob."""
    tracks = task["tracks"]
    if tracks.get("files"):
        return [(str(f), f"{where}.tracks.files[{k}]") for k, f in enumerate(tracks["files"])]
    owner, pattern = dataset_file(tracks["glob"], task["dataset"])
    if owner not in config["datasets"]:
        raise InputError(f"{where}.tracks.glob: no dataset named {owner!r}")
    prefix = "" if owner == task["dataset"] else f"{owner}/"
    names = [n for n in config["datasets"][owner]["files"] if fnmatch.fnmatchcase(n, pattern)]
    if not names:
        raise InputError(
            f"{where}.tracks.glob: {pattern!r} matches no file of datasets.{owner}.files"
        )
    return [(prefix + name, f"{where}.tracks.glob ({name})") for name in sorted(names)]


def _named(listed: list[tuple[str, str]], regex: str | None, where: str) -> dict[str, str]:
    """Track name -> reference: `name_regex`'s group `track` in the file name, else the file
    name without its track ending."""
    pattern = None
    if regex:
        try:
            pattern = re.compile(regex)
        except re.error as error:
            raise InputError(
                f"{where}.tracks.name_regex: not a regular expression ({error})"
            ) from None
        if "track" not in pattern.groupindex:
            raise InputError(f"{where}.tracks.name_regex: needs a group (?P<track>...)")
    named: list[tuple[str, str, str]] = []
    for reference, key in listed:
        file_name = reference.rsplit("/", 1)[-1]
        if pattern is None:
            ends = [e for kind in TRACK_SUFFIXES.values() for e in kind]
            end = next((e for e in ends if file_name.lower().endswith(e)), "")
            named.append((file_name[: len(file_name) - len(end)], reference, key))
            continue
        found = pattern.search(file_name)
        if not found or not found.group("track"):
            raise InputError(f"{key}: {file_name!r} does not match tracks.name_regex {regex!r}")
        named.append((found.group("track"), reference, key))
    return _unique_names(named, where)


def _unique_names(named: list[tuple[str, str, str]], where: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, reference, key in named:
        safe = safe_name(name)  # a label column's name: letters, digits and _
        if safe in out:
            raise InputError(
                f"{key}: track name {safe!r} is already {out[safe]!r}'s: name "
                "tracks apart (tracks.name_regex, or a sheet)"
            )
        out[safe] = reference
    return out


def _sheet(path: str, where: str) -> tuple[list[tuple[str, str]], dict[str, str]]:
    """A sample sheet (columns track, file): (reference, its line) and file -> track name."""
    from dlgenomics.data.tables import line_of, read_delimited

    if not Path(path).is_file():
        raise InputError(f"{where}.tracks.sheet: {path} does not exist (relative to {Path.cwd()})")
    table = read_delimited(Path(path), columns=["track", "file"])
    listed, names = [], {}
    for row, (track, reference) in enumerate(zip(table["track"], table["file"], strict=True)):
        key = f"{path}: line {line_of(row, True)}"
        if pd.isna(track) or pd.isna(reference):
            raise InputError(f"{key}: a track needs both a name and a file")
        listed.append((str(reference), key))
        names[str(reference)] = str(track)
    return listed, names


def resolve_tracks(config: dict[str, Any], task: dict[str, Any], where: str) -> dict[str, str]:
    """Track name -> file reference, each file checked to be a declared dataset file."""
    tracks = task["tracks"]
    given = [key for key in ("files", "glob", "sheet") if tracks.get(key)]
    if len(given) != 1:
        raise InputError(
            f"{where}.tracks: give exactly one of files, glob or sheet "
            f"(got {', '.join(given) or 'none'})"
        )
    sheet_names: dict[str, str] = {}
    if given == ["sheet"]:
        listed, sheet_names = _sheet(tracks["sheet"], where)
    else:
        listed = _listed(config, task, where)
    for reference, key in listed:
        _check_reference(config, reference, task["dataset"], key)
        if track_type(reference) is None:
            raise InputError(
                f"{key}: {reference!r} is not a track file (BED/narrowPeak: .bed, "
                ".narrowPeak[.gz]; bigWig: .bw, .bigWig)"
            )
    if sheet_names:
        return _unique_names([(sheet_names[ref], ref, key) for ref, key in listed], where)
    return _named(listed, tracks.get("name_regex"), where)


def check_genome_tracks_task(config: dict[str, Any], task: dict[str, Any], where: str) -> None:
    """What the schema cannot say; fills in `tracks.resolved` and the `objective`."""
    for key in ("dataset", "genome", "tracks"):
        if key not in task:
            raise InputError(f"{where}.{key}: kind {KIND_NAME!r} needs `{key}`")
    if task["dataset"] not in config["datasets"]:
        raise InputError(f"{where}.dataset: no dataset named {task['dataset']!r}")
    resolved = resolve_tracks(config, task, where)
    kinds = {track_type(reference) for reference in resolved.values()}
    if len(kinds) > 1:
        raise InputError(
            f"{where}.tracks: interval (BED) and bigWig files in one task: a task "
            "reads one type (make two tasks)"
        )
    objective = OBJECTIVES[kinds.pop()]
    if task.get("objective", objective) != objective:
        raise InputError(
            f"{where}.objective: {task['objective']!r}, but these tracks make a "
            f"{objective} task: leave `objective` out"
        )
    for key in ("genome", "exclude"):
        if task.get(key):
            _check_reference(config, task[key], task["dataset"], f"{where}.{key}")
    if isinstance(task.get(ALIASES_KEY), str):
        _check_reference(config, task[ALIASES_KEY], task["dataset"], f"{where}.{ALIASES_KEY}")
    windows = task["windows"]
    if windows["bin"] > windows["length"]:
        raise InputError(
            f"{where}.windows.bin: {windows['bin']} is longer than the window ({windows['length']})"
        )
    if objective == "multiregression" and windows["placement"] != "tiles":
        raise InputError(f"{where}.windows.placement: bigWig tracks are read on tiles")
    task["tracks"][RESOLVED] = resolved
    task["objective"] = objective
    strand_partners(task, f"{where}.tracks.strand_pairs")


def strand_partners(task: dict[str, Any], where: str = "tracks.strand_pairs") -> list[int] | None:
    """Each track's partner on the other strand, in output order (`tracks.strand_pairs`
    swap, the rest stay); None without pairs. Names no track, or one twice: an InputError."""
    pairs = task["tracks"].get("strand_pairs")
    if not pairs:
        return None
    names = track_names(task)
    partners = list(range(len(names)))
    for plus, minus in pairs:
        for name in (plus, minus):
            if name not in names:
                raise InputError(f"{where}: no track named {name!r} (tracks: {', '.join(names)})")
            if partners[names.index(name)] != names.index(name) or plus == minus:
                raise InputError(f"{where}: track {name!r} is in more than one pair")
        partners[names.index(plus)], partners[names.index(minus)] = (
            names.index(minus),
            names.index(plus),
        )
    return partners


def track_names(task: dict[str, Any]) -> list[str]:
    """The task's labels, in output order (settled when the config was read)."""
    return list(task["tracks"][RESOLVED])


def genome_track_files(task: dict[str, Any]) -> tuple[str, ...]:
    """Every file reference the task reads: genome, tracks, exclusion, alias table."""
    named = [task["genome"], *task["tracks"][RESOLVED].values(), task.get("exclude")]
    if isinstance(task.get(ALIASES_KEY), str):
        named.append(task[ALIASES_KEY])
    return tuple(dict.fromkeys(name for name in named if name))


def load_genome_tracks(files: dict[str, Path], task: dict[str, Any]) -> Any:
    """The labelled standard table of windows (module docstring)."""

    resolved = task["tracks"][RESOLVED]
    tracks = {name: files[reference] for name, reference in resolved.items()}
    genome = files[task["genome"]]
    settings = WindowSettings.from_config(task["windows"])
    aliases = aliases_of(task.get(ALIASES_KEY), files, ALIASES_KEY)
    exclude = files[task["exclude"]] if task.get("exclude") else None
    if track_type(next(iter(resolved.values()))) == BIGWIG:
        windows = bigwig_track_windows(genome, tracks, settings, task["signal"], exclude, aliases)
    else:
        windows = interval_track_windows(genome, tracks, settings, exclude, aliases)
    chrom = pd.Series(windows.chrom, dtype=object)
    start = pd.Series(windows.start)
    frame = pd.DataFrame(
        {
            "row_id": chrom + ":" + start.astype(str) + "-" + (start + settings.length).astype(str),
            "seq_dna": windows.sequence,
            "group": chrom,
        }
    )
    labels = pd.DataFrame(windows.labels, columns=[LABEL + name for name in tracks])
    frame = pd.concat([frame, labels], axis=1)
    return TaskTables(
        frames={"labelled": frame},
        dropped_ids=windows.dropped_ids,
        sources={"labelled": str(genome)},
    )


def genomic_blocks(row_ids: np.ndarray) -> np.ndarray:
    """Window ids (`chrom:start-end`) -> their block, `chrom:<start // RESAMPLING_BLOCK>`."""
    parts = pd.Series(row_ids, dtype=str).str.rsplit(":", n=1, expand=True)
    starts = parts[1].str.split("-", n=1).str[0].astype(np.int64)
    return (parts[0] + ":" + (starts // RESAMPLING_BLOCK).astype(str)).to_numpy()


KIND = TaskKind(
    name=KIND_NAME,
    objective=None,  # filled in from the tracks when the config is read
    required_files=(),
    load=load_genome_tracks,
    # Off unless asked: stranded tracks (RNA-seq) exist.
    both_strands=lambda task: bool(task.get("reverse_complement", False)),
    reverse_strand_outputs=strand_partners,
    metric_options=lambda task: {"labels": track_names(task)},
    # Its objective follows from its tracks (filled in by its check); it may read both strands.
    config_keys=(*KEYS, "objective", "reverse_complement"),
    check_config=check_genome_tracks_task,
    allow_n=True,
    files_from_config=genome_track_files,
    selection_metrics=SELECTION_METRICS,
    resampling_groups=genomic_blocks,
)
