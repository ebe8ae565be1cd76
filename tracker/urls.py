from django.urls import path

from . import downloads, views

app_name = "tracker"

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("start/", views.start, name="start"),
    path("my-work/", views.MyWorkView.as_view(), name="my_work"),
    path("plans/", views.YearsView.as_view(), name="years"),
    path("plans/<int:year>/", views.DashboardView.as_view(), name="plan"),
    path("plans/<int:year>/tasks/", views.TaskListView.as_view(), name="task_list"),
    path("plans/<int:year>/tasks/export.csv", views.TaskExportView.as_view(format="csv"),
         name="task_export_csv"),
    path("plans/<int:year>/tasks/export.xlsx", views.TaskExportView.as_view(format="xlsx"),
         name="task_export_xlsx"),
    path("plans/<int:year>/tasks/<int:number>/", views.TaskDetailView.as_view(),
         name="task_detail"),
    path("plans/<int:year>/evaluation/", views.EvaluationView.as_view(), name="evaluation"),
    path("plans/<int:year>/evaluation/results.csv",
         views.EvaluationExportView.as_view(what="results"), name="evaluation_results_csv"),
    path("plans/<int:year>/evaluation/results.xlsx",
         views.EvaluationExportView.as_view(what="workbook"), name="evaluation_results_xlsx"),
    path("plans/<int:year>/evaluation/indicators.csv",
         views.EvaluationExportView.as_view(what="indicators"),
         name="evaluation_indicators_csv"),
    path("plans/<int:year>/evaluation/grades.csv",
         views.EvaluationExportView.as_view(what="grades"), name="evaluation_grades_csv"),
    path("agencies/", views.AgencyListView.as_view(), name="agency_list"),
    path("agencies/<slug:slug>/", views.AgencyDetailView.as_view(), name="agency_detail"),
    path("technologies/", views.TechnologyListView.as_view(), name="technology_list"),
    path("technologies/<slug:slug>/", views.TechnologyDetailView.as_view(),
         name="technology_detail"),
    path("evidence/<int:pk>/", downloads.evidence_download, name="evidence_download"),
]
