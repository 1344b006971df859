from django.conf import settings
from django.utils import translation
from django.utils.translation import check_for_language


class ChineseFirstLocaleMiddleware:
    """Chinese unless the user chose English with the switch (the language cookie).

    Django's LocaleMiddleware would follow the browser's Accept-Language, which gives an
    English page to a secretary whose phone happens to be set to English.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen and check_for_language(chosen) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


class NodeNameMiddleware:
    """Names the app server that answered (settings.NODE_NAME) in X-Portal-Node, so an
    operator (and the two-node test) can tell the nodes behind the proxy apart."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.name = settings.NODE_NAME

    def __call__(self, request):
        response = self.get_response(request)
        response.headers["X-Portal-Node"] = self.name
        return response
