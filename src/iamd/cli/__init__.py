"""The `iamd` command line: `serve`, `aws-policies`, and the `account` client."""
