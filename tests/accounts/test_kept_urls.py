"""`{% url %}` answered from a per-process memo (accounts.templatetags.kept_urls): the
same URL Django reverses, for each set of arguments, script prefix and URL conf."""

from django.template import engines
from django.test import override_settings
from django.urls import set_script_prefix

from accounts.templatetags import kept_urls


def render(source, **context):
    return engines["django"].from_string(source).render(context)


def test_every_templates_url_tag_is_the_kept_one_and_keeps_plain_arguments():
    kept_urls._kept.clear()
    assert render("{% url 'branches:branch_detail' pk %}", pk=7) == "/branches/7/"
    assert render("{% url 'branches:branch_detail' pk %}", pk=8) == "/branches/8/"
    assert render("{% url 'branches:branch_detail' pk=9 %}") == "/branches/9/"
    assert {key[:3] for key in kept_urls._kept} == {
        ("branches:branch_detail", (7,), ()),
        ("branches:branch_detail", (8,), ()),
        ("branches:branch_detail", (), (("pk", 9),)),
    }
    assert render("{% url 'home' as link %}[{{ link }}]") == "[/]"


def test_a_kept_url_follows_the_script_prefix():
    assert render("{% url 'branches:branch_detail' 7 %}") == "/branches/7/"
    set_script_prefix("/portal/")
    try:
        assert render("{% url 'branches:branch_detail' 7 %}") == "/portal/branches/7/"
    finally:
        set_script_prefix("/")
    assert render("{% url 'branches:branch_detail' 7 %}") == "/branches/7/"


class Named:
    """An argument whose text may change (as a model's name): never kept."""

    def __init__(self, text):
        self.text = text

    def __str__(self):
        return self.text


def test_arguments_that_are_not_plain_are_reversed_each_time():
    kept_urls._kept.clear()
    argument = Named("7")
    assert render("{% url 'branches:branch_detail' pk %}", pk=argument) == "/branches/7/"
    argument.text = "8"
    assert render("{% url 'branches:branch_detail' pk %}", pk=argument) == "/branches/8/"
    assert kept_urls._kept == {}


@override_settings(ROOT_URLCONF="tests.accounts.kept_urls_conf")
def test_another_url_conf_is_another_key():
    assert render("{% url 'branches:branch_detail' 7 %}") == "/elsewhere/7/"
