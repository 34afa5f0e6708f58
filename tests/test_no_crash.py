"""Exit 70 only for a bug: every answer of the wrong shape, from every method, met by the commands a
seller types, ends in a clear exit (never 70), valid JSON where asked, and a store left usable:
a pull that fails moves no watermark, a push that fails claims nothing it did not write."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from sheetsync.cli import main
from sheetsync.store import Store
from tests.ae_server import APP_KEY, APP_SECRET
from tests.conftest import exported_with_edits
from tests.test_aliexpress import client_for, pulled, server  # noqa: F401 (fixtures)

METHODS = {
    "info": "aliexpress.pop.choice.info.query",
    "list": "aliexpress.pop.choice.products.list",
    "query": "aliexpress.pop.choice.product.query",
    "edit": "aliexpress.pop.choice.product.edit",
}


def wrong_answers(method: str) -> list[object]:
    wrapper = method.replace(".", "_") + "_response"
    return [
        [], None, "text", {}, b"not json at all", b"\x1f\x8b\x08garbage",
        {wrapper: None}, {wrapper: {"result": "many"}}, {wrapper: {"result": []}},
        {wrapper: {"result": {"success": True, "total_page": "many", "base_price": "abc"}}},
        {wrapper: {"result": {"success": True, "pop_choice_country_list": [{"en_name": "no code"}]}}},
        {wrapper: {"result": {"success": True, "pop_choice_product": {"product_sku_list": [{"base_price": "1"}]}}}},
        {"error_response": None}, {"error_response": {"code": None}}, {"error_response": "boom"},
    ]


def claims_success(answer: object) -> bool:
    return not isinstance(answer, bytes) and '"success": true' in json.dumps(answer)


def env_for(server) -> dict[str, str]:  # noqa: F811
    return {"SHEETSYNC_AE_APP_KEY": APP_KEY, "SHEETSYNC_AE_APP_SECRET": APP_SECRET,
            "SHEETSYNC_AE_ACCESS_TOKEN": server.gateway.access_token, "SHEETSYNC_AE_ENDPOINT": server.url}


@pytest.mark.parametrize("method", ["info", "list", "query"])
def test_a_pull_meeting_a_wrong_answer_ends_clearly_and_moves_no_watermark(pulled, server, method):  # noqa: F811
    with Store.open(pulled) as handle:
        watermark = handle.meta("ae_last_pull")
        handle.set_meta("ae_last_pull", "2026-01-01 00:00:00")  # so the second pull lists products again
    g = server.gateway
    for answer in wrong_answers(METHODS[method]):
        g.answers[METHODS[method]] = [answer] * 8  # retries meet it too
        run = CliRunner().invoke(main, ["--store", str(pulled), "pull", "--target", "aliexpress", "--json"],
                                 env=env_for(server))
        g.answers.clear()
        assert run.exit_code == 2, (answer, run.output)
        assert "internal error" not in run.output and "Traceback" not in run.output
        with Store.open(pulled) as handle:
            assert handle.meta("ae_last_pull") == "2026-01-01 00:00:00", answer
    assert watermark


@pytest.mark.parametrize("method", ["query", "edit"])
def test_a_push_meeting_a_wrong_answer_ends_clearly_and_claims_nothing_unwritten(pulled, server, tmp_path,  # noqa: F811
                                                                               method):
    path = exported_with_edits(pulled, tmp_path, {("2001", "seller_price"): 19.10})
    g = server.gateway
    for answer in wrong_answers(METHODS[method]):
        if method == "edit" and claims_success(answer):
            continue  # an answer that says the write succeeded is believed: not a wrong shape
        g.answers[METHODS[method]] = [answer] * 8
        run = CliRunner().invoke(main, ["--store", str(pulled), "import", str(path), "--json"], env=env_for(server))
        g.answers.clear()
        assert run.exit_code in (0, 1, 2, 3), (answer, run.output)
        result = json.loads(run.output, parse_constant=lambda name: pytest.fail(f"{name} is not JSON"))
        written = g.products["1005001"]["product_sku_list"][0]["base_price"]
        if result["status"] == "applied":
            assert written == "19.10"
        elif result["applied"] == 0:
            with Store.open(pulled) as handle:  # the local mirror claims nothing the platform lacks
                assert handle.catalog_frame().at["2001", "seller_price"] == (1910 if written == "19.10" else 1890)
        g.products["1005001"]["product_sku_list"][0]["base_price"] = "18.90"
        with Store.open(pulled) as handle:
            handle.db.execute("UPDATE skus SET seller_price = 1890 WHERE sku_id = '2001'")
