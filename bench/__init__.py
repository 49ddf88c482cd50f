"""Benchmarks: targets as ratios measured side by side in one run; results in bench/results/."""
