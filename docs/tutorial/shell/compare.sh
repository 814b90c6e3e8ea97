civicgrid compare --preset hefei --scale 0.03 --days 60 --methods thursday_talks,five_steps
