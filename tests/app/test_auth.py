"""The login configuration: the example secrets file is one Streamlit accepts, and the gate reads
`email_verified` the way providers send it."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from streamlit import auth_util, config
from streamlit.errors import StreamlitAuthError
from streamlit.runtime.secrets import Secrets

from analytics.app import auth

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / ".streamlit" / "secrets.example.toml"


def _validate(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Streamlit's own check of an [auth] section (what st.login runs before redirecting)."""
    monkeypatch.setattr(config, "get_option",
                        lambda name, _get=config.get_option: [str(path)] if name == "secrets.files"
                        else _get(name))
    monkeypatch.setattr(auth_util, "secrets_singleton", Secrets())
    auth_util.validate_auth_credentials("default")


def test_the_example_secrets_pass_streamlits_own_check(monkeypatch: pytest.MonkeyPatch) -> None:
    _validate(EXAMPLE, monkeypatch)
    section = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))["auth"]
    assert section["redirect_uri"].endswith("/oauth2callback")


def test_the_check_would_catch_a_missing_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The same check fails on the example without its cookie secret: the test above can fail.
    text = "\n".join(line for line in EXAMPLE.read_text(encoding="utf-8").splitlines()
                     if not line.startswith("cookie_secret"))
    broken = tmp_path / "secrets.toml"
    broken.write_text(text, encoding="utf-8")
    with pytest.raises(StreamlitAuthError, match="cookie_secret"):
        _validate(broken, monkeypatch)


def test_the_real_secrets_file_is_not_in_git() -> None:
    ignored = (REPO / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert ".streamlit/secrets.toml" in ignored


@pytest.mark.parametrize(("claim", "verified"), [
    (True, True), ("true", True), ("True", True),
    (False, False), ("false", False), (None, False), (1, False), ("yes", False),
])
def test_only_a_true_email_verified_claim_counts(claim: object, verified: bool) -> None:
    assert auth.verified(claim) is verified
