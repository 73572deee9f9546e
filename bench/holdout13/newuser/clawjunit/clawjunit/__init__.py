"""Turns the sessions of an evaluation run into a JUnit XML file and an HTML page for CI."""
