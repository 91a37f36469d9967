"""Every action the code records has a label people read on the audit pages."""

import ast
from pathlib import Path

import pytest

from portal.audit import actions

ROOT = Path(__file__).resolve().parents[2]
RECORDERS = {"record", "Entry"}  # record(...) and record_many([Entry(...), ...])


def _strings(node: ast.AST, assigned: dict[str, list[ast.AST]]) -> set[str]:
    """The dotted names an action argument can take: a literal, either branch of a
    conditional, an f-string choosing between literals, or a local variable set to those."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _strings(node.body, assigned) | _strings(node.orelse, assigned)
    if isinstance(node, ast.Name):
        return set().union(*(_strings(value, assigned) for value in assigned.get(node.id, [])))
    if isinstance(node, ast.JoinedStr):
        names = {""}
        for part in node.values:
            if isinstance(part, ast.Constant):
                options = {part.value}
            elif isinstance(part, ast.FormattedValue):
                options = _strings(part.value, assigned)
            else:
                options = set()
            if not options:
                return set()
            names = {name + option for name in names for option in options}
        return names
    return set()


def _action_argument(call: ast.Call) -> ast.AST | None:
    for keyword in call.keywords:
        if keyword.arg == "action":
            return keyword.value
    return call.args[0] if call.args else None


def _called_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def recorded_actions() -> dict[str, str]:
    """{action: where} for every action recorded in portal/ and checklists/."""
    found: dict[str, str] = {}
    for package in ("portal", "checklists"):
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            tree = ast.parse(path.read_text(), filename=str(path))
            for scope in ast.walk(tree):
                if not isinstance(scope, ast.FunctionDef | ast.AsyncFunctionDef | ast.Module):
                    continue
                assigned: dict[str, list[ast.AST]] = {}
                for node in ast.walk(scope):
                    if isinstance(node, ast.Assign):
                        for target in node.targets:
                            if isinstance(target, ast.Name):
                                assigned.setdefault(target.id, []).append(node.value)
                for node in ast.walk(scope):
                    if isinstance(node, ast.Call) and _called_name(node) in RECORDERS:
                        argument = _action_argument(node)
                        for name in _strings(argument, assigned) if argument else ():
                            if "." in name:
                                found.setdefault(name, f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_it_finds_the_actions_the_code_records():
    found = recorded_actions()
    # A literal, an f-string choosing between two and a variable set by a conditional:
    assert "checklists.credential.created" in found
    assert {"checklists.attestation.approved", "checklists.attestation.changes_requested"} <= set(
        found
    )
    assert {"accounts.user.created", "accounts.user.changed"} <= set(found)
    assert len(found) > 60


def test_every_recorded_action_has_a_label():
    missing = {
        name: where for name, where in recorded_actions().items() if name not in actions.ACTIONS
    }
    assert missing == {}, "add these to portal/audit/actions.py: " + ", ".join(
        f"{name} ({where})" for name, where in sorted(missing.items())
    )


def test_every_label_belongs_to_a_filter_group():
    groups = {group.key for group in actions.GROUPS}
    assert {group.key for _, group in actions.ACTIONS.values()} <= groups
    assert all(actions.actions_in(key) for key in groups)


@pytest.mark.parametrize(
    ("action", "label"),
    [
        ("checklists.attestation.approved", "Answer approved"),
        ("accounts.login.failed", "Sign-in failed"),
        ("accounts.something_new.turned_on", "Something new turned on"),
        ("odd", "Odd"),
        ("", "Unnamed action"),
    ],
)
def test_it_labels_known_actions_and_humanises_unknown_ones(action, label):
    assert actions.label(action) == label
