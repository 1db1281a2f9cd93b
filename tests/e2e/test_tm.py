"""End to end: siprouter as a stateful proxy (tm) between SIPp UACs and UASs.

Each test starts siprouter with tm and a short wt_timer, runs short SIPp
scenarios over real sockets, stops the server and checks that tm's
transaction table was empty at shutdown (tm logs
``tm: shutdown ... table_size=N``).

Scenarios not shipped in tests/e2e/sipp are written into the test's temp dir.
"""
from __future__ import annotations

import re
import time

import pytest

pytestmark = pytest.mark.sipp

TM_PARAMS = {"wt_timer": 200}


def script(failure: str = "") -> str:
    return f"""\
request_route {{
    if (method == "CANCEL") {{
        if (t_check_trans()) {{ t_relay(); }}
        exit;
    }}
    if (method != "ACK") {{
        t_check_trans();
    }}
    t_on_failure("NEXT");
    if (!t_relay()) {{
        sl_send_reply("500", "relay failed");
    }}
    exit;
}}

failure_route[NEXT] {{
    if (t_is_canceled()) {{ exit; }}
    {failure}
}}
"""


HDR = '<?xml version="1.0" encoding="ISO-8859-1" ?>\n<!DOCTYPE scenario SYSTEM "sipp.dtd">\n'

INVITE = """
  <send retrans="500">
    <![CDATA[

      INVITE sip:[service]@[remote_ip]:[remote_port];transport=[transport] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:caller@[local_ip]:[local_port]>;tag=c[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:caller@[local_ip]:[local_port];transport=[transport]>
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
"""

ACK_NEG = """
  <send>
    <![CDATA[

      ACK sip:[service]@[remote_ip]:[remote_port];transport=[transport] SIP/2.0
      [last_Via:]
      From: <sip:caller@[local_ip]:[local_port]>;tag=c[call_number]
      [last_To:]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
"""


def uac_final(code: int) -> str:
    """UAC: INVITE, optional 100/180, final ``code``, ACK."""
    return (HDR + '<scenario name="tm-uac-final">' + INVITE +
            '  <recv response="100" optional="true"/>\n'
            '  <recv response="180" optional="true"/>\n'
            f'  <recv response="{code}"/>\n' + ACK_NEG +
            '  <timewait milliseconds="300"/>\n</scenario>\n')


UAC_CANCEL = HDR + '<scenario name="tm-uac-cancel">' + INVITE + """
  <recv response="100" optional="true"/>
  <recv response="180"/>
  <send retrans="500">
    <![CDATA[

      CANCEL sip:[service]@[remote_ip]:[remote_port];transport=[transport] SIP/2.0
      [last_Via:]
      From: <sip:caller@[local_ip]:[local_port]>;tag=c[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 CANCEL
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <recv response="200"/>
  <recv response="487"/>
""" + ACK_NEG + '  <timewait milliseconds="300"/>\n</scenario>\n'


def uas_wait_cancel(provisional: str) -> str:
    """UAS: INVITE, a provisional, then CANCEL → 200 and 487 (with the INVITE's Vias), ACK."""
    return HDR + f"""<scenario name="tm-uas-cancel">
  <recv request="INVITE" crlf="true">
    <action>
      <ereg regexp="Via:[^\\r\\n]*\\r\\nVia:[^\\r\\n]*" search_in="msg" check_it="true" assign_to="vias"/>
    </action>
  </recv>
  <send>
    <![CDATA[

      SIP/2.0 {provisional}
      [last_Via:]
      [last_From:]
      [last_To:];tag=u[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:callee@[local_ip]:[local_port];transport=[transport]>
      Content-Length: 0

    ]]>
  </send>
  <recv request="CANCEL"/>
  <send>
    <![CDATA[

      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:];tag=u[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]>
  </send>
  <send retrans="500">
    <![CDATA[

      SIP/2.0 487 Request Terminated
      [$vias]
      [last_From:]
      [last_To:];tag=u[call_number]
      [last_Call-ID:]
      CSeq: 1 INVITE
      Content-Length: 0

    ]]>
  </send>
  <recv request="ACK"/>
  <timewait milliseconds="300"/>
</scenario>
"""


UAS_486 = HDR + """<scenario name="tm-uas-486">
  <recv request="INVITE" crlf="true"/>
  <send retrans="500">
    <![CDATA[

      SIP/2.0 486 Busy Here
      [last_Via:]
      [last_From:]
      [last_To:];tag=u[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]>
  </send>
  <recv request="ACK"/>
  <timewait milliseconds="300"/>
</scenario>
"""


def write(tmp_path, name: str, text: str):
    p = tmp_path / name
    p.write_text(text)
    return p


def start(siprouter_server, failure: str = "", **tm):
    params = dict(TM_PARAMS, **tm)
    return siprouter_server(script(failure), loadmodule=("sl", "tm", "corex"),
                            core={"log_level": "info"}, modparam={"tm": params})


