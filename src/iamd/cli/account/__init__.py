"""`iamd account`: the account-management client (alias, credential report, summary,
authorization details, password policy, SAML providers, policy simulation, who-can and explain,
and the seed's guided tour).

It talks to any IAM endpoint through boto3 alone, iamd or AWS. The user guide is
docs/account-cli.md.
"""

import click

from .alias import alias
from .analysis import explain, who_can
from .authz import authorization_details
from .common import AccountGroup, connection_options
from .credential_report import credential_report
from .demo import demo
from .password_policy import password_policy
from .saml import saml_providers
from .simulate import simulate
from .summary import summary


@click.group("account", cls=AccountGroup, context_settings={"help_option_names": ["-h", "--help"]})
@connection_options
def account():
    """Manage an IAM account: iamd or AWS, through the standard AWS credential chain.

    \b
    Shell completion (bash; zsh and fish likewise with zsh_source/fish_source):
      eval "$(_IAMD_COMPLETE=bash_source iamd)"
    """


for command in (alias, credential_report, summary, authorization_details, password_policy,
                saml_providers, simulate, who_can, explain, demo):
    account.add_command(command)

__all__ = ["account"]
