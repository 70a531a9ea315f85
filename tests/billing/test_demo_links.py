"""The demo's e-mails link to the demo as it runs: `scripts/run-demo` sets `SITE_URL` from its port
before anything queues an e-mail, and a `SITE_URL` in the environment wins over the one in `.env`."""

import os
import re
import subprocess
import sys
from pathlib import Path

from django.conf import settings

RUN_DEMO = Path(settings.BASE_DIR) / "scripts" / "run-demo"


def test_the_demo_sets_the_links_base_from_its_port_before_any_e_mail():
    lines = RUN_DEMO.read_text().splitlines()
    export = next(number for number, line in enumerate(lines) if line.startswith("export SITE_URL="))
    assert lines[export] == 'export SITE_URL="http://127.0.0.1:${port}"'
    port = next(number for number, line in enumerate(lines) if line.startswith('port="${PORT:-8000}"'))
    queueing = [
        number for number, line in enumerate(lines) if re.search(r"manage\.py (seed_demo|send_|runserver)", line)
    ]
    assert port < export < min(queueing)


def test_the_environments_site_url_wins_over_the_env_file():
    env = {**os.environ, "SITE_URL": "http://127.0.0.1:8765/", "DJANGO_SETTINGS_MODULE": "efinance.settings"}
    shown = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; print(settings.SITE_URL)",
        ],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()[-1]
    assert shown == "http://127.0.0.1:8765"
