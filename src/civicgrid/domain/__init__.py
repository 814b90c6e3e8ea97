"""Entities and pure rules; imports only the standard library, attrs and python-dateutil."""
