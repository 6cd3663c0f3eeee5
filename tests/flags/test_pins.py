"""The plan names the tests that pin a removed flag, by test case, in every language."""

from __future__ import annotations

from pathlib import Path

from .conftest import make_repo, run_offline

FLAGD = """{"flags": {"new_checkout": {"state": "ENABLED", "variants": {"on": true, "off": false},
  "defaultVariant": "on"}}}
"""


def test_the_plan_names_each_test_case_that_pins_the_flag(tmp_path: Path) -> None:
    ws = make_repo(
        tmp_path,
        {
            "flags/flags.flagd.json": FLAGD,
            "app/shop.py": """
                def buy(client):
                    if client.get_boolean_value("new_checkout", False):
                        return "new"
                    return "old"
                """,
            "tests/test_shop.py": """
                from app.shop import buy


                def test_buy_new(client):
                    client.set("new_checkout", True)
                    assert buy(client) == "new"
                """,
            "svc/shop_test.go": """
                package svc

                import "testing"

                func TestBuyOld(t *testing.T) {
                	flags.Set("new_checkout", false)
                }
                """,
            "web/shop.test.ts": """
                describe("shop", () => {
                  it("renders the new checkout", () => {
                    mockFlags({ new_checkout: true, "new_checkout": true });
                  });
                });
                """,
            "spec/shop_spec.rb": """
                describe Shop do
                  it "buys the old way" do
                    stub_feature_flags("new_checkout" => false)
                  end
                end
                """,
        },
    )
    _, _, plan = run_offline(ws)
    (flag,) = [f for f in plan["catalogue"] if f["key"] == "new_checkout"]
    names = {(c["path"], c["name"]) for c in flag["test_cases"]}
    assert names == {
        ("tests/test_shop.py", "test_buy_new"),
        ("svc/shop_test.go", "TestBuyOld"),
        ("web/shop.test.ts", "renders the new checkout"),
        ("spec/shop_spec.rb", "buys the old way"),
    }
    line = next(ln for ln in plan["markdown"].splitlines() if ln.startswith("- **Tests**"))
    assert line.startswith("- **Tests** pinning it (update or delete them with it): ")
    assert "`tests/test_shop.py:5` (`test_buy_new`)" in line
    assert "`svc/shop_test.go:6` (`TestBuyOld`)" in line
