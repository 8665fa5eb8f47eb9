from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("", views.OverviewView.as_view(), name="overview"),
    path("profile/", views.ProfileEditView.as_view(), name="profile"),
    path("my-data/", views.DataExportView.as_view(), name="data_export"),
    path("delete/", views.DeleteAccountView.as_view(), name="delete"),
    path(
        "verification/send-again/",
        views.ResendVerificationView.as_view(),
        name="resend_verification",
    ),
]
