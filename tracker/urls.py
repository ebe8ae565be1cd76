from django.urls import path

from tracker.api import tokens
from tracker.evaluation import views as evaluation
from tracker.follow_up import views as follow_up
from tracker.overview import views as overview
from tracker.publishing import open_data_views as open_data
from tracker.publishing import views as publishing

app_name = "tracker"

urlpatterns = [
    path("", overview.DashboardView.as_view(), name="dashboard"),
    path("start/", overview.start, name="start"),
    path("my-work/", overview.MyWorkView.as_view(), name="my_work"),
    path("plans/", overview.YearsView.as_view(), name="years"),
    path("plans/<int:year>/", overview.DashboardView.as_view(), name="plan"),
    path("plans/<int:year>/tasks/", overview.TaskListView.as_view(), name="task_list"),
    path("plans/<int:year>/tasks/export.csv", overview.TaskExportView.as_view(format="csv"),
         name="task_export_csv"),
    path("plans/<int:year>/tasks/export.xlsx", overview.TaskExportView.as_view(format="xlsx"),
         name="task_export_xlsx"),
    path("plans/<int:year>/tasks/<int:number>/", overview.TaskDetailView.as_view(),
         name="task_detail"),
    path("plans/<int:year>/evaluation/", evaluation.EvaluationView.as_view(), name="evaluation"),
    path("plans/<int:year>/evaluation/results.csv",
         evaluation.EvaluationExportView.as_view(what="results"), name="evaluation_results_csv"),
    path("plans/<int:year>/evaluation/results.xlsx",
         evaluation.EvaluationExportView.as_view(what="workbook"), name="evaluation_results_xlsx"),
    path("plans/<int:year>/evaluation/indicators.csv",
         evaluation.EvaluationExportView.as_view(what="indicators"),
         name="evaluation_indicators_csv"),
    path("plans/<int:year>/evaluation/grades.csv",
         evaluation.EvaluationExportView.as_view(what="grades"), name="evaluation_grades_csv"),
    path("plans/<int:year>/budget-advice/", follow_up.BudgetAdviceView.as_view(),
         name="budget_advice"),
    path("plans/<int:year>/budget-advice.xlsx", follow_up.BudgetAdviceExportView.as_view(),
         name="budget_advice_xlsx"),
    path("plans/<int:year>/annual-report/", publishing.AnnualReportView.as_view(),
         name="annual_report"),
    path("plans/<int:year>/annual-report/generate/", publishing.GenerateView.as_view(),
         name="annual_report_generate"),
    path("plans/<int:year>/annual-report/sent/", publishing.MarkSentView.as_view(),
         name="annual_report_sent"),
    path("plans/<int:year>/annual-report/files/<slug:slug>/",
         publishing.DownloadView.as_view(), name="annual_report_download"),
    path("agencies/", overview.AgencyListView.as_view(), name="agency_list"),
    path("agencies/<slug:slug>/", overview.AgencyDetailView.as_view(), name="agency_detail"),
    path("technologies/", overview.TechnologyListView.as_view(), name="technology_list"),
    path("technologies/<slug:slug>/", overview.TechnologyDetailView.as_view(),
         name="technology_detail"),
    path("evidence/<int:pk>/", evaluation.evidence_download, name="evidence_download"),
    path("account/api-tokens/", tokens.TokensView.as_view(), name="api_tokens"),
    path("open-data/", open_data.OpenDataView.as_view(), name="open_data"),
    path("open-data/<int:year>/<slug:data_set>.csv", open_data.OpenDataFile.as_view(format="csv"),
         name="open_data_csv"),
    path("open-data/<int:year>/<slug:data_set>.json",
         open_data.OpenDataFile.as_view(format="json"), name="open_data_json"),
]
