import re
from functools import cache

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings

from efinance.lib.headers import FixedHeaders


@cache
def _path_updates() -> list[tuple[re.Pattern, dict]]:
    return [(re.compile(pattern), update) for pattern, update in settings.CONTENT_SECURITY_POLICY_PATH_UPDATES]


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, plus the additions of `CONTENT_SECURITY_POLICY_PATH_UPDATES`.

    Each entry is a regular expression matched against the path and the sources it adds to the
    policy for that path only, so that a third-party page (the API docs) gets what it needs without
    relaxing the policy of the product's pages.
    """

    def get_policy_parts(self, request, response, report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if report_only:
            return parts
        for pattern, update in _path_updates():
            if pattern.match(request.path_info):
                merged = {key: list(values) for key, values in (parts.update or {}).items()}
                for directive, sources in update.items():
                    merged.setdefault(directive, [])
                    merged[directive] += [source for source in sources if source not in merged[directive]]
                parts.update = merged
        return parts


class LeanContentSecurityPolicyMiddleware(ContentSecurityPolicyMiddleware):
    """The lean path's (`LEAN_MIDDLEWARE`): the full policy for HTML (the API docs), and for every other
    answer (JSON, problem documents) one fixed policy that allows nothing, without building a policy
    per response (the profile of the authenticated ping showed that costing a fifth of the request).
    It also refuses framing with `X-Frame-Options` (`X_FRAME_OPTIONS`), the work of Django's
    `XFrameOptionsMiddleware` without one more middleware on every API request. Both headers are
    written in one step (`efinance.lib.headers`), each only where the answer has none yet.

    It gives the request no `csp_nonce`: no page of the lean path uses one (the API docs load their
    scripts from 'self'), and a template that asked for one would get nothing, which the policy then
    refuses: without a nonce the policy can only be stricter. django-csp's nonce is a lazy object
    that holds the request, which only its `process_response` lets go of: on an answer with the fixed
    policy each request would stay in a reference cycle until the garbage collector ran.
    """

    NOTHING = "default-src 'none'; frame-ancestors 'none'"

    def __init__(self, get_response):
        super().__init__(get_response)
        self.framing = FixedHeaders({"X-Frame-Options": settings.X_FRAME_OPTIONS})
        self.nothing = FixedHeaders({"Content-Security-Policy": self.NOTHING})

    def process_request(self, request):
        return None

    def process_response(self, request, response):
        self.framing.set_defaults(response)
        if response.get("Content-Type", "").startswith("text/html"):
            return super().process_response(request, response)
        self.nothing.set_defaults(response)
        return response
