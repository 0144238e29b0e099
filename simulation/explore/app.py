"""The explorer's page (Solara): controls on the left, the batch's figures on the right.

Served by `python run.py explore` (`simulation.explore_cli`), which sets :data:`SERVER` (what to
open, and the worker pool) before the server starts. The page's logic is in
:class:`~simulation.explore.session.Session`; this module only lays it out. Figures are drawn in
a thread of the page (matplotlib), never in the render; the model runs on the pool's processes.
"""

from __future__ import annotations

import ipyvue
import solara
import traitlets

from . import figures
from .controls import Control, group_title, groups, table_columns
from .folder import ResultsFolder, open_folder
from .session import Session
from .state import SAVED_NAME, Explorer

# Set by the command before serving: {"source": scenario file or results folder, "folder": bool, "pool": Pool}
SERVER: dict = {}
FIRST_GROUPS = ("strategy", "run")  # always open; the docs' sections below are opened on demand
IMAGE_WIDTH = "100%"


class CopyButton(ipyvue.VueTemplate):
    """A button copying `text` to the clipboard (the browser's Clipboard API; a hidden text area elsewhere)."""

    template = traitlets.Unicode(
        """
<template>
  <v-btn small :color="copied ? 'success' : 'primary'" @click="copy" class="buzzsim-copy">
    {{ copied ? 'copied' : label }}
  </v-btn>
</template>
<script>
module.exports = {
  data() { return { copied: false }; },
  methods: {
    copy() {
      const done = () => { this.copied = true; setTimeout(() => { this.copied = false; }, 1500); };
      const fallback = () => {
        const area = document.createElement('textarea');
        area.value = this.text;
        document.body.appendChild(area);
        area.select();
        document.execCommand('copy');
        document.body.removeChild(area);
        done();
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(this.text).then(done, fallback);
      } else {
        fallback();
      }
    },
  },
};
</script>
"""
    ).tag(sync=True)
    text = traitlets.Unicode("").tag(sync=True)
    label = traitlets.Unicode("copy command").tag(sync=True)


# -- controls ----------------------------------------------------------------------------------


@solara.component
def Help(text: str):
    """A small question mark whose tooltip is a key's documentation."""
    with solara.Tooltip(text):
        solara.Text("?", style={"cursor": "help", "color": "#0072B2", "font-weight": "bold", "padding": "0 4px"})


@solara.component
def KeyControl(control: Control, session: Session, on_change, dense: bool = False):
    """One key: a select, or a slider with a number field (the typed text is what runs), and its error beside it."""
    text = session.explorer.text(control.key)
    error = session.checked.errors.get(control.key, "")
    label = ("• " if session.explorer.changed(control.key) else "") + control.label

    def set_text(value):
        on_change(control.key, "" if value is None else str(value))

    with solara.Column(gap="0px", style={"margin-bottom": "4px"}):
        with solara.Row(gap="4px", style={"align-items": "center"}):
            if control.kind in ("choice", "bool"):
                values = list(control.choices) + ([text] if text not in control.choices else [])
                solara.Select(label, values=values, value=text, on_value=set_text, dense=True)
            else:
                solara.InputText(label, value=text, on_value=set_text, error=error or False, continuous_update=False)
            Help(control.help)
        if control.slider is not None:
            try:
                position = control.slider_position(float(text))
            except ValueError:
                position = control.slider_ends()[0]
            lo, hi = control.slider_ends()
            solara.SliderFloat(
                "",
                value=position,
                min=lo,
                max=hi,
                step=control.slider_step(),
                on_value=lambda p: on_change(control.key, control.slider_text(p)),
                thumb_label=False,
            )
        if error and control.kind in ("choice", "bool"):
            solara.Text(error, style={"color": "#D55E00", "font-size": "12px"})


