"""Long choice lists, fast: a filter listing a district's 358 branches, 249 communities
and 61 original units spent ~70 ms of the roster page in Django's Select (a template per
option) and in building a model instance per option.

- `QuickSelect`: a <select> whose options are written in Python, the same markup as
  Django's Select (`option_attrs` other than `selected` are not supported). Options are
  escaped by the standard library's `html.escape`, what Django's `escape` calls under
  its lazy wrapper (that wrapper was ~40% of the roster's filter).
- `NameChoiceField`: a ModelChoiceField whose options are read as (pk, name) pairs, for
  models whose label is their name. Validation still goes through the queryset.
"""

from __future__ import annotations

import html

from django import forms
from django.forms.models import ModelChoiceIterator
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import mark_safe


class QuickSelect(forms.Select):
    def render(self, name, value, attrs=None, renderer=None):
        selected = set(self.format_value(value))
        final = self.build_attrs(self.attrs, attrs)
        parts = [format_html('<select name="{}"{}>', name, flatatt(final))]

        def options(choices):
            for option_value, label in choices:
                key = "" if option_value is None else str(option_value)
                chosen = " selected" if key in selected else ""
                parts.append(
                    f'<option value="{html.escape(key)}"{chosen}>{html.escape(str(label))}</option>'
                )
                if chosen and not self.allow_multiple_selected:
                    selected.clear()  # the first match only, as Django's

        for group, choices in self._groups():
            if group is None:
                options(choices)
            else:
                parts.append(format_html('<optgroup label="{}">', group))
                options(choices)
                parts.append("</optgroup>")
        parts.append("</select>")
        return mark_safe("".join(parts))  # noqa: S308 (every value and label escaped)

    def _groups(self):
        """(group label or None, [(value, label)]) in order, as Django's optgroups."""
        loose = []
        for value, label in self.choices:
            if isinstance(label, (list, tuple)):
                if loose:
                    yield None, loose
                    loose = []
                yield value, label
            else:
                loose.append((value, label))
        if loose:
            yield None, loose


class _NameIterator(ModelChoiceIterator):
    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        names = self.field.names
        yield from names if names is not None else self.queryset.values_list("pk", "name")

    def __len__(self):
        names = self.field.names
        count = len(names) if names is not None else self.queryset.count()
        return count + (1 if self.field.empty_label is not None else 0)


class NameChoiceField(forms.ModelChoiceField):
    """`names`: the (pk, name) pairs of the queryset read beforehand (kept), if any."""

    iterator = _NameIterator
    widget = QuickSelect
    names: list[tuple[int, str]] | None = None
