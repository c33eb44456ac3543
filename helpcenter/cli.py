"""The `helpcenter` console script: Flask's CLI for this app, under the project's name."""

from flask.cli import FlaskGroup

from helpcenter import create_app


def main() -> None:
    cli = FlaskGroup(
        name="helpcenter",
        create_app=lambda: create_app(),
        help="Player help center: database, content and development server.",
    )
    cli.main(prog_name="helpcenter")
