"""Issue 15, item 6: Chinese all the way. A seller working in Chinese runs the walkthrough through
the CLI as they would type it (--lang before or after the command, or none at all where the
template says Chinese) and reads no English word: every printed line, and every report sheet name,
header and status cell, is Chinese except codes, file names, field keys, SKU codes and country
codes. What is allowed is taken from the data (the exported sheet, the rule vocabulary, the
commands, the countries), never from the lines under test."""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

import sheetsync
from sheetsync.cli import main
from sheetsync.config import bundled_countries
from sheetsync.fields import SHEET_PRODUCTS
from sheetsync.messages import Rule
from sheetsync.pricing import COUNTRY_ALIASES
from tests.conftest import Workbook

# Latin words of two letters or more standing alone: a token holding a digit (a cell reference,
# an id, a run id) is a code, and so is an option (--report) or a command quoted in backticks.
WORD = re.compile(r"(?<![\w.\-/])[A-Za-z][A-Za-z_]+(?![\w])")
OPTION = re.compile(r"--[a-z][a-z-]*")
QUOTED = re.compile(r"`[^`]*`")
# Technical terms the Chinese sentences keep as they are, as Chinese sellers write them.
TERMS = {"SKU", "ID", "JIT", "UTC", "kg", "Excel", "sheetsync"}


def run(*args: object) -> tuple[int, str]:
    result = CliRunner().invoke(main, [str(a) for a in args], prog_name="sheetsync")
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


def allowed_words(export: Path, files: list[str], typed: list[str]) -> set[str]:
    """What may stay in Latin letters: the exported sheet's field keys and codes (SKU codes and
    currencies: not its titles or variants, whose English words would hide English sentences),
    rule codes, command and argument names (as --help shows them), country codes, file names,
    what was typed."""
    sheet = openpyxl.load_workbook(export)[SHEET_PRODUCTS]
    keys = [cell.value for cell in sheet[2]]
    codes = [keys.index("sku_code"), keys.index("currency")]
    texts = [str(key) for key in keys if key]
    texts += [str(row[col]) for row in sheet.iter_rows(min_row=3, values_only=True) for col in codes if row[col]]
    texts += [rule.value for rule in Rule] + list(main.commands) + files + typed + [SHEET_PRODUCTS]
    texts += [param.human_readable_name for command in main.commands.values() for param in command.params]
    texts += [country.code for country in bundled_countries()] + list(COUNTRY_ALIASES)
    return {word for text in texts for word in re.findall(r"[A-Za-z][A-Za-z_]+", text)} | TERMS


def english(text: str, allowed: set[str]) -> list[str]:
    plain = OPTION.sub(" ", QUOTED.sub(" ", text))
    return [word for word in WORD.findall(plain) if word not in allowed]


