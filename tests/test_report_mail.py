"""The report a seller acts on (marked-up sheet, importable once fixed) and its delivery by SMTP
to a real server on 127.0.0.1 (aiosmtpd)."""

from __future__ import annotations

import email
import io
import json
import socket
import ssl

import openpyxl
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from click.testing import CliRunner

import sheetsync
from sheetsync.cli import main
from sheetsync.mail import SmtpSettings

RED = "FFFFC7CE"
AMBER = "FFFFEB9C"


def five_mistakes(workbook):
    ids = workbook.sku_ids
    return {
        workbook.set(ids[0], "seller_price", "12,5O"): "price_format",
        workbook.set(ids[1], "stock_US", -5): "stock_range",
        workbook.set(ids[2], "weight_kg", "heavy"): "weight_format",
        workbook.set(ids[3], "barcode", "4006381333932"): "barcode_check_digit",
        workbook.set(ids[4], "logistics_attribute", "battery"): "logistics_attribute",
    }


def fills(ws):
    found = {}
    for row in ws.iter_rows(min_row=3):
        for cell in row:
            color = cell.fill.fgColor.rgb if cell.fill and cell.fill.fill_type == "solid" else None
            if color in (RED, AMBER):
                found[cell.coordinate] = color
    return found


def test_report_marks_exactly_the_bad_cells_and_imports_once_fixed(store, workbook, tmp_path, catalog):
    mistakes = five_mistakes(workbook)
    good = workbook.sku_ids[6]
    workbook.set(good, "seller_price", workbook.get(good, "seller_price") + 1)
    bad = workbook.save(tmp_path / "bad.xlsx")
    result = sheetsync.import_workbook(store, bad, report=tmp_path / "report.xlsx")
    assert result.status == "invalid"
    assert {e.cell: e.rule for e in result.errors} == mistakes

    report = openpyxl.load_workbook(tmp_path / "report.xlsx")
    assert report.sheetnames[:5] == ["Summary", "Errors", "Changes", "Display prices", "Push results"]
    products = report["Products"]
    assert fills(products) == {cell: RED for cell in mistakes}
    for cell in mistakes:
        comment = products[cell].comment
        assert comment is not None and comment.text == next(e.message for e in result.errors if e.cell == cell)
    assert report["_sheetsync"].sheet_state == "veryHidden"

    errors = report["Errors"]
    header = [c.value for c in errors[1]]  # the labels
    rows = [dict(zip(header, r, strict=True)) for r in errors.iter_rows(min_row=2, values_only=True)]
    assert [r["Cell"] for r in rows] == sorted(mistakes, key=lambda c: (int(c.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")), c))
    link = errors.cell(2, header.index("Cell") + 1).hyperlink
    assert link.location == f"'Products'!{rows[0]['Cell']}"

    # Fix the red cells in the report itself, save, import the report: accepted and applied.
    fixes = {"price_format": 19.5, "stock_range": 0, "weight_format": 0.2, "barcode_check_digit": "4006381333931",
             "logistics_attribute": "general"}
    for cell, rule in mistakes.items():
        products[cell].value = fixes[rule]
    report.save(tmp_path / "report-fixed.xlsx")
    again = sheetsync.import_workbook(store, tmp_path / "report-fixed.xlsx")
    assert again.status == "applied", [(e.cell, e.message) for e in again.errors]
    assert again.changed_skus == 6
    assert catalog().at[workbook.sku_ids[0], "seller_price"] == 1950


def test_warnings_are_amber_and_follow_errors(store, workbook, tmp_path):
    ids = workbook.sku_ids
    variant = workbook.set(ids[0], "variant", "changed")
    price = workbook.set(ids[5], "seller_price", "x")
    path = workbook.save(tmp_path / "w.xlsx")
    sheetsync.import_workbook(store, path, report=tmp_path / "r.xlsx")
    report = openpyxl.load_workbook(tmp_path / "r.xlsx")
    assert fills(report["Products"]) == {variant: AMBER, price: RED}
    rows = list(report["Errors"].iter_rows(min_row=2, values_only=True))
    assert [r[:3] for r in rows] == [("error", "Products", price), ("warning", "Products", variant)]


def test_summary_counts_and_next_step(store, workbook, tmp_path):
    workbook.set(workbook.sku_ids[0], "seller_price", 19.0)
    path = workbook.save(tmp_path / "ok.xlsx")
    sheetsync.import_workbook(store, path, report=tmp_path / "r.xlsx", lang="zh")
    summary = {r[0]: r[1] for r in openpyxl.load_workbook(tmp_path / "r.xlsx")["摘要"].iter_rows(
        min_row=3, max_col=2, values_only=True) if r[0]}
    assert summary["修改（单元格）"] == 1 and summary["已应用"] == 1
    assert summary["状态"].startswith("已应用：")
    assert summary["最后保存程序"].startswith("程序库 openpyxl（")  # a script saved it, in the report's language


# -- email -----------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    def __init__(self, refuse: bool = False) -> None:
        self.messages: list[email.message.Message] = []
        self.refuse = refuse

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            return "554 5.7.1 Message rejected by policy"
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp_server():
    servers = []

    def start(**kwargs):
        inbox = Inbox(refuse=kwargs.pop("refuse", False))
        controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), **kwargs)
        controller.start()
        servers.append(controller)
        return inbox, controller

    yield start
    for controller in servers:
        controller.stop()


def edited(workbook, tmp_path):
    workbook.set(workbook.sku_ids[0], "seller_price", 19.0)
    return workbook.save(tmp_path / "edited.xlsx")


def test_email_delivers_summary_and_report(store, workbook, tmp_path, smtp_server, monkeypatch):
    inbox, controller = smtp_server()
    monkeypatch.setenv("SHEETSYNC_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SHEETSYNC_SMTP_PORT", str(controller.port))
    monkeypatch.setenv("SHEETSYNC_SMTP_STARTTLS", "0")
    monkeypatch.setenv("SHEETSYNC_SMTP_FROM", "shop@example.test")
    path = edited(workbook, tmp_path)
    run = CliRunner().invoke(main, ["--store", str(store), "import", str(path), "--json",
                                    "--email-to", "boss@example.test", "--email-to", "ops@example.test"])
    result = json.loads(run.output)
    assert run.exit_code == 0 and result["emailed"] is True and result["status"] == "applied"
    assert len(inbox.messages) == 1
    message = inbox.messages[0]
    assert message["To"] == "boss@example.test, ops@example.test"
    body = next(p for p in message.walk() if p.get_content_type() == "text/plain").get_payload(decode=True).decode()
    assert "Applied: every change was written to the local catalog only." in body and "Changes: 1" in body
    attachment = next(p for p in message.walk() if p.get_filename())
    assert attachment.get_filename().endswith(".xlsx")
    report = openpyxl.load_workbook(io.BytesIO(attachment.get_payload(decode=True)))
    assert "Summary" in report.sheetnames


def test_email_over_starttls_with_login(store, workbook, tmp_path, smtp_server):
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server_context)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (b"shop", b"s3cret")
        logins.append(ok)
        return AuthResult(success=ok, handled=False)

    inbox, controller = smtp_server(tls_context=server_context, require_starttls=True, authenticator=authenticator,
                                    auth_require_tls=True)
    settings = SmtpSettings(host="127.0.0.1", port=controller.port, user="shop", password="s3cret", starttls=True,
                            ssl=False, sender="shop@example.test", cafile=str(ca_file))
    result = sheetsync.import_workbook(store, edited(workbook, tmp_path), email_to=["boss@example.test"],
                                       smtp=settings)
    assert result.emailed and logins == [True] and len(inbox.messages) == 1

    wrong = SmtpSettings(**{**settings.__dict__, "password": "wrong-password"})
    workbook.set(workbook.sku_ids[1], "seller_price", 20.0)
    result = sheetsync.import_workbook(store, workbook.save(tmp_path / "second.xlsx"), email_to=["b@example.test"],
                                       smtp=wrong)
    assert result.status == "applied" and not result.emailed and result.exit_code == 4
    warning = next(w for w in result.warnings if w.rule == "mail_failed")
    assert "user name or password" in warning.message and "wrong-password" not in warning.message
    assert "wrong-password" not in repr(wrong)


