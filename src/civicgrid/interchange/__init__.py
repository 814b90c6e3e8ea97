"""Reading and writing districts as files: unit tables (CSV) and district documents (JSON).

:mod:`civicgrid.interchange.units_csv` reads and writes a unit tree as the table a community
keeps in Excel; :mod:`civicgrid.interchange.documents` reads and writes a whole district
(units, organisations, people, appointments) as a JSON document through the library's
converter, personal data masked unless asked otherwise. Both refuse bad input with one
:class:`~civicgrid.errors.InvalidData` listing every problem and where it is, and never
return anything half loaded.
"""
