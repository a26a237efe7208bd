"""The analytics pages: segments, models (the registry), retention alerts, best prospects,
the customer report and value settings. Thin: forms validate, services write, selectors read."""
