"""`refresh_github_scanning_keys`: fetches GitHub's keys into the keys file, atomically, from a local
HTTPS server on 127.0.0.1 here (no network in the tests; its self-signed certificate is the client's
only authority), and never over plain HTTP."""

import http.server
import ssl
import threading
from io import StringIO

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from django.core.management import CommandError, call_command

from billing import secret_scanning
from tests.billing.github_alerts import keys_document, self_signed_certificate


class _Server:
    """Serves `content` with `status` at any path, on a free port of the loopback, over TLS with
    `certificate` (cert, key paths) or in clear text without; `location` makes every answer a redirect."""

    def __init__(self, certificate=None):
        self.content, self.status, self.paths, self.location = b"", 200, [], None
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                outer.paths.append(self.path)
                self.send_response(outer.status)
                if outer.location:
                    self.send_header("Location", outer.location)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(outer.content)))
                self.end_headers()
                self.wfile.write(outer.content)

            def log_message(self, *args):
                pass

        self.httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        scheme = "http"
        if certificate:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*certificate)
            self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
            scheme = "https"
        self.url = f"{scheme}://127.0.0.1:{self.httpd.server_port}/meta/public_keys/secret_scanning"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def certificate(tmp_path_factory, monkeypatch):
    """The test server's certificate, the only authority the command trusts during the test."""
    cert, key = self_signed_certificate(tmp_path_factory.mktemp("tls"))
    monkeypatch.setattr(secret_scanning, "tls_context", lambda: ssl.create_default_context(cafile=cert))
    return cert, key


@pytest.fixture
def server(certificate):
    with _Server(certificate) as running:
        yield running


def _run(url, target):
    out = StringIO()
    call_command("refresh_github_scanning_keys", url=url, file=str(target), stdout=out)
    return out.getvalue()


def test_it_writes_the_published_keys_to_the_file(server, tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    server.content = keys_document(("id-1", key, True), ("id-0", ec.generate_private_key(ec.SECP256R1()), False))
    target = tmp_path / "keys" / "github.json"
    output = _run(server.url, target)
    assert target.read_bytes() == server.content
    assert "2 GitHub secret-scanning key(s) written" in output
    assert server.paths == ["/meta/public_keys/secret_scanning"]
    assert set(secret_scanning.load_public_keys(str(target))) == {"id-1", "id-0"}
    assert [p.name for p in target.parent.iterdir()] == ["github.json"]  # no temporary file left


def test_the_setting_names_the_file_by_default(server, tmp_path, settings):
    settings.SECRET_SCANNING_GITHUB_KEYS_FILE = str(tmp_path / "from-setting.json")
    server.content = keys_document(("id-1", ec.generate_private_key(ec.SECP256R1()), True))
    call_command("refresh_github_scanning_keys", url=server.url, stdout=StringIO())
    assert (tmp_path / "from-setting.json").read_bytes() == server.content


@pytest.mark.parametrize(
    ("status", "content"),
    [
        (500, b"oops"),
        (404, b"{}"),
        (200, b"<html>not json</html>"),
        (200, b'{"public_keys": []}'),
        (200, b'{"public_keys": [{"key_identifier": "x", "key": "not a PEM"}]}'),
    ],
)
def test_a_failed_or_malformed_download_leaves_the_file_as_it_was(server, tmp_path, status, content):
    target = tmp_path / "github.json"
    good = keys_document(("id-1", ec.generate_private_key(ec.SECP256R1()), True))
    target.write_bytes(good)
    server.status, server.content = status, content
    with pytest.raises(CommandError, match="not refreshed"):
        _run(server.url, target)
    assert target.read_bytes() == good
    assert [p.name for p in tmp_path.iterdir()] == ["github.json"]


def test_a_key_of_another_curve_is_refused(server, tmp_path):
    server.content = keys_document(("id-1", ec.generate_private_key(ec.SECP384R1()), True))
    with pytest.raises(CommandError, match="P-256"):
        _run(server.url, tmp_path / "github.json")
    assert not (tmp_path / "github.json").exists()


def test_an_unreachable_server_is_an_error_not_a_traceback(certificate, tmp_path):
    with _Server(certificate) as stopped:
        url = stopped.url
    with pytest.raises(CommandError, match="not refreshed"):
        _run(url, tmp_path / "github.json")
    with pytest.raises(CommandError, match="not an https:// URL"):
        _run("file:///etc/passwd", tmp_path / "github.json")


@pytest.mark.parametrize("scheme", ["http", "HTTP", "ftp"])
def test_a_url_that_is_not_https_is_refused_before_any_request(tmp_path, scheme):
    with _Server() as clear_text:
        clear_text.content = keys_document(("id-1", ec.generate_private_key(ec.SECP256R1()), True))
        url = clear_text.url.replace("http", scheme, 1)
        with pytest.raises(CommandError, match="not an https:// URL"):
            _run(url, tmp_path / "github.json")
        assert clear_text.paths == []
    assert not (tmp_path / "github.json").exists()


def test_a_redirect_to_http_is_refused(server, tmp_path):
    with _Server() as clear_text:
        clear_text.content = keys_document(("id-1", ec.generate_private_key(ec.SECP256R1()), True))
        server.status, server.location = 302, clear_text.url
        with pytest.raises(CommandError, match="not https://"):
            _run(server.url, tmp_path / "github.json")
        assert clear_text.paths == []
    assert not (tmp_path / "github.json").exists()


def test_a_certificate_the_system_does_not_trust_is_refused(tmp_path, tmp_path_factory):
    with _Server(self_signed_certificate(tmp_path_factory.mktemp("untrusted"))) as impostor:
        impostor.content = keys_document(("id-1", ec.generate_private_key(ec.SECP256R1()), True))
        with pytest.raises(CommandError, match="not refreshed"):
            _run(impostor.url, tmp_path / "github.json")
    assert not (tmp_path / "github.json").exists()
