"""Run configurations: each module's get_config() returns a hyperparameter table (a dict)."""
