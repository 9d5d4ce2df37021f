"""The report in the terminal: the same tables as the HTML report, drawn with rich."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table as RichTable
from rich.text import Text

from facilitator.report.build import Study
from facilitator.report.tables import all_tables, methods_paragraph


def print_report(study: Study, console: Console) -> None:
    console.print(Text(f"{study.title}: study report", style="bold"))
    for table in all_tables(study):
        rich = RichTable(title=escape(table.title), title_justify="left", show_lines=False)
        for i, header in enumerate(table.headers):
            rich.add_column(Text(header), justify="left" if i == 0 else "right")
        for row in table.rows:
            rich.add_row(*(Text(cell) for cell in row))
        console.print(rich)
        for note in table.notes:
            console.print(f"  {note}", highlight=False, markup=False)
    console.print("[bold]Methods and results[/bold]", highlight=False)
    console.print(methods_paragraph(study), highlight=False, markup=False)
    console.print("[bold]Choices[/bold]", highlight=False)
    for choice in study.choices:
        console.print(f"- {choice}", highlight=False, markup=False)
