"""Fill an empty database with deterministic, realistic demo data and one login per role."""

import random
import time

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from accounts.tasks import verify_audit_chain
from activities import summaries
from activities.care.demo import seed_care
from activities.meetings.demo import seed_meetings, seed_study_material
from activities.year_end.demo import seed_year_end
from branches.access import Role
from branches.demo import SIZES, seed_structure
from branches.models import BranchKind, Organization, StaffRole
from members.demo import seed_members, seed_secondments
from notices.demo import seed_notices
from notices.receipt_demo import seed_receipts
from reports.demo import seed_annual_returns
from resources.funds.demo import seed_funds
from resources.places.demo import seed_places
from units.events.demo import seed_unit_events
from units.feedback.demo import seed_feedback
from units.joint.demo import seed_joint
from units.messages.demo import seed_unit_messages

# Years of meetings per size: a city with three years would be ~16 million attendance lines.
MEETING_YEARS = {"small": 3, "district": 3, "city": 1}
DEMO_PASSWORD = "Demo@2026!"  # noqa: S105 (printed to the demo user on purpose)


def demo_logins(structure):
    """(username, full name, role, covered node) for each role, in the first district."""
    district = structure.districts[0]
    street = next(s for s in structure.streets if s.parent_id == district.pk)
    community = next(c for c in structure.communities if c.parent_id == street.pk)
    branch = next(b for b in structure.branches if b.organization_id == community.pk)
    # A functional branch sitting on the street itself (no community above it): its own
    # secretary records its meetings (and so may the street's staff).
    functional = next(
        b
        for b in structure.branches
        if b.organization_id == street.pk and b.kind == BranchKind.FUNCTIONAL and not b.dissolved_on
    )
    unit = next(u for u in structure.units if u.district_id == district.pk)
    return [
        ("city", "市委老干部局 周主任", Role.CITY_ADMIN, structure.city),
        ("district", "区委老干部局 李科长", Role.DISTRICT_STAFF, district),
        ("street", "街道党工委 王委员", Role.STREET_STAFF, street),
        ("community", "社区党委 张书记", Role.COMMUNITY_SECRETARY, community),
        ("branch", "支部 陈书记", Role.BRANCH_SECRETARY, branch),
        ("functional", "功能型支部 吴书记", Role.BRANCH_SECRETARY, functional),
        ("liaison", "原单位 刘联络员", Role.UNIT_LIAISON, unit),
        ("sysadmin", "系统管理员 赵工", Role.SYSTEM_ADMIN, structure.city),
        ("secadmin", "安全管理员 钱工", Role.SECURITY_ADMIN, structure.city),
        ("auditor", "安全审计员 孙工", Role.AUDITOR, structure.city),
    ]


