"""Settings and rate cards: every value checked, a bad one refused with its key or line named."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from sheetsync.cli import main
from sheetsync.config import load_settings
from sheetsync.errors import ConfigError
from sheetsync.pricing import load_rate_card

BAD_SETTINGS = [
    ("max_price_change_pct = nan", "max_price_change_pct"),
    ("max_price_change_pct = inf", "max_price_change_pct"),
    ("max_price_change_pct = -5", "max_price_change_pct"),
    ("max_stock_jump = 1.5", "max_stock_jump"),
    ("max_stock_jump = true", "max_stock_jump"),
    ('lock_timeout = "30"', "lock_timeout"),
    ("rate_limit_per_second = 0", "rate_limit_per_second"),
    ("request_deadline = 1e400", "request_deadline"),
    ('lang = "fr"', "lang"),
    ('preview_countries = "US"', "preview_countries"),
    ("country_warehouses = {UK = 3}", "country_warehouses"),
    ("colour = 1", "colour"),
]


@pytest.mark.parametrize(("line", "key"), BAD_SETTINGS)
def test_a_bad_setting_is_refused_with_its_key(tmp_path, line, key):
    config = tmp_path / "sheetsync.toml"
    config.write_text(line + "\n", encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        load_settings(None, tmp_path / "shop.db")
    assert key in refused.value.message() and str(config) in refused.value.message()


def test_a_nan_guardrail_stops_the_cli_before_anything(store: Path, workbook, tmp_path):
    (store.parent / "sheetsync.toml").write_text("max_price_change_pct = nan\n", encoding="utf-8")
    workbook.set(workbook.sku_ids[0], "seller_price", 9999.0)
    run = CliRunner().invoke(main, ["--store", str(store), "import", str(workbook.save(tmp_path / "x.xlsx"))])
    assert run.exit_code == 2 and "max_price_change_pct" in run.output


def test_good_settings_are_read(tmp_path):
    (tmp_path / "sheetsync.toml").write_text(
        'max_price_change_pct = 30\nmax_stock_jump = 500\nlang = "zh"\npreview_countries = ["us", "FR"]\n'
        'country_warehouses = {uk = "UK-JIT"}\nlock_timeout = 0\n', encoding="utf-8")
    settings = load_settings(None, tmp_path / "shop.db")
    assert (settings.max_price_change_pct, settings.max_stock_jump, settings.lang) == (30.0, 500, "zh")
    assert settings.preview_countries == ("US", "FR") and settings.country_warehouses == {"UK": "UK-JIT"}


@pytest.mark.parametrize("value", ["inf", "nan", "1e400", "-1", "1e30", "99999999999999999999", "abc"])
def test_a_bad_rate_card_number_names_the_line(tmp_path, value):
    card = tmp_path / "rates.csv"
    card.write_text("country,max_weight_kg,fixed_fee,per_kg_fee,currency,volumetric_divisor\n"
                    f"US,0.5,{value},8.10,USD,8000\n", encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        load_rate_card(card)
    assert refused.value.rule == "rates_line" and refused.value.params["line"] == 2
