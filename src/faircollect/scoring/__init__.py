"""Scoring: origination risk and repayment propensity, explainable and governed.

Pure computation over arrays (NumPy, scikit-learn, LightGBM); reading files and storing models
are the adapters' job.
"""
