"""iamd: a self-hostable server that speaks the AWS IAM and STS APIs."""

__version__ = "0.1.0"
