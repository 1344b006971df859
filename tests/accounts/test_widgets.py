"""QuickSelect writes the same markup as Django's Select, escaped the same way, and
NameChoiceField lists and validates what a ModelChoiceField does."""

from django import forms

from accounts.widgets import NameChoiceField, QuickSelect

CHOICES = [
    ("", "All"),
    ("1", "第一支部 <b>&</b>"),
    ("Groups", [("2", "甲"), ("3", 'the "third"')]),
    (4, "four"),
]


def test_it_renders_what_djangos_select_renders():
    attrs = {"class": "form-select", "id": "id_branch", "required": True, "disabled": False}
    for value in ("", "1", "3", 4, None):
        ours = QuickSelect(attrs=attrs, choices=CHOICES).render("branch", value)
        django = forms.Select(attrs=attrs, choices=CHOICES).render("branch", value)
        assert ours == django.replace("\n", "").replace("  ", "")
        assert "<b>" not in ours


def test_a_name_choice_field_renders_and_cleans_as_a_model_choice_field(db, cast):
    from branches.models import Branch

    queryset = Branch.objects.exclude(pk=cast.branch_b.pk).order_by("pk")
    field = NameChoiceField(queryset, required=False, empty_label="全部")
    plain = forms.ModelChoiceField(queryset, required=False, empty_label="全部")
    for value in (cast.branch_a.pk, None):
        ours = field.widget.render("branch", value)
        django = plain.widget.render("branch", value)
        assert ours == django.replace("\n", "").replace("  ", "")
    assert f'<option value="{cast.branch_a.pk}" selected>' in field.widget.render(
        "branch", cast.branch_a.pk
    )
    assert field.clean(str(cast.branch_a.pk)) == cast.branch_a
    # Outside the queryset: refused, as by a ModelChoiceField.
    try:
        field.clean(str(cast.branch_b.pk))
    except forms.ValidationError:
        pass
    else:
        raise AssertionError("a branch outside the queryset was accepted")
    assert str(cast.branch_b.pk) not in [str(v) for v, _label in field.choices]
