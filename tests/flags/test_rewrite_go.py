"""Go removal: checks in conditions folded, every result checked with `gofmt -e`."""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

import pytest

from swath.analyzers.flags.rewrite import rewrite_file
from tests.tools import go, gofmt

K8S_CHECK = "utilfeature.DefaultFeatureGate.Enabled(features.AnyVolumeDataSource)"
HEAD = """\
package volume

import (
	"fmt"

	utilfeature "k8s.io/apiserver/pkg/util/feature"
	"k8s.io/kubernetes/pkg/features"
)

"""


def _go(body: str) -> str:
    return HEAD + textwrap.dedent(body).lstrip("\n")


def _rewrite(text: str, value: bool) -> str:
    result = rewrite_file(
        text, "go", "AnyVolumeDataSource", value, ["Enabled"], check_texts=[K8S_CHECK]
    )
    assert result.error is None, result.error
    return result.new_text


def _gofmt(tmp_path: Path, text: str) -> None:
    go_parser = gofmt()
    path = tmp_path / "x.go"
    path.write_text(text, encoding="utf-8")
    proc = subprocess.run([go_parser, "-e", "-l", str(path)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr + text
    assert proc.stdout == "", "not gofmt-clean:\n" + text  # -l names a file it would change


CASES = {
    "if-on": (
        """
        func Populate() string {
        	if utilfeature.DefaultFeatureGate.Enabled(features.AnyVolumeDataSource) {
        		fmt.Println("any")
        	}
        	return "pvc"
        }
        """,
        True,
        ['\tfmt.Println("any")\n\treturn "pvc"'],
        ["utilfeature", '"k8s.io/kubernetes/pkg/features"'],
    ),
    "if-off-deleted": (
        """
        func Populate() string {
        	if utilfeature.DefaultFeatureGate.Enabled(features.AnyVolumeDataSource) {
        		fmt.Println("any")
        	}
        	return "pvc"
        }
        """,
        False,
        ['func Populate() string {\n\treturn "pvc"\n}'],
        ["Println", "utilfeature"],
    ),
    "negated-else": (
        """
        func Populate() string {
        	if !utilfeature.DefaultFeatureGate.Enabled(features.AnyVolumeDataSource) {
        		return "old"
        	} else {
        		fmt.Println("new")
        	}
        	return "pvc"
        }
        """,
        True,
        ['\tfmt.Println("new")\n\treturn "pvc"'],
        ['"old"'],
    ),
    "and-keeps-the-other-operand": (
        """
        func Populate(ok bool) string {
        	if ok && utilfeature.DefaultFeatureGate.Enabled(features.AnyVolumeDataSource) {
        		return fmt.Sprint("any")
        	}
        	return "pvc"
        }
        """,
        True,
        ["\tif ok {\n"],
        ["Enabled"],
    ),
    "else-if-chain": (
        """
        func Populate(n int) string {
        	if utilfeature.DefaultFeatureGate.Enabled(features.AnyVolumeDataSource) {
        		return "any"
        	} else if n > 1 {
        		return fmt.Sprint(n)
        	}
        	return "pvc"
        }
        """,
        False,
        ['\tif n > 1 {\n\t\treturn fmt.Sprint(n)\n\t}\n\treturn "pvc"'],
        ['"any"'],
    ),
    "declarations-stay-in-a-block": (
        """
        func Populate() string {
        	x := "outer"
        	if utilfeature.DefaultFeatureGate.Enabled(features.AnyVolumeDataSource) {
        		x := "inner"
        		fmt.Println(x)
        	}
        	return x
        }
        """,
        True,
        ['\t{\n\t\tx := "inner"\n\t\tfmt.Println(x)\n\t}\n\treturn x'],
        ["Enabled"],
    ),
    "return-value": (
        """
        func Enabled() bool {
        	fmt.Println("asked")
        	return utilfeature.DefaultFeatureGate.Enabled(features.AnyVolumeDataSource)
        }
        """,
        True,
        ["\treturn true\n"],
        ["utilfeature"],
    ),
    "lifted-return-drops-what-follows": (
        """
        func Populate() string {
        	if utilfeature.DefaultFeatureGate.Enabled(features.AnyVolumeDataSource) {
        		return "any"
        	}
        	fmt.Println("never")
        	return "pvc"
        }
        """,
        True,
        ['func Populate() string {\n\treturn "any"\n}'],
        ["never", "import"],
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_go_checks_fold_and_the_result_is_gofmt_clean(tmp_path: Path, name: str) -> None:
    body, value, present, absent = CASES[name]
    before = _go(body)
    _gofmt(tmp_path, before)  # the fixture itself is real, formatted Go
    after = _rewrite(before, value)
    for text in present:
        assert text in after, after
    for text in absent:
        assert text not in after, after
    _gofmt(tmp_path, after)


def test_a_two_value_sdk_call_is_left_alone_and_reported() -> None:
    text = textwrap.dedent(
        """\
        package svc

        func Run(client Client) bool {
        	on, err := client.BoolVariation("new-checkout", ctx, false)
        	return on && err == nil
        }
        """
    )
    result = rewrite_file(text, "go", "new-checkout", True, ["BoolVariation"])
    assert result.new_text == text
    assert result.error is not None and "not a plain bool in a condition" in result.error


SDK = """\
package sdk

type Client struct{}

func New(name string) *Client { return &Client{} }

func (c *Client) BoolVariation(key string, user string, def bool) (bool, error) {
	return def, nil
}
"""
MAIN = """\
package main

import (
	"fmt"
	"strings"

	"example.com/app/sdk"
)

func main() {
	user := strings.ToLower("U-1")
	client := sdk.New("shop")

	holiday, _ := client.BoolVariation("holiday-theme", user, false)
	fmt.Println("holiday", holiday)

	if on, _ := client.BoolVariation("holiday-theme", user, false); on {
		fmt.Println("snow")
	}
	kept, err := client.BoolVariation("other", user, false)
	fmt.Println(kept, err)
}
"""


def _go_build(tmp_path: Path, main: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "sdk").mkdir(exist_ok=True)
    (tmp_path / "go.mod").write_text("module example.com/app\n\ngo 1.19\n", encoding="utf-8")
    (tmp_path / "sdk" / "sdk.go").write_text(SDK, encoding="utf-8")
    (tmp_path / "main.go").write_text(main, encoding="utf-8")
    env = {
        "PATH": "/usr/bin:/bin:/usr/local/bin",
        "HOME": str(tmp_path),
        "GOCACHE": str(tmp_path / ".cache"),
        "GOPATH": str(tmp_path / ".gopath"),
        "GOFLAGS": "-mod=mod",
        "GOPROXY": "off",
        "GOTOOLCHAIN": "local",
    }
    return subprocess.run(
        [go(), "build", "-o", str(tmp_path / "app"), "."],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def test_two_value_getters_with_the_error_thrown_away_compile_after_removal(
    tmp_path: Path,
) -> None:
    before = _go_build(tmp_path, MAIN)
    assert before.returncode == 0, before.stderr  # the fixture compiles
    result = rewrite_file(MAIN, "go", "holiday-theme", False, ["BoolVariation"])
    assert result.error is None, result.error
    out = result.new_text
    # `v, _ := getter(…)` is `v := false`; the locals only the getters read go (Go does not
    # compile an unused one), and the import only they used; `v, err :=` elsewhere stays.
    assert "holiday := false\n" in out and 'client.BoolVariation("holiday-theme"' not in out
    assert 'kept, err := client.BoolVariation("other", user, false)' in out
    after = _go_build(tmp_path, out)
    assert after.returncode == 0, after.stderr + out


def test_a_getter_whose_error_is_read_is_left_alone_and_says_so() -> None:
    src = MAIN.replace(
        'holiday, _ := client.BoolVariation("holiday-theme"',
        'holiday, err0 := client.BoolVariation("holiday-theme"',
    )
    src = src.replace('fmt.Println("holiday", holiday)', 'fmt.Println("holiday", holiday, err0)')
    src = src.replace(
        'if on, _ := client.BoolVariation("holiday-theme", user, false); on {\n\t\tfmt.Println("snow")\n\t}\n',
        "",
    )
    result = rewrite_file(src, "go", "holiday-theme", False, ["BoolVariation"])
    assert result.new_text == src
    assert result.error is not None and "whose error is read (`v, err := …`)" in result.error
