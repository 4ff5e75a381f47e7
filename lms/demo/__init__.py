"""Demo data for `make run`, the browser tests and the benchmarks: the top floor.

`flask --app wsgi lms demo-data [--scale large]` builds, in order: the province
(units, people, one account per role), the training plan of the demo district
(and the large benchmark scale), then the demo trainer's authorship of imported
courses. It may import any feature; no feature imports it.
"""

from flask import Flask


def init_app(app: Flask) -> None:
    from lms.core.cli import lms_cli
    from lms.demo.cli import demo_data

    lms_cli.add_command(demo_data)
