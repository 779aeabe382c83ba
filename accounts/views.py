"""The sign-up, code sign-in, password reset, 我的数据 and closing pages (under /account/).

Each code page has two steps on one URL: the number (a code is texted to it), then the code and
what else the step needs. The number waits in the session between the two."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login, logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts import codes, services
from accounts.codes import CodeError
from accounts.export import personal_data
from accounts.models import Purpose
from accounts.services import PASSWORD_BACKEND, AccountError
from projects.models import Membership

SESSION_KEY = "accounts_code_phone"
STAFF_PENDING = "accounts_staff_pending"


def _phone_in_session(request: HttpRequest, purpose: str) -> str:
    return str(request.session.get(f"{SESSION_KEY}:{purpose}", ""))


def _remember_phone(request: HttpRequest, purpose: str, phone: str) -> None:
    request.session[f"{SESSION_KEY}:{purpose}"] = phone


def _forget_phone(request: HttpRequest, purpose: str) -> None:
    request.session.pop(f"{SESSION_KEY}:{purpose}", None)


def _safe_next(request: HttpRequest, value: str) -> str:
    if value and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return ""


def _community_slug(request: HttpRequest) -> str:
    slug = (request.POST.get("community") or request.GET.get("community") or "").strip()
    from projects.models import Community

    return slug if slug and Community.objects.filter(slug=slug).exists() else ""


def after_signup_url(community: str, user: Any) -> str:
    """Where a new person goes: the home page when the household register already made them a
    resident, else declaring where they live (``residents:declare``) for the clerk to verify."""
    if Membership.objects.residents().filter(user_id=user.pk).exists():
        return reverse("home")
    url = reverse("residents:declare")
    return f"{url}?community={community}" if community else url


def _send(request: HttpRequest, purpose: str, phone: str) -> str | None:
    """Send a code; the translated refusal, or None when it went."""
    try:
        number = services.code_send(phone=phone, purpose=purpose, request=request)
    except ValidationError as e:
        return " ".join(e.messages)
    except (AccountError, CodeError) as e:
        return str(e)
    _remember_phone(request, purpose, number)
    return None


def _code_page(
    request: HttpRequest, purpose: str, template: str, extra: dict[str, Any] | None = None
) -> HttpResponse:
    """The shared two-step flow; ``extra['complete']`` finishes step two and returns a response
    (or raises AccountError/CodeError to show on the page)."""
    extra = dict(extra or {})
    complete = extra.pop("complete")
    error = ""
    status = 200
    phone = _phone_in_session(request, purpose)
    if request.method == "GET" and request.GET.get("restart"):
        _forget_phone(request, purpose)
        phone = ""
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "send":
            error = _send(request, purpose, request.POST.get("phone", "")) or ""
            if not error:
                messages.success(request, _("验证码已发送，5 分钟内有效"))
                return redirect(request.get_full_path())
            status = 400
        elif action == "resend" and phone:
            error = _send(request, purpose, phone) or ""
            if not error:
                messages.success(request, _("验证码已重新发送"))
                return redirect(request.get_full_path())
            status = 429
        elif action == "verify" and phone:
            try:
                return complete(request, phone)  # type: ignore[no-any-return,unused-ignore]
            except (AccountError, CodeError) as e:
                error = str(e)
                status = 400
        else:
            error = _("请先输入手机号获取验证码")
            status = 400
    from accounts.privacy import mask_phone

    context = {
        "purpose": purpose,
        "phone": phone,
        "phone_masked": mask_phone(phone),
        "error": error,
        "resend_in": codes.seconds_until_resend(phone) if phone else 0,
        "posted": request.POST if request.method == "POST" else {},
        "community": _community_slug(request),
        "next": _safe_next(request, request.POST.get("next") or request.GET.get("next", "")),
        **extra,
    }
    return render(request, template, context, status=status)


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("home")

    def complete(request: HttpRequest, phone: str) -> HttpResponse:
        community = _community_slug(request)
        user = services.account_signup(
            phone=phone,
            code=request.POST.get("code", ""),
            display_name=request.POST.get("name", ""),
            password=request.POST.get("password", ""),
            community=community,
        )
        _forget_phone(request, Purpose.SIGNUP)
        login(request, user, backend=PASSWORD_BACKEND)
        messages.success(request, _("注册成功，欢迎加入议事"))
        return HttpResponseRedirect(after_signup_url(community, user))

    from projects.models import Community

    slug = _community_slug(request)
    community = Community.objects.filter(slug=slug).first() if slug else None
    return _code_page(
        request,
        Purpose.SIGNUP,
        "accounts/signup.html",
        {"complete": complete, "community_obj": community},
    )


@require_http_methods(["GET", "POST"])
def signin(request: HttpRequest) -> HttpResponse:
    def complete(request: HttpRequest, phone: str) -> HttpResponse:
        user = services.account_signin_by_code(phone=phone, code=request.POST.get("code", ""))
        _forget_phone(request, Purpose.SIGNIN)
        login(request, user, backend=PASSWORD_BACKEND)
        target = _safe_next(request, request.POST.get("next", "")) or reverse("home")
        return HttpResponseRedirect(target)

    return _code_page(request, Purpose.SIGNIN, "accounts/signin.html", {"complete": complete})


@require_http_methods(["GET", "POST"])
def reset(request: HttpRequest) -> HttpResponse:
    def complete(request: HttpRequest, phone: str) -> HttpResponse:
        services.account_reset_password(
            phone=phone,
            code=request.POST.get("code", ""),
            password=request.POST.get("password", ""),
        )
        _forget_phone(request, Purpose.RESET)
        messages.success(request, _("密码已重设，请用新密码登录"))
        return redirect("login")

    return _code_page(request, Purpose.RESET, "accounts/reset.html", {"complete": complete})


# --- staff: a code after the password ----------------------------------------------------------
class PasswordLoginView(LoginView):
    """Django's password sign-in (axes counts its failures), with one more step for staff when
    ``YISHI_STAFF_SIGNIN_CODE`` is on: the password is right, then a code texted to them."""

    def form_valid(self, form: Any) -> HttpResponse:
        user = form.get_user()
        if not getattr(settings, "YISHI_STAFF_SIGNIN_CODE", False) or not (
            services.holds_staff_role(user)
        ):
            return super().form_valid(form)
        phone = getattr(getattr(user, "phone", None), "number", "")
        if not phone:
            messages.error(
                self.request, _("工作人员账号需要验证码登录，但未绑定手机号，请联系管理员")
            )
            return self.form_invalid(form)
        try:
            services.code_send_to(phone=phone, purpose=Purpose.SIGNIN, request=self.request)
        except codes.TooSoon:
            pass  # the code sent a moment ago is still good
        except CodeError as e:
            messages.error(self.request, str(e))
            return self.form_invalid(form)
        self.request.session[STAFF_PENDING] = {
            "user": user.pk,
            "backend": getattr(user, "backend", PASSWORD_BACKEND),
            "next": self.get_success_url(),
        }
        return redirect("accounts:staff-code")


def _staff_send(request: HttpRequest, phone: str) -> str:
    try:
        services.code_send_to(phone=phone, purpose=Purpose.SIGNIN, request=request)
    except CodeError as e:
        return str(e)
    return ""


@require_http_methods(["GET", "POST"])
def staff_code(request: HttpRequest) -> HttpResponse:
    pending: dict[str, Any] = request.session.get(STAFF_PENDING) or {}
    user = None
    if pending:
        user = get_user_model().objects.filter(pk=pending["user"], is_active=True).first()
    phone = getattr(getattr(user, "phone", None), "number", "") if user else ""
    if user is None or not phone:
        request.session.pop(STAFF_PENDING, None)
        return redirect("login")
    error = ""
    if request.method == "POST":
        if request.POST.get("action") == "resend":
            error = _staff_send(request, phone)
        else:
            try:
                codes.check(phone=phone, purpose=Purpose.SIGNIN, code=request.POST.get("code", ""))
            except CodeError as e:
                error = str(e)
            else:
                request.session.pop(STAFF_PENDING, None)
                login(request, user, backend=pending["backend"])
                return HttpResponseRedirect(_safe_next(request, pending["next"]) or "/")
    from accounts.privacy import mask_phone

    return render(
        request,
        "accounts/staff_code.html",
        {
            "phone_masked": mask_phone(phone),
            "error": error,
            "resend_in": codes.seconds_until_resend(phone),
        },
        status=400 if error else 200,
    )


# --- 我的数据 and closing the account -----------------------------------------------------------
@login_required
def my_data(request: HttpRequest) -> HttpResponse:
    data = personal_data(request.user)
    return render(request, "accounts/my_data.html", {"data": data})


@login_required
def my_data_download(request: HttpRequest) -> HttpResponse:
    data = personal_data(request.user)
    body = json.dumps(data, ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="yishi-my-data.json"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def close_account(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    phone = getattr(getattr(user, "phone", None), "number", "")
    error = ""
    status = 200
    if request.method == "POST":
        if request.POST.get("action") == "send" and phone:
            try:
                services.code_send_to(phone=phone, purpose=Purpose.CLOSE, request=request)
            except CodeError as e:
                error, status = str(e), 429
            else:
                messages.success(request, _("验证码已发送，5 分钟内有效"))
                return redirect("accounts:close")
        else:
            try:
                services.confirm_closure(
                    user=user,
                    password=request.POST.get("password", ""),
                    code=request.POST.get("code", ""),
                )
            except (AccountError, CodeError) as e:
                error, status = str(e), 400
            else:
                services.account_close(user=user)
                logout(request)
                messages.success(request, _("账号已注销，您的个人信息已删除"))
                return redirect("home")
    return render(
        request,
        "accounts/close.html",
        {
            "has_phone": bool(phone),
            "has_password": user.has_usable_password(),
            "error": error,
            "resend_in": codes.seconds_until_resend(phone) if phone else 0,
        },
        status=status,
    )