def test_refused_message_keeps_the_import_and_exits_4(store, workbook, tmp_path, smtp_server, monkeypatch, catalog):
    inbox, controller = smtp_server(refuse=True)
    monkeypatch.setenv("SHEETSYNC_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SHEETSYNC_SMTP_PORT", str(controller.port))
    monkeypatch.setenv("SHEETSYNC_SMTP_STARTTLS", "0")
    monkeypatch.setenv("SHEETSYNC_SMTP_PASSWORD", "never-shown")
    path = edited(workbook, tmp_path)
    run = CliRunner().invoke(main, ["--store", str(store), "import", str(path), "--email-to", "x@example.test"])
    assert run.exit_code == 4
    assert "554" in run.output and "never-shown" not in run.output
    assert catalog().at[workbook.sku_ids[0], "seller_price"] == 1900  # the import stands
    assert inbox.messages == []


def test_mail_settings_that_cannot_work_stop_the_import_before_it_starts(store, workbook, tmp_path, monkeypatch,
                                                                         catalog):
    monkeypatch.delenv("SHEETSYNC_SMTP_HOST", raising=False)
    workbook.set(workbook.sku_ids[0], "seller_price", 19.0)
    before = catalog()
    result = sheetsync.import_workbook(store, workbook.save(tmp_path / "b.xlsx"), email_to=["x@example.test"])
    assert (result.status, result.exit_code, result.emailed) == ("unreadable", 2, False)
    assert result.errors[0].rule == "mail_settings" and "SHEETSYNC_SMTP_HOST" in result.errors[0].message
    assert catalog().equals(before)


