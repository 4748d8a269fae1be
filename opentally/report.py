"""Write a validation report for people (text) or for machines (JSON)."""

from __future__ import annotations

import json

from .validate import Report


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}" + ("" if count == 1 else "s")


def summary_line(report: Report) -> str:
    verdict = "valid" if report.valid else "INVALID"
    return (f"{verdict}: {_plural(len(report.packages), 'package')}, {_plural(report.resources, 'resource')}, "
            f"{_plural(report.rows, 'row')} checked: {_plural(report.errors, 'error')}, "
            f"{_plural(report.warnings, 'warning')}")


def format_issues(issues) -> str:
    """Each issue as ``path:row: severity: message [code]``, then how to fix it."""
    lines = []
    for issue in issues:
        lines.append(f"{issue.location()}: {issue.severity.value}: {issue.message} [{issue.code}]")
        if issue.hint:
            lines.append(f"    how to fix: {issue.hint}")
    return "".join(f"{line}\n" for line in lines)


def format_text(report: Report) -> str:
    """One block per issue, ``path:row: severity: message`` then how to fix it; a summary line last."""
    lines = []
    if not report.packages:
        lines.append("no data packages found: each package is a folder under datapackages/ with a datapackage.json")
    for package in report.packages:
        state = "ok" if package.valid else "FAILED"
        lines.append(f"{state}  {package.name} ({package.path}): {_plural(package.resources, 'resource')}, "
                     f"{_plural(package.rows, 'row')}, {_plural(package.errors, 'error')}, "
                     f"{_plural(package.warnings, 'warning')}")
        lines += format_issues(package.issues).splitlines()
    lines.append(summary_line(report))
    return "\n".join(lines) + "\n"


def format_json(report: Report) -> str:
    data = {
        "valid": report.valid,
        "strict": report.strict,
        "summary": {
            "packages": len(report.packages),
            "resources": report.resources,
            "rows": report.rows,
            "errors": report.errors,
            "warnings": report.warnings,
        },
        "packages": [
            {
                "name": p.name,
                "path": p.path,
                "valid": p.valid,
                "resources": p.resources,
                "rows": p.rows,
                "errors": p.errors,
                "warnings": p.warnings,
                "issues": [i.to_dict() for i in p.issues],
            }
            for p in report.packages
        ],
    }
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
