"""What plugins, settings and every stage share: the clock, the problems API,
resolved settings, path and text rules, template filters."""