def assert_table_empty(srv, settle: float = 0.8) -> None:
    """Stop the server after the wait timers ran; tm must have had no transaction left."""
    time.sleep(settle)
    srv.stop()
    log = srv.log()
    m = re.search(r"tm: shutdown\s.*?table_size=(\d+)", log)
    assert m, f"no tm shutdown line in the server log:\n{log[-3000:]}"
    assert m.group(1) == "0", f"transactions left at shutdown:\n{log[-3000:]}"


@pytest.mark.parametrize("transport", ["u1", "t1"])
def test_basic_call(siprouter_server, sipp, sipp_uas, transport):
    srv = start(siprouter_server)
    uas = sipp_uas("uas.xml", transport=transport)
    res = sipp("uac.xml", f"127.0.0.1:{uas.port}", rsa=srv.target, calls=3, rate=10,
               transport=transport, timeout_s=10, service="callee")
    assert res.ok and res.successful == 3, f"{res}\n{srv.log()}"
    assert_table_empty(srv)


@pytest.mark.parametrize("transport", ["u1", "t1"])
def test_cancel_before_answer(siprouter_server, sipp, sipp_uas, tmp_path, transport):
    srv = start(siprouter_server)
    uas = sipp_uas(write(tmp_path, "uas_cancel.xml", uas_wait_cancel("180 Ringing")),
                   transport=transport)
    res = sipp(write(tmp_path, "uac_cancel.xml", UAC_CANCEL), f"127.0.0.1:{uas.port}",
               rsa=srv.target, calls=2, rate=5, timeout_s=10, service="callee",
               transport=transport)
    assert res.ok and res.successful == 2, f"{res}\n{srv.log()}"
    assert_table_empty(srv)


def test_no_answer_408_at_fr_timer(siprouter_server, sipp, e2e, tmp_path):
    srv = start(siprouter_server, fr_timer=1000)
    dead = e2e.free_port()           # nothing listens there
    t0 = time.monotonic()
    res = sipp(write(tmp_path, "uac_408.xml", uac_final(408)), f"127.0.0.1:{dead}",
               rsa=srv.target, calls=1, rate=1, timeout_s=8, service="nobody")
    assert res.ok and res.successful == 1, f"{res}\n{srv.log()}"
    assert time.monotonic() - t0 >= 1.0
    assert_table_empty(srv)


@pytest.mark.parametrize("transport", ["u1", "t1"])
def test_486_then_serial_fork_from_failure_route(siprouter_server, sipp, sipp_uas, tmp_path,
                                                 transport):
    busy = sipp_uas(write(tmp_path, "uas_486.xml", UAS_486), transport=transport)
    answer = sipp_uas("uas.xml", transport=transport)
    srv = start(siprouter_server,
                failure=f'if (t_check_status("486")) {{ t_relay("127.0.0.1", {answer.port}); }}')
    res = sipp("uac.xml", f"127.0.0.1:{busy.port}", rsa=srv.target, calls=2, rate=5,
               timeout_s=10, service="callee", transport=transport)
    assert res.ok and res.successful == 2, f"{res}\n{srv.log()}"
    assert_table_empty(srv)


def test_parallel_fork_one_answers_other_canceled(siprouter_server, sipp, sipp_uas, tmp_path):
    answer = sipp_uas("uas.xml")
    ringing = sipp_uas(write(tmp_path, "uas_cancel.xml", uas_wait_cancel("100 Trying")))
    srv = siprouter_server(
        script().replace('t_on_failure("NEXT");',
                         f'append_branch("sip:other@127.0.0.1:{ringing.port}");'),
        loadmodule=("sl", "tm", "corex"), core={"log_level": "info"}, modparam={"tm": TM_PARAMS})
    res = sipp("uac.xml", f"127.0.0.1:{answer.port}", rsa=srv.target, calls=2, rate=2,
               timeout_s=10, service="callee")
    assert res.ok and res.successful == 2, f"{res}\n{srv.log()}"
    time.sleep(1.0)
    assert ringing.proc.poll() is None or ringing.proc.returncode == 0
    assert_table_empty(srv)


def test_five_percent_loss_every_call_completes(siprouter_server, sipp, sipp_uas, e2e, tmp_path):
    srv = start(siprouter_server)
    # the shipped UAS with a longer timewait: a 200 for BYE lost on its way is
    # recovered by tm's BYE retransmission only while the UAS still knows the call
    uas_xml = (e2e.SIPP_DIR / "uas.xml").read_text().replace(
        '<timewait milliseconds="500"/>', '<timewait milliseconds="4000"/>')
    uas = sipp_uas(write(tmp_path, "uas_loss.xml", uas_xml), extra=["-lost", "5"], timeout_s=40)
    res = sipp("uac.xml", f"127.0.0.1:{uas.port}", rsa=srv.target, calls=20, rate=10,
               timeout_s=30, recv_timeout_ms=10000, service="callee", extra=["-lost", "5"])
    assert res.ok and res.successful == 20 and res.failed == 0, f"{res}\n{srv.log()}"
    # a lost ACK upstream keeps a transaction for Timer H; only pending ones count here
    time.sleep(1.0)
    srv.stop()
    m = re.search(r"tm: shutdown\s.*?answered_503=(\d+)", srv.log())
    assert m and m.group(1) == "0", srv.log()[-3000:]
