#!/usr/bin/env python3
"""Command line of Open Tally: parses arguments and calls the stages in the ``opentally`` package."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from opentally import load, report, validate
from opentally.issues import BuildError

DEFAULT_ROOT = Path("datapackages")


def _fail(exc: BuildError, debug: bool) -> None:
    """A build error is one message with how to fix it; the traceback only with --debug."""
    if debug:
        raise exc
    click.echo(f"error: {exc}", err=True)
    sys.exit(1)


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


@cli.command("check")
@click.option("--base", "base", default=None, metavar="REF",
              help="Commit or branch to compare with (default: the merge base with main).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON instead of Markdown.")
@click.option("--debug", is_flag=True, help="Show a traceback when the check cannot run.")
def check_command(base: str | None, as_json: bool, debug: bool) -> None:
    """Report what the change since --base does to the data, for a pull-request review.

    Markdown (for a pull-request comment; also appended to $GITHUB_STEP_SUMMARY when set) or JSON.
    Exit status: 0 when the change can be merged, 1 when it cannot, 2 for a usage error.
    """
    import os

    from opentally import check, check_report

    try:
        result = check.check_change(Path("."), base)
    except check.UnknownBase as exc:
        raise click.UsageError(f"{exc.message}\n  how to fix: {exc.hint}") from None
    except BuildError as exc:
        _fail(exc, debug)
        return
    markdown = check_report.format_markdown(result)
    click.echo(check_report.format_json(result) if as_json else markdown, nl=False)
    if os.environ.get("GITHUB_STEP_SUMMARY"):
        with open(os.environ["GITHUB_STEP_SUMMARY"], "a", encoding="utf-8") as summary:
            summary.write(markdown)
    sys.exit(0 if result.mergeable else 1)


@cli.command("build")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("site"), show_default=True,
              help="Folder the site is written to; replaced only when the whole build succeeds.")
@click.option("--project", type=click.Path(exists=True, file_okay=False, path_type=Path), default=Path("."),
              show_default=True, help="Folder holding datapackages/, site_src/, templates/ and mkdocs.yml.")
@click.option("--debug", is_flag=True, help="Show a traceback when the build fails.")
@click.option("--no-cache", "no_cache", is_flag=True,
              help="Make everything again instead of taking what an earlier build made from .build/cache/.")
@click.option("--publish", is_flag=True,
              help="This is the public site: refuse to build without the whole git history (every version "
                   "is published), where a preview only warns.")
def build_command(out: Path, project: Path, debug: bool, no_cache: bool, publish: bool) -> None:
    """Validate every package, then build the site into --out.

    Exit status: 0 when the site was built, 1 when the data, the commentary or MkDocs failed
    (the previous site is left as it was), 2 for a usage error.
    """
    from opentally.pipeline import Project, build_site

    try:
        result = build_site(Project(project), out, log=click.echo, use_cache=not no_cache, publishing=publish)
    except BuildError as exc:
        _fail(exc, debug)
        return
    if not result.ok:
        click.echo(report.format_text(result.report) + report.format_issues(result.issues), nl=False)
        click.echo(f"not built: the site in {out} was left as it was")
        sys.exit(1)
    click.echo(report.format_issues(result.issues), nl=False)
    page, size = result.largest_page
    click.echo(f"built {out}: {result.pages} pages, {result.charts} charts, {result.downloads} downloads; "
               f"{result.files:,} files, {result.bytes / 1e6:.1f} MB (largest page {page}, {size / 1e3:,.0f} kB) "
               f"in {result.seconds:.1f} s")


@cli.command("serve")
@click.option("--project", type=click.Path(exists=True, file_okay=False, path_type=Path), default=Path("."),
              show_default=True, help="Folder holding datapackages/, site_src/, templates/ and mkdocs.yml.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
def serve_command(project: Path, host: str, port: int) -> None:
    """Preview the site at http://HOST:PORT/, rebuilding when data, commentary or templates change."""
    from opentally.serve import serve

    serve(project, host, port, log=click.echo)


@cli.command("new")
@click.argument("name")
@click.option("--from", "csv_path", required=True, type=click.Path(path_type=Path),
              help="The CSV file to start from; it is copied into the package byte for byte.")
@click.option("--title", default=None, help="The package's title for the public (else a TODO to fill in).")
@click.option("--root", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_ROOT, show_default=True,
              help="Folder holding one folder per data package.")
def new_command(name: str, csv_path: Path, title: str | None, root: Path) -> None:
    """Start the data package NAME from a CSV file: data/ with the file, and a datapackage.json.

    The schema is inferred from the data; what a publisher must still write is marked TODO, and
    `validate` warns about each until it is done. Exit status: 0 when written, 1 when refused
    (nothing is written), 2 for a usage error.
    """
    from opentally.load import display_path
    from opentally.scaffold import scaffold_package

    try:
        made = scaffold_package(root, name, csv_path, title)
    except BuildError as exc:
        _fail(exc, debug=False)
        return
    folder = display_path(made.directory)
    columns = ", ".join(f"{field} ({type_})" for field, type_ in made.fields)
    click.echo(f"created {folder}: {made.rows:,} rows; columns {columns}")
    click.echo(f"  {display_path(made.descriptor)}")
    click.echo(f"  {display_path(made.data)} (a copy of {display_path(csv_path)}, byte for byte)")
    click.echo("".join(f"{note}\n" for note in made.notes), nl=False)
    click.echo(f"still to fill in, in {display_path(made.descriptor)} (`validate` warns about each until done):")
    click.echo("".join(f"  {item}\n" for item in made.todo), nl=False)
    click.echo("next: check the type guessed for each column, replace every TODO, then run")
    click.echo(f"  python build.py validate --strict {folder}")
    click.echo("  make serve")


if __name__ == "__main__":
    cli()
