"""`faircollect serve` starts the service on the configured database and stops on a signal."""

from __future__ import annotations

import base64
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_answers_on_the_given_port_and_stops_on_sigint(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "FAIRCOLLECT_PII_KEY": base64.b64encode(b"e" * 32).decode(),
        "FAIRCOLLECT_AUDIT_KEY": base64.b64encode(b"s" * 32).decode(),
        "FAIRCOLLECT_BRAND_NAME": "Served Lender",
    }
    command = [sys.executable, "-c", "from faircollect.entrypoints.cli import main; main()"]
    args = ["serve", "--port", str(port), "--db", f"sqlite:///{tmp_path / 'serve.db'}"]
    server = subprocess.Popen([*command, *args], env=env, stderr=subprocess.PIPE, text=True)
    try:
        login = None
        # A loaded machine (the suite runs on several workers) may take seconds to start it.
        deadline = time.monotonic() + 60
        while login is None and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=10) as r:
                    login = r.read().decode()
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.2)
        assert login is not None, "the server did not answer"
        assert "Served Lender" in login
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/accounts", timeout=10)
        refused.value.close()
        assert refused.value.code == 401  # nobody is signed in until identity is wired in
    finally:
        server.send_signal(signal.SIGINT)
        _, log = server.communicate(timeout=20)
    assert server.returncode == 0, log
    assert "Finished server process" in log
