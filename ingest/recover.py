"""What every ingest command does first, holding the index's build lock: clear leftovers, finish a publish.

A process killed mid-way leaves temporary files and folders behind (a half-written index version, a
half-copied page, a half-staged candidate). Each start removes them: the lock says nobody is writing.

Publishing a staged refresh (``ingest.stage.publish``) writes a journal, ``publish.json`` in the
staging folder, once the candidate's index version is complete in the live index. From then on the
publish is decided: the journal lists every page file to copy into the live corpus and to remove
from it, and the version to serve. ``finish_publish`` carries it out, and can be run again and again
until it completes (each step is idempotent), so a publish killed at any point is either not done at
all (no journal: the live corpus and index are as they were) or finished by the next start.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import index as idx
from errors import RefreshError, StorageError
from settings import Settings

JOURNAL = "publish.json"
CANDIDATE = "candidate"
TMP_PREFIX = ".tmp-"
CORPUS_TMP_MARK = ".refresh-"


def recover(settings: Settings) -> list[str]:
    """Clear every leftover of a killed run and finish an interrupted publish; returns what was done.

    The caller holds ``idx.build_lock(settings.index_dir)``.
    """
    done = [f"removed {name}" for name in idx.remove_abandoned(settings.index_dir)]
    stage = settings.staging_dir
    if stage.is_dir():
        for leftover in stage.glob(f"{TMP_PREFIX}*"):
            shutil.rmtree(leftover, ignore_errors=True) if leftover.is_dir() else leftover.unlink(missing_ok=True)
            done.append(f"removed {leftover.name}")
        candidate_index = stage / CANDIDATE / "index"
        if candidate_index.is_dir():
            idx.remove_abandoned(candidate_index)
    if settings.corpus_dir.is_dir():
        for leftover in settings.corpus_dir.glob(f".*{CORPUS_TMP_MARK}*"):
            if leftover.is_file() and not leftover.is_symlink():
                leftover.unlink(missing_ok=True)
                done.append(f"removed {leftover.name}")
    if (stage / JOURNAL).is_file():
        finish_publish(settings)
        done.append("finished an interrupted publish")
    return done


def write_journal(settings: Settings, *, version: str, write: list[str], remove: list[str]) -> None:
    """Record a decided publish; from this moment on it is carried out, now or at the next start."""
    data = json.dumps({"version": version, "write": write, "remove": remove}, indent=2).encode("utf-8")
    stage = settings.staging_dir
    tmp = stage / f"{TMP_PREFIX}{JOURNAL}-{os.getpid()}"
    idx.write_durably(tmp, data)
    os.replace(tmp, stage / JOURNAL)
    idx.fsync_path(stage)


def finish_publish(settings: Settings) -> str:
    """Carry out the journal: copy the pages, remove the dropped ones, serve the version; returns it."""
    stage = settings.staging_dir
    try:
        journal = json.loads((stage / JOURNAL).read_text(encoding="utf-8"))
        version, write, remove = str(journal["version"]), list(journal["write"]), list(journal["remove"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise RefreshError(
            f"The publish journal {stage / JOURNAL} cannot be read ({exc}); the live corpus may be part-published. "
            "Restore corpus/ from version control and run python -m ingest."
        ) from exc
    live = settings.corpus_dir
    staged = stage / CANDIDATE / "corpus"
    try:
        if staged.is_dir():
            # The candidate is removed only after the version is served, so while it exists the copy is still due.
            for name in write:
                _copy_into(staged / name, live / name)
            for name in remove:
                (live / name).unlink(missing_ok=True)
            idx.fsync_path(live)
        idx.switch_to(settings.index_dir, version, keep_versions=settings.keep_versions)
        if (stage / CANDIDATE).is_dir():
            doomed = stage / f"{TMP_PREFIX}published-{os.getpid()}"
            os.rename(stage / CANDIDATE, doomed)
            shutil.rmtree(doomed, ignore_errors=True)
        (stage / JOURNAL).unlink(missing_ok=True)
        idx.fsync_path(stage)
    except OSError as exc:
        raise StorageError(
            f"A decided publish of index version {version} could not be finished ({exc.strerror or exc}); the "
            "next python -m ingest command tries again. Free some space or fix the folders' permissions."
        ) from exc
    return version


def _copy_into(source: Path, target: Path) -> None:
    """Replace ``target`` with ``source``'s bytes in one atomic rename."""
    tmp = target.with_name(f".{target.name}{CORPUS_TMP_MARK}{os.getpid()}")
    idx.write_durably(tmp, source.read_bytes())
    replace_file(tmp, target)


def replace_file(tmp: Path, target: Path) -> None:
    """``os.replace``, named so that a test can stop a publish between two files."""
    os.replace(tmp, target)
