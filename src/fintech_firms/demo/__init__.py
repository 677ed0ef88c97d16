"""The demo raw-data generator: `generate(out, seed=..., scale=...)` writes a raw folder in the data
contract's format whose records realise a plan of targets (plan.csv) exactly. See generate.py."""
