"""`iamd account demo [--yes]`: the seed's guided tour of account management.

The same steps in the same order as shared/seed/account_demo.py (alias round trip,
credential report, summary, authorization details, password policy, SAML providers),
rendered with the commands' own renderers. Every change to the account is asked for before
it is made. `--yes` answers every question with yes, so the tour runs unattended (it then
also creates and deletes a default password policy, as the seed does when every answer is y).
"""

import time

import click

from ...analysis.documents import decode_documents
from ...analysis.findings import parse_report
from .alias import current_aliases
from .authz import fetch_with_progress, render_trees
from .common import connection_options, iam_client
from .credential_report import fetch_with_spinner
from .output import console, rule
from .password_policy import get_policy, render_policy
from .saml import list_providers
from .summary import account_table, usage_rows, usage_table

REPORT_COLUMNS = 3


@click.command("demo")
@connection_options
@click.option("--yes", "-y", "assume_yes", is_flag=True, help="Answer yes to every question (non-interactive).")
def demo(assume_yes):
    """Run the guided tour of the account-management API."""
    out = console()
    iam = iam_client()

    def ask(question: str) -> bool:
        if assume_yes:
            out.print(f"{question} [dim](yes)[/dim]")
            return True
        return click.confirm(question, default=False)

    def section(title: str) -> None:
        rule(out, title)

    section("Welcome to the IAM account demo")
    out.print("Setting an account alias lets you use the alias in your sign-in URL instead of your account number.")
    old = current_aliases(iam)
    out.print(f"Your account currently uses '{old[0]}' as its alias." if old else "Your account currently has no alias.")
    # The tour's first change: asked before it is made, like every later one.
    if ask("Do you want to try setting the alias? (your current one is restored afterwards)"):
        for index in (1, 2):
            new_alias = f"alias-{index}-{time.time_ns()}"
            out.print(f"Setting your account alias to {new_alias}")
            iam.create_account_alias(AccountAlias=new_alias)
        current = current_aliases(iam)
        out.print(f"Your account alias is now {current}.")
        iam.delete_account_alias(AccountAlias=current[0])
        out.print("Your account now has no alias.")
        if old:
            out.print(f"Restoring your original alias back to {old[0]}...")
            iam.create_account_alias(AccountAlias=old[0])

    section("Credential report")
    out.print("Let's generate a credentials report...")
    rows = parse_report(fetch_with_spinner(iam, 300)["Content"])
    out.print(f"Got credentials report. Showing only the first {REPORT_COLUMNS} columns.")
    header = list(rows[0].keys())[:REPORT_COLUMNS] if rows else []
    lines = [header] + [[row[c] for c in header] for row in rows]
    width = max((len(item) for line in lines for item in line), default=0) + 2
    for line in lines:
        out.print("".join(item.ljust(width) for item in line), markup=False)

    section("Account summary")
    summary_map = iam.get_account_summary()["SummaryMap"]
    rows_used = usage_rows(summary_map)
    out.print(usage_table(rows_used, 0.8))
    out.print(account_table(summary_map))

    section("Authorization details")
    details = decode_documents(fetch_with_progress(iam, []))
    if ask("These are pretty long, do you want to see them?"):
        render_trees(details, out)

    section("Password policy")
    created = False
    if ask("Want to see the password policy for the account?"):
        while True:
            policy = get_policy(iam)
            if policy is not None:
                render_policy(policy, "table")
                break
            out.print("This account has no password policy.")
            if created or not ask("Do you want to create a default password policy?"):
                break
            iam.update_account_password_policy()
            created = True
    if created and ask("Do you want to delete the password policy?"):
        iam.delete_account_password_policy()
        out.print("Password policy deleted.")

    out.print("The SAML providers for your account are:")
    providers = list_providers(iam)[:10]
    for p in providers:
        out.print(f"\t{p['Arn']}", markup=False)
    if not providers:
        out.print("\tThis account has no SAML providers.")
    section("Thanks for watching")
