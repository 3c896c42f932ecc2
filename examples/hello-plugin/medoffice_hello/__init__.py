"""medoffice-hello: the example plugin that third-party authors copy (see docs/plugins.md)."""
