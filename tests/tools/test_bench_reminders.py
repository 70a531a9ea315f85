"""`python -m tools.bench_reminders`, run with tiny numbers: two runs at once and a third deliver each
reminder exactly once to the SMTP server on the loopback (not a timed test)."""

from tools.bench_reminders import main


def test_it_delivers_each_reminder_once_and_prints_each_run(capsys):
    assert main(["--keys", "5", "--admins", "1"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("5 keys due, 1 Admin users + the keys' user: 10 reminders expected")
    assert "received 10 messages, 10 distinct, max 1 per recipient and key" in out
    assert "run C (after): reminders: 5 keys due, 0 messages queued" in out
