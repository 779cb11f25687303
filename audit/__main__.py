"""Upgrade, check, back up or prune the audit database (MBC_AUDIT_DB) and the staff database (MBC_STAFF_DB).

Examples:
    python -m audit upgrade
    python -m audit check
    python -m audit backup var/audit-backup-2026-12-01.sqlite3
    python -m audit prune --before 2025-12-01
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from audit import AuditLog, StaffLog, display
from audit.database import is_url
from errors import AuditError
from settings import settings_from_env


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m audit", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("upgrade", help="create or migrate both databases to this code's schema")
    commands.add_parser("check", help="run the integrity check and count what is stored")
    backup = commands.add_parser("backup", help="copy a SQLite audit database with SQLite's online backup")
    backup.add_argument("target", type=Path, help="a new file for the copy")
    prune = commands.add_parser("prune", help="delete answers stored before a date")
    prune.add_argument("--before", required=True, type=date.fromisoformat, help="YYYY-MM-DD (UTC)")
    args = parser.parse_args(argv)
    settings = settings_from_env()
    target = settings.audit_db
    name = display(target)
    try:
        if args.command == "upgrade":
            log, staff = AuditLog(target), StaffLog(settings.staff_db)
            print(f"{name}: audit schema at {log.revision}.")
            print(f"{staff.name}: staff schema at {staff.revision}.")
            return 0
        if not is_url(target) and not Path(target).exists():
            raise AuditError(f"There is no audit database at {name} (MBC_AUDIT_DB).")
        log = AuditLog(target)
        if args.command == "check":
            print(f"{name}: integrity ok; {log.count_answers()} answers stored.")
        elif args.command == "backup":
            print(f"Backed up {name} to {log.backup(args.target)}.")
        else:
            print(f"Deleted {log.prune(args.before)} answers stored before {args.before} from {name}.")
    except AuditError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
