"""A real local OpenID Connect provider for the login browser tests: `oidc-provider-mock`.

`start_provider` runs `python -m oidc_provider_mock` on a free loopback port with preset users
(each a dict of ID-token claims with its `sub`), and returns once its discovery document
answers. It accepts any client id and secret; its authorization page shows one button per preset
user (the button's text is the user's `sub`), and its end-session page one "End session" button.
`write_secrets` writes the `[auth]` section of a `.streamlit/secrets.toml` pointing the app at it.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.e2e.server import LoggedProcess, free_port

STARTUP_TIMEOUT_S = 60.0
CLIENT_ID = "internship-dashboard"


@dataclass
class Provider(LoggedProcess):
    url: str = ""

    @property
    def metadata_url(self) -> str:
        return f"{self.url}/.well-known/openid-configuration"


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200 and b"authorization_endpoint" in response.read())
    except (urllib.error.URLError, OSError):
        return False


def start_provider(users: Sequence[Mapping[str, Any]], *, log_path: Path,
                   timeout: float = STARTUP_TIMEOUT_S) -> Provider:
    """The provider on 127.0.0.1 and a free port, with these preset users."""
    port = free_port()
    command = [sys.executable, "-m", "oidc_provider_mock", "--host", "127.0.0.1", "--port", str(port)]
    for user in users:
        command += ["--user-claims", json.dumps(dict(user))]
    log = log_path.open("wb")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    provider = Provider(url=f"http://127.0.0.1:{port}", process=process, log_path=log_path, _log=log)
    deadline = time.monotonic() + timeout
    while not _answers(provider.metadata_url):
        if process.poll() is not None or time.monotonic() > deadline:
            provider.stop()
            raise RuntimeError(f"The OIDC provider did not start on {provider.url}:\n{provider.log_tail()}")
        time.sleep(0.2)  # polling while the process boots, not a wait for a result
    return provider


def write_secrets(path: Path, provider: Provider, app_port: int) -> Path:
    """A secrets.toml whose [auth] section signs in through `provider`, for an app on
    127.0.0.1:`app_port` (the keys of .streamlit/secrets.example.toml)."""
    path.write_text(
        "[auth]\n"
        f'redirect_uri = "http://127.0.0.1:{app_port}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_urlsafe(32)}"\n'
        f'client_id = "{CLIENT_ID}"\n'
        'client_secret = "any-secret-the-mock-accepts"\n'
        f'server_metadata_url = "{provider.metadata_url}"\n',
        encoding="utf-8",
    )
    return path
