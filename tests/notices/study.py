"""Builders of sent study materials (学习资料) and bulletins for the library, meeting
material and bulletin tests and the URL x role matrix."""

from notices import services
from notices.models import Notice, NoticeKind, NoticeState


def sent_notice(*, by, to, title, kind=NoticeKind.STUDY, body="学习要点", forward_of=None):
    """A notice written at node `by`, sent to the nodes `to` (a forward: by `by`, of
    `forward_of`, written as the forwarding work will, with no receipts of its own)."""
    if forward_of is not None:
        return Notice.objects.create(
            organization=by,
            kind=forward_of.kind,
            title=title,
            body=body,
            forwarded_from=forward_of,
            root=forward_of.root or forward_of,
            state=NoticeState.SENT,
            sent_at=forward_of.sent_at,
        )
    notice = Notice.objects.create(organization=by, kind=kind, title=title, body=body)
    notice.audience.set(to)
    services.send(notice=notice, actor=None)
    return notice


def study_material(cast, title="学习贯彻党的二十届四中全会精神"):
    """The district's study material sent to community A (branch A has it), once."""
    found = Notice.objects.filter(title=title, organization=cast.district_a).first()
    return found or sent_notice(by=cast.district_a, to=[cast.community_a], title=title)
