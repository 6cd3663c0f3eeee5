"""Go removal: checks in conditions folded, every result checked with `gofmt -e`."""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

import pytest

from swath.analyzers.flags.rewrite import rewrite_file
from tests.tools import gofmt

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
