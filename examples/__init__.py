"""Example user code for specc: torch modules that specs declare as ops (`op name = examples...`)."""
