mkdir thursday_talks && cd thursday_talks
mkdir -p src/civicgrid_thursday_talks/methods tests
touch src/civicgrid_thursday_talks/py.typed
