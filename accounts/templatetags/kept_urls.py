"""`{% url %}` with each URL reversed once per process (a template builtin, so every
template's `{% url %}` is this one). Reversing was ~60 us a tag and a page has ten to
twenty: the branch page's links and the header's forms.

A URL is kept only when it is a function of the key alone: the view name, arguments that
are int or str (not a model, whose str may change, nor a lazy string), the current app,
the URL conf, the script prefix and the language. Anything else is reversed as
Django does."""

from __future__ import annotations

from django import template
from django.conf import settings
from django.template import defaulttags
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape
from django.utils.translation import get_language

register = template.Library()

KEEP_AT_MOST = 20000  # distinct URLs (a district's branches and members: a few thousand)
_kept: dict[tuple, str] = {}
_PLAIN = (int, str)


def _current_app(context):
    try:
        return context.request.current_app
    except AttributeError:
        try:
            return context.request.resolver_match.namespace
        except AttributeError:
            return None


class KeptURLNode(defaulttags.URLNode):
    def render(self, context):
        args = tuple(arg.resolve(context) for arg in self.args)
        kwargs = tuple(sorted((k, v.resolve(context)) for k, v in self.kwargs.items()))
        view_name = self.view_name.resolve(context)
        current_app = _current_app(context)
        key = None
        if isinstance(view_name, str) and all(
            isinstance(value, _PLAIN) for value in (*args, *(v for _k, v in kwargs))
        ):
            key = (
                view_name,
                args,
                kwargs,
                current_app,
                get_urlconf() or settings.ROOT_URLCONF,
                get_script_prefix(),
                get_language(),
            )
        url = _kept.get(key) if key is not None else None
        if url is None:
            try:
                url = reverse(view_name, args=args, kwargs=dict(kwargs), current_app=current_app)
            except NoReverseMatch:
                if self.asvar is None:
                    raise
                url = ""
            else:
                if key is not None:
                    if len(_kept) >= KEEP_AT_MOST:
                        _kept.clear()
                    _kept[key] = url
        if self.asvar:
            context[self.asvar] = url
            return ""
        return conditional_escape(url) if context.autoescape else url


@register.tag
def url(parser, token):
    node = defaulttags.url(parser, token)
    return KeptURLNode(node.view_name, node.args, node.kwargs, node.asvar)
