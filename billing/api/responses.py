"""Answers that do some work once they have been sent."""

import json
import logging

from django.http import HttpResponse

from users.mail import send_pending

log = logging.getLogger("billing.api")


class MailAfterResponse(HttpResponse):
    """A JSON answer that sends the pending e-mails when the server closes it, after the client has it:
    the request's time never includes an SMTP round trip. What cannot be sent then, `send_outbox` sends."""

    def close(self):
        super().close()
        try:
            send_pending()
        except Exception:
            log.exception("api.mail_after_response_failed")


def mail_after_response(data, status: int = 200) -> MailAfterResponse:
    return MailAfterResponse(json.dumps(data, ensure_ascii=False), status=status, content_type="application/json")
