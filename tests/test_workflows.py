"""The GitHub Actions workflows: valid, audited by zizmor, pinned, least privilege, running the README's commands.

`.github/workflows/check.yml` runs on every pull request (the tests, the built site, and the
`build.py check` report as a comment); `.github/workflows/publish.yml` publishes the site to GitHub
Pages. These tests read them as files: nothing here talks to GitHub.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"
CHECK = WORKFLOWS / "check.yml"
PUBLISH = WORKFLOWS / "publish.yml"
FULL_SHA = re.compile(r"[0-9a-f]{40}")
# `uses: owner/repo[/path]@<40 hex> # v1.2.3`: a commit that cannot move, and the release it is.
PINNED_LINE = re.compile(r"^\s*(?:-\s+)?uses:\s+[\w.-]+/[\w.-]+(?:/[\w./-]+)?@[0-9a-f]{40} # v\d+\.\d+\.\d+\s*$")

# A workflow with the three classic mistakes: a tag that can move, every permission, and a value the
# pull-request author writes (the title) expanded straight into a shell script.
BAD_WORKFLOW = """\
name: Bad
on: pull_request
permissions: write-all
jobs:
  greet:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: echo "Thanks for ${{ github.event.pull_request.title }}"
"""


# --- helpers ---------------------------------------------------------------------------------------

def load(path: Path) -> dict:
    workflow = yaml.safe_load(path.read_text(encoding="utf-8"))
    # YAML 1.1 (PyYAML) reads the key `on` as the boolean True.
    if True in workflow:
        workflow["on"] = workflow.pop(True)
    return workflow


def steps(workflow: dict):
    for job_id, job in workflow["jobs"].items():
        for step in job.get("steps", []):
            yield job_id, step


def all_uses(workflow: dict) -> list[str]:
    """Every action or reusable workflow the workflow runs."""
    uses = [job["uses"] for job in workflow["jobs"].values() if "uses" in job]
    return uses + [step["uses"] for _, step in steps(workflow) if "uses" in step]


def unpinned(workflow: dict) -> list[str]:
    """The `uses:` references that are not a full commit SHA (local ./ actions excepted)."""
    return [ref for ref in all_uses(workflow)
            if not ref.startswith("./") and not FULL_SHA.fullmatch(ref.rpartition("@")[2])]


def top_level_permission_problems(workflow: dict) -> list[str]:
    """Top-level permissions must be {} or read-only: each job asks for more itself."""
    if "permissions" not in workflow:
        return ["no top-level permissions: the token gets the repository's default, often write"]
    permissions = workflow["permissions"]
    if permissions in ({}, "read-all"):
        return []
    if not isinstance(permissions, dict):
        return [f"top-level permissions: {permissions}"]
    return [f"top-level {scope}: {level}" for scope, level in permissions.items() if level not in ("read", "none")]


def run_commands(workflow: dict) -> list[list[str]]:
    """Each shell line of every `run:` step, split into words."""
    commands = []
    for _, step in steps(workflow):
        for line in step.get("run", "").splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                try:
                    commands.append(shlex.split(line))
                except ValueError:  # a line that continues on the next one
                    commands.append(line.split())
    return commands


def runs_make(workflow: dict, target: str) -> bool:
    return any(words[0] == "make" and target in words[1:] for words in run_commands(workflow) if words)


def step_named(workflow: dict, fragment: str) -> dict:
    matches = [step for _, step in steps(workflow) if fragment in step.get("name", "")]
    assert len(matches) == 1, f"expected one step named like {fragment!r}, found {len(matches)}"
    return matches[0]


def tool(name: str) -> str:
    """A command-line tool from the virtual environment running the tests (as `make test` does)."""
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if not found:
        pytest.fail(f"{name} is not installed: run `make test` (it installs requirements.txt), "
                    f"or .venv/bin/pip install -r requirements.txt", pytrace=False)
    return found


def zizmor(folder: Path) -> subprocess.CompletedProcess:
    """zizmor offline on a folder of workflows, strictly: the pedantic persona, no configuration file,
    no ignore comments, and a workflow it cannot read is an error rather than a warning."""
    return subprocess.run(
        [tool("zizmor"), "--offline", "--no-config", "--no-ignores", "--strict-collection",
         "--persona", "pedantic", "--format", "json", "--color", "never", str(folder)],
        capture_output=True, text=True, timeout=120)


def check_jsonschema(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows", str(path)],
        capture_output=True, text=True, timeout=120)


# --- both workflows ---------------------------------------------------------------------------------

@pytest.mark.parametrize("path", [CHECK, PUBLISH], ids=lambda p: p.name)
def test_workflow_matches_the_github_workflow_schema(path):
    result = check_jsonschema(path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_zizmor_finds_nothing_in_the_workflows():
    result = zizmor(WORKFLOWS)
    # zizmor's exit status: 0 no findings, 1 an error, 10-14 findings (by the highest severity).
    assert result.returncode == 0, f"zizmor exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
    assert json.loads(result.stdout) == []
    for path in (CHECK, PUBLISH):  # both files were read, not skipped
        assert re.search(rf"completed \S*{re.escape(path.name)}", result.stderr), result.stderr


@pytest.mark.parametrize("path", [CHECK, PUBLISH], ids=lambda p: p.name)
def test_every_action_is_pinned_to_a_commit_with_its_version(path):
    workflow = load(path)
    assert all_uses(workflow), "no actions found: the test would prove nothing"
    assert unpinned(workflow) == []
    uses_lines = [line for line in path.read_text(encoding="utf-8").splitlines() if re.match(r"\s*(-\s+)?uses:", line)]
    assert len(uses_lines) == len(all_uses(workflow))
    for line in uses_lines:
        assert PINNED_LINE.match(line), f"not `owner/repo@<full sha> # vX.Y.Z`: {line.strip()}"


def test_an_action_is_pinned_to_the_same_commit_everywhere():
    commits: dict[str, set[str]] = {}
    for path in (CHECK, PUBLISH):
        for ref in all_uses(load(path)):
            action, _, sha = ref.rpartition("@")
            commits.setdefault(action, set()).add(sha)
    assert {action: shas for action, shas in commits.items() if len(shas) > 1} == {}


@pytest.mark.parametrize("path", [CHECK, PUBLISH], ids=lambda p: p.name)
def test_top_level_permissions_are_empty(path):
    workflow = load(path)
    assert top_level_permission_problems(workflow) == []
    assert workflow["permissions"] == {}


@pytest.mark.parametrize("path", [CHECK, PUBLISH], ids=lambda p: p.name)
def test_checkout_leaves_no_credentials_behind(path):
    checkouts = [step for _, step in steps(load(path)) if step.get("uses", "").startswith("actions/checkout@")]
    assert checkouts
    for step in checkouts:
        assert step["with"]["persist-credentials"] is False


@pytest.mark.parametrize("path", [CHECK, PUBLISH], ids=lambda p: p.name)
def test_no_expression_is_expanded_inside_a_shell_script(path):
    """Values reach scripts through `env:`, never as `${{ ... }}` in the script's text."""
    for job_id, step in steps(load(path)):
        assert "${{" not in step.get("run", ""), f"{job_id}: {step.get('name')}"


