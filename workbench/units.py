"""The four parties' work (四方联动) on the workbench: tasks a unit sent to the community,
feedback reports to review, send or acknowledge, replies to read, joint meetings' action
items owned by the user's node, unit or branch.

Each subject of units/ builds its own section (`workbench_section(request, scope, today)`
in its selectors, returning None when nothing concerns the user) and keeps its template;
this panel only gathers them, in the order below."""

from __future__ import annotations

from units.events import selectors as events_selectors
from units.feedback import selectors as feedback_selectors
from units.joint import selectors as joint_selectors
from units.messages import selectors as messages_selectors

# (name, builder, template): one line per subject of units/, in page order: the work
# waiting (tasks, reports, action items), then the messages.
SECTIONS: tuple = (
    ("events", events_selectors.workbench_section, "units/events/_workbench.html"),
    ("feedback", feedback_selectors.workbench_section, "units/feedback/_workbench.html"),
    ("joint", joint_selectors.workbench_section, "units/joint/_workbench.html"),
    ("messages", messages_selectors.workbench_section, "units/messages/_workbench.html"),
)


def panel(request, scope, today):
    sections = []
    for name, build, template in SECTIONS:
        context = build(request, scope, today)
        if context is not None:
            sections.append({"name": name, "template": template, "data": context})
    return {"sections": sections} if sections else None
