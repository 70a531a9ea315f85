"""The README's made-up token is well-formed: a reader who copies the format gets it right."""

import re
from pathlib import Path

from apikeys import tokens


def test_the_readme_example_token_parses():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    example = re.search(r"^(bs(?:prod|int)_[a-z2-7_]+)$", readme, re.MULTILINE).group(1)
    parsed = tokens.parse_token(example)
    assert parsed.api == tokens.INTEGRATION
    assert len(example) == 79
