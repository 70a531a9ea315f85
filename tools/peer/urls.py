"""The peer's one operation: `GET /api/ping` behind `HasAPIKey`."""

from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_api_key.permissions import HasAPIKey


class Ping(APIView):
    permission_classes = [HasAPIKey]

    def get(self, request):
        return Response({"status": "ok"})


urlpatterns = [path("api/ping", Ping.as_view())]
