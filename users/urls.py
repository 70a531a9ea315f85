from django.contrib.auth import views as auth_views
from django.urls import path

from users.forms import LoginForm
from users.views import SetPasswordView

app_name = "users"
urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True, authentication_form=LoginForm),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # The link of the e-mail that support sends (users.services.send_set_password_link).
    path("set-password/<uidb64>/<token>/", SetPasswordView.as_view(), name="set_password"),
    path(
        "set-password/done/",
        auth_views.PasswordResetCompleteView.as_view(template_name="registration/set_password_done.html"),
        name="set_password_done",
    ),
]
