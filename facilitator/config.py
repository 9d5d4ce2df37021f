"""Settings, read from the environment or a `.env` file: the only place secrets come from.

Every field's environment name is given explicitly so `.env.example`, the README and the
simulator's printed settings all use the same names. Secrets are `SecretStr`, so printing a
`Settings` (or logging it by accident) shows `**********` instead of the value.
"""

from __future__ import annotations

import json
import os
import secrets
from enum import StrEnum
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class ZoomPlan(StrEnum):
    """Zoom account plans, which size the per-category API rate limits."""

    FREE = "free"
    PRO = "pro"
    BUSINESS = "business"


class SmtpSecurity(StrEnum):
    """How the SMTP connection is protected."""

    TLS = "tls"  # implicit TLS, usually port 465
    STARTTLS = "starttls"  # upgrade after connecting, usually port 587
    PLAIN = "plain"  # no encryption: local relays and tests only


def _env(name: str) -> AliasChoices:
    return AliasChoices(name, name.lower())


class Settings(BaseSettings):
    """Everything configurable about a running facilitator."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    # The application
    db_path: Path = Field(Path("facilitator.db"), validation_alias=_env("FACILITATOR_DB_PATH"))
    public_url: str = Field("http://127.0.0.1:8080", validation_alias=_env("FACILITATOR_PUBLIC_URL"))
    host: str = Field("127.0.0.1", validation_alias=_env("FACILITATOR_HOST"))
    port: int = Field(8080, validation_alias=_env("FACILITATOR_PORT"))
    secret_key: SecretStr = Field(
        SecretStr("change-me-in-production"), validation_alias=_env("FACILITATOR_SECRET_KEY")
    )
    survey_secret: SecretStr = Field(
        SecretStr("change-me-too"), validation_alias=_env("FACILITATOR_SURVEY_SECRET")
    )
    director_password_hash: SecretStr | None = Field(
        None, validation_alias=_env("FACILITATOR_DIRECTOR_PASSWORD_HASH")
    )
    cookie_secure: bool = Field(True, validation_alias=_env("FACILITATOR_COOKIE_SECURE"))

    # Zoom (Server-to-Server OAuth)
    zoom_account_id: str | None = Field(None, validation_alias=_env("ZOOM_ACCOUNT_ID"))
    zoom_client_id: str | None = Field(None, validation_alias=_env("ZOOM_CLIENT_ID"))
    zoom_client_secret: SecretStr | None = Field(None, validation_alias=_env("ZOOM_CLIENT_SECRET"))
    zoom_webhook_secret: SecretStr | None = Field(None, validation_alias=_env("ZOOM_WEBHOOK_SECRET_TOKEN"))
    zoom_api_base_url: str = Field("https://api.zoom.us/v2", validation_alias=_env("ZOOM_API_BASE_URL"))
    zoom_oauth_base_url: str = Field("https://zoom.us", validation_alias=_env("ZOOM_OAUTH_BASE_URL"))
    zoom_plan: ZoomPlan = Field(ZoomPlan.PRO, validation_alias=_env("ZOOM_PLAN"))
    zoom_timeout_seconds: float = Field(15.0, validation_alias=_env("ZOOM_TIMEOUT_SECONDS"))
    zoom_chat_user: str | None = Field(None, validation_alias=_env("ZOOM_CHAT_USER"))

    # Zoom App (the host console; a separate General app, see "Running the rotation from inside Zoom")
    zoom_app_client_id: str | None = Field(None, validation_alias=_env("ZOOM_APP_CLIENT_ID"))
    zoom_app_client_secret: SecretStr | None = Field(None, validation_alias=_env("ZOOM_APP_CLIENT_SECRET"))

    # Email (SMTP)
    smtp_host: str = Field("127.0.0.1", validation_alias=_env("SMTP_HOST"))
    smtp_port: int = Field(587, validation_alias=_env("SMTP_PORT"))
    smtp_username: str | None = Field(None, validation_alias=_env("SMTP_USERNAME"))
    smtp_password: SecretStr | None = Field(None, validation_alias=_env("SMTP_PASSWORD"))
    smtp_security: SmtpSecurity = Field(SmtpSecurity.STARTTLS, validation_alias=_env("SMTP_SECURITY"))
    smtp_from: str = Field("Facilitator <facilitator@example.edu>", validation_alias=_env("SMTP_FROM"))
    smtp_timeout_seconds: float = Field(20.0, validation_alias=_env("SMTP_TIMEOUT_SECONDS"))
    smtp_max_connections: int = Field(4, validation_alias=_env("SMTP_MAX_CONNECTIONS"))

    # Generic JSON webhook channel (Slack- or Teams-style incoming webhook)
    webhook_channel_url: str | None = Field(None, validation_alias=_env("WEBHOOK_CHANNEL_URL"))
    webhook_timeout_seconds: float = Field(10.0, validation_alias=_env("WEBHOOK_TIMEOUT_SECONDS"))


PLACEHOLDER_SECRETS = {"change-me-in-production", "change-me-too", ""}
MIN_SECRET_LENGTH = 32


def write_private(path: Path, data: bytes) -> None:
    """Write `path` readable by its owner only (0600) from the first byte, never briefly 0644.

    For files holding secrets, sign-in links, emails or rosters. An existing file is tightened too.
    """
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, data)
    finally:
        os.close(fd)


def private_folder(path: Path) -> Path:
    """`path` created (with parents) as a folder only its owner can enter (0700)."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def simulation_secrets(db_path: Path) -> dict[str, SecretStr]:
    """Random secrets for `run --simulate`, kept beside its database.

    A simulation needs no configuration, yet an interrupted one started again must sign the same
    links and derive the same survey codes: so the secrets are made once per database and reused.
    """
    keep = Path(f"{db_path}.simulation-secrets.json")
    try:
        values = json.loads(keep.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        values = {"secret_key": secrets.token_urlsafe(48), "survey_secret": secrets.token_urlsafe(48)}
        keep.parent.mkdir(parents=True, exist_ok=True)
        write_private(keep, json.dumps(values).encode())
    return {name: SecretStr(str(values[name])) for name in ("secret_key", "survey_secret")}


def secret_problems(settings: Settings) -> list[str]:
    """Why these settings must not run a real session (placeholder or short secrets)."""
    problems = []
    for name, env in (
        ("secret_key", "FACILITATOR_SECRET_KEY"),
        ("survey_secret", "FACILITATOR_SURVEY_SECRET"),
    ):
        value = getattr(settings, name).get_secret_value()
        if value in PLACEHOLDER_SECRETS or len(value) < MIN_SECRET_LENGTH:
            problems.append(
                f"{env} is a placeholder or shorter than {MIN_SECRET_LENGTH} characters; set a long random "
                'value, e.g. python -c "import secrets; print(secrets.token_urlsafe(48))"'
            )
    return problems


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment and `.env`, with explicit overrides (tests, `--simulate`)."""
    return Settings(**overrides)  # type: ignore[arg-type]
