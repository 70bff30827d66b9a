"""`manage.py backup_portal [--output-dir DIR]`: one archive with the database and the uploads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.template.defaultfilters import filesizeformat

from apps.backups import archive


class Command(BaseCommand):
    help = (
        "Write a backup of the database and every uploaded file into one archive under "
        "var/backups/ (settings.BACKUP_ROOT, environment PORTAL_BACKUP_DIR). Safe while the portal runs."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output-dir", type=Path, default=None, help="Write the archive here instead.")

    def handle(self, *args: Any, output_dir: Path | None, **options: Any) -> None:
        try:
            path, manifest = archive.create_backup(output_dir)
        except archive.BackupError as error:
            raise CommandError(str(error)) from None
        counts = manifest["counts"]
        self.stdout.write(
            self.style.SUCCESS(f"Backup written: {path} ({filesizeformat(path.stat().st_size)})")
        )
        self.stdout.write(
            f"  database: {manifest['database']['vendor']}, "
            f"{counts['casework.ServiceRequest']:,} requests, {counts['organizations.User']:,} users, "
            f"{counts['organizations.Organization']:,} organisations"
        )
        self.stdout.write(
            f"  uploads: {manifest['uploads']['files']:,} files, {filesizeformat(manifest['uploads']['bytes'])}"
        )
