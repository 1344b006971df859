"""Small display helpers shared by every app's templates."""

from django import template

from accounts import formats

register = template.Library()


@register.simple_tag(takes_context=True)
def query_replace(context, **changes):
    """The current query string with some parameters replaced (for pagination links)."""
    query = context["request"].GET.copy()
    for key, value in changes.items():
        query[key] = value
    return query.urlencode()


@register.filter(expects_localtime=True)
def month_day(value):
    """{{ day|month_day }}: 4月25日, or 2023年4月25日 when not this year."""
    return formats.month_day(value or None)
