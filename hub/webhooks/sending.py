"""One delivery attempt: the message signed per Standard Webhooks, posted, judged by its answer."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import httpx
from standardwebhooks import Webhook as Signer

from hub.webhooks.targets import Allowed, TargetRefusedError, check

USER_AGENT = "beijing-hub-webhooks/1"


@dataclass(frozen=True, slots=True)
class Outcome:
    accepted: bool
    status_code: int | None
    error: str | None


def headers(secret: str, message_id: str, body: str, at: dt.datetime) -> dict[str, str]:
    """``webhook-id``, ``webhook-timestamp`` and ``webhook-signature`` (``v1,<base64>``)."""
    return {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Signer(secret).sign(message_id, at.astimezone(dt.UTC), body),
    }


async def send(
    client: httpx.AsyncClient,
    *,
    url: str,
    secret: str,
    message_id: str,
    body: str,
    at: dt.datetime,
    allowed: Allowed,
    seconds: float,
) -> Outcome:
    """Post once; a 2xx answer is acceptance. The receiver's body is never read."""
    try:
        await check(url, allowed)  # again: the name may resolve elsewhere by now
        request = client.build_request(
            "POST",
            url,
            content=body.encode(),
            headers=headers(secret, message_id, body, at),
            timeout=seconds,
        )
        response = await client.send(request, stream=True)
        await response.aclose()
    except TargetRefusedError as refused:
        return Outcome(False, None, refused.message)
    except httpx.HTTPError as error:
        return Outcome(False, None, f"{type(error).__name__}: {error}"[:500])
    code = response.status_code
    return Outcome(200 <= code < 300, code, None if 200 <= code < 300 else f"answered {code}")
