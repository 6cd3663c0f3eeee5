"""Agreement with grimp on a real third-party package: the same internal import edges.

`hypothesis` (a test dependency, ~100 modules written by others) is copied into a temporary
workspace, mapped with the `symbols` and `module-map` analyzers, and its edges compared
with `grimp.build_graph` on the same files, module by module.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import grimp

from tests.workflows.test_module_map import module_map

PACKAGE = "hypothesis"


def test_the_import_graph_of_a_real_package_matches_grimp(tmp_path: Path) -> None:
    spec = importlib.util.find_spec(PACKAGE)
    assert spec is not None and spec.submodule_search_locations
    src = Path(next(iter(spec.submodule_search_locations)))
    shutil.copytree(src, tmp_path / PACKAGE, ignore=shutil.ignore_patterns("__pycache__"))
    _, result = module_map(tmp_path, [PACKAGE])
    out = result.output
    module_of = {m["path"]: m["module"] for m in out["modules"]}
    ours = {(module_of[e["from"]], module_of[e["to"]]) for e in out["edges"]}

    sys.path.insert(0, str(tmp_path))
    try:
        graph = grimp.build_graph(PACKAGE, cache_dir=None)
    finally:
        sys.path.remove(str(tmp_path))
    theirs = {(m, d) for m in graph.modules for d in graph.find_modules_directly_imported_by(m)}
    both = set(module_of.values()) & set(graph.modules)
    assert len(both) > 80  # grimp and swath see the same package
    ours = {e for e in ours if e[0] in both and e[1] in both}
    theirs = {e for e in theirs if e[0] in both and e[1] in both}
    assert len(theirs) > 300
    missing, extra = theirs - ours, ours - theirs
    assert not missing and not extra, (sorted(missing)[:10], sorted(extra)[:10])