@pytest.mark.parametrize("path", [CHECK, PUBLISH], ids=lambda p: p.name)
def test_python_is_3_11(path):
    setups = [step for _, step in steps(load(path)) if step.get("uses", "").startswith("actions/setup-python@")]
    assert [step["with"]["python-version"] for step in setups] == ["3.11"]


# --- check.yml ------------------------------------------------------------------------------------

def test_check_runs_on_pull_requests_and_cancels_superseded_runs():
    workflow = load(CHECK)
    assert "pull_request" in workflow["on"]
    assert "pull_request_target" not in workflow["on"]
    assert workflow["concurrency"]["cancel-in-progress"] is True
    assert "github.event.pull_request.number" in workflow["concurrency"]["group"]


def test_check_runs_the_readme_commands():
    workflow = load(CHECK)
    assert runs_make(workflow, "test")
    assert runs_make(workflow, "site")
    check = step_named(workflow, "build.py check")
    assert re.search(r"(^|\s|/)python build\.py check --base \"origin/\$BASE_REF\"", check["run"])
    assert check["env"]["BASE_REF"] == "${{ github.base_ref }}"
    # the Markdown is kept and the exit status recorded without stopping the job
    assert "> \"$RUNNER_TEMP/check.md\" || status=$?" in check["run"]
    assert "$GITHUB_OUTPUT" in check["run"]


