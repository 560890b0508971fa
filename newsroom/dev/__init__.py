"""Tools for editors and developers: preview server, live reload, the file
watcher, `invoke new` and the Lighthouse audit. Nothing here runs in a build."""
