"""Send the report by SMTP: a plain-text summary in the body, the report attached.

Settings come from the environment only (SHEETSYNC_SMTP_*), so a password never sits in a file of
the project, a workbook or a report. A failure returns a reason instead of raising: the import's
own result stands, and the caller turns a success into exit 4.
"""

from __future__ import annotations

import os
import smtplib
import socket
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from .errors import ConfigError
from .messages import say, status_words, value_word
from .results import ImportResult

XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    user: str | None
    password: str | None
    starttls: bool
    ssl: bool
    sender: str
    cafile: str | None
    timeout: float = 30.0

    def __repr__(self) -> str:  # never show the password, even in a traceback or a log
        return f"SmtpSettings(host={self.host!r}, port={self.port}, user={self.user!r}, starttls={self.starttls})"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SmtpSettings | None:
        env = os.environ if env is None else env
        host = env.get("SHEETSYNC_SMTP_HOST")
        if not host:
            return None
        implicit = env.get("SHEETSYNC_SMTP_SSL", "0") == "1"
        port_text = (env.get("SHEETSYNC_SMTP_PORT") or "").strip() or str(465 if implicit else 587)
        if not port_text.isascii() or not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise ConfigError("mail_settings", detail_key="mail_port", value=repr(port_text))
        port = int(port_text)
        user = env.get("SHEETSYNC_SMTP_USER") or None
        return cls(host=host, port=port, user=user, password=env.get("SHEETSYNC_SMTP_PASSWORD") or None,
                   starttls=env.get("SHEETSYNC_SMTP_STARTTLS", "1" if not implicit else "0") == "1",
                   ssl=implicit, sender=env.get("SHEETSYNC_SMTP_FROM") or user or f"sheetsync@{socket.gethostname()}",
                   cafile=env.get("SHEETSYNC_SMTP_CAFILE") or None)


def check_mail(settings: SmtpSettings | None, recipients: Sequence[str]) -> None:
    """Refuse, before an import starts, mail settings that cannot work, so a mail problem is never
    found after the catalog was changed. Only what can be known without connecting."""

    def refuse(key: str, **params: object) -> None:
        raise ConfigError("mail_settings", detail_key=key, **params)

    if settings is None:
        refuse("mail_no_host")
    for address in (*recipients, settings.sender):
        if any(ord(ch) < 32 or ord(ch) == 127 for ch in address) or address.count("@") != 1 \
                or not all(address.split("@")):
            refuse("mail_address", value=repr(address))
    for name, value in (("SHEETSYNC_SMTP_USER", settings.user), ("SHEETSYNC_SMTP_PASSWORD", settings.password)):
        if value and not value.isascii():
            refuse("mail_not_ascii", name=name)
    if settings.cafile and not Path(settings.cafile).is_file():
        refuse("mail_cafile", value=settings.cafile)


def summary_text(result: ImportResult, lang: str = "en", first_errors: int = 10) -> str:
    """The body: status in words, counts, the first errors, and where the details are."""
    lines = [
        say("mail_title", lang, file=Path(result.file).name),
        "",
        status_words(result.status, lang, result.target, result.applied),
        "",
        say("mail_counts", lang, rows=result.rows, changed_skus=result.changed_skus, changes=result.changes),
        say("mail_applied", lang, applied=result.applied, already_applied=result.already_applied,
            failed=result.failed),
        say("mail_issues", lang, errors=len(result.errors), warnings=len(result.warnings)),
    ]
    if result.errors:
        lines += ["", say("mail_first_errors", lang)]
        for issue in result.errors[:first_errors]:
            where = f"{issue.sheet}!{issue.cell}" if issue.cell else (issue.sheet or "-")
            lines.append(f"- {where}: {issue.message}")
        if len(result.errors) > first_errors:
            lines.append(say("mail_more_errors", lang, count=len(result.errors) - first_errors))
    lines += ["", say("mail_closing", lang)]
    return "\n".join(lines)


def build_message(result: ImportResult, report: Path, recipients: Sequence[str], sender: str,
                  lang: str = "en") -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = say("mail_subject", lang, file=Path(result.file).name,
                             status=value_word("status", result.status, lang))
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Message-ID"] = make_msgid(domain="sheetsync")
    message.set_content(summary_text(result, lang))
    message.add_attachment(report.read_bytes(), maintype=XLSX_TYPE[0], subtype=XLSX_TYPE[1], filename=report.name)
    return message


def send_report(result: ImportResult, report: Path, recipients: Sequence[str], settings: SmtpSettings | None,
                lang: str = "en") -> str | None:
    """Send; None on success, else a one-line reason in `lang`, without secrets."""
    if settings is None:
        return say("mail_no_host", lang)
    try:
        message = build_message(result, report, recipients, settings.sender, lang)
        context = ssl.create_default_context(cafile=settings.cafile)
        if settings.ssl:
            client: smtplib.SMTP = smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout,
                                                    context=context)
        else:
            client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        with client:
            if settings.starttls and not settings.ssl:
                client.starttls(context=context)
            if settings.user and settings.password:
                client.login(settings.user, settings.password)
            refused = client.send_message(message)
        if refused:
            return say("mail_refused_some", lang, addresses=", ".join(sorted(refused)))
    except smtplib.SMTPAuthenticationError as exc:
        return say("mail_login_refused", lang, code=exc.smtp_code)
    except smtplib.SMTPResponseException as exc:
        text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return say("mail_message_refused", lang, code=exc.smtp_code, text=text)
    except smtplib.SMTPRecipientsRefused as exc:
        return say("mail_recipients_refused", lang, addresses=", ".join(sorted(exc.recipients)))
    except (smtplib.SMTPException, OSError, ssl.SSLError, UnicodeError, ValueError) as exc:
        return say("mail_send_failed", lang, server=f"{settings.host}:{settings.port}",
                   error=f"{exc.__class__.__name__}: {exc}")
    return None