class Command(BaseCommand):
    help = "Seed demo data: --size small|district|city, deterministic for a given --seed."

    def add_arguments(self, parser):
        parser.add_argument("--size", choices=sorted(SIZES), default="small")
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing (but print the logins) when the database already has data.",
        )
        parser.add_argument(
            "--meeting-years",
            type=int,
            default=None,
            help="Years of meetings and attendance (default: 3, and 1 for --size city).",
        )

    def handle(self, *args, size, seed, if_empty, meeting_years=None, **options):
        if Organization.objects.exists():
            if if_empty:
                self.stdout.write("The database already has data; nothing seeded.")
                self._print_logins()
                return
            raise CommandError(
                "The database already has data. Run `python manage.py flush` first, "
                "or pass --if-empty."
            )
        started = time.perf_counter()
        rng = random.Random(seed)
        with transaction.atomic():
            structure = seed_structure(rng=rng, size=size, today=timezone.localdate())
            structure_done = time.perf_counter()
            roster = seed_members(rng=rng, structure=structure, today=timezone.localdate())
            members_done = time.perf_counter()
            years = meeting_years if meeting_years is not None else MEETING_YEARS[size]
            meetings = seed_meetings(
                rng=rng, today=timezone.localdate(), years=years, stdout=self.stdout
            )
            meetings_done = time.perf_counter()
            self._create_logins(structure)
            studied = self._seed_study_material(structure)
            logins_done = time.perf_counter()
            care = seed_care(rng=rng, today=timezone.localdate(), stdout=self.stdout)
            care_done = time.perf_counter()
            places = seed_places(rng=rng, today=timezone.localdate())
            notices = seed_notices(
                structure=structure,
                author=get_user_model().objects.get(username="district"),
                today=timezone.localdate(),
            )
            receipts = seed_receipts(rng=rng, today=timezone.localdate())
            funds = seed_funds(rng=rng, today=timezone.localdate())
            year_end = self._seed_year_end(structure, rng)
            unit_messages = self._seed_unit_messages(structure)
            # The seeders bulk-insert past the services: derive the dashboards' summaries.
            # PostgreSQL plans that from statistics, which still describe empty tables
            # inside this transaction (a city's rebuild ran for over ten minutes): gather
            # them first (ANALYZE sees this transaction's own rows).
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE")
            tallies, participations = summaries.rebuild()
            summaries_done = time.perf_counter()
            logins = {name: node for name, _full, _role, node in demo_logins(structure)}
            returns = seed_annual_returns(
                community=logins["community"], street=logins["street"], today=timezone.localdate()
            )
            seed_secondments(
                branch=logins["branch"], unit=logins["liaison"], today=timezone.localdate()
            )
            seed_unit_events(
                unit=logins["liaison"], community=logins["community"], today=timezone.localdate()
            )
            joint = seed_joint(
                **{k: logins[k] for k in ("street", "community", "branch")},
                unit=logins["liaison"],
                recorder=get_user_model().objects.get(username="street"),
                today=timezone.localdate(),
            )
            feedback = seed_feedback(
                unit=logins["liaison"],
                community=logins["community"],
                secretary=get_user_model().objects.get(username="community"),
                liaison=get_user_model().objects.get(username="liaison"),
                today=timezone.localdate(),
            )
        elapsed = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded size={size} seed={seed} in {elapsed:.1f}s: "
                f"{len(structure.districts)} districts, {len(structure.streets)} streets, "
                f"{len(structure.communities)} communities, {len(structure.branches)} branches, "
                f"{len(structure.groups)} party groups, {len(structure.units)} original units."
            )
        )
        self.stdout.write(
            f"Members ({members_done - structure_done:.1f}s): {roster.members} members, "
            f"{roster.registrations} registrations, {roster.terms} committee terms, "
            f"{roster.positions} posts, {roster.group_leaders} group leaders, "
            f"{roster.service_roles} service roles, {roster.recognitions} honours, "
            f"{roster.memberships} functional-branch memberships."
        )
        self.stdout.write(
            f"Meetings ({meetings_done - members_done:.1f}s, {years} years): "
            f"{meetings.meetings} meetings, {meetings.attendances} attendance lines, "
            f"{meetings.make_ups} make-ups, {meetings.excusals} excusals; a study material "
            f"sent to {studied} branches."
        )
        self.stdout.write(
            f"Care ({care_done - logins_done:.1f}s): {care.needs} care needs, "
            f"{care.carers} carers, {care.visits} visits, {care.follow_ups} follow-ups, "
            f"{care.activities} activities, {care.participants} participants."
        )
        self.stdout.write(f"Funds: {funds.allocations} allocations, {funds.spendings} spendings.")
        self.stdout.write(
            f"Year end: {year_end.cycles} branches started, {year_end.pairs} talk pairs, "
            f"{year_end.appraisals} appraisals, {year_end.items} rectification items."
        )
        self.stdout.write(
            f"Places: {places.bookings} venue bookings, {places.requests} waiting for approval."
        )
        self.stdout.write(
            f"Notices: {notices.notices} sent by the district, {notices.receipts} receipts."
        )
        self.stdout.write(
            f"Notice receipts: {receipts.notices} notices to {receipts.receipts} branches, "
            f"{receipts.confirmed} confirmed, {receipts.replied} replied, "
            f"{receipts.reminded} branches reminded."
        )
        self.stdout.write(
            f"Dashboard summaries ({summaries_done - care_done:.1f}s): {tallies} branch-month "
            f"tallies, {participations} members who took part."
        )
        self.stdout.write(f"Annual returns: {returns} of last year submitted.")
        self.stdout.write(f"Unit messages: {unit_messages} to the demo unit.")
        self.stdout.write(f"Joint meetings: 1 of the demo street, {joint} action items.")
        self.stdout.write(f"Feedback reports: {feedback.letters} to the demo liaison's unit.")
        # The audit chain's first check, as the nightly task would (the auditor's workbench).
        self.stdout.write(verify_audit_chain())
        self._print_logins()

    def _seed_study_material(self, structure) -> int:
        """The demo district's study material to the demo street, used at a meeting."""
        logins = {username: node for username, _name, _role, node in demo_logins(structure)}
        return seed_study_material(
            district=logins["district"],
            street=logins["street"],
            branch=logins["branch"],
            author=get_user_model().objects.get(username="district"),
            today=timezone.localdate(),
        )

    def _seed_year_end(self, structure, rng):
        """The demo street's year ends, the demo branch's among them."""
        logins = {username: node for username, _name, _role, node in demo_logins(structure)}
        return seed_year_end(
            rng=rng, today=timezone.localdate(), street=logins["street"], branch=logins["branch"]
        )

    def _seed_unit_messages(self, structure):
        logins = {username: node for username, _name, _role, node in demo_logins(structure)}
        return seed_unit_messages(
            unit=logins["liaison"], community=logins["community"], today=timezone.localdate()
        )

    def _create_logins(self, structure):
        User = get_user_model()
        password = make_password(DEMO_PASSWORD)  # hashed once, shared by the demo users
        for username, full_name, role, node in demo_logins(structure):
            user = User.objects.create(username=username, full_name=full_name, password=password)
            node_field = {
                Role.BRANCH_SECRETARY: "branch",
                Role.UNIT_LIAISON: "original_unit",
            }.get(role, "organization")
            StaffRole.objects.create(user=user, role=role, **{node_field: node})
        # An account the security administrator has yet to give a role (the administrators'
        # workbench shows it waiting).
        User.objects.create(username="newclerk", full_name="新来的 郑干事", password=password)

    def _print_logins(self):
        self.stdout.write(f"\nDemo logins (password for all: {DEMO_PASSWORD}):")
        for staff_role in StaffRole.objects.select_related(
            "user", "organization", "branch", "original_unit"
        ).order_by("pk")[:20]:
            self.stdout.write(
                f"  {staff_role.user.username:<10} {staff_role.get_role_display()} · "
                f"{staff_role.node}"
            )
