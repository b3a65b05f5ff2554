"""The rules of the domain, in plain Python.

Nothing in this package imports Django, a database driver or anything that does I/O beyond
reading its own data files; a test keeps it so. Every function that depends on the time takes it
as an argument.
"""
