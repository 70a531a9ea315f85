from django.contrib.auth import views as auth_views
from django.urls import path

from users.factors import login
from users.factors import views as factors
from users.views import SetPasswordView, unlock, unlock_link

app_name = "users"
urlpatterns = [
    path("login/", login.TwoStepLoginView.as_view(), name="login"),
    path("login/code/", login.login_factor, name="login_factor"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("security/", factors.security, name="security"),
    path("security/authenticator/", factors.totp_enrol, name="totp_enrol"),
    path("security/authenticator/remove/", factors.totp_remove, name="totp_remove"),
    path("security/passkeys/new/", factors.passkey_add, name="passkey_add"),
    path("security/passkeys/<int:passkey_id>/remove/", factors.passkey_remove, name="passkey_remove"),
    path("security/recovery-codes/", factors.recovery_codes_new, name="recovery_codes_new"),
    # The link of the e-mail «Your login is locked» (users.limits): it lifts the account's lock once.
    path("unlock/<uidb64>/<token>/", unlock_link, name="unlock_link"),
    path("unlock/", unlock, name="unlock"),
    path("security/logout-everywhere/", factors.logout_everywhere, name="logout_everywhere"),
    # The link of the e-mail that support sends (users.services.send_set_password_link).
    path("set-password/<uidb64>/<token>/", SetPasswordView.as_view(), name="set_password"),
    path(
        "set-password/done/",
        auth_views.PasswordResetCompleteView.as_view(template_name="registration/set_password_done.html"),
        name="set_password_done",
    ),
]