@solara.component
def ListTable(list_key: str, session: Session, on_change, on_rows):
    """A list of tables (amplifiers, a schedule) as a small editable table: a row per entry, a column per key."""
    explorer = session.explorer
    columns = table_columns(list_key)
    rows = explorer.table(list_key)
    error = session.checked.errors.get(list_key, "")
    with solara.Card(list_key, margin=0, style={"margin-bottom": "8px"}):
        if error:
            solara.Text(error, style={"color": "#D55E00", "font-size": "12px"})
        if not rows:
            solara.Text("(none)")
        for i, row in enumerate(rows):
            with solara.Row(gap="4px", style={"flex-wrap": "wrap", "align-items": "center"}):
                solara.Text(f"{i}", style={"width": "16px"})
                for c in columns:
                    key = f"{list_key}.{i}.{c.key}"
                    cell = Control(key=key, label=c.label, help=c.help, kind=c.kind, group=list_key, choices=c.choices)
                    with solara.Column(style={"min-width": "120px", "max-width": "170px"}):
                        KeyControl(cell, session, on_change)
                solara.Button("remove", small=True, text=True, on_click=lambda i=i: on_rows(list_key, "remove", i))
        solara.Button("add a row", small=True, text=True, on_click=lambda: on_rows(list_key, "add", 0))


@solara.component
def Group(name: str, controls: list, session: Session, on_change, open_: bool):
    """A section of keys, as the docs group them; its controls are built only once it is opened."""
    shown, set_shown = solara.use_state(open_)
    changed = sum(session.explorer.changed(c.key) for c in controls)
    errors = sum(c.key in session.checked.errors for c in controls)
    note = "".join([f" ({changed} changed)" if changed else "", f" ({errors} invalid)" if errors else ""])
    with solara.Column(gap="0px"):
        solara.Button(
            ("▾ " if shown else "▸ ") + group_title(name) + note,
            text=True,
            on_click=lambda: set_shown(not shown),
            style={"text-transform": "none", "justify-content": "flex-start"},
        )
        if shown:
            with solara.Column(style={"padding-left": "12px"}):
                for c in controls:
                    KeyControl(c, session, on_change)


# -- figures -----------------------------------------------------------------------------------


def _draw(session: Session, batch) -> dict:
    """Everything the figures panel shows for a finished batch (PNG bytes, tables, neighbourhoods)."""
    checked = session.batch_checked
    by = session.results(batch)
    shown = {"checked": checked, "batch": batch, "runs": {}, "wall": (batch.finished or 0) - batch.started}
    series = {}
    for name, results in by.items():
        sc = checked.scenarios[name]
        series[name] = figures.series(results)
        nb = next((r[1] for r in results if r[1] is not None), None)
        shown["runs"][name] = {"pngs": figures.run_pngs(series[name], sc, name), "nb": nb, "sc": sc}
    if checked.plan is not None and len(by) == 2:
        a, b = list(by)
        sc = checked.scenarios[a]
        diff = figures.difference_frame(series[a], series[b])
        shown["difference"] = figures.difference_png(diff, sc.simulation.dt_hours, a, b, sc.name)
        summary = figures.summary_of(by, checked.plan)
        shown["table"] = figures.difference_table(summary, checked.plan, sc.population.currency)
    return shown


@solara.component
def Neighbourhood(run: dict, name: str, step: int):
    """The neighbourhood at the slider's step (drawn in a thread: the page stays live)."""
    nb = run["nb"]

    def draw(cancel):
        return figures.neighbourhood_png(nb, step, figures.title(run["sc"], name)) if nb is not None else None

    result = solara.use_thread(draw, dependencies=[id(nb), step], intrusive_cancel=False)
    if nb is None:
        solara.Text("No neighbourhood to draw: a well-mixed population has no network (or nobody complained).")
    elif result.value is not None:
        solara.Image(result.value, width=IMAGE_WIDTH)
        counts = figures.stance_counts(nb, min(step, len(nb.stances) - 1))
        solara.Text(", ".join(f"{v} {k}" for k, v in counts.items() if v), style={"font-size": "12px"})


