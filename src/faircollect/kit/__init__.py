"""Generic helpers with no lending knowledge: money, rates, dates, clocks.

May import only the standard library.
"""
