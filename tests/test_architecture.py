"""Guard rails of the layout, as checks: the library never imports Streamlit, no module
of the app or the library imports itself back through others (no import cycle), and no
module imports one on a higher floor (counting imports inside functions and type-only
imports too)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("ete_metrics", "dashboard")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _sources() -> dict[str, Path]:
    files = [ROOT / "app.py", *(ROOT / "app_pages").glob("*.py")]
    for package in PACKAGES:
        files += (ROOT / package).rglob("*.py")
    return {_module_name(f): f for f in files}


def _imports(path: Path, name: str, known: set[str]) -> set[str]:
    """Modules of ours that ``path`` imports anywhere in it (top level, functions, TYPE_CHECKING)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # ``from pkg import sub`` imports the submodule; ``from mod import name``, the module
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                for alias in node.names
            ]
        for target in targets:
            # the deepest module of ours the name refers to
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def _graph() -> dict[str, set[str]]:
    sources = _sources()
    known = set(sources)
    return {name: _imports(path, name, known) for name, path in sources.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    counter = 0

    def visit(node: str) -> None:
        nonlocal counter
        index[node] = low[node] = counter
        counter += 1
        stack.append(node)
        on_stack.add(node)
        for other in graph.get(node, ()):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return components


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles() -> None:
    graph = _graph()
    assert "app" in graph and "ete_metrics.metrics.funnel" in graph
    assert _cycles(graph) == []


#: The floors of the house, from the ground up (``docs/architecture.md``, "The floors").
#: A module may import modules of its own floor or below, never above. A package's
#: modules stand on its floor; the top-level modules are placed by who uses them:
#: ``errors``, ``config`` and ``progress`` (the callback type every long job takes) are
#: the ground, imported by every room and importing nothing above; ``steps`` (the
#: vocabulary, the marker ``SUPPRESSED`` and ``humanise`` among its words) is read by
#: every room from counting up; ``views`` (the published views) is read by protection,
#: presentation and the app, and reads the data room's check names; the face
#: (``ete_metrics/__init__.py``, matched by its own name only, so a new package of the
#: library must be placed here), the command line, the delivery of packs by email
#: (``ete_metrics.delivery``, issue 29) and the app are the top floor.
#: ``counting`` stands under ``data``: the counting rules read no database, while the
#: data room's data-quality view counts with them (``data/quality.py``).
FLOORS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("ground", ("ete_metrics.errors", "ete_metrics.config", "ete_metrics.progress")),
    ("vocabulary", ("ete_metrics.steps",)),
    ("counting", ("ete_metrics.counting",)),
    ("data", ("ete_metrics.data",)),
    ("metrics", ("ete_metrics.metrics",)),
    ("views", ("ete_metrics.views",)),
    ("protect", ("ete_metrics.protect",)),
    ("present", ("ete_metrics.present",)),
    ("app", (
        "ete_metrics", "ete_metrics.__main__", "ete_metrics.cli", "ete_metrics.cli_metrics",
        "ete_metrics.cli_engagement",
        "ete_metrics.cli_progress", "ete_metrics.delivery", "dashboard", "app_pages", "app",
    )),
)


def _floor(module: str) -> int:
    """The floor of a module: the floor of the longest prefix of its name that is placed."""
    best, found = -1, -1
    for number, (_, prefixes) in enumerate(FLOORS):
        for prefix in prefixes:
            inside = module.startswith(prefix + ".") and prefix != "ete_metrics"  # the face: itself only
            if (module == prefix or inside) and len(prefix) > best:
                best, found = len(prefix), number
    if found < 0:
        raise AssertionError(f"{module} stands on no floor: add it to FLOORS in tests/test_architecture.py")
    return found


def _arrows_up(graph: dict[str, set[str]]) -> list[str]:
    """Every import from a module to one on a higher floor, as ``a (floor) -> b (floor)``."""
    names = [name for name, _ in FLOORS]
    return sorted(
        f"{module} ({names[_floor(module)]}) -> {other} ({names[_floor(other)]})"
        for module, imported in graph.items()
        for other in imported
        if _floor(other) > _floor(module)
    )


def test_every_module_stands_on_one_floor() -> None:
    graph = _graph()
    assert {_floor(module) for module in graph} == set(range(len(FLOORS)))
    assert _floor("ete_metrics.steps") < _floor("ete_metrics.counting.population")
    assert _floor("ete_metrics.metrics.funnel") < _floor("ete_metrics.protect.policy")
    assert _floor("ete_metrics") == _floor("app_pages.2_funnels")  # the face is the top floor
    try:
        _floor("ete_metrics.a_new_room")
    except AssertionError as error:
        assert "stands on no floor" in str(error)
    else:
        raise AssertionError("a new package of the library must be given a floor")


def test_the_arrow_finder_finds_an_arrow_up() -> None:
    graph = {
        "ete_metrics.data.audit": {"ete_metrics.protect.access", "ete_metrics.data.db"},
        "ete_metrics.protect.policy": {"ete_metrics.metrics.comparison"},
        "ete_metrics.views": {"ete_metrics.present.formatting", "ete_metrics.steps"},
    }
    assert _arrows_up(graph) == [
        "ete_metrics.data.audit (data) -> ete_metrics.protect.access (protect)",
        "ete_metrics.views (views) -> ete_metrics.present.formatting (present)",
    ]


def test_no_import_runs_up_a_floor() -> None:
    assert _arrows_up(_graph()) == []


