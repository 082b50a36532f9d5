"""Channel backends: how a rendered message reaches a customer.

Every backend has one method, ``send(messages) -> {key: error or None}``: it hands a batch
over and says, per message, what went wrong (``None`` = accepted); a transport failure
(mail server or gateway unreachable) is such an answer for every message of the batch,
recorded with the messages, never an exception that would stop the launch half-way. The service records
every message in the ``Message`` table whatever the backend, so "what was sent" is always
in the database; backends only deliver.

- :class:`ConsoleBackend` (the default): logs a summary and, with
  ``CAMPAIGNS["OUTBOX_FILE"]``, appends one JSON line per message to that file.
- :class:`EmailBackend`: Django's mail backend (``EMAIL_BACKEND``), one email per message.
- :class:`SmsGatewayBackend`, :class:`WeComBackend`: a JSON POST of the batch to an HTTP
  gateway (``CAMPAIGNS["SMS_GATEWAY_URL"]`` / ``WECOM_GATEWAY_URL``, bearer key), which
  answers ``{"results": {key: error or null}}``.

Pick one per channel in ``CAMPAIGNS["CHANNEL_BACKENDS"]``; any class with ``send`` works.
"""

from __future__ import annotations

import json
import logging
import smtplib
import urllib.request
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMessage, get_connection
from django.utils.module_loading import import_string

log = logging.getLogger("campaigns.outbox")


@dataclass(frozen=True)
class Outgoing:
    key: str  # unique per contact (campaign:<id>:<customer id>, ...)
    customer_id: int
    email: str
    phone: str
    external_id: str
    body: str


class ConsoleBackend:
    channel = "console"

    def send(self, messages: Sequence[Outgoing]) -> dict[str, str | None]:
        path = settings.CAMPAIGNS["OUTBOX_FILE"]
        if path:
            with open(path, "a", encoding="utf-8") as outbox:
                for message in messages:
                    outbox.write(json.dumps(asdict(message), ensure_ascii=False) + "\n")
        log.info("console channel: %d messages", len(messages))
        for message in messages:
            log.debug("%s → %s: %s", message.key, message.external_id, message.body)
        return {message.key: None for message in messages}


class EmailBackend:
    channel = "email"

    def send(self, messages: Sequence[Outgoing]) -> dict[str, str | None]:
        results: dict[str, str | None] = {}
        emails = []
        for message in messages:
            if not message.email:
                results[message.key] = "no email address"
                continue
            emails.append(
                EmailMessage(
                    subject=settings.CAMPAIGNS["EMAIL_SUBJECT"],
                    body=message.body,
                    to=[message.email],
                )
            )
            results[message.key] = None
        if emails:
            try:
                with get_connection() as connection:
                    connection.send_messages(emails)
            except (OSError, smtplib.SMTPException) as error:  # mail server down or refusing
                failed = f"email not sent: {error}"
                results.update({key: failed for key, value in results.items() if value is None})
        return results


class HttpGatewayBackend:
    """A batch POSTed as JSON to a gateway that answers per message."""

    channel = ""
    url_setting = ""
    key_setting = ""
    address_field = "phone"
    timeout = 30

    def __init__(self):
        self.url = settings.CAMPAIGNS[self.url_setting]
        self.key = settings.CAMPAIGNS[self.key_setting]
        if not self.url:
            raise ImproperlyConfigured(
                f"the {self.channel} channel needs CAMPAIGNS[{self.url_setting!r}] "
                f"(environment variable CAMPAIGNS_{self.url_setting})"
            )

    def send(self, messages: Sequence[Outgoing]) -> dict[str, str | None]:
        results: dict[str, str | None] = {}
        batch = []
        for message in messages:
            address = getattr(message, self.address_field)
            if not address:
                results[message.key] = f"no {self.address_field.replace('_', ' ')}"
                continue
            batch.append({"key": message.key, "to": address, "text": message.body})
        if batch:
            failed = "no answer from the gateway"
            try:
                answer = self.post({"messages": batch})
            except (OSError, ValueError) as error:  # unreachable, HTTP error, not JSON
                answer, failed = {}, f"{self.channel} gateway: {error}"
            accepted = answer.get("results") if isinstance(answer, dict) else None
            accepted = accepted if isinstance(accepted, dict) else {}
            for item in batch:
                results[item["key"]] = accepted.get(item["key"], failed)
        return results

    def post(self, payload: dict) -> dict:
        request = urllib.request.Request(
            self.url,
            data=json.dumps(payload, ensure_ascii=False).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.key}"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            return json.load(response)


class SmsGatewayBackend(HttpGatewayBackend):
    channel = "sms"
    url_setting = "SMS_GATEWAY_URL"
    key_setting = "SMS_GATEWAY_KEY"
    address_field = "phone"


class WeComBackend(HttpGatewayBackend):
    """WeCom (企业微信) customer contact: the gateway maps our external id to the contact."""

    channel = "wecom"
    url_setting = "WECOM_GATEWAY_URL"
    key_setting = "WECOM_GATEWAY_KEY"
    address_field = "external_id"


def backend_for(channel: str):
    try:
        path = settings.CAMPAIGNS["CHANNEL_BACKENDS"][channel]
    except KeyError:
        raise ImproperlyConfigured(f"no backend for the {channel!r} channel") from None
    return import_string(path)()


def channel_problem(channel: str) -> str | None:
    """Why messages cannot be sent on ``channel`` now (its backend is missing or not
    configured), or None: checked before a launch, so none fails half-way."""
    try:
        backend_for(channel)
    except ImproperlyConfigured as error:
        return str(error)
    return None
