"""The docs' made-up token (docs/integrators/token-format.md) is well-formed: a reader who copies the
format gets it right."""

import re
from pathlib import Path

from apikeys import tokens


def test_the_documented_example_token_parses():
    page = (Path(__file__).resolve().parents[2] / "docs" / "integrators" / "token-format.md").read_text()
    example = re.search(r"^(bs(?:prod|int)_[a-z2-7_]+)$", page, re.MULTILINE).group(1)
    parsed = tokens.parse_token(example)
    assert parsed.api == tokens.INTEGRATION
    assert len(example) == 79
