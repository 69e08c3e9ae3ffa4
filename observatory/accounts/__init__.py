"""Named accounts: passwords, a second factor, browser sessions, groups of communes (issue 21)."""
