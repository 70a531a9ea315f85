from django.urls import path

from apikeys import bank_changes, views
from apikeys.policy import views as policy_views
from apikeys.technical import views as technical_views

app_name = "apikeys"
urlpatterns = [
    path("", views.administration, name="administration"),
    path("users/", views.user_management, name="user_management"),
    path("users/<int:user_id>/reset-factor/", views.factor_reset, name="factor_reset"),
    path("users/<int:user_id>/unlock/", views.user_unlock, name="user_unlock"),
    path("users/<int:user_id>/confirm-admin/", views.onboarded_admin_confirm_view, name="onboarded_admin_confirm"),
    path(
        "users/bank-changes/<int:bank_change_id>/confirm/",
        bank_changes.bank_change_confirm_view,
        name="bank_change_confirm",
    ),
    path(
        "users/bank-changes/<int:bank_change_id>/refuse/",
        bank_changes.bank_change_refuse_view,
        name="bank_change_refuse",
    ),
    path("users/technical/new/", technical_views.technical_user_create, name="technical_user_create"),
    path("users/technical/<int:user_id>/", technical_views.technical_user_change, name="technical_user_change"),
    path(
        "users/technical/<int:user_id>/deactivate/",
        technical_views.technical_user_deactivate,
        name="technical_user_deactivate",
    ),
    path("activity/", views.activity, name="activity"),
    path("credential-report/", views.credential_report, name="credential_report"),
    path("api-keys/", views.key_list, name="list"),
    path("api-keys/new/", views.key_create, name="create"),
    path("api-keys/delete-selected/", views.key_bulk_delete, name="bulk_delete"),
    path("api-keys/<str:key_id>/", views.key_detail, name="detail"),
    path("api-keys/<str:key_id>/delete/", views.key_delete, name="delete"),
    path("api-keys/<str:key_id>/replace/", views.key_replace, name="replace"),
    # The contract's security policy.
    path("security-policy/", policy_views.security_policy, name="security_policy"),
    path("security-policy/suspend/", policy_views.keys_suspend, name="keys_suspend"),
    path("security-policy/resume/", policy_views.keys_resume, name="keys_resume"),
    path("security-policy/changes/<int:change_id>/approve/", policy_views.change_approve, name="change_approve"),
    path("security-policy/changes/<int:change_id>/reject/", policy_views.change_reject, name="change_reject"),
    path("api-keys/<str:key_id>/networks/", policy_views.key_networks, name="key_networks"),
    path("api-keys/<str:key_id>/approve/", policy_views.key_approve, name="key_approve"),
    path("api-keys/<str:key_id>/reject/", policy_views.key_reject, name="key_reject"),
]
