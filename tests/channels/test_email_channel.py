"""The e-mail channel against a real aiosmtpd server on loopback."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from fakes.smtp_server import SmtpServer, free_port

from pcmd_workflow.channels import EmailChannel, Outcome, OutgoingMessage, Reason
from pcmd_workflow.errors import ConfigError

RECIPIENT = "vanthu.soyte@hanoi.gov.vn"
SUBJECT = "Nhắc hạn: Báo cáo công tác phòng, chống mại dâm 6 tháng đầu năm 2024"
BODY = (
    "Kính gửi Sở Y tế,\n\n"
    "Hạn nộp báo cáo là ngày 17 tháng 6 năm 2024 (16/06/2024 là Chủ nhật).\n"
    "Trân trọng."
)
HTML = "<p>Kính gửi <b>Sở Y tế</b>,</p><p>Hạn nộp báo cáo là ngày 17 tháng 6 năm 2024.</p>"


def our_log(caplog: pytest.LogCaptureFixture) -> str:
    """Everything pcmd and its libraries logged (the peer SMTP server logs as ``mail.log``)."""
    return "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("mail."))


def message(recipient: str = RECIPIENT, *, html: str | None = None) -> OutgoingMessage:
    return OutgoingMessage(
        channel="email",
        recipient=recipient,
        subject=SUBJECT,
        body=BODY,
        html=html,
        key="ha-noi-255-kh-ubnd-2021/v2-semiannual/so-y-te/2024-H1/T-2",
    )


def test_plain_text_mail_arrives_with_vietnamese_intact(smtp_server: SmtpServer) -> None:
    channel = EmailChannel(smtp_server.url())

    result = channel.send(message())

    assert (result.outcome, result.reason, result.channel) == (Outcome.ok, Reason.sent, "email")
    [envelope] = smtp_server.envelopes
    assert envelope.rcpt_tos == (RECIPIENT,)
    assert envelope.mail_from == "pcmd@ubnd.example.vn"
    mail = envelope.message
    assert mail["Subject"] == SUBJECT  # RFC 2047 encoded on the wire, decoded here
    assert mail["To"] == RECIPIENT
    assert mail["X-Pcmd-Notice"] == "ha-noi-255-kh-ubnd-2021/v2-semiannual/so-y-te/2024-H1/T-2"
    assert mail.get_content_type() == "text/plain"
    assert mail.get_content_charset() == "utf-8"
    assert mail.get_content().replace("\r\n", "\n").rstrip() == BODY


def test_html_mail_is_multipart_alternative(smtp_server: SmtpServer) -> None:
    channel = EmailChannel(smtp_server.url())

    assert channel.send(message(html=HTML)).ok

    mail = smtp_server.messages[0]
    assert mail.get_content_type() == "multipart/alternative"
    text_part = mail.get_body(preferencelist=("plain",))
    html_part = mail.get_body(preferencelist=("html",))
    assert text_part is not None and html_part is not None
    assert html_part.get_content().rstrip() == HTML
    assert "Kính gửi Sở Y tế" in text_part.get_content()
    assert "Hạn nộp báo cáo là ngày 17 tháng 6 năm 2024" in text_part.get_content()


def test_recipient_overrides_the_urls_to(smtp_server: SmtpServer) -> None:
    channel = EmailChannel(smtp_server.url(extra="&to=default@ubnd.example.vn"))

    assert channel.send(message()).ok

    assert [e.rcpt_tos for e in smtp_server.envelopes] == [(RECIPIENT,)]


def test_server_down_is_transient(smtp_server: SmtpServer) -> None:
    channel = EmailChannel(smtp_server.url())
    smtp_server.stop()

    result = channel.send(message())

    assert (result.outcome, result.reason, result.uncertain) == (
        Outcome.transient,
        Reason.connect,
        False,
    )
    assert "Connection refused" in result.detail


def test_silent_server_times_out_transient(silent_smtp_port: int) -> None:
    url = f"mailto://127.0.0.1:{silent_smtp_port}?from=pcmd@ubnd.example.vn&mode=insecure"
    channel = EmailChannel(url, timeout=0.5)

    result = channel.send(message())

    assert (result.outcome, result.reason) == (Outcome.transient, Reason.timeout)


def test_temporary_refusal_4xx_is_transient(smtp_server: SmtpServer) -> None:
    smtp_server.defer.add(RECIPIENT)
    channel = EmailChannel(smtp_server.url())

    result = channel.send(message())

    assert (result.outcome, result.provider_code) == (Outcome.transient, "451")
    assert smtp_server.envelopes == []


def test_recipient_rejected_5xx_is_permanent_and_masked(smtp_server: SmtpServer) -> None:
    smtp_server.reject.add(RECIPIENT)
    channel = EmailChannel(smtp_server.url())

    result = channel.send(message())

    assert (result.outcome, result.reason, result.provider_code) == (
        Outcome.permanent,
        Reason.rejected,
        "550",
    )
    assert RECIPIENT not in result.detail
    assert "va***@hanoi.gov.vn" in result.detail


def test_invalid_address_is_never_sent(smtp_server: SmtpServer) -> None:
    channel = EmailChannel(smtp_server.url())

    result = channel.send(message("Văn thư Sở Y tế"))

    assert (result.outcome, result.reason) == (Outcome.permanent, Reason.invalid_contact)
    assert smtp_server.envelopes == []


def test_login_refused_disables_and_hides_the_password(
    smtp_server: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    password = "Mk-SMTP-2024-very-secret"
    url = (
        f"mailto://pcmd:{password}@127.0.0.1:{smtp_server.port}"
        "?from=pcmd@ubnd.example.vn&mode=insecure"
    )
    caplog.set_level(logging.DEBUG)
    channel = EmailChannel(url)

    result = channel.send(message())

    assert (result.outcome, result.reason) == (Outcome.disabled, Reason.config)
    assert password not in result.detail
    assert password not in our_log(caplog)
    assert RECIPIENT not in our_log(caplog)  # Apprise's records name it; ours mask it
    assert password not in channel.url_for_logs
    assert smtp_server.envelopes == []


def test_apprise_records_of_a_send_stay_out_of_the_application_log(
    smtp_server: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    channel = EmailChannel(smtp_server.url())

    assert channel.send(message()).ok

    assert RECIPIENT not in our_log(caplog)
    assert "Email → va***@hanoi.gov.vn: ok (sent)" in our_log(caplog)
    assert logging.getLogger("apprise").filters == []


def test_url_must_be_mailto() -> None:
    with pytest.raises(ConfigError, match="PCMD_EMAIL_URL: https://\\*\\*\\*\\*@smtp"):
        EmailChannel("https://user:pw@smtp.example.vn")


def test_message_for_another_channel_is_a_programming_error(smtp_server: SmtpServer) -> None:
    channel = EmailChannel(smtp_server.url())
    zns = OutgoingMessage(
        channel="zns",
        recipient="84912345678",
        subject="s",
        body="b",
        key="k",
        template_id="1",
        template_data={},
    )

    with pytest.raises(ValueError, match="EmailChannel cannot send a 'zns' message"):
        channel.send(zns)


def test_nothing_listening_on_port_is_transient() -> None:
    channel = EmailChannel(
        f"mailto://127.0.0.1:{free_port()}?from=pcmd@ubnd.example.vn&mode=insecure"
    )

    assert channel.send(message()).outcome is Outcome.transient


@pytest.fixture
def tls_smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer(tls=True).start()
    try:
        yield server
    finally:
        server.stop()


def test_starttls_with_verification_off_delivers(tls_smtp_server: SmtpServer) -> None:
    url = f"mailto://127.0.0.1:{tls_smtp_server.port}?from=pcmd@ubnd.example.vn&mode=starttls&verify=no"
    channel = EmailChannel(url)

    assert channel.send(message()).ok
    assert channel.send(message("thu2@hanoi.gov.vn")).ok  # the shared context again

    assert [e.rcpt_tos for e in tls_smtp_server.envelopes] == [(RECIPIENT,), ("thu2@hanoi.gov.vn",)]


def test_starttls_with_verification_rejects_an_unknown_certificate(
    tls_smtp_server: SmtpServer,
) -> None:
    verified = f"mailto://127.0.0.1:{tls_smtp_server.port}?from=pcmd@ubnd.example.vn&mode=starttls"
    unverified = verified + "&verify=no"

    first = EmailChannel(verified).send(message())
    # a context without verification does not leak into verified sends, nor back
    assert EmailChannel(unverified).send(message()).ok
    second = EmailChannel(verified).send(message())

    for result in (first, second):
        assert (result.outcome, result.reason) == (Outcome.disabled, Reason.config)
        assert "CERTIFICATE_VERIFY_FAILED" in result.detail
    assert len(tls_smtp_server.envelopes) == 1


def test_plain_server_refusing_starttls_is_a_configuration_error(smtp_server: SmtpServer) -> None:
    channel = EmailChannel(smtp_server.url().replace("mode=insecure", "mode=starttls"))

    result = channel.send(message())

    assert (result.outcome, result.reason) == (Outcome.disabled, Reason.config)
    assert "STARTTLS" in result.detail
