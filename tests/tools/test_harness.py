"""`tools.harness`, the tools' shared scaffolding: how a tool starts and fails, its children's
environment and figures, its throwaway databases and its tables."""

import argparse
import os
import sys
from pathlib import Path

import pytest

from tools import ToolError, harness


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tools.example")
    parser.add_argument("--child", default="")
    parser.add_argument("--list-keys", type=int, default=3)
    return parser


def test_a_tool_runs_its_parent_or_with_child_its_child_and_answers_their_code():
    ran = []

    def parent(options):
        ran.append(("parent", options["list_keys"]))

    def child(options):
        ran.append(("child", options["child"]))
        return 3

    assert harness.run_tool("example", _parser(), ["--list-keys", "7"], parent, child=child) == 0
    assert harness.run_tool("example", _parser(), ["--child", "SQLite"], parent, child=child) == 3
    assert ran == [("parent", 7), ("child", "SQLite")]


def test_a_tool_error_is_one_line_on_stderr_and_exit_1(capsys):
    def parent(_options):
        raise ToolError("the database is gone")

    assert harness.run_tool("example", _parser(), [], parent) == 1
    assert capsys.readouterr().err == "example: error: the database is gone\n"


def test_a_child_gets_a_production_like_configuration_with_fresh_secrets():
    one, two = harness.child_env("sqlite:////tmp/x.sqlite3"), harness.child_env("sqlite:////tmp/x.sqlite3", DEBUG="1")
    assert (one["DEBUG"], one["ENV_FILE"], one["DATABASE_URL"]) == ("0", "", "sqlite:////tmp/x.sqlite3")
    assert one["DJANGO_SETTINGS_MODULE"] == "efinance.settings"
    assert one["SECURE_SSL_REDIRECT"] == "0" and "127.0.0.1" in one["ALLOWED_HOSTS"]
    assert one["SECRET_KEY"] != two["SECRET_KEY"] and one["API_KEY_PEPPER"] != two["API_KEY_PEPPER"]
    assert two["DEBUG"] == "1"  # what the caller says wins
    assert one["PATH"] == os.environ["PATH"]


def test_options_go_to_a_child_as_the_flags_they_came_from():
    assert harness.option_args({"keys": 5, "list_keys": 10}, ["keys", "list_keys"]) == [
        "--keys",
        "5",
        "--list-keys",
        "10",
    ]


def test_the_figures_line_of_a_child_is_read_back_and_its_other_lines_kept(capsys):
    harness.print_figures("example.figures ", {"verify_us": 20.5})
    printed = "SQLite: a line\n" + capsys.readouterr().out + "SQLite: another\n"
    figures, lines = harness.read_figures("SQLite", "example.figures ", printed)
    assert figures == {"verify_us": 20.5}
    assert lines == ["SQLite: a line", "SQLite: another"]
    with pytest.raises(ToolError, match="SQLite: the child printed no figures"):
        harness.read_figures("SQLite", "example.figures ", "SQLite: a line\n")


def test_a_failed_child_raises_with_the_end_of_its_output(tmp_path):
    with pytest.raises(ToolError, match="PostgreSQL: the benchmark failed") as failed:
        harness.run_child("tools.no_such_tool", "PostgreSQL", [], dict(os.environ), timeout=60)
    assert "No module named tools.no_such_tool" in str(failed.value)


def test_without_postgresql_each_database_is_one_temporary_sqlite_folder_removed_afterwards(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "sqlite:////tmp/not-this-one.sqlite3")
    seen = []
    for label, urls in harness.each_database("example", ("bench", "peer")):
        seen.append(label)
        folder = Path(urls["bench"].removeprefix("sqlite:///")).parent
        assert folder.is_dir() and folder.name.startswith("efinance-example-")
        assert urls["peer"] == f"sqlite:///{folder / 'peer.sqlite3'}"
    assert seen == ["SQLite"]
    assert not folder.exists()


def test_a_markdown_table_has_a_header_a_rule_and_a_line_per_row():
    assert harness.markdown_table(["", "SQLite"], [["ping", "3,500"], ["list", ""]]) == [
        "| | SQLite |",
        "| --- | --- |",
        "| ping | 3,500 |",
        "| list | |",
    ]


def test_a_server_that_exits_at_once_is_a_tool_error():
    exits = harness.subprocess.Popen([sys.executable, "-c", "raise SystemExit(4)"])
    exits.wait()
    with pytest.raises(ToolError, match="exited with 4"):
        harness.wait_until_up(harness.free_port(), exits, seconds=5)
