"""RFC 4475 REGISTER torture messages at the registrar (see tests/data/rfc4475/manifest.tsv)."""
from __future__ import annotations

from pathlib import Path

import pytest

import siprouter.modules.registrar as reg
from reg_fakes import ctx_for, request, with_rcv
from siprouter.core.sip import parse_message

CORPUS = Path(__file__).resolve().parents[2] / "data" / "rfc4475" / "messages"

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="RFC 4475 corpus not available")


def save_file(env, name):
    msg = with_rcv(parse_message((CORPUS / f"{name}.dat").read_bytes()))
    return reg.w_save(ctx_for(msg, env), "location")


def contacts(env, aor):
    return [c.uri for c in env.ul.get_table("location").get_contacts(aor)]


def test_unksm2_non_sip_to_gets_400(start_registrar):
    env = start_registrar()
    assert save_file(env, "unksm2") == -1
    assert env.sent[-1].status == 400
    assert env.ul.get_table("location").aors() == []


def test_regaut01_unknown_auth_scheme_is_processed(start_registrar):
    env = start_registrar()
    assert save_file(env, "regaut01") == 4  # no Contact: bindings listed, none changed
    assert env.sent[-1].status == 200


def test_cparam01_unknown_contact_param_stays_off_the_uri(start_registrar):
    env = start_registrar()
    assert save_file(env, "cparam01") == 1
    assert contacts(env, "watson") == ["sip:+19725552222@gw1.example.net"]
    assert env.sent[-1].get("Contact") == "<sip:+19725552222@gw1.example.net>;expires=3600"


def test_cparam02_uri_param_stays_in_the_uri(start_registrar):
    env = start_registrar()
    assert save_file(env, "cparam02") == 1
    assert contacts(env, "watson") == ["sip:+19725552222@gw1.example.net;unknownparam"]
    # and a later lookup fetches it unchanged
    msg = request(ruri="sip:watson@example.com")
    assert reg.w_lookup(ctx_for(msg, env), "location") == 1
    assert str(msg.uri) == "sip:+19725552222@gw1.example.net;unknownparam"


def test_regescrt_escaped_header_kept_in_binding(start_registrar):
    env = start_registrar()
    assert save_file(env, "regescrt") == 1
    assert contacts(env, "user") == ["sip:user@example.com?Route=%3Csip:sip.example.com%3E"]
    assert env.sent[-1].get("Contact") == (
        "<sip:user@example.com?Route=%3Csip:sip.example.com%3E>;expires=3600")
