"""The token format as published for secret scanners: one pattern (`TOKEN_SEARCH_RE`) in
docs/token-format.json, docs/integrators/token-format.md, the gitleaks rule and the detect-secrets
plugin; the plugin, run by the real detect-secrets, reports every real token and nothing else."""

import hashlib
import json
import re
import subprocess
import sys
import tomllib
import zlib
from pathlib import Path

import pytest

from apikeys import tokens
from apikeys.models import Api
from tests.conftest import flip_last

ROOT = Path(__file__).resolve().parents[2]
FORMAT = json.loads((ROOT / "docs" / "token-format.json").read_text())
PLUGIN = ROOT / "deploy" / "secret-scanning" / "detect_secrets_plugin.py"
GITLEAKS = tomllib.loads((ROOT / "deploy" / "secret-scanning" / "gitleaks.toml").read_text())
PAGE = (ROOT / "docs" / "integrators" / "token-format.md").read_text()


def test_the_published_regex_is_the_one_definition():
    assert FORMAT["regex"] == tokens.TOKEN_SEARCH_RE.pattern
    [rule] = GITLEAKS["rules"]
    assert rule["regex"] == tokens.TOKEN_SEARCH_RE.pattern
    assert sorted(rule["keywords"]) == sorted(f"{prefix}_" for prefix in tokens.PREFIXES.values())
    assert set(FORMAT["prefixes"]) == set(tokens.PREFIXES.values())
    assert f"`{tokens.TOKEN_SEARCH_RE.pattern}`" in PAGE
    plugin_source = PLUGIN.read_text()
    assert f'TOKEN_PATTERN = r"{tokens.TOKEN_SEARCH_RE.pattern}"' in plugin_source


def test_the_published_example_is_well_formed_and_its_checksum_as_described():
    example = FORMAT["example"]
    assert tokens.parse_token(example)
    assert example in PAGE
    body = example.rpartition("_")[0]
    # The checksum exactly as the file describes it, in its own words of Python.
    described = eval(FORMAT["checksum"]["python"], {"zlib": zlib, "body": body})  # noqa: S307 (our own file)
    assert described == tokens.checksum(body) == example.rpartition("_")[2]


def test_the_plugin_does_not_import_django():
    source = PLUGIN.read_text()
    assert not re.search(r"^\s*(import|from)\s+(django|apikeys|billing|users|efinance)\b", source, re.M)
    code = f"import runpy, sys; runpy.run_path({str(PLUGIN)!r}); sys.exit('django' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False, cwd="/").returncode == 0  # noqa: S603


def _detect_secrets() -> Path:
    path = Path(sys.executable).with_name("detect-secrets")
    if not path.exists():
        pytest.fail("detect-secrets is not installed in this virtualenv (pip install -e '.[dev]')")
    return path


def _lookalikes(real: str) -> list[str]:
    body, _sep, check = real.rpartition("_")
    prefix, key_id, secret = body.split("_")
    return [
        flip_last(real),  # one character changed: the checksum no longer matches
        f"{prefix}_{key_id}_{secret[:-1]}{'a' if secret[-1] != 'a' else 'b'}_{check}",
        f"{prefix}_{key_id[1:]}{key_id[0]}_{secret}_{check}",
        real.upper(),
        f"bstest_{key_id}_{secret}_{tokens.checksum(f'bstest_{key_id}_{secret}')}",  # unknown prefix
        f"{prefix}_{key_id}_{secret[:-1]}_{tokens.checksum(f'{prefix}_{key_id}_{secret[:-1]}')}",  # secret too short
        f"{prefix}_{key_id}_1{secret[1:]}_{check}",  # not base32
        f"{prefix}-{key_id}-{secret}-{check}",
    ]


def test_detect_secrets_with_the_plugin_finds_every_real_token_and_nothing_else(tmp_path):
    real = [
        # Fixed parts, so that no look-alike below can be a real token by chance.
        tokens.build_token(Api.PRODUCTION, "q4kz7mxp2hra", "n5ovx3k2hqwl7d4mbt6yfzjsa2r5eucgkpw3x7nqd6hvliom4ya5"),
        tokens.build_token(Api.INTEGRATION, "b7ty3kqzm2xe", "zq2w3e4r5t6y7u2i3o4p5a6s7d2f3g4h5j6k7l2z3x4c5v6b7n2m"),
        tokens.build_token(Api.PRODUCTION, "m2n3b4v5c6x7", "abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrst"),
        FORMAT["example"],
    ]
    lookalikes = [fake for token in real for fake in _lookalikes(token)]
    assert not any(tokens.TOKEN_RE.match(fake) and _checksum_ok(fake) for fake in lookalikes)
    files = {
        "settings.py": f'API_KEY = "{real[0]}"\nOTHER = "{lookalikes[0]}"\n',
        ".env": f"EFINANCE_TOKEN={real[1]}\nEFINANCE_OLD={lookalikes[9]}\n",
        "notes.md": "\n".join(
            [f"curl -H 'Authorization: Bearer {real[2]}' https://example.ch", *lookalikes[1:9], *lookalikes[10:]]
        )
        + "\n",
        "README.txt": f"example: {real[3]}\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    result = subprocess.run(  # noqa: S603 (the virtualenv's detect-secrets, our files)
        [str(_detect_secrets()), "scan", "--plugin", str(PLUGIN), *files],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    findings = json.loads(result.stdout)["results"]
    ours = {
        (name, finding["hashed_secret"])
        for name, entries in findings.items()
        for finding in entries
        if finding["type"] == "e-finance Billing Solutions API token"
    }

    def sha1(text):
        return hashlib.sha1(text.encode()).hexdigest()  # noqa: S324 (detect-secrets' own hash)

    assert ours == {
        ("settings.py", sha1(real[0])),
        (".env", sha1(real[1])),
        ("notes.md", sha1(real[2])),
        ("README.txt", sha1(real[3])),
    }


def _checksum_ok(token: str) -> bool:
    body, _sep, given = token.rpartition("_")
    return tokens.checksum(body) == given
