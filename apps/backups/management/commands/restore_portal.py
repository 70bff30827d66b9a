"""`manage.py restore_portal ARCHIVE [--yes] [--check]`: put a backup back."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from apps.backups import archive as backups


class Command(BaseCommand):
    help = (
        "Replace the database and every uploaded file with those of a backup made by backup_portal. "
        "Stop the portal (web, worker, beat) first. A database that holds data is replaced only "
        "with --yes (or a typed confirmation at a terminal)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", type=Path, help="The backup file (var/backups/portal-….tar).")
        parser.add_argument(
            "--yes", action="store_true", help="Replace a database that already holds data without asking."
        )
        parser.add_argument(
            "--check", action="store_true", help="Only read the archive and verify every checksum."
        )

    def handle(self, *args: Any, archive: Path, yes: bool, check: bool, **options: Any) -> None:
        try:
            manifest = backups.read_manifest(archive)
            self.stdout.write(
                f"{archive}: {manifest['database']['vendor']} database of {manifest['created_at']}, "
                f"{manifest['counts'].get('casework.ServiceRequest', 0):,} requests, "
                f"{manifest['uploads']['files']:,} uploaded files"
            )
            if check:
                backups.verify_backup(archive)
                self.stdout.write(self.style.SUCCESS("The archive is complete and every checksum matches."))
                return
            if not yes and not backups.database_is_empty() and self._confirmed_at_terminal():
                yes = True
            result = backups.restore_backup(archive, confirmed=yes)
        except backups.BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(self.style.SUCCESS("Restored the database and the uploaded files."))
        for label, (expected, found) in result.mismatches.items():
            self.stderr.write(f"  warning: {label}: {found} rows, the backup recorded {expected}")
        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            self.stdout.write(
                "The backup predates this code's migrations: run `manage.py migrate` before starting."
            )

    def _confirmed_at_terminal(self) -> bool:
        if not sys.stdin.isatty():
            return False
        self.stdout.write(
            "The database holds data. Restoring replaces all of it and every uploaded file. "
            "Type 'yes' to go on: ",
            ending="",
        )
        self.stdout.flush()
        return sys.stdin.readline().strip().lower() == "yes"
