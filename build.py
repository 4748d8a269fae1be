#!/usr/bin/env python3
"""Command line of Open Tally: parses arguments and calls the stages in the ``opentally`` package."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from opentally import load, report, validate

DEFAULT_ROOT = Path("datapackages")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Build a static transparency site from Frictionless Data Packages and Markdown commentary."""


@cli.command("validate")
@click.argument("package_dirs", nargs=-1, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--root", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_ROOT, show_default=True,
              help="Folder holding one folder per data package (used when no PACKAGE_DIR is named).")
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def validate_command(package_dirs: tuple[Path, ...], root: Path, strict: bool, as_json: bool) -> None:
    """Validate every data package under --root, or the PACKAGE_DIRs named.

    Exit status: 0 when every package is valid, 1 when any is not, 2 for a usage error.
    """
    directories = list(package_dirs) or load.find_packages(root)
    result = validate.validate_packages(load.load_packages(directories), strict=strict)
    click.echo(report.format_json(result) if as_json else report.format_text(result), nl=False)
    sys.exit(0 if result.valid else 1)


if __name__ == "__main__":
    cli()
