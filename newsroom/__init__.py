"""Build, preview and template helpers for the newsroom static site."""
