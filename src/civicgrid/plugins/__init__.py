"""The plugin system: hook specs, plugin managers and the registry."""