def test_invalid_import_keeps_exit_1_when_mail_fails(store, workbook, tmp_path, monkeypatch):
    monkeypatch.setenv("SHEETSYNC_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SHEETSYNC_SMTP_PORT", str(_closed_port()))
    monkeypatch.setenv("SHEETSYNC_SMTP_STARTTLS", "0")
    workbook.set(workbook.sku_ids[0], "seller_price", "bad")
    result = sheetsync.import_workbook(store, workbook.save(tmp_path / "b.xlsx"), email_to=["x@example.test"])
    assert (result.status, result.exit_code, result.emailed) == ("invalid", 1, False)
    assert any(w.rule == "mail_failed" for w in result.warnings)


def _closed_port() -> int:
    """A loopback port nothing listens on: bound, then released."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_import_reports_its_stages(store, workbook, tmp_path):
    seen = []
    workbook.set(workbook.sku_ids[0], "seller_price", 19.0)
    sheetsync.import_workbook(store, workbook.save(tmp_path / "s.xlsx"), report=tmp_path / "r.xlsx",
                              stage=seen.append)
    assert seen == list(sheetsync.pipeline.IMPORT_STAGES)


def test_progress_is_quiet_when_not_a_terminal(store, workbook, tmp_path):
    workbook.set(workbook.sku_ids[0], "seller_price", 19.0)
    run = CliRunner().invoke(main, ["--store", str(store), "import", str(workbook.save(tmp_path / "q.xlsx"))])
    assert "import:" not in run.output and "\r" not in run.output


def test_links_stop_at_excels_limit_without_a_warning_flood(tmp_path):
    """Past 65,530 links on one sheet XlsxWriter drops them with one warning each; the report
    links the first ones and names the others' cells as text, silently."""
    import re
    import warnings
    import zipfile

    import xlsxwriter

    from sheetsync.report import EXCEL_MAX_LINKS, _errors, _Formats
    from sheetsync.results import Issue

    issues = [Issue("price_format", sheet="Products", cell=f"H{row}", row=row, column=7, params={})
              for row in range(3, EXCEL_MAX_LINKS + 6)]
    book = xlsxwriter.Workbook(str(tmp_path / "errors.xlsx"), {"constant_memory": True})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _errors(book.add_worksheet("Errors"), issues, _Formats(book), linked=True)
        book.close()
    sheet = zipfile.ZipFile(tmp_path / "errors.xlsx").read("xl/worksheets/sheet1.xml").decode()
    links = re.findall(r'<hyperlink ref="(C\d+)"', sheet)  # severity, sheet, cell
    assert len(links) == EXCEL_MAX_LINKS and links[-1] == f"C{EXCEL_MAX_LINKS + 1}"
    last_row = len(issues) + 1
    assert f'<c r="C{last_row}" t="inlineStr"><is><t>H{last_row + 1}</t></is></c>' in sheet


def _in_a_terminal(args: list[str], cwd) -> str:
    """Run the CLI with a pseudo-terminal (80 columns) as stdin, stdout and stderr; its output."""
    import fcntl
    import os
    import pty
    import select
    import struct
    import subprocess
    import sys
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    proc = subprocess.Popen([sys.executable, "-m", "sheetsync.cli", *args], cwd=cwd, stdin=slave, stdout=slave,
                            stderr=slave, close_fds=True)
    os.close(slave)
    output = b""
    while select.select([master], [], [], 60)[0]:
        try:
            data = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        output += data
    os.close(master)
    assert proc.wait(timeout=60) == 0
    return output.decode("utf-8", errors="replace")


def test_progress_bars_on_a_terminal(store, tmp_path):
    """Export counts SKUs against the catalog's size and import steps through its stages, on a terminal only; the bar is
    wiped when done, leaving the result line."""
    exported = _in_a_terminal(["--store", str(store), "export", "t.xlsx"], tmp_path)
    assert "export:   0%" in exported and "0/63 " in exported  # the total is the catalog size
    assert exported.rstrip().splitlines()[-1].split("\r")[-1].startswith("Exported 63")
    imported = _in_a_terminal(["--store", str(store), "import", "t.xlsx", "--dry-run"], tmp_path)
    assert "import: validate" in imported and "import: plan" in imported


