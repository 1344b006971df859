"""The refusals of the meetings' writes: a translated message for the page and a code."""

from django.utils.translation import gettext as _

from ..models import Meeting


class RecordingError(ValueError):
    """A write the rules do not allow; the message is translated for the page."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code  # machine-readable, for tests and logs


class MeetingConflict(RecordingError):
    """The meeting was saved by someone else since the form was loaded."""

    def __init__(self, meeting: Meeting):
        super().__init__(
            _("Someone else saved this meeting while you were working on it."), "conflict"
        )
        self.meeting = meeting
