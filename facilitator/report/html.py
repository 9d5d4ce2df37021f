"""The self-contained HTML report: one file with inline CSS and inline SVG, no scripts and no
external resources, so it can be e-mailed, archived or opened offline. Jinja2 escapes every value
(titles and codes come from files a person wrote); only the SVG we drew is marked safe."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from facilitator.report.build import Study
from facilitator.report.plots import rates_chart, slope_plot
from facilitator.report.tables import all_tables, methods_paragraph, num

TEMPLATES = Path(__file__).resolve().parent / "templates"


def _plots(study: Study) -> list[dict[str, object]]:
    plots: list[dict[str, object]] = []
    for results in study.outcomes.values():
        for n, r in enumerate(results):
            pre, post = [], []
            for code in study.pairing.paired:
                a = study.values["pre"][code].get(r.measure)
                b = study.values["post"][code].get(r.measure)
                if a is not None and b is not None:
                    pre.append(a)
                    post.append(b)
            ident = f"plot-{r.measure.replace('.', '-')}-{n}"
            ci = f"95% CI {num(r.ci_low)} to {num(r.ci_high)}"
            caption = f"{r.title}: {r.n} pairs, mean change {num(r.change)} ({ci})."
            plots.append({"svg": Markup(slope_plot(ident, r.title, pre, post)), "caption": caption})
    return plots


def render_html(study: Study) -> str:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))
    p = study.pairing
    rates = rates_chart(
        [("Pre-survey", len(p.pre)), ("Post-survey", len(p.post)), ("Both", len(p.paired))], study.roster
    )
    return env.get_template("report.html").render(
        study=study,
        tables=all_tables(study),
        plots=_plots(study),
        rates_svg=Markup(rates),
        methods=methods_paragraph(study),
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )
