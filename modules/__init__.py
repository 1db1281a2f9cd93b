"""Built-in siprouter modules, one sub-package each; loaded through entry points."""
