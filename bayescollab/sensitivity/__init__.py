"""Sensitivity and uncertainty analyses of the network: which numbers matter, and how sure we are.

Each module answers one question (parameters, contexts, levers, value of information,
uncertainty, global indices); ``tornado`` draws the bar charts they share.
"""