@solara.component
def FiguresPanel(shown: dict):
    """The shown batch's figures: one column per strategy, the paired difference side by side."""
    runs = shown["runs"]
    any_nb = next((r["nb"] for r in runs.values() if r["nb"] is not None), None)
    last = len(any_nb.stances) - 1 if any_nb is not None else 0
    step, set_step = solara.use_state(last // 4)
    names = list(runs)
    width = [1] * len(names)
    for figure in ("reputation", "posts"):
        with solara.Columns(width):
            for name in names:
                solara.Image(runs[name]["pngs"][figure], width=IMAGE_WIDTH)
    if "difference" in shown:
        solara.Text("Paired difference (same seeds, replication by replication)", style={"font-weight": "bold"})
        table = shown["table"]
        solara.HTML(tag="div", unsafe_innerHTML=table.to_html(index=False, border=0, classes="buzzsim-table"))
        solara.Image(shown["difference"], width="70%")
    with solara.Columns(width):
        for name in names:
            solara.Image(runs[name]["pngs"]["stances"], width=IMAGE_WIDTH)
    if any_nb is not None:
        dt = any_nb.dt
        solara.SliderInt(
            f"time of the neighbourhood: step {min(step, last)} ({min(step, last) * dt:g} h)",
            value=min(step, last),
            min=0,
            max=last,
            on_value=set_step,
            thumb_label=False,
        )
    with solara.Columns(width):
        for name in names:
            Neighbourhood(runs[name], name, min(step, last))


# -- the explorer page -------------------------------------------------------------------------


@solara.component
def ExplorerPage(source: str):
    """Controls, status, command and figures of one scenario."""
    session = solara.use_memo(lambda: Session(Explorer(source), SERVER["pool"]), [source])
    version, set_version = solara.use_state(0)
    progress, set_progress = solara.use_state((0.0, 0, 0))
    shown, set_shown = solara.use_state(None)
    failure, set_failure = solara.use_state("")

    def start():
        session.update()
        set_version(lambda v: v + 1)

    solara.use_effect(lambda: (start(), session.close)[1], [])

    def on_change(key: str, text: str):
        session.explorer.set_text(key, text)
        start()

    def on_rows(list_key: str, what: str, index: int):
        (session.explorer.add_row if what == "add" else session.explorer.remove_row)(
            *((list_key,) if what == "add" else (list_key, index))
        )
        start()

    def choose(strategy=None, versus=None, side=None):
        e = session.explorer
        a = strategy or e.strategy
        b = versus if versus is not None else e.versus
        if side is False:
            b = None
        elif side is True and b is None:
            b = next(s for s in e.strategies() if s != a)
        e.choose(a, b)
        start()

    batch = session.batch

    def watch(cancel):
        """Follow the running batch: progress while it runs, its figures once done."""
        if batch is None:
            return
        seen = -1
        while not cancel.is_set():
            seen = batch.wait_change(seen, 0.3)
            set_progress((batch.progress, batch.finished_tasks, len(batch.tasks)))
            if not batch.running:
                break
        if cancel.is_set() or batch.state == "cancelled":
            return
        if batch.state == "failed":
            set_failure(batch.error)
            return
        drawn = _draw(session, batch)
        if not cancel.is_set():
            set_failure("")
            set_shown(drawn)

    solara.use_thread(watch, dependencies=[id(batch)], intrusive_cancel=False)

    e, checked = session.explorer, session.checked
    solara.Title(f"buzzsim explorer: {e.path}")
    with solara.Columns([4, 8], style={"padding": "8px"}):
        with solara.Column(gap="6px"):
            solara.Text(f"buzzsim explorer: {e.path}", style={"font-size": "18px", "font-weight": "bold"})
            with solara.Card("strategy and its timing", margin=0):
                strategies = list(e.strategies())
                solara.Select("strategy", values=strategies, value=e.strategy, on_value=lambda s: choose(strategy=s))
                solara.Checkbox(
                    label="side by side: two strategies on the same seeds",
                    value=e.versus is not None,
                    on_value=lambda on: choose(side=on),
                )
                if e.versus is not None:
                    others = [s for s in strategies if s != e.strategy]
                    solara.Select("versus", values=others, value=e.versus, on_value=lambda s: choose(versus=s))
                if checked.errors.get("strategy"):
                    solara.Text(checked.errors["strategy"], style={"color": "#D55E00", "font-size": "12px"})
                for c in groups()["strategy"]:
                    KeyControl(c, session, on_change)
                for list_key in e.list_keys():
                    if list_key != "amplifiers":
                        ListTable(list_key, session, on_change, on_rows)
            with solara.Card("the batch: paired replications", margin=0):
                for c in groups()["run"]:
                    KeyControl(c, session, on_change)
            ListTable("amplifiers", session, on_change, on_rows)
            for name, controls in groups().items():
                if name not in FIRST_GROUPS:
                    Group(name, controls, session, on_change, False)
            solara.Button("reset to the scenario file", text=True, on_click=lambda: (e.reset(), start()))
        with solara.Column(gap="6px"):
            _status(session, progress, shown, failure)
            _command(session)
            if shown is not None:
                FiguresPanel(shown)
    del version  # the counter only makes the page render again after a change


def _status(session: Session, progress, shown, failure: str) -> None:
    checked, batch = session.checked, session.batch
    general = checked.errors.get("")
    if general:
        solara.Error(general)
    elif not checked.ok:
        solara.Warning(f"Not run: {len(checked.errors)} control(s) hold a value the command line refuses (in red).")
    if failure:
        solara.Error(f"The batch failed: {failure}")
    if batch is not None and batch.running:
        done, total = progress[1], progress[2]
        solara.ProgressLinear(max(0.02, progress[0]) * 100 if total else True)
        solara.Text(f"running {len(batch.tasks)} replications on {session.pool.size} worker processes: {done} done")
    elif shown is not None:
        b = shown["batch"]
        names = " and ".join(shown["runs"])
        solara.Text(
            f"shown: {shown['checked'].replications} paired replications of {names}, "
            f"seed {shown['checked'].seed} ({len(b.tasks)} runs in {shown['wall']:.1f} s)",
            classes=["buzzsim-shown"],
        )


def _command(session: Session) -> None:
    checked = session.checked
    if not checked.ok:
        return
    command = session.explorer.command()
    with solara.Card("reproduce what is shown", margin=0):
        solara.HTML(
            tag="code", unsafe_innerHTML=_escape(command), style={"font-size": "12px", "word-break": "break-all"}
        )
        with solara.Row():
            CopyButton.element(text=command, label="copy command")
            solara.FileDownload(checked.saved, filename=SAVED_NAME, label=f"save {SAVED_NAME}")
        solara.Text(
            f"or save the file and run: python run.py {' '.join(checked.saved_argv)}", style={"font-size": "12px"}
        )


def _escape(text: str) -> str:
    import html

    return html.escape(text)


# -- a results folder --------------------------------------------------------------------------


@solara.component
def FolderPage(source: str):
    """A finished run or experiment folder: its figures, tables and texts."""
    folder: ResultsFolder = solara.use_memo(lambda: open_folder(source), [source])
    figure, set_figure = solara.use_state(folder.figures[0] if folder.figures else None)
    table, set_table = solara.use_state(folder.tables[0] if folder.tables else None)
    text, set_text = solara.use_state(folder.texts[0] if folder.texts else None)
    solara.Title(f"buzzsim explorer: {folder.path}")
    with solara.Column(style={"padding": "8px"}):
        solara.Text(f"{folder.kind} folder {folder.path}", style={"font-size": "18px", "font-weight": "bold"})
        if figure:
            solara.Select("figure", values=folder.figures, value=figure, on_value=set_figure)
            solara.Image(folder.figure(figure), width="70%")
        else:
            solara.Text("no figures (the run was made with --no-figures)")
        if table:
            solara.Select("table", values=folder.tables, value=table, on_value=set_table)
            df, total = folder.table(table)
            shown = f"first {len(df):,} of {total:,} rows" if total > len(df) else f"{total:,} rows"
            solara.Text(f"{table}: {shown}")
            solara.HTML(
                tag="div",
                unsafe_innerHTML=df.to_html(index=False, border=0, classes="buzzsim-table"),
                style={"max-height": "480px", "overflow": "auto", "font-size": "12px"},
            )
        if text:
            solara.Select("text", values=folder.texts, value=text, on_value=set_text)
            solara.Preformatted(folder.text(text))


@solara.component
def Page():
    """The page: the explorer of a scenario, or the browser of a results folder."""
    if SERVER.get("folder"):
        FolderPage(SERVER["source"])
    else:
        ExplorerPage(SERVER["source"])
    solara.Style(".buzzsim-table td, .buzzsim-table th { padding: 2px 8px; text-align: right; }")


__all__ = ["Page", "SERVER"]
