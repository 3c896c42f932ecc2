"""Reports: plugins contribute ``ReportSpec``s; core parses their typed parameters, runs them and
renders the result as an HTML table, CSV, JSON, PDF and an SVG chart (web pages and CLI).
"""
