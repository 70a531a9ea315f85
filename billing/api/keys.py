"""Operations about the presented key itself."""

from django.http import JsonResponse
from ninja import Router

from billing.api.problems import AUTH_ERRORS
from billing.api.schemas import Ping

router = Router(tags=["keys"])


@router.get("ping", response={200: Ping, **AUTH_ERRORS}, summary="Check an API key")
def ping(request):
    """The key is valid for this API: its key ID, API, user, organization and validity end."""
    auth = request.auth
    # The hot path: a JsonResponse as ninja would render it, without validating our own answer.
    return JsonResponse(
        {
            "key_id": auth.key_id,
            "api": auth.api,
            "user": auth.username,
            "organization": auth.organization_name,
            "valid_until": auth.valid_until.isoformat(),
        },
        json_dumps_params={"ensure_ascii": False},
    )
