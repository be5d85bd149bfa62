"""`iamd` entry point: the click group and its subcommands."""

import importlib

import click

from .. import __version__
from .backup import backup, restore
from .accounts import accounts
from .root_password import root_password
from .serve import serve


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="iamd")
def cli():
    """iamd: an AWS IAM and STS server, and an account-management client."""


cli.add_command(serve)
cli.add_command(accounts)
cli.add_command(backup)
cli.add_command(restore)
cli.add_command(root_password)

# Subcommand groups owned by other modules; each is optional until it lands.
for module, name in (("iamd.cli.account", "account"), ("iamd.cli.aws_policies", "aws_policies"),
                     ("iamd.cli.delegation", "delegation"),
                     ("iamd.cli.audit", "audit")):
    try:
        cli.add_command(getattr(importlib.import_module(module), name))
    except ImportError:
        pass


def main():
    cli()


if __name__ == "__main__":
    main()
