"""The example workflows in examples/workflows/, run offline on the bundled shop-demo
repository (a real git repo in a temp folder) through the engine, each finding checked
against what reading the demo's code says it should be."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from swath.engine.catalog import known_names
from swath.engine.options import RunOptions
from swath.engine.session import Session
from swath.findings.report import RunReport, RunStatus
from swath.spec.loader import load_workflow
from tests.gitrepo import copy_example, git

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "workflows"
DEMO = EXAMPLES / "shop-demo"


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    root = tmp_path / "shop"
    copy_example(DEMO, root)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "shop")
    return root


async def run_example(root: Path, name: str) -> RunReport:
    wf = load_workflow(EXAMPLES / f"{name}.yaml", known_names())
    session = Session.open(root, model=False)
    try:
        return await session.engine.run(wf, RunOptions(engine="static"))
    finally:
        await session.aclose()


def places(report: RunReport) -> set[tuple[str, str, int]]:
    """(rule, path, 1-based line) of every finding; all of them verified against the file."""
    assert all(f.verified for f in report.findings), [f for f in report.findings if not f.verified]
    return {(f.rule, f.path, f.range.start.line + 1) for f in report.findings}


def test_every_example_validates() -> None:
    names = sorted(p.stem for p in EXAMPLES.glob("*.yaml"))
    assert names == ["deprecated-api", "env-catalogue", "http-routes", "test-gaps"]
    for name in names:
        wf = load_workflow(EXAMPLES / f"{name}.yaml", known_names())
        assert wf.name == name and wf.description


async def test_env_catalogue_read_vs_documented(demo: Path) -> None:
    report = await run_example(demo, "env-catalogue")
    assert report.status == RunStatus.succeeded
    # app/config.py reads SENTRY_DSN (line 8) and SMTP_HOST (line 12), which neither
    # .env.example nor docs/configuration.md list; .env.example lists LEGACY_CACHE_DIR,
    # which nothing reads. API_BASE is read by web/src/api.js and documented.
    assert places(report) == {
        ("env/undocumented", "app/config.py", 8),
        ("env/undocumented", "app/config.py", 12),
        ("env/unused", ".env.example", 4),
    }
    out: dict[str, Any] = report.outputs["catalogue"]
    assert out["compare"]["both"] == ["API_BASE", "DATABASE_URL", "SECRET_KEY", "SHOP_DEBUG"]
    lens = {f.data.lens for f in report.findings if f.rule == "env/undocumented"}
    assert lens == {"env SENTRY_DSN · undocumented", "env SMTP_HOST · undocumented"}


async def test_deprecated_api_inventory_by_owner_folder(demo: Path) -> None:
    report = await run_example(demo, "deprecated-api")
    # Two calls in billing/ (one in a list comprehension), one through the module in
    # orders/; the v2 client's `payments.charge` is not one of them.
    assert places(report) == {
        ("api/deprecated-call", "billing/invoices.py", 7),
        ("api/deprecated-call", "billing/invoices.py", 12),
        ("api/deprecated-call", "orders/refunds.py", 5),
    }
    groups = {g["key"]: g["count"] for g in report.outputs["inventory"]["groups"]}
    assert groups == {"billing": 2, "orders": 1}
    refund = next(f for f in report.findings if f.path == "orders/refunds.py")
    assert refund.data.extra("fields")["CLIENT"] == "v1.payments_v1"
    assert refund.tags == ["deprecated"]


async def test_test_gaps_lists_untested_public_functions(demo: Path) -> None:
    report = await run_example(demo, "test-gaps")
    gaps = {(path, line) for _, path, line in places(report)}
    # tests/test_pricing.py names `total`, `Cart` and `add`; `_round_cents`, `_audit` and
    # `__init__` are not public; everything else defined is untested.
    assert ("app/pricing.py", 8) in gaps and ("app/pricing.py", 23) in gaps  # discount, remove
    assert ("app/pricing.py", 4) not in gaps and ("app/pricing.py", 19) not in gaps  # total, add
    names = {f.data.key for f in report.findings}
    assert names == {
        "charge",
        "refund",
        "smtp_host",
        "discount",
        "remove",
        "list_orders",
        "get_order",
        "create_refund",
        "settle",
        "settle_all",
        "refund_order",
    }
    assert len(report.findings) == 12  # `charge` is defined twice (v1 and v2)


async def test_http_routes_no_client_calls(demo: Path) -> None:
    report = await run_example(demo, "http-routes")
    # /api/orders is fetched with a `${API_BASE}` prefix, /api/orders/<order_id> as
    # `/api/orders/${id}`, /api/cart by axios.post: all matched after normalising.
    assert places(report) == {
        ("http/route-not-called", "app/routes.py", 18),
        ("http/route-not-called", "server/index.js", 5),
    }
    cmp = report.outputs["unused"]["compare"]
    assert cmp["both"] == ["/api/cart", "/api/orders", "/api/orders/:param"]
    assert cmp["used_only"] == []
