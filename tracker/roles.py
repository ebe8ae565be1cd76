"""
The roles: auth groups with tracker permissions. The table below is the one place that says what
each role may do; code and tests name a role by its constant, never by its string.

``sync_roles`` makes the groups and sets their permissions to exactly the table's. It runs on
``post_migrate`` (connected in ``TrackerConfig.ready``), so every ``migrate`` (a new database, an
upgrade, the test database) and every ``flush`` (a transactional test's teardown) leaves the roles
as written here. A permission given to a role by hand in the admin is taken away again on the next
migrate: change the table instead.
"""

from django.apps import apps as global_apps
from django.db import DEFAULT_DB_ALIAS, router, transaction

AGENCY_STAFF = "Agency staff"
PLAN_MANAGERS = "Plan managers"
EVALUATORS = "Evaluators"

# Every model of the plan and its reporting; not the users' own profiles and reminders.
PLAN_MODELS = [
    "plan", "strategy", "keytask", "agency", "strategictechnology", "task", "milestone",
    "progressupdate", "agencymembership", "reviewassessment", "contributionnote",
    "milestonechange", "indicator", "indicatorvalue", "agencyname", "evaluationround", "grade",
    "criterion", "assignment", "score", "result", "performanceindicator", "evidencefile",
]

# Role name -> codenames of tracker permissions. Keep the order: a new database makes the groups
# in it, with ids 1 and 2 as 0003_roles did, and a JSON backup restored into a newly migrated
# database (README, Backup and restore) loads its groups by id.
ROLES = {
    # Agency staff see their agencies' tasks (the scoping is in Task.objects.visible_to), report
    # progress on the tasks they lead, update those tasks' milestones and add contribution notes
    # on the tasks they support.
    AGENCY_STAFF: [
        "view_task", "view_milestone", "change_milestone", "view_progressupdate",
        "add_progressupdate", "view_contributionnote", "add_contributionnote",
        "view_milestonechange", "view_reviewassessment",
        # The year-end results of the tasks they lead (tracker.evaluation.services scopes them).
        "view_result", "add_result", "change_result", "view_performanceindicator",
        "view_evidencefile", "add_evidencefile",
    ],
    # Plan managers see every task read-only and record review assessments; they run the
    # year-end evaluation: a round's dates, criteria and steps, the evaluators' assignments and
    # the final grades (tracker.evaluation.services holds the rules).
    PLAN_MANAGERS: [f"view_{model}" for model in PLAN_MODELS]
    + ["view_all_tasks", "add_reviewassessment",
       "add_evaluationround", "change_evaluationround", "add_criterion", "change_criterion",
       "delete_criterion", "add_assignment", "delete_assignment", "add_grade", "change_grade",
       # The mail kipplan sends: they see what failed and send it again (tracker.common.mail).
       "view_outgoingmail", "change_outgoingmail",
       # The IP statistics of the annual report's trends, which they keep and import.
       "view_statistic", "add_statistic", "change_statistic", "delete_statistic",
       "view_statisticvalue", "add_statisticvalue", "change_statisticvalue",
       "delete_statisticvalue",
       # The Council's meetings, their agenda and decisions, which the secretariat records.
       "view_councilmeeting", "add_councilmeeting", "change_councilmeeting",
       "view_agendaitem", "add_agendaitem", "change_agendaitem", "delete_agendaitem"],
    # Evaluators (outside experts) see the results assigned to them and score them; nothing
    # else of the site (tracker.evaluation.services.is_evaluator keeps them off the progress pages).
    EVALUATORS: ["view_assignment", "add_score"],
}


def sync_roles(*, apps=global_apps, using=DEFAULT_DB_ALIAS):
    """Make each role's group if it is missing and give it exactly the permissions of ROLES,
    taking away any others. Running it again changes nothing. The permissions must exist already
    (Django makes them on post_migrate, before this runs); a missing one is an error, not a role
    quietly left without it."""
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    if not router.allow_migrate_model(using, Group):
        return
    wanted = {codename for codenames in ROLES.values() for codename in codenames}
    permissions = {
        permission.codename: permission
        for permission in Permission.objects.using(using).filter(
            content_type__app_label="tracker", codename__in=wanted
        )
    }
    for name, codenames in ROLES.items():
        missing = sorted(set(codenames) - permissions.keys())
        if missing:
            raise RuntimeError(
                f"The role {name!r} needs tracker permissions that do not exist: "
                f"{', '.join(missing)}. Are all of tracker's migrations applied?"
            )
    with transaction.atomic(using=using):
        for name, codenames in ROLES.items():
            group, _ = Group.objects.using(using).get_or_create(name=name)
            group.permissions.set([permissions[codename] for codename in codenames])


def sync_roles_after_migrate(sender, *, using=DEFAULT_DB_ALIAS, apps=global_apps, **kwargs):
    """The post_migrate receiver, for the tracker app only. Django's own receiver that makes the
    tracker permissions (auth's create_permissions) was connected earlier, in auth's ready(), so
    it runs first. ``apps`` is the migrated state after ``migrate``, the live registry after
    ``flush``."""
    sync_roles(apps=apps, using=using)
