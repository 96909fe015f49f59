"""Access tokens: pinned algorithm, audience, issuer, expiry."""

import datetime as dt
import time

import jwt
import pytest

from core import clock
from tests.helpers import assert_problem, bearer

ME = "/api/citizen/me"
SECRET = "test-jwt-secret-that-is-long-enough-0123456789"


def _claims(**overrides):
    now = int(time.time())
    claims = {
        "sub": "c_0123456789abcdef",
        "role": "citizen",
        "aud": "citizen",
        "iss": "cityops",
        "iat": now,
        "exp": now + 600,
        "jti": "abc",
    }
    claims.update(overrides)
    return claims


async def test_missing_token(api):
    assert_problem(await api.get(ME), 401, "auth.required")


async def test_not_a_bearer_header(api):
    assert_problem(
        await api.get(ME, headers={"Authorization": "Basic Zm9vOmJhcg=="}), 401, "auth.required"
    )


async def test_garbage_token(api):
    assert_problem(await api.get(ME, headers=bearer("not.a.jwt")), 401, "auth.invalid_token")


async def test_alg_none_is_refused(api):
    citizen = await api.citizen()
    token = jwt.encode(_claims(), key=None, algorithm="none")
    assert_problem(await api.get(ME, headers=bearer(token)), 401, "auth.invalid_token")
    assert (await api.get(ME, headers=citizen.headers)).status_code == 200


async def test_token_signed_with_another_key(api):
    token = jwt.encode(_claims(), "another-secret-another-secret-another", algorithm="HS256")
    assert_problem(await api.get(ME, headers=bearer(token)), 401, "auth.invalid_token")


async def test_other_algorithm_with_the_same_secret_is_refused(api):
    token = jwt.encode(_claims(), SECRET, algorithm="HS512")
    assert_problem(await api.get(ME, headers=bearer(token)), 401, "auth.invalid_token")


async def test_tampered_payload(api):
    citizen = await api.citizen()
    header, payload, signature = citizen.access.split(".")
    forged = jwt.utils.base64url_encode(
        jwt.utils.base64url_decode(payload).replace(b'"role":"citizen"', b'"role":"admin"')
    ).decode()
    assert_problem(
        await api.get(ME, headers=bearer(f"{header}.{forged}.{signature}")),
        401,
        "auth.invalid_token",
    )


async def test_expired_token(api):
    citizen = await api.citizen()
    clock.travel(dt.timedelta(minutes=16))
    assert_problem(await api.get(ME, headers=citizen.headers), 401, "auth.token_expired")


async def test_wrong_issuer(api):
    token = jwt.encode(_claims(iss="someone-else"), SECRET, algorithm="HS256")
    assert_problem(await api.get(ME, headers=bearer(token)), 401, "auth.invalid_token")


@pytest.mark.parametrize("claim", ["exp", "jti", "aud", "sub"])
async def test_missing_required_claim(api, claim):
    claims = _claims()
    del claims[claim]
    token = jwt.encode(claims, SECRET, algorithm="HS256")
    assert_problem(await api.get(ME, headers=bearer(token)), 401, "auth.invalid_token")


async def test_citizen_token_is_refused_by_the_staff_app(api):
    citizen = await api.citizen()
    assert_problem(
        await api.get("/api/inspector/me", headers=citizen.headers), 403, "auth.wrong_audience"
    )


async def test_staff_token_is_refused_by_the_citizen_app(api):
    staff = await api.staff("inspector")
    assert_problem(await api.get(ME, headers=staff.headers), 403, "auth.wrong_audience")


def test_es256_keys_sign_and_verify(tmp_path, monkeypatch):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    from accounts import tokens
    from core import settings as settings_module

    key = ec.generate_private_key(ec.SECP256R1())
    private = tmp_path / "jwt.pem"
    public = tmp_path / "jwt.pub"
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    monkeypatch.setenv("CITYOPS_JWT_ALGORITHM", "ES256")
    monkeypatch.setenv("CITYOPS_JWT_PRIVATE_KEY_FILE", str(private))
    monkeypatch.setenv("CITYOPS_JWT_PUBLIC_KEY_FILE", str(public))
    settings_module.reload_settings()
    try:
        subject = "s_0123456789abcdef"
        token, _ = tokens.issue_access_token(subject=subject, role="admin", audience="staff")
        assert jwt.get_unverified_header(token)["alg"] == "ES256"
        assert tokens.decode_access_token(token, audience="staff").sub == subject
        hs_token = jwt.encode(_claims(aud="staff"), SECRET, algorithm="HS256")
        with pytest.raises(Exception) as refused:
            tokens.decode_access_token(hs_token, audience="staff")
        assert getattr(refused.value, "code", "") == "auth.invalid_token"
    finally:
        monkeypatch.undo()
        settings_module.reload_settings()


def _resigned(token: str, **changes) -> str:
    claims = jwt.decode(token, options={"verify_signature": False})
    claims.update(changes)
    return jwt.encode(claims, SECRET, algorithm="HS256")


async def test_a_token_not_valid_yet_is_refused(api):
    citizen = await api.citizen()
    now = int(clock.now().timestamp())
    assert (
        await api.get(ME, headers=bearer(_resigned(citizen.access, nbf=now)))
    ).status_code == 200
    early = _resigned(citizen.access, nbf=now + 3600)
    assert_problem(await api.get(ME, headers=bearer(early)), 401, "auth.invalid_token")
    odd = _resigned(citizen.access, nbf="soon")
    assert_problem(await api.get(ME, headers=bearer(odd)), 401, "auth.invalid_token")


@pytest.mark.parametrize("subject", ["1", "abc", "", "c_short", "s_0123456789ABCDEF", 7, None, []])
async def test_a_subject_that_is_no_public_id_is_refused(api, subject):
    """A well-signed token naming its holder by anything but a public id (an internal
    number, as tokens did before, or garbage) is a 401, never a 500."""
    citizen = await api.citizen()
    forged = _resigned(citizen.access, sub=subject)
    assert_problem(await api.get(ME, headers=bearer(forged)), 401, "auth.invalid_token")


async def test_a_subject_of_another_kind_or_nobody_is_refused(api):
    citizen, staff = await api.citizen(), await api.staff("admin")
    staff_subject = jwt.decode(staff.access, options={"verify_signature": False})["sub"]
    as_staff = _resigned(citizen.access, sub=staff_subject)  # a citizen token naming staff
    assert_problem(await api.get(ME, headers=bearer(as_staff)), 403, "auth.account_disabled")
    nobody = _resigned(citizen.access, sub="c_0000000000000000")
    assert_problem(await api.get(ME, headers=bearer(nobody)), 403, "auth.account_disabled")
