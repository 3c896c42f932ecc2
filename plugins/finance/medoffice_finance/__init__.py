"""medoffice-finance: the practice's books (issue 13)."""
