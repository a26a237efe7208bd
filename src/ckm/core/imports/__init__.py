"""The customer data package import: one engine for every file, each app registers its files.

Apps describe their files with a FileLoader (columns, key, checks, a bulk writer) and register it in
their AppConfig.ready(); the engine streams each CSV, validates every row, reports every problem with
its line, column and reason, and writes in bulk inside one transaction per file.
"""
