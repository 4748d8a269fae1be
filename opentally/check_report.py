"""The check report as Markdown, for a pull-request comment, or as JSON, for machines."""

from __future__ import annotations

import html
import json

from .check import CheckReport, PackageChange, ResourceDiff

MARKER = "<!-- opentally-check -->"
MAX_ROWS = 50  # rows listed per resource and kind; the rest are counted


def _cell(value, limit: int = 300) -> str:
    """Text from data in Markdown: no HTML, no links, no table breaks, no line breaks."""
    text = str(value)
    text = text if len(text) <= limit else text[: limit - 3] + "..."
    text = html.escape(text, quote=False).replace("|", "\\|").replace("\r", " ").replace("\n", " ")
    return text.replace("`", "&#96;").replace("[", "&#91;").replace("]", "&#93;")


def _code(value, limit: int = 120) -> str:
    """Text from data in a code span: entities are not decoded there, so only backticks and pipes change."""
    text = str(value).replace("`", "'").replace("|", "\\|").replace("\r", " ").replace("\n", " ")
    return "`" + (text if len(text) <= limit else text[: limit - 3] + "...") + "`"


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}" + ("" if count == 1 else "s")


def summary(report: CheckReport) -> list[str]:
    rows_added = sum(len(r.added) for p in report.packages for r in p.resources)
    rows_removed = sum(len(r.removed) for p in report.packages for r in p.resources)
    rows_changed = sum(len(r.changed) for p in report.packages for r in p.resources)
    breaking = sum(1 for p in report.packages for c in p.changes if c.breaking)
    schema = sum(1 for p in report.packages for c in p.changes if c.kind == "schema")
    lines = [
        f"- **{_plural(len(report.packages), 'package')}** touched"
        + (f": {', '.join(f'`{p.name}` ({p.status})' for p in report.packages)}" if report.packages else ""),
        f"- rows: {rows_added:,} added, {rows_removed:,} removed, {rows_changed:,} changed"
        + (f"; {_plural(len(report.quotes), 'quote')} changed" if report.quotes else ""),
        f"- schema: {_plural(schema, 'change')}, {breaking:,} breaking",
        f"- commentary: {_plural(len(report.commentary), 'page')} changed"
        + (f"; {_plural(len(report.figures), 'quoted figure')} changed value" if report.figures else ""),
        f"- {_plural(report.errors, 'error')}, {_plural(report.warnings, 'warning')}",
    ]
    return lines


def format_markdown(report: CheckReport) -> str:
    verdict = "✅ This change can be merged" if report.mergeable else "❌ This change cannot be merged yet"
    out = [MARKER, f"## {verdict}", "", f"Compared with {_code(report.base)}.", "", *summary(report), ""]
    errors = [i for i in report.all_issues if i.is_error]
    if errors:
        out += ["### What blocks the merge", "", "| where | problem | how to fix |", "| --- | --- | --- |"]
        out += [f"| {_code(i.location())} | {_cell(i.message)} | {_cell(i.hint)} |" for i in errors]
        out.append("")
    # Warnings about the site as a whole (the release calendar); a package's are in its section.
    site_warnings = [i for i in report.issues if not i.is_error]
    if site_warnings:
        out += ["### Warnings", "", "| where | warning | how to fix |", "| --- | --- | --- |"]
        out += [f"| {_code(i.location())} | {_cell(i.message)} | {_cell(i.hint)} |" for i in site_warnings]
        out.append("")
    for figure in report.figures:
        if figure == report.figures[0]:
            out += ["### Commentary that quotes a changed figure", ""]
        out.append(f"- {_code(f'{figure.page}:{figure.line}')} quotes {_code(figure.ref)}: "
                   f"**{_cell(figure.old)} → {_cell(figure.new)}**")
    if report.figures:
        out.append("")
    if report.quotes:
        out += ["### Quotes changed", "",
                "The words of the source a figure is traced to. Read the new words in the source: do they state the "
                "figure?", ""]
        out += [f"- {_code(f'{q.path}:{q.row}')} {_code(q.ref)}, {_code(q.field)}: "
                f"\"{_cell(q.old)}\" → **\"{_cell(q.new)}\"**" for q in report.quotes]
        out.append("")
    for package in report.packages:
        out += _package_section(package)
    if report.commentary:
        out += ["<details><summary>Commentary pages changed</summary>", "", "| page | change | lines |",
                "| --- | --- | --- |"]
        out += [f"| {_code(p)} | {s} | +{a} −{r} |" for p, s, a, r in report.commentary]
        out += ["", "</details>", ""]
    return "\n".join(out).rstrip() + "\n"


