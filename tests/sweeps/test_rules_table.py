"""docs/rules.md maps each rule of the guide to its code and its tests: every one it names exists."""

import re

from tests.references import ROOT, defined

TABLE = (ROOT / "docs" / "rules.md").read_text()
REFERENCE = re.compile(r"`([\w/.]+\.(?:py|html))(?:::([\w.]+))?`")


def test_every_rule_names_code_and_a_test():
    rows = [line for line in TABLE.splitlines() if re.match(r"^\| [0-9A-Z]+ \|", line)]
    assert len(rows) >= 9  # the guide's nine rules, and more
    for row in rows:
        references = REFERENCE.findall(row)
        assert any(path.startswith("tests/") for path, _name in references), row
        assert any(not path.startswith("tests/") for path, _name in references), row


def test_every_reference_exists():
    missing = []
    for path, name in REFERENCE.findall(TABLE):
        file = ROOT / path
        if not file.is_file() or (name and path.endswith(".py") and not defined(file, name)):
            missing.append(f"{path}::{name}" if name else path)
    assert missing == []
