"""Money pages: the public statement (公示栏), the street view and fund admin for supervisors,
a project's ledger and the clerk's forms."""

from django.urls import path, re_path

from projects import money_views as v
from projects import rules_views, statement_views, ui_views

MONTH = r"(?P<month>\d{4}-\d{2})"

urlpatterns = [
    path("board/", ui_views.public_board, name="public-board"),
    path("settings/text-size/", ui_views.text_size, name="text-size"),
    path("rules/", rules_views.rules_index, name="rules-index"),
    path("communities/<slug:slug>/rules/", rules_views.community_rules, name="community-rules"),
    path(
        "communities/<slug:slug>/statements/",
        statement_views.statement_index,
        name="money-statements",
    ),
    re_path(
        rf"^communities/(?P<slug>[-\w]+)/statements/{MONTH}\.(?P<fmt>csv)$",
        statement_views.statement_month,
        name="money-statement-csv",
    ),
    re_path(
        rf"^communities/(?P<slug>[-\w]+)/statements/{MONTH}/$",
        statement_views.statement_month,
        name="money-statement",
    ),
    path(
        "streets/<int:pk>/statements/",
        statement_views.street_statement,
        name="money-street-statements",
    ),
    re_path(
        rf"^streets/(?P<pk>\d+)/statements/{MONTH}\.(?P<fmt>csv)$",
        statement_views.street_statement,
        name="money-street-statement-csv",
    ),
    re_path(
        rf"^streets/(?P<pk>\d+)/statements/{MONTH}/$",
        statement_views.street_statement,
        name="money-street-statement",
    ),
    path("funds/", v.fund_list, name="money-funds"),
    path("funds/new/", v.fund_create, name="money-fund-create"),
    path("funds/<int:pk>/", v.fund_detail, name="money-fund"),
    path("funds/<int:pk>/appropriate/", v.fund_appropriate, name="money-fund-appropriate"),
    path("funds/<int:pk>/carry-over/", v.fund_carry_over, name="money-fund-carry-over"),
    path("projects/<int:pk>/money/", v.project_money, name="money-project"),
    path(
        "projects/<int:pk>/money/expenditures/new/", v.expenditure_new, name="money-expenditure-new"
    ),
    path("projects/<int:pk>/money/cofunding/new/", v.cofunding_new, name="money-cofunding-new"),
    path("ledger/<int:pk>/reverse/", v.entry_reverse, name="money-entry-reverse"),
]
