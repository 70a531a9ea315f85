"""`HEAD` answers as `GET` does, without a body, on every path (RFC 9110 §9.3.2).

Django's own views and decorators treat HEAD as a method of its own: `require_GET` and a view that
asks `request.method == "GET"` answer it 405, ninja's GET operations too, so that a monitor or a link
checker saw 405 where a browser sees the page. First in `MIDDLEWARE`, before the lean path splits off,
this middleware hands the request on as a GET and takes the body off the answer, keeping the
`Content-Length` that the GET's body has (the server sends no body for HEAD either; this one does not
rely on it). A GET changes nothing, so neither does a HEAD; a HEAD extends an idle session as a GET does.
"""

from django.http import HttpRequest, HttpResponseBase


class HeadAsGetMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.method != "HEAD":
            return self.get_response(request)
        request.method = "GET"
        try:
            response = self.get_response(request)
        finally:
            request.method = "HEAD"
        if response.streaming:
            response.streaming_content = []  # what it streamed is closed with the response, as Django does
        else:
            if not response.has_header("Content-Length"):
                response["Content-Length"] = str(len(response.content))
            response.content = b""
        return response
