"""Measurements run by `manage.py bench_*`: real models on fixed inputs, printed as tables."""
