"""Where things live, read from the environment in one place.

Every setting has a default that works from a fresh clone; an environment
variable overrides it. Nothing else in the project reads ``os.environ`` for
settings.

    MBC_CORPUS_DIR   the pages and their sources.json      (default: corpus/)
    MBC_INDEX_DIR    the built index, versions inside       (default: var/index/)
    MBC_KEEP_VERSIONS  how many index versions to keep      (default: 3)
    MBC_FAISS_INDEX  force a FAISS index type: flat | ivf | hnsw  (default: chosen by size)
    MBC_AUDIT_DB     the audit database (SQLite)            (default: var/audit.sqlite3)
    MBC_AUDIT        "off" stops storing answers            (default: on)
    MBC_STAFF_USERS  staff sign-ins, "name:roles:hash" entries (default: none, staff pages off;
                     make an entry with: python -m ask.access NAME reviewer)
    MBC_EVAL_FILE    the labelled questions "Run evaluation" uses (default: ../shared/eval/dev.jsonl)
    MBC_PAGE_MAX_AGE_YEARS  a quoted page older than this is marked "may be out of date" (default: 3)
    MBC_STAFF_IDLE_MINUTES  a staff sign-in ends after this long without use (default: 30)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Paths and switches for one run. Build one with ``settings_from_env()``."""

    corpus_dir: Path = REPO_ROOT / "corpus"
    index_dir: Path = REPO_ROOT / "var" / "index"
    keep_versions: int = 3
    faiss_index: str | None = None
    audit_db: Path = REPO_ROOT / "var" / "audit.sqlite3"
    audit_enabled: bool = True
    staff_users: str = ""
    eval_file: Path = REPO_ROOT.parent / "shared" / "eval" / "dev.jsonl"
    page_max_age_years: float = 3.0
    staff_idle_minutes: float = 30.0


def settings_from_env(environ: dict[str, str] | None = None) -> Settings:
    """Read every setting from the environment (or the given mapping)."""
    env = os.environ if environ is None else environ
    defaults = Settings()

    def path(name: str, default: Path) -> Path:
        value = env.get(name, "").strip()
        return Path(value).expanduser().resolve() if value else default

    def positive(name: str, default: float) -> float:
        try:
            value = float(env.get(name, "").strip())
        except ValueError:
            return default
        return value if 0 < value < float("inf") else default

    keep = env.get("MBC_KEEP_VERSIONS", "").strip()
    return Settings(
        corpus_dir=path("MBC_CORPUS_DIR", defaults.corpus_dir),
        index_dir=path("MBC_INDEX_DIR", defaults.index_dir),
        keep_versions=max(1, int(keep)) if keep.isdigit() else defaults.keep_versions,
        faiss_index=env.get("MBC_FAISS_INDEX", "").strip().lower() or None,
        audit_db=path("MBC_AUDIT_DB", defaults.audit_db),
        audit_enabled=env.get("MBC_AUDIT", "on").strip().lower() not in {"off", "0", "false", "no"},
        staff_users=env.get("MBC_STAFF_USERS", "").strip(),
        eval_file=path("MBC_EVAL_FILE", defaults.eval_file),
        page_max_age_years=positive("MBC_PAGE_MAX_AGE_YEARS", defaults.page_max_age_years),
        staff_idle_minutes=positive("MBC_STAFF_IDLE_MINUTES", defaults.staff_idle_minutes),
    )