def test_the_library_never_imports_streamlit() -> None:
    offenders = []
    for path in (ROOT / "ete_metrics").rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            names = (
                [a.name for a in node.names] if isinstance(node, ast.Import)
                else [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            )
            if any(n == "streamlit" or n.startswith("streamlit.") for n in names):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def _heavy_modules_after(code: str) -> str:
    """Run ``code`` in a fresh Python and name the heavy libraries it loaded (comma-separated)."""
    import subprocess
    import sys

    report = (
        "\nheavy = sorted({m.split('.')[0] for m in sys.modules}"
        " & {'scipy', 'plotly', 'pptx', 'reportlab', 'kaleido', 'holidays'})\nprint(','.join(heavy))\n"
    )
    done = subprocess.run([sys.executable, "-c", "import sys\n" + code + report],
                          cwd=ROOT, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def test_the_face_and_a_metric_command_load_no_scipy_plotly_or_report_libraries() -> None:
    # nor the bank holidays (``holidays``, 0.2 s): the frames' module reads London dates from
    # counting/workdays, which imports the calendar only when working days are counted
    code = (
        "import ete_metrics, ete_metrics.cli, ete_metrics.cli_metrics\n"
        "from ete_metrics import db, funnel, wilson_interval\n"
        "wilson_interval([1], [2])\n"
    )
    assert _heavy_modules_after(code) == ""


def test_a_report_with_its_funnel_plots_and_standardised_ratios_loads_scipy_special_only() -> None:
    # the funnel-plot limits and the exact Poisson intervals are scipy.special's (metrics/distributions.py),
    # loaded when first worked out; scipy.stats takes seconds to import and is never loaded
    code = (
        "from ete_metrics.data.demo import generate_demo\n"
        "from ete_metrics.present.report import build_report, report_content\n"
        "from ete_metrics.metrics.standardised import poisson_interval\n"
        "demo = generate_demo(n_participants=600)\n"
        "content = report_content(demo.participants, demo.milestones, demo.targets, as_of='2023-08-16')\n"
        "figures = {view.key: view.figure for view in content.views}\n"
        "assert figures['regions'] is not None and figures['regions_adjusted'] is not None\n"
        "data = build_report(demo.participants, demo.milestones, demo.targets, as_of='2023-08-16', fmt='xlsx')\n"
        "assert data[:2] == b'PK' and poisson_interval([3], [2.0])[1][0] > 0\n"
        "print(','.join(sorted({'.'.join(m.split('.')[:2]) for m in sys.modules if m.startswith('scipy.')})))\n"
    )
    loaded = _heavy_modules_after(code).splitlines()[0].split(",")
    assert "scipy.special" in loaded
    assert "scipy.stats" not in loaded and "scipy.optimize" not in loaded


def test_every_public_name_of_the_face_resolves() -> None:
    import ete_metrics

    for name in ete_metrics.__all__:
        assert getattr(ete_metrics, name) is not None, name


def test_the_face_lists_each_name_once_and_hands_on_its_room() -> None:
    import importlib

    import ete_metrics
    from ete_metrics import db, funnel

    listed = [name for names in ete_metrics._ROOMS.values() for name in names]
    assert len(listed) == len(set(listed)) == len(ete_metrics.__all__)
    assert db is importlib.import_module("ete_metrics.data.db")
    assert funnel is importlib.import_module("ete_metrics.metrics.funnel").funnel
    assert set(ete_metrics.__all__) <= set(dir(ete_metrics))
    try:
        ete_metrics.no_such_name  # noqa: B018
    except AttributeError as error:
        assert "no_such_name" in str(error)
    else:
        raise AssertionError("an unknown name of the face must raise AttributeError")


def test_a_workbook_loads_no_plotly_browser_or_other_report_libraries() -> None:
    # a workbook has no charts: its figures are worked out without Plotly, and no browser starts
    code = (
        "from ete_metrics.data.demo import generate_demo\n"
        "from ete_metrics.present.report import build_report\n"
        "demo = generate_demo(n_participants=600)\n"
        "data = build_report(demo.participants, demo.milestones, demo.targets, as_of='2023-08-16', fmt='xlsx')\n"
        "assert data[:2] == b'PK'\n"
    )
    # scipy (scipy.special alone, for the exact intervals) is allowed: see the test above
    assert _heavy_modules_after(code) == "scipy"


#: Issue 27: at most this many functions of 80 lines or more (from the ``def`` to the last
#: line) across the library, the dashboard and the pages, so a newcomer reads steps, not walls.
MOST_LONG_FUNCTIONS = 15
LONG_FUNCTION_LINES = 80


def _long_functions(sources: dict[str, str]) -> list[str]:
    """``path:name (lines)`` of every function of ``LONG_FUNCTION_LINES`` lines or more."""
    found = []
    for path, source in sources.items():
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length >= LONG_FUNCTION_LINES:
                    found.append(f"{path}:{node.name} ({length})")
    return sorted(found)


def test_the_long_function_finder_counts_from_def_to_the_last_line() -> None:
    body = "".join(f"    x{i} = {i}\n" for i in range(LONG_FUNCTION_LINES - 3))
    short = f"def short():\n    '''Doc.'''\n{body}"  # 1 + 1 + 77 = 79 lines
    long = f"def long():\n    '''Doc.'''\n{body}    return x0\n"  # 80 lines
    assert _long_functions({"a.py": short, "b.py": long}) == [f"b.py:long ({LONG_FUNCTION_LINES})"]


def test_at_most_fifteen_functions_of_eighty_lines_or_more() -> None:
    sources = {
        str(path.relative_to(ROOT)): path.read_text(encoding="utf-8")
        for folder in ("ete_metrics", "dashboard", "app_pages")
        for path in sorted((ROOT / folder).rglob("*.py"))
    }
    sources["app.py"] = (ROOT / "app.py").read_text(encoding="utf-8")
    long = _long_functions(sources)
    assert len(long) <= MOST_LONG_FUNCTIONS, "\n".join(long)