def _package_section(package: PackageChange) -> list[str]:
    version = (f"{package.old_version or 'none'} → {package.new_version or 'none'}"
               if package.old_version != package.new_version else f"{package.new_version or 'none'} (unchanged)")
    out = [f"### Package {_code(package.name)}: {package.status}, version {_cell(version)}", ""]
    issues = list(package.report.issues if package.report else ()) + list(package.issues)
    warnings = [i for i in issues if not i.is_error]
    if warnings:
        out += [f"<details><summary>{_plural(len(warnings), 'warning')}</summary>", "", "| where | warning | how to fix |",
                "| --- | --- | --- |"]
        out += [f"| {_code(i.location())} | {_cell(i.message)} | {_cell(i.hint)} |" for i in warnings]
        out += ["", "</details>", ""]
    for diff in package.resources:
        if diff.has_changes:
            out += _resource_section(diff)
    groups = {"schema": "Schema changes", "metadata": "Metadata changes", "view": "Views"}
    for kind, title in groups.items():
        changes = [c for c in package.changes if c.kind == kind]
        if changes:
            out += [f"<details><summary>{title} ({len(changes)})</summary>", ""]
            out += [f"- {'**breaking**: ' if c.breaking else ''}{_code(c.where)}: {_cell(c.description)}" for c in changes]
            out += ["", "</details>", ""]
    return out


def _resource_section(diff: ResourceDiff) -> list[str]:
    head = (f"<details><summary>Data: <code>{_cell(diff.path)}</code> ({diff.status}): {len(diff.added)} added, "
            f"{len(diff.removed)} removed, {len(diff.changed)} changed, matched on {_cell(diff.matched_on)}</summary>")
    out = [head, ""]
    if diff.changed:
        out += ["| row | key | field | old | new |", "| --- | --- | --- | --- | --- |"]
        for change in diff.changed[:MAX_ROWS]:
            for cell in change.cells:
                out.append(f"| {change.row} | {_code(change.key)} | {_code(cell.field)} | {_cell(cell.old)} | "
                           f"{_cell(cell.new)} |")
        out.append("")
    for label, rows in (("Added", diff.added), ("Removed", diff.removed)):
        if rows:
            out.append(f"{label} rows:")
            out.append("")
            out += [f"- row {n}: {_code(key)}: " + ", ".join(f"{_cell(k)}={_cell(v)}" for k, v in list(row.items())[:6])
                    for key, n, row in rows[:MAX_ROWS]]
            if len(rows) > MAX_ROWS:
                out.append(f"- and {len(rows) - MAX_ROWS:,} more")
            out.append("")
    out += ["</details>", ""]
    return out


def format_json(report: CheckReport) -> str:
    data = {
        "base": report.base,
        "mergeable": report.mergeable,
        "errors": report.errors,
        "warnings": report.warnings,
        "issues": [i.to_dict() for i in report.all_issues],
        "packages": [{
            "name": p.name, "status": p.status, "old_version": p.old_version, "new_version": p.new_version,
            "resources": [{
                "name": r.name, "path": r.path, "status": r.status, "matched_on": r.matched_on,
                "added": [{"key": k, "row": n, "cells": row} for k, n, row in r.added],
                "removed": [{"key": k, "row": n, "cells": row} for k, n, row in r.removed],
                "changed": [{"key": c.key, "row": c.row, "cells": [
                    {"field": x.field, "old": x.old, "new": x.new} for x in c.cells]} for c in r.changed],
            } for r in p.resources if r.has_changes],
            "changes": [{"kind": c.kind, "where": c.where, "description": c.description, "breaking": c.breaking}
                        for c in p.changes],
        } for p in report.packages],
        "commentary": [{"path": p, "status": s, "added": a, "removed": r} for p, s, a, r in report.commentary],
        "figures": [{"page": f.page, "line": f.line, "ref": f.ref, "old": f.old, "new": f.new} for f in report.figures],
        "quotes": [{"path": q.path, "row": q.row, "ref": q.ref, "field": q.field, "old": q.old, "new": q.new}
                   for q in report.quotes],
    }
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
