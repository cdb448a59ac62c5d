"""E-mail digests of the intranet's IT news, read from the published feed and sent over SMTP."""
