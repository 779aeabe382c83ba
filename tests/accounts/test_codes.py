"""The one-time codes' rules, with the clock moved by time-machine."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts import codes
from accounts.models import OneTimeCode, Purpose
from accounts.phones import normalize_phone

pytestmark = pytest.mark.django_db

PHONE = "+8613800138000"
IP = "203.0.113.9"


def send(phone: str = PHONE, purpose: str = Purpose.SIGNUP, ip: str = IP) -> str:
    return codes.issue(phone=phone, purpose=purpose, client_ip=ip).code


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("13800138000", "+8613800138000"),
        ("138 0013 8000", "+8613800138000"),
        ("+86 138-0013-8000", "+8613800138000"),
        ("008613800138000", "+8613800138000"),
        ("+852 6123 4567", "+85261234567"),
    ],
)
def test_numbers_are_stored_in_e164(typed: str, stored: str) -> None:
    assert normalize_phone(typed) == stored


@pytest.mark.parametrize(
    "typed", ["", "12345", "1380013800", "138001380001", "abc", "+86 10 6552 9988", "x" * 40]
)
def test_invalid_numbers_are_refused_with_a_clear_error(typed: str) -> None:
    with pytest.raises(ValidationError) as e:
        normalize_phone(typed)
    assert "手机号" in " ".join(e.value.messages)


def test_code_is_six_digits_and_stored_hashed() -> None:
    code = send()
    assert len(code) == 6 and code.isdigit()
    row = OneTimeCode.objects.get(phone=PHONE)
    assert code not in row.code_hash and len(row.code_hash) == 64


def test_right_code_is_accepted_once() -> None:
    code = send()
    codes.check(phone=PHONE, purpose=Purpose.SIGNUP, code=code)
    with pytest.raises(codes.BadCode):  # reuse
        codes.check(phone=PHONE, purpose=Purpose.SIGNUP, code=code)


def test_code_for_one_purpose_does_not_work_for_another() -> None:
    code = send(purpose=Purpose.SIGNUP)
    for other in (Purpose.SIGNIN, Purpose.RESET, Purpose.CLOSE):
        with pytest.raises(codes.BadCode):
            codes.check(phone=PHONE, purpose=other, code=code)
    codes.check(phone=PHONE, purpose=Purpose.SIGNUP, code=code)  # still good for its own


def test_code_for_one_number_does_not_work_for_another() -> None:
    code = send()
    with pytest.raises(codes.BadCode):
        codes.check(phone="+8613900139000", purpose=Purpose.SIGNUP, code=code)


def test_code_expires_after_five_minutes() -> None:
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        code = send()
        traveller.shift(timedelta(minutes=4, seconds=59))
        other = send(phone="+8613900139000")
        traveller.shift(timedelta(seconds=2))  # first code: 5:01 old
        with pytest.raises(codes.BadCode, match="过期"):
            codes.check(phone=PHONE, purpose=Purpose.SIGNUP, code=code)
        codes.check(phone="+8613900139000", purpose=Purpose.SIGNUP, code=other)


def test_five_wrong_tries_burn_the_code() -> None:
    code = send()
    wrong = "000000" if code != "000000" else "111111"
    for left in (4, 3, 2, 1):
        with pytest.raises(codes.BadCode, match=f"{left}"):
            codes.check(phone=PHONE, purpose=Purpose.SIGNUP, code=wrong)
    with pytest.raises(codes.BadCode, match="次数过多"):
        codes.check(phone=PHONE, purpose=Purpose.SIGNUP, code=wrong)
    with pytest.raises(codes.BadCode):  # the right code no longer works
        codes.check(phone=PHONE, purpose=Purpose.SIGNUP, code=code)


def test_four_wrong_tries_leave_the_code_good() -> None:
    code = send()
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(4):
        with pytest.raises(codes.BadCode):
            codes.check(phone=PHONE, purpose=Purpose.SIGNUP, code=wrong)
    codes.check(phone=PHONE, purpose=Purpose.SIGNUP, code=code)


def test_a_new_code_retires_the_old_one() -> None:
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        old = send()
        traveller.shift(timedelta(seconds=61))
        new = send()
    if old != new:
        with pytest.raises(codes.BadCode):
            codes.check(phone=PHONE, purpose=Purpose.SIGNUP, code=old)
    codes.check(phone=PHONE, purpose=Purpose.SIGNUP, code=new)


def test_one_code_per_number_per_minute_whatever_the_purpose() -> None:
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        send()
        traveller.shift(timedelta(seconds=30))
        with pytest.raises(codes.TooSoon) as e:
            send(purpose=Purpose.SIGNIN)
        assert e.value.retry_after == 30
        traveller.shift(timedelta(seconds=29))
        with pytest.raises(codes.TooSoon):
            send()
        traveller.shift(timedelta(seconds=1))
        send()  # 60 s after the first
    assert OneTimeCode.objects.filter(phone=PHONE).count() == 2


def test_at_most_ten_codes_per_number_per_day() -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        for i in range(10):
            send(ip=f"198.51.100.{i}")
            traveller.shift(timedelta(minutes=61))
        with pytest.raises(codes.TooMany, match="今天"):
            send(ip="198.51.100.200")
        # a day after the first, one more is allowed
        traveller.move_to(start + timedelta(days=1, seconds=1))
        send(ip="198.51.100.201")
        with pytest.raises(codes.TooMany):
            traveller.shift(timedelta(seconds=61))
            send(ip="198.51.100.202")


def test_at_most_ten_codes_per_address_per_hour() -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        for i in range(10):
            send(phone=f"+86138001380{i:02d}")
            traveller.shift(timedelta(minutes=5))
        with pytest.raises(codes.TooMany, match="网络"):
            send(phone="+8613800138099")
        send(phone="+8613800138099", ip="198.51.100.7")  # another address is not held back
        traveller.move_to(start + timedelta(hours=1, seconds=1))
        send(phone="+8613800138098")  # the first one has left the hour


def test_refused_sends_store_nothing() -> None:
    send()
    with pytest.raises(codes.TooSoon):
        send()
    assert OneTimeCode.objects.count() == 1


def test_spaces_in_a_typed_code_are_ignored() -> None:
    code = send()
    codes.check(phone=PHONE, purpose=Purpose.SIGNUP, code=f" {code[:3]} {code[3:]} ")
