"""Operations about the presented key itself."""

import json

from django.http import HttpResponse
from ninja import Router

from apikeys.models import days_left_until
from billing.api.problems import AUTH_ERRORS
from billing.api.schemas import KeySelf, Ping

router = Router(tags=["keys"])


@router.get("ping", response={200: Ping, **AUTH_ERRORS}, summary="Check an API key")
def ping(request, response: HttpResponse):
    """The key is valid for this API: its key ID, API, user, organization and validity end."""
    auth = request.auth
    # The hot path: the JSON as ninja would render it, without validating our own answer, and with the
    # standard encoder (every value is a string already; JsonResponse's DjangoJSONEncoder is built anew
    # on every call). It is written into the response that ninja has made for this request already
    # (`response`, with its media type), instead of a second one: a response costs as much as the
    # verification's SQLite query.
    body = {
        "key_id": auth.key_id,
        "api": auth.api,
        "user": auth.username,
        "organization": auth.organization_name,
        "valid_until": auth.valid_until.isoformat(),
    }
    response.content = json.dumps(body, ensure_ascii=False)
    return response


@router.get("keys/self", response={200: KeySelf, **AUTH_ERRORS}, summary="The presented key itself")
def key_self(request):
    """The presented key: its ID, API, user, organization, last valid day, the end of its replacement if
    it has been replaced, when it stops working and the days left until then, so that software can warn in time; and
    its scopes."""
    auth = request.auth
    return {
        "key_id": auth.key_id,
        "api": auth.api,
        "user": auth.username,
        "organization": auth.organization_name,
        "valid_until": auth.valid_until,
        "replaced_until": auth.ends_at,
        "stops_at": auth.stops_at,
        "days_left": days_left_until(auth.stops_at),
        "scopes": list(auth.scopes),
    }
