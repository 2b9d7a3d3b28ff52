"""What a run leaves for people: the run recorder (the run folder as the run goes), report.md, the SVG charts, the inspected statistics."""
