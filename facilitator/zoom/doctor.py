"""`facilitator doctor`: check a Zoom configuration and say exactly what is missing.

It asks Zoom for a token (are the credentials right and the app activated?), reads the scopes
the token carries (can we do each thing the bot does?), looks the host up (is it a licensed user
of this account?), and checks the webhook settings. It creates and changes nothing on Zoom.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import aiohttp

from facilitator.config import Settings
from facilitator.zoom.client import RetryPolicy, ZoomClient
from facilitator.zoom.errors import ZoomAuthError, ZoomError, ZoomNotConfigured, ZoomNotFound
from facilitator.zoom.ratelimit import ENDPOINTS


class Status(StrEnum):
    OK = "ok"
    WARN = "warn"
    FAIL = "fail"
    SKIP = "skip"


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str

    @property
    def ok(self) -> bool:
        return self.status in (Status.OK, Status.SKIP)


@dataclass(frozen=True)
class Feature:
    what: str
    endpoints: tuple[str, ...]
    required: bool  # without it the bot cannot run a session


FEATURES: tuple[Feature, ...] = (
    Feature(
        "create and update the session's meeting", ("create_meeting", "get_meeting", "update_meeting"), True
    ),
    Feature("find a meeting an interrupted run created", ("list_meetings",), True),
    Feature("register students and facilitators", ("batch_registrants", "list_registrants"), True),
    Feature("replace a meeting when the host changes", ("delete_meeting",), False),
    Feature("attendance after the session", ("list_past_participants",), False),
    Feature("look up the host (this check)", ("get_user",), False),
)
LOCAL_HOSTS = ("://127.", "://localhost", "://0.0.0.0", "://[::1]")
CHAT = Feature("send cues by Zoom Team Chat", ("send_chat_message",), True)


def scope_checks(granted: frozenset[str], features: Sequence[Feature]) -> list[Check]:
    """One check per feature: which endpoints lack every scope that would allow them."""
    out = []
    for feature in features:
        lacking = [
            ENDPOINTS[name] for name in feature.endpoints if not granted.intersection(ENDPOINTS[name].scopes)
        ]
        if not lacking:
            out.append(Check(f"scopes: {feature.what}", Status.OK, "granted"))
            continue
        needs = "; ".join(f"{' or '.join(e.scopes)} (for {e.method} {e.path})" for e in lacking)
        status = Status.FAIL if feature.required else Status.WARN
        out.append(Check(f"scopes: {feature.what}", status, f"add to the app's scopes: {needs}"))
    return out


def webhook_checks(settings: Settings) -> list[Check]:
    out = []
    if settings.zoom_webhook_secret is None or not settings.zoom_webhook_secret.get_secret_value():
        out.append(
            Check(
                "webhook secret",
                Status.FAIL,
                "set ZOOM_WEBHOOK_SECRET_TOKEN to the Secret Token shown under the app's "
                "Features > Access > Event Subscriptions",
            )
        )
    else:
        out.append(Check("webhook secret", Status.OK, "set"))
    url = settings.public_url.rstrip("/") + "/zoom/webhook"
    local = any(h in url for h in LOCAL_HOSTS)
    if local or not url.startswith("https://"):
        out.append(
            Check(
                "webhook URL",
                Status.WARN,
                f"Zoom must reach {url} over HTTPS from the internet; set FACILITATOR_PUBLIC_URL "
                "to the public address (a tunnel or reverse proxy) and use it as the event "
                "notification endpoint URL",
            )
        )
    else:
        out.append(Check("webhook URL", Status.OK, f"subscribe the app's events to {url}"))
    return out


async def _host_check(zoom: ZoomClient, host_email: str | None, *, licensed: bool = True) -> Check:
    """The host must be an active, licensed user: Zoom refuses registrants (and alternative hosts,
    and pre-assigned rooms) for a Basic or pending host, so that is a failure, not a warning."""
    if not host_email:
        return Check("host user", Status.SKIP, "no host email given (pass --host, or check a plan)")
    try:
        user = await zoom.get_user(host_email)
    except ZoomNotFound:
        return Check("host user", Status.FAIL, f"{host_email} is not a user of this Zoom account")
    except ZoomAuthError as exc:
        return Check("host user", Status.WARN, f"could not look the host up: {exc}")
    if user.type == 1:
        return Check(
            "host user",
            Status.FAIL if licensed else Status.WARN,
            f"{host_email} is a Basic (unlicensed) user: registration, alternative hosts and "
            "breakout-room pre-assignment need a licensed host",
        )
    if user.status not in (None, "active"):
        hint = " (invited, has not accepted the invitation yet)" if user.status == "pending" else ""
        return Check("host user", Status.FAIL, f"{host_email} is {user.status}{hint}, not active")
    return Check("host user", Status.OK, f"{host_email} is an active licensed user")


async def doctor(settings: Settings, host_email: str | None) -> list[Check]:
    """Every check, in the order a person would fix them. Nothing is created on Zoom."""
    missing = [
        name
        for name, value in (
            ("ZOOM_ACCOUNT_ID", settings.zoom_account_id),
            ("ZOOM_CLIENT_ID", settings.zoom_client_id),
            ("ZOOM_CLIENT_SECRET", settings.zoom_client_secret),
        )
        if not value
    ]
    if missing:
        detail = f"set {', '.join(missing)} (from the app's App Credentials page)"
        return [
            Check("credentials", Status.FAIL, detail),
            *webhook_checks(settings),
            *await zoom_app_checks(settings),
        ]
    checks: list[Check] = []
    patient = RetryPolicy(max_attempts=2, max_rate_limited=3, backoff_base=0.5, max_wait_seconds=5.0)
    async with ZoomClient(settings, retry=patient) as zoom:
        try:
            token = await zoom.token()
        except (ZoomNotConfigured, ZoomAuthError) as exc:
            return [
                Check("credentials", Status.FAIL, str(exc)),
                *webhook_checks(settings),
                *await zoom_app_checks(settings),
            ]
        except ZoomError as exc:
            where = settings.zoom_oauth_base_url
            return [
                Check("credentials", Status.FAIL, f"could not reach Zoom at {where}: {exc}"),
                *webhook_checks(settings),
                *await zoom_app_checks(settings),
            ]
        checks.append(
            Check("credentials", Status.OK, f"Zoom issued a token for account {settings.zoom_account_id}")
        )
        features = list(FEATURES) + ([CHAT] if settings.zoom_chat_user else [])
        checks.extend(scope_checks(token.scopes, features))
        checks.append(await _host_check(zoom, host_email))
        if settings.zoom_chat_user:
            checks.append(await _host_check(zoom, settings.zoom_chat_user, licensed=False))
            checks[-1] = Check("Team Chat sender", checks[-1].status, checks[-1].detail)
    return checks + webhook_checks(settings) + await zoom_app_checks(settings)


# -- the host console (a Zoom App) ---------------------------------------------------------------
# Zoom loads a Zoom App's Home URL only over public HTTPS and refuses to render an HTML answer
# without four security headers. Both are checked by asking the running server for its Home URL
# without a Zoom context: the console must refuse (401) and still send the headers. What needs a
# real Zoom client (the SDK's answers, whether a move needs a click) is listed in the README.
HOME_PATH = "/zoomapp/home"
REQUIRED_HEADERS = (
    "Strict-Transport-Security",
    "X-Content-Type-Options",
    "Content-Security-Policy",
    "Referrer-Policy",
)


async def zoom_app_checks(settings: Settings, timeout: float = 5.0) -> list[Check]:
    client_id = settings.zoom_app_client_id
    secret = settings.zoom_app_client_secret
    has_secret = secret is not None and bool(secret.get_secret_value())
    if not client_id and not has_secret:
        return [Check("Zoom App (host console)", Status.SKIP, "not configured: physicians are moved by cues")]
    if not client_id or not has_secret:
        missing = "ZOOM_APP_CLIENT_ID" if not client_id else "ZOOM_APP_CLIENT_SECRET"
        return [
            Check(
                "Zoom App (host console)", Status.FAIL, f"set {missing} too (the General app's credentials)"
            )
        ]
    checks = [Check("Zoom App (host console)", Status.OK, "client id and secret set")]
    url = settings.public_url.rstrip("/") + HOME_PATH
    if not url.startswith("https://") or any(h in url for h in LOCAL_HOSTS):
        checks.append(
            Check(
                "Zoom App Home URL",
                Status.WARN,
                f"Zoom loads the Home URL only over public HTTPS, not {url}; set FACILITATOR_PUBLIC_URL "
                "to the public HTTPS address and enter it as the app's Home URL",
            )
        )
    else:
        checks.append(Check("Zoom App Home URL", Status.OK, f"enter {url} as the app's Home URL"))
    checks.append(await _header_check(url, timeout))
    return checks


async def _header_check(url: str, timeout: float) -> Check:
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as http,
            http.get(url, allow_redirects=False) as resp,
        ):
            missing = [h for h in REQUIRED_HEADERS if not resp.headers.get(h)]
            status = resp.status
    except (aiohttp.ClientError, TimeoutError) as exc:
        return Check(
            "Zoom App headers",
            Status.WARN,
            f"could not reach {url} ({type(exc).__name__}); run `facilitator serve` there and check again",
        )
    if missing:
        return Check("Zoom App headers", Status.FAIL, f"{url} answers without {', '.join(missing)}")
    if status != 401:
        return Check(
            "Zoom App headers", Status.WARN, f"{url} answered {status} without a Zoom context (expected 401)"
        )
    return Check("Zoom App headers", Status.OK, "the Home URL sends the four headers Zoom requires")
