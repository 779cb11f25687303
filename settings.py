"""Where things live, read from the environment in one place.

Every setting has a default that works from a fresh clone; an environment
variable overrides it. Nothing else in the project reads ``os.environ`` for
settings.

    MBC_CORPUS_DIR   the pages and their sources.json      (default: corpus/)
    MBC_INDEX_DIR    the built index, versions inside       (default: var/index/)
    MBC_MODEL_DIR    the fine-tuned embedding model         (default: var/model/; built by make model)
    MBC_KEEP_VERSIONS  how many index versions to keep      (default: 3)
    MBC_FAISS_INDEX  force a FAISS index type: flat | ivf | hnsw  (default: chosen by size)
    MBC_AUDIT_DB     the audit database: a SQLite file, or a URL such as postgresql://user@host/db
                     shared by every replica                (default: var/audit.sqlite3)
    MBC_AUDIT        "off" stops storing answers            (default: on)
    MBC_STAFF_USERS  staff sign-ins, "name:roles:hash" entries (default: none, staff pages off;
                     make an entry with: python -m staff.access NAME reviewer)
    MBC_EVAL_FILE    the labelled questions "Run evaluation" uses (default: data/dev.jsonl)
    MBC_EVAL_DIR     the only folder the maintainer page may read labelled files from
                     (default: the folder of MBC_EVAL_FILE)
    MBC_STAGE_DIR    where refresh stages a candidate corpus and index for review (default: staged/ beside MBC_INDEX_DIR)
    MBC_HOLD_SHARE   a refreshed page changed by more than this share of its text is held until a
                     maintainer approves it by name (default: 0.2)
    MBC_MAX_PAGE_BYTES  the largest page file, and the most bytes refresh reads (default: 2000000)
    MBC_FETCH_TIMEOUT   seconds for one page's whole fetch, redirects and robots.txt included (default: 15)
    MBC_STAFF_IDLE_MINUTES  a staff sign-in ends after this long without a click (default: 30)
    MBC_STAFF_DB     staff sign-ins, sessions and the staff action log: a file or a URL (default:
                     staff.sqlite3 beside a SQLite MBC_AUDIT_DB; MBC_AUDIT_DB itself when that is a URL)
    MBC_PAGE_MAX_AGE_YEARS  a quoted page older than this is marked "may be out of date" (default: 3)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from errors import SettingsError

__all__ = ["REPO_ROOT", "Settings", "settings_from_env"]

REPO_ROOT = Path(__file__).resolve().parent


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Paths and switches for one run. Build one with ``settings_from_env()``."""

    corpus_dir: Path = REPO_ROOT / "corpus"
    index_dir: Path = REPO_ROOT / "var" / "index"
    model_dir: Path = REPO_ROOT / "var" / "model"
    keep_versions: int = 3
    faiss_index: str | None = None
    audit_db: Path | str = REPO_ROOT / "var" / "audit.sqlite3"  # a str is a database URL
    audit_enabled: bool = True
    staff_users: str = ""
    eval_file: Path = REPO_ROOT / "data" / "dev.jsonl"
    eval_dir: Path | None = None  # None: the folder of eval_file
    stage_dir: Path | None = None  # None: "staged" beside the index folder
    hold_share: float = 0.2
    max_page_bytes: int = 2_000_000
    fetch_timeout_s: float = 15.0
    staff_idle_minutes: float = 30.0
    staff_db_path: Path | str | None = None  # None: staff.sqlite3 beside the audit database (or its URL)
    page_max_age_years: float = 3.0

    @property
    def evaluation_dir(self) -> Path:
        """The folder labelled files may be read from on the maintainer page."""
        return (self.eval_dir or self.eval_file.parent).resolve()

    @property
    def staff_db(self) -> Path | str:
        """Staff sign-ins, sessions and the staff action log (``audit.staff``): a path or a database URL."""
        if self.staff_db_path is not None:
            return self.staff_db_path
        if isinstance(self.audit_db, str):
            scheme, _, file = self.audit_db.partition(":///")
            if scheme.startswith("sqlite") and file:
                return Path(file).with_name("staff.sqlite3")  # a SQLite URL: its own file beside, as for a path
            return self.audit_db  # one PostgreSQL database holds both, in their own tables
        return self.audit_db.with_name("staff.sqlite3")

    @property
    def staging_dir(self) -> Path:
        """Where refresh stages its candidate corpus and index for review."""
        return self.stage_dir or self.index_dir.parent / "staged"

    @property
    def candidate_index_dir(self) -> Path:
        """The staged candidate's index (written by ``ingest.stage``, judged by ``staff.candidate``)."""
        return self.staging_dir / "candidate" / "index"


def settings_from_env(environ: dict[str, str] | None = None) -> Settings:
    """Read every setting from the environment (or the given mapping)."""
    env = os.environ if environ is None else environ
    defaults = Settings()

    def path(name: str, default: Path) -> Path:
        value = env.get(name, "").strip()
        return Path(value).expanduser().resolve() if value else default

    def database(name: str, default: Path | None) -> Path | str | None:
        """A file path, or a database URL kept as it is (``audit.database`` reads it)."""
        value = env.get(name, "").strip()
        if "://" in value:
            return value
        return Path(value).expanduser().resolve() if value else default

    def number(name: str, default: float, low: float, high: float) -> float:
        value = env.get(name, "").strip()
        if not value:
            return default
        try:
            parsed = float(value)
        except ValueError:
            raise SettingsError(f"{name} is {value!r}; give a number from {low:g} to {high:g}.") from None
        if not low <= parsed <= high:
            raise SettingsError(f"{name} is {value}; give a number from {low:g} to {high:g}.")
        return parsed

    keep = env.get("MBC_KEEP_VERSIONS", "").strip()
    eval_dir = env.get("MBC_EVAL_DIR", "").strip()
    return Settings(
        corpus_dir=path("MBC_CORPUS_DIR", defaults.corpus_dir),
        index_dir=path("MBC_INDEX_DIR", defaults.index_dir),
        model_dir=path("MBC_MODEL_DIR", defaults.model_dir),
        keep_versions=max(1, int(keep)) if keep.isdigit() else defaults.keep_versions,
        faiss_index=env.get("MBC_FAISS_INDEX", "").strip().lower() or None,
        audit_db=database("MBC_AUDIT_DB", defaults.audit_db),
        audit_enabled=env.get("MBC_AUDIT", "on").strip().lower() not in {"off", "0", "false", "no"},
        staff_users=env.get("MBC_STAFF_USERS", "").strip(),
        eval_file=path("MBC_EVAL_FILE", defaults.eval_file),
        eval_dir=Path(eval_dir).expanduser().resolve() if eval_dir else None,
        stage_dir=Path(stage).expanduser().resolve() if (stage := env.get("MBC_STAGE_DIR", "").strip()) else None,
        hold_share=number("MBC_HOLD_SHARE", defaults.hold_share, 0.0, 1.0),
        max_page_bytes=int(number("MBC_MAX_PAGE_BYTES", defaults.max_page_bytes, 1_000, 1_000_000_000)),
        fetch_timeout_s=number("MBC_FETCH_TIMEOUT", defaults.fetch_timeout_s, 0.1, 600.0),
        staff_db_path=database("MBC_STAFF_DB", None),
        staff_idle_minutes=number("MBC_STAFF_IDLE_MINUTES", defaults.staff_idle_minutes, 1.0, 24 * 60.0),
        page_max_age_years=number("MBC_PAGE_MAX_AGE_YEARS", defaults.page_max_age_years, 0.1, 100.0),
    )