def test_the_walkthrough_in_chinese_shows_no_english_word(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    outputs: list[str] = []

    def step(*args: object, exit_code: int = 0) -> str:
        code, output = run(*args)
        assert code == exit_code, output
        outputs.append(output)
        return output

    assert "已创建店铺数据库 shop.db" in step("--lang", "zh", "--store", "shop.db", "init", "--sample")
    step("export", "catalog.xlsx", "--lang", "zh", "--store", "shop.db")  # options after the command
    wb = Workbook(Path("catalog.xlsx"))
    first, second, third = wb.sku_ids[:3]
    wb.set(first, "seller_price", "12,5O")
    wb.set(second, "stock_US", -5)
    wb.set(third, "weight_kg", 0.35)
    wb.set(third, "currency", "EUR")  # read-only: a warning
    general = next(sku for sku in wb.sku_ids if wb.get(sku, "logistics_attribute") == "普货")
    wb.set(general, "logistics_attribute", "带电")  # a Chinese dropdown word
    wb.save(Path("bad.xlsx"))
    bad = step("import", "bad.xlsx", "--report", "report.xlsx", "--store", "shop.db", exit_code=1)  # the template's
    assert "未导入" in bad and "price_format" in bad and "警告" in bad
    wb.set(first, "seller_price", 12.5)
    wb.set(second, "stock_US", 0)
    wb.save(Path("good.xlsx"))
    good = step("--store", "shop.db", "import", "good.xlsx")
    assert "已应用" in good and "普货 → 带电" in good
    history = step("history", "--store", "shop.db", "--lang", "zh")
    run_id = history.splitlines()[1].split()[0]
    step("--lang", "zh", "--store", "shop.db", "history", run_id)
    step("validate", "good.xlsx", "--store", "shop.db")
    step("--lang", "zh", "freight", "--weight", "0.5", "--dims", "30*20*10", "--country", "US,GB")
    step("--lang", "zh", "freight", "--weight", "120", "--country", "US", exit_code=1)  # too heavy
    step("revert", run_id, "--dry-run", "--store", "shop.db", "--lang", "zh")
    step("--lang", "zh", "--store", "shop.db", "status")
    step("--lang", "zh", "--store", "nowhere.db", "history", exit_code=2)  # a store error
    step("--lang", "zh", "--store", "shop.db", "export", exit_code=2)  # a usage error
    step("--lang", "zh", "--store", "shop.db", "export", "bad.xlsx", exit_code=2)  # would lose its edits

    allowed = allowed_words(Path("catalog.xlsx"), ["shop.db", "catalog.xlsx", "bad.xlsx", "good.xlsx",
                                                  "report.xlsx", "nowhere.db"], ["EUR"])
    lines = [line for output in outputs for line in output.splitlines() if line.strip()]
    assert [(line, english(line, allowed)) for line in lines if english(line, allowed)] == []

    report = openpyxl.load_workbook("report.xlsx")
    assert report.sheetnames[:5] == ["摘要", "错误", "修改", "前台价", "推送结果"]
    assert SHEET_PRODUCTS in report.sheetnames  # its name is the same in every language
    names = [ws.title for ws in report.worksheets if ws.sheet_state == "visible" and ws.title != SHEET_PRODUCTS]
    shown = list(names)
    for name in names[1:]:  # the Summary's first row is its title
        shown += [str(cell) for cell in next(report[name].iter_rows(max_row=1, values_only=True), ()) if cell]
    summary = report["摘要"]
    shown += [str(value) for row in summary.iter_rows(min_row=2, values_only=True) for value in row[:1] if value]
    statuses = {row[0]: row[1] for row in summary.iter_rows(min_row=3, max_col=2, values_only=True) if row[0]}
    shown += [statuses["状态"], statuses["目标"], statuses["下一步"]]
    assert statuses["最后保存程序"].startswith("程序库 openpyxl（")  # the file's own words follow
    errors = report["错误"]
    severity = [cell.value for cell in errors[1]].index("级别")
    shown += [row[severity] for row in errors.iter_rows(min_row=2, values_only=True)]
    assert {row[severity] for row in errors.iter_rows(min_row=2, values_only=True)} == {"错误", "警告"}
    changes = report["修改"]
    shown += [row[-1] for row in changes.iter_rows(min_row=2, values_only=True)]
    assert [text for text in shown if english(text, allowed)] == []


def test_the_config_language_and_a_chinese_template_speak_chinese_without_lang(store, tmp_path):
    (tmp_path / "sheetsync.toml").write_text('lang = "zh"\n', encoding="utf-8")
    code, output = run("--store", store, "export", tmp_path / "zh.xlsx")
    assert code == 0 and output.startswith("已导出"), output
    code, output = run("--store", store, "history")
    assert code == 0 and "尚无运行记录" in output, output
    code, output = run("--store", store, "freight", "--weight", "abc")
    assert code == 2 and "重量必须是" in output and "用法" in output, output


def test_config_and_mail_settings_are_refused_in_chinese(store, tmp_path, monkeypatch):
    (tmp_path / "sheetsync.toml").write_text("max_stock_jump = 1.5\n", encoding="utf-8")
    code, output = run("--store", store, "history", "--lang", "zh")
    assert code == 2 and "max_stock_jump 必须是整数" in output, output
    (tmp_path / "sheetsync.toml").unlink()
    rates = tmp_path / "rates.csv"
    rates.write_text("country,max_weight_kg,fixed_fee,per_kg_fee,currency,volumetric_divisor\nUS,0.5,1,x,USD,0\n",
                     encoding="utf-8")
    code, output = run("--lang", "zh", "freight", "--weight", "0.3", "--rates", rates)
    assert code == 2 and "第 2 行：per_kg_fee 的值 'x' 不是数字" in output, output
    monkeypatch.delenv("SHEETSYNC_SMTP_HOST", raising=False)
    sheetsync_export = run("--store", store, "export", tmp_path / "zh.xlsx", "--lang", "zh")
    assert sheetsync_export[0] == 0
    code, output = run("--store", store, "import", tmp_path / "zh.xlsx", "--email-to", "shop@example.com")
    assert code == 2 and "邮件设置无法使用：未设置 SHEETSYNC_SMTP_HOST" in output, output


@pytest.mark.parametrize("word, value", [("带电", "built_in_battery"), ("弱磁", "weak_magnetic"),
                                         ("普货", "general"), ("带电+弱磁", "built_in_battery+weak_magnetic")])
def test_a_chinese_template_reimports_with_a_chinese_dropdown_word(store, tmp_path, word, value):
    run("--store", store, "export", tmp_path / "zh.xlsx", "--lang", "zh")
    wb = Workbook(tmp_path / "zh.xlsx")
    lists = wb.wb["_lists"]
    assert [row[0] for row in lists.iter_rows(values_only=True)] == ["普货", "带电", "弱磁", "带电+弱磁"]
    assert "库存 美国 US" in [cell.value for cell in wb.ws[1]] and "使用说明" in wb.wb.sheetnames
    sku = next(s for s in wb.sku_ids if wb.get(s, "logistics_attribute") != word)
    wb.set(sku, "logistics_attribute", word)
    wb.save(tmp_path / "edited.xlsx")

    code, output = run("--store", store, "import", tmp_path / "edited.xlsx")

    assert code == 0 and "已应用" in output, output
    code, output = run("--store", store, "history", "--lang", "en")
    run_id = output.splitlines()[1].split()[0]
    code, output = run("--store", store, "history", run_id, "--json")
    assert f'"after": "{value}"' in output, output
    code, output = run("--store", store, "validate", tmp_path / "edited.xlsx")
    assert code == 0 and "将修改" not in output, output  # read back as the same value: nothing left to change


def test_orders_in_chinese_take_the_chinese_dropdown_words(store, tmp_path):
    from tests.test_orders import OrdersBook

    code, output = run("--store", store, "orders", "export", tmp_path / "orders.xlsx", "--lang", "zh")
    assert code == 0 and output.startswith("已导出"), output
    book = OrdersBook(tmp_path / "orders.xlsx")
    lists = {v.formula1 for v in book.ws.data_validations.dataValidation if v.type == "list"}
    assert lists == {'"是"', '"快递,卡车,其他"'} and "使用说明" in book.wb.sheetnames
    number = book.with_status("待确认")[0]
    book.fill(number, confirm="是", delivery_type="快递", carrier="SF", tracking_numbers="SF1000000001")
    code, output = run("--store", store, "orders", "import", book.save(tmp_path / "filled.xlsx"),
                       "--report", tmp_path / "report.xlsx")
    assert code == 0 and "确认接单" in output and "创建发货" in output and "快递 SF SF1000000001" in output, output
    assert "已应用" in output
    report = openpyxl.load_workbook(tmp_path / "report.xlsx")
    assert report.sheetnames[:3] == ["摘要", "错误", "操作"]
    assert {row[1] for row in report["操作"].iter_rows(min_row=2, values_only=True)} == {"确认接单", "创建发货"}


def test_the_mail_of_a_chinese_import_is_chinese(store, tmp_path):
    from sheetsync.mail import build_message

    run("--store", store, "export", tmp_path / "zh.xlsx", "--lang", "zh")
    wb = Workbook(tmp_path / "zh.xlsx")
    wb.set(wb.sku_ids[0], "seller_price", "abc")
    path = wb.save(tmp_path / "bad.xlsx")
    result = sheetsync.import_workbook(store, path, report=tmp_path / "report.xlsx")
    mail = build_message(result, tmp_path / "report.xlsx", ["shop@example.com"], "sheetsync@example.com", result.lang)
    body = mail.get_body().get_content()
    allowed = allowed_words(tmp_path / "zh.xlsx", ["bad.xlsx"], ["abc"])
    assert mail["Subject"] == "sheetsync：bad.xlsx — 有错误"
    assert [line for line in body.splitlines() if english(line, allowed)] == [], body
