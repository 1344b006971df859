from django.template import Context, Template

from members.masking import mask_address, mask_id, mask_phone, masked


def test_an_id_number_keeps_its_first_three_and_last_four_characters():
    assert mask_id("110105194912310021") == "110***********0021"


def test_a_mobile_number_keeps_its_first_three_and_last_four_digits():
    assert mask_phone("13812345678") == "138****5678"


def test_short_or_empty_values_are_fully_masked_or_left_empty():
    assert mask_phone("12345") == "*****"
    assert mask_id("") == ""
    assert mask_address("") == ""


def test_an_address_keeps_only_its_start():
    assert mask_address("翠园社区解放路12号3单元501") == "翠园社区解放****"
    assert "501" not in mask_address("翠园社区解放路12号3单元501")


def test_health_is_hidden_entirely():
    assert masked("health", "bedridden") == "***"


def test_the_template_filters_mask_what_they_are_given():
    template = Template(
        "{% load members_extras %}{{ id|mask_id }} {{ phone|mask_phone }} {{ addr|mask_address }}"
    )
    out = template.render(
        Context({"id": "110105194912310021", "phone": "13812345678", "addr": "梅岭社区3号楼"})
    )
    assert out == "110***********0021 138****5678 梅岭社****"


def test_the_sensitive_value_tag_unmasks_only_when_revealed(cast):
    template = Template(
        '{% load members_extras %}{% sensitive_value m "phone" revealed %}|'
        '{% sensitive_value m "health" revealed %}'
    )
    member = cast.member_a_bedridden
    assert template.render(Context({"m": member, "revealed": False})) == "139****1111|***"
    shown = template.render(Context({"m": member, "revealed": True}))
    assert shown.startswith("13900001111|")
    assert shown != "13900001111|***"