def test_a_report_that_cannot_be_written_after_the_import_keeps_it_applied(store, workbook, tmp_path, catalog):
    """The report's folder disappears between the apply and the report: the changes are in, the
    result says so, and the failure is a warning naming the step (exit 4, not a crash)."""
    folder = tmp_path / "reports"
    folder.mkdir()
    sku = workbook.sku_ids[0]
    workbook.set(sku, "seller_price", 19.0)

    def stage(name: str) -> None:
        if name == "report":
            folder.rmdir()

    result = sheetsync.import_workbook(store, workbook.save(tmp_path / "e.xlsx"), report=folder / "r.xlsx",
                                       stage=stage)
    assert (result.status, result.applied, result.exit_code) == ("applied", 1, 4)
    assert result.report is None
    assert [w.rule for w in result.warnings] == ["report_failed"] and "import itself" in result.warnings[0].message
    assert catalog().at[sku, "seller_price"] == 1900


def test_issues_beyond_a_rules_cap_are_counted_in_the_json_the_terminal_and_the_report(tmp_path):
    from click.testing import CliRunner

    from sheetsync.cli import main
    from sheetsync.results import ISSUES_PER_RULE
    from tests.conftest import Workbook

    store = tmp_path / "big.db"
    sheetsync.init_store(store, synthetic=ISSUES_PER_RULE + 40)
    sheetsync.export_catalog(store, tmp_path / "big.xlsx", preview=[])
    wb = Workbook(tmp_path / "big.xlsx")
    for sku in wb.sku_ids:
        wb.set(sku, "seller_price", "12,5O")
    path = wb.save(tmp_path / "bad.xlsx")
    run = CliRunner().invoke(main, ["--store", str(store), "import", str(path), "--json", "--report",
                                    str(tmp_path / "r.xlsx")])
    result = json.loads(run.output)
    assert run.exit_code == 1 and result["more_issues"] == {"price_format": len(wb.sku_ids) - ISSUES_PER_RULE}
    assert sum(e["rule"] == "price_format" for e in result["errors"]) == ISSUES_PER_RULE
    human = CliRunner().invoke(main, ["--store", str(store), "import", str(path)])
    assert f"and {len(wb.sku_ids) - ISSUES_PER_RULE} more [price_format]" in human.output
    summary = {row[0]: row[1] for row in openpyxl.load_workbook(tmp_path / "r.xlsx")["Summary"].iter_rows(
        values_only=True) if row and row[0]}
    assert any(str(value).startswith("price_format: ") for value in summary.values())


def test_cells_that_are_not_values_stay_so_in_the_report_and_never_clear_a_barcode(store, workbook, tmp_path,
                                                                                  catalog):
    """A failed lookup, an uncomputed formula and a merged range in barcodes, beside a bad price:
    the seller fixes the price in the report's copy and imports it, as the report says; the
    barcodes must come back refused, never read as cleared."""
    with_barcode = [sku for sku in workbook.sku_ids if workbook.get(sku, "barcode")]
    error_sku, formula_sku, merged_top, merged_under = with_barcode[:4]
    workbook.ws[workbook.coord(error_sku, "barcode")].value = "#N/A"
    workbook.ws[workbook.coord(error_sku, "barcode")].data_type = "e"
    workbook.set(formula_sku, "barcode", "=VLOOKUP(A3,Codes!A:B,2,0)")
    workbook.ws.merge_cells(f"{workbook.coord(merged_top, 'barcode')}:{workbook.coord(merged_under, 'barcode')}")
    price_cell = workbook.set(workbook.sku_ids[0], "seller_price", "12,5O")
    before = catalog()["barcode"]
    first = sheetsync.import_workbook(store, workbook.save(tmp_path / "bad.xlsx"), report=tmp_path / "report.xlsx")
    unreadable = {workbook.coord(sku, "barcode") for sku in (error_sku, formula_sku, merged_under)}
    assert {e.cell for e in first.errors} == unreadable | {price_cell}

    again = sheetsync.import_workbook(store, tmp_path / "report.xlsx")
    merged_cell = workbook.coord(merged_under, "barcode")  # the copy does not merge: it shows #N/A there
    assert {e.cell: e.rule for e in again.errors} == {e.cell: "cell_error" if e.cell == merged_cell else e.rule
                                                      for e in first.errors}
    assert {e.cell: e.value for e in again.errors if e.rule == "formula_without_value"} == {
        workbook.coord(formula_sku, "barcode"): "=VLOOKUP(A3,Codes!A:B,2,0)"}

    fixed = openpyxl.load_workbook(tmp_path / "report.xlsx")
    fixed["Products"][price_cell].value = 12.5
    fixed.save(tmp_path / "fixed.xlsx")
    result = sheetsync.import_workbook(store, tmp_path / "fixed.xlsx")
    assert result.status == "invalid"
    assert {e.cell for e in result.errors} == unreadable
    assert catalog()["barcode"].equals(before)