def test_check_fetches_the_whole_history_for_the_base():
    checkout = next(step for _, step in steps(load(CHECK)) if step.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0


def test_check_steps_come_in_order():
    names = [step.get("name", step.get("uses", "")) for _, step in steps(load(CHECK))]
    order = ["make site", "Playwright", "make test", "build.py check", "comment", "Upload the built site",
             "cannot be merged"]
    positions = [next(i for i, name in enumerate(names) if fragment in name) for fragment in order]
    assert positions == sorted(positions), names


def test_check_tests_use_playwrights_chromium_as_conftest_expects():
    """conftest.chromium_path takes OPENTALLY_CHROMIUM first: the test step points it at Playwright's."""
    workflow = load(CHECK)
    install = step_named(workflow, "Playwright")
    assert "playwright install --with-deps chromium" in install["run"]
    tests = step_named(workflow, "make test")
    assert "export OPENTALLY_CHROMIUM" in tests["run"]
    assert "chromium.executable_path" in tests["run"]


def test_check_comments_only_from_the_one_job_that_needs_to():
    workflow = load(CHECK)
    assert len(workflow["jobs"]) == 1
    job = next(iter(workflow["jobs"].values()))
    assert job["permissions"] == {"contents": "read", "pull-requests": "write"}
    comment = step_named(workflow, "comment")
    assert comment["uses"].startswith("actions/github-script@")
    assert comment["continue-on-error"] is True  # a fork's read-only token must not fail the job
    script = comment["with"]["script"]
    assert "${{" not in script  # nothing from the pull request is written into the script
    assert "<!-- opentally-check -->" in script
    assert "readFileSync" in script and "check.md" in script
    assert "updateComment" in script and "createComment" in script


def test_check_uploads_the_site_and_fails_when_not_mergeable():
    workflow = load(CHECK)
    upload = step_named(workflow, "Upload the built site")
    assert upload["uses"].startswith("actions/upload-artifact@")
    assert upload["with"]["path"].rstrip("/") == "site"
    final = step_named(workflow, "cannot be merged")
    assert "steps.check.outputs.status != '0'" in final["if"]
    assert "exit 1" in final["run"]


# --- publish.yml ----------------------------------------------------------------------------------

def test_publish_runs_on_main_and_by_hand_one_at_a_time():
    workflow = load(PUBLISH)
    assert workflow["on"]["push"]["branches"] == ["main"]
    assert "workflow_dispatch" in workflow["on"]
    assert workflow["concurrency"] == {"group": "pages", "cancel-in-progress": False}


def test_publish_builds_with_the_pages_url_and_deploys():
    workflow = load(PUBLISH)
    build_job, deploy_job = workflow["jobs"]["build"], workflow["jobs"]["deploy"]
    # configure-pages reads the site from the Pages API, which needs pages: read; nothing can write.
    assert build_job["permissions"] == {"contents": "read", "pages": "read"}
    assert deploy_job["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy_job["needs"] == "build"
    assert deploy_job["environment"]["name"] == "github-pages"
    build_steps = build_job["steps"]
    pages = next(step for step in build_steps if step.get("uses", "").startswith("actions/configure-pages@"))
    # The public site is built as published: every release from the whole history, so the checkout
    # fetches all of it and the build refuses a shallow one.
    make_site = next(step for step in build_steps if step.get("run", "").strip() == "make site PUBLISH=1")
    checkout = next(step for step in build_steps if step.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0
    assert make_site["env"]["SITE_URL"] == f"${{{{ steps.{pages['id']}.outputs.base_url }}}}"
    assert build_steps.index(pages) < build_steps.index(make_site)
    upload = build_steps[-1]
    assert upload["uses"].startswith("actions/upload-pages-artifact@")
    assert upload["with"]["path"].rstrip("/") == "site"
    assert [step["uses"].split("@")[0] for step in deploy_job["steps"]] == ["actions/deploy-pages"]


# --- the checks can fail ----------------------------------------------------------------------------

@pytest.fixture
def bad_workflows(tmp_path) -> Path:
    folder = tmp_path / ".github" / "workflows"
    folder.mkdir(parents=True)
    (folder / "bad.yml").write_text(BAD_WORKFLOW, encoding="utf-8")
    return folder


def test_zizmor_reports_a_bad_workflow(bad_workflows):
    result = zizmor(bad_workflows)
    assert 10 <= result.returncode <= 14, f"zizmor exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
    found = {finding["ident"] for finding in json.loads(result.stdout)}
    assert {"unpinned-uses", "excessive-permissions", "template-injection", "artipacked"} <= found, found


def test_the_yaml_checks_report_a_bad_workflow(bad_workflows):
    workflow = load(bad_workflows / "bad.yml")
    assert unpinned(workflow) == ["actions/checkout@v4"]
    assert top_level_permission_problems(workflow) == ["top-level permissions: write-all"]
    assert not runs_make(workflow, "test")
    assert any("${{" in step.get("run", "") for _, step in steps(workflow))


def test_check_jsonschema_rejects_an_invalid_workflow(tmp_path):
    invalid = tmp_path / "invalid.yml"
    invalid.write_text(BAD_WORKFLOW.replace("runs-on: ubuntu-latest", "runs_on: ubuntu-latest"), encoding="utf-8")
    result = check_jsonschema(invalid)
    assert result.returncode == 1, result.stdout + result.stderr
