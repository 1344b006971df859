"""Demo funds: a year's grants and a few spendings for the first branches of each
street, one of them waiting for approval (called from seed_demo)."""
